"""The published handling results: ``results/index.html`` (the wards), ``results/<ward>.html`` (each case's
category, status, dates, unit, reviewed result note and photo, as cards), ``results/maps/<ward>.html`` (the
ward's map), the same under ``en/``, ``results.json``, and the thumbnails of reviewed photos copied to
``results/photos/<sha256>.jpg``.

Everything comes from :func:`data.public_results.public_results` (the one public query: no reporter, phone,
report text or un-reviewed photo; locations rounded to ~100 m). Every data text is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from data.categories import load_taxonomy
from data.frames import plain_value
from data.i18n import label_in, translate
from data.i18n.formats import MISSING, local_date, local_time, number
from data.media import MediaLocation, thumbnail_file
from data.public_results import PHOTO_FOLDER, PublicFilter, public_results, public_wards
from publish.pages import LANGUAGES, document
from publish.results_map import legend_items, ward_results_map

WARD_LIMIT = 500
"""Cases per ward page and per ward in ``results.json`` (newest first)."""
MAP_FOLDER = "results/maps"
"""Where each ward's results map page is, from a language root (``results/maps/<ward>.html``)."""
STYLE = (
    ".case{background:#fff;border:1px solid #e3e3e3;border-radius:10px;padding:10px 12px;margin:10px 0}"
    ".case .top{display:flex;justify-content:space-between;align-items:baseline;gap:8px;flex-wrap:wrap}"
    ".case dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:.4em 0 0}.case dt{margin:0}"
    ".case img{display:block;max-width:100%;width:240px;height:auto;border-radius:6px;margin-top:8px}"
    ".grow{flex:1}.open{background:#fff3e0;color:#8a3b00}.done{background:#e6f4ea;color:#0d652d}"
    ".other{background:#eee;color:#333}"
)
_BADGES = {"resolved": "done", "rejected": "other", "transferred": "other"}  # status -> badge class (else "open")


def _t(language: str, key: str, **values: object) -> str:
    return escape(translate(key, language, **values))


def _case_card(case: Any, language: str, names: Mapping[str, str], timezone: str, photos: str) -> str:
    """One case as a card (readable on a 390-px phone): category, status, dates, unit, result, photo."""
    facts = [
        ("results.col.received", local_date(case.opened_at, language, timezone)),
        ("results.col.resolved", local_date(case.resolved_at, language, timezone)),
        ("results.col.unit", case.unit or MISSING),
    ]
    if case.result_note:
        facts.append(("results.col.note", case.result_note))
    rows = "".join(f"<dt>{_t(language, key)}</dt><dd>{escape(value)}</dd>" for key, value in facts)
    image = ""
    if case.photo:
        alt = _t(language, "results.col.photo")
        image = f'<img src="{photos}/{escape(case.photo)}.jpg" alt="{alt}" loading="lazy">'
    badge = _BADGES.get(case.status, "open")
    return (
        f'<article class="case"><div class="top"><b>{escape(names[case.category_code])}</b>'
        f'<span class="badge {badge}">{escape(label_in("status", case.status, language))}</span></div>'
        f"<dl>{rows}</dl>{image}</article>"
    )


def _legend(language: str) -> str:
    spans = "".join(f'<span><i style="background:{colour}"></i>{escape(text)}</span>' for colour, text in
                    legend_items(language))  # fmt: skip
    return f'<div class="legend">{spans}</div>'


def _ward_page(language: str, ward: Mapping[str, Any], cases: pd.DataFrame, names: Mapping[str, str],
               timezone: str, root: str, page: str, updated: str, air: str | None) -> str:  # fmt: skip
    photos = root + PHOTO_FOLDER
    cards = "".join(_case_card(case, language, names, timezone, photos) for case in cases.itertuples(index=False))
    total_cases = int(ward["cases"])
    count = f"<p><b>{_t(language, 'results.count', n=number(total_cases, language))}</b></p>"
    if total_cases > len(cases):
        shown, total = number(len(cases), language), number(total_cases, language)
        count += f'<p class="small">{_t(language, "results.more", shown=shown, total=total)}</p>'
    map_page = escape(map_path(page).removeprefix("results/"))
    located = cases.dropna(subset=["lat", "lon"])
    figure = ""
    if not located.empty:
        figure = (
            f'<iframe src="{map_page}" loading="lazy" title="{_t(language, "site.results_map")}"></iframe>'
            f'<p class="small"><a href="{map_page}">{_t(language, "site.full_map")}</a></p>{_legend(language)}'
        )
    about = [escape(ward["district"])] if ward["district"] else []
    if air:
        about.append(f'<a href="{escape(air)}">{_t(language, "site.ward_air")}</a>')
    heading = f"<h1>{_t(language, 'site.ward_of', ward=ward['ward_name'])}</h1>"
    heading += f'<p class="small">{" · ".join(about)}</p>' if about else ""
    intro = f'<p class="small">{_t(language, "results.intro")}</p>'
    title = f"{translate('results.title', language)} · {ward['ward_name']}"
    return document(language, title, heading + intro + count + figure + cards, root=root, page=page,
                    section="results", footer=escape(updated), style=STYLE)  # fmt: skip


def _index_page(language: str, wards: pd.DataFrame, pages: Mapping[str, str], root: str, updated: str) -> str:
    items = "".join(
        f'<li><span class="grow"><a href="{escape(pages[w.ward_code].removeprefix("results/"))}">'
        f'{escape(w.ward_name)}</a><br><span class="small">{escape(w.district or "")}</span></span>'
        f'<span class="small">{_t(language, "results.count", n=number(int(w.cases), language))}</span></li>'
        for w in wards.itertuples(index=False)
    )
    title = translate("results.site_index", language)
    body = f'<h1>{escape(title)}</h1><p class="small">{_t(language, "results.intro")}</p>'
    body += f'<ul class="list">{items}</ul>' if items else f"<p>{_t(language, 'results.no_wards')}</p>"
    return document(language, title, body, root=root, page="results/index.html", section="results",
                    footer=escape(updated), style=STYLE)  # fmt: skip


def page_paths(wards: pd.DataFrame, slug: Callable[[str], str]) -> dict[str, str]:
    """Each ward of :func:`public_wards` → its results page, from a language root (``results/<ward>.html``)."""
    return {code: f"results/{slug(code)}.html" for code in wards["ward_code"]}


def map_path(page: str) -> str:
    """The map page of the ward page ``results/<ward>.html``: ``results/maps/<ward>.html``."""
    return f"{MAP_FOLDER}/{page.removeprefix('results/')}"


def _json(cases: dict[str, pd.DataFrame], wards: pd.DataFrame, pages: dict[str, str], now: dt.datetime) -> str:
    def case_record(row: dict[str, object]) -> dict[str, object]:
        record = plain_value(row)
        for key in ("opened_at", "resolved_at", "due_at", "updated_at"):
            value = record[key]
            record[key] = value.isoformat() if isinstance(value, dt.datetime) else None
        record["photo"] = f"{PHOTO_FOLDER}/{row['photo']}.jpg" if row["photo"] else None
        return record

    payload = {
        "generated_at": now.isoformat(),
        "wards": [
            {
                "code": w.ward_code,
                "name": w.ward_name,
                "district": w.district,
                "page": pages[w.ward_code],
                "cases_total": int(w.cases),
                "cases": [case_record(r) for r in cases[w.ward_code].to_dict("records")],
            }  # fmt: skip
            for w in wards.itertuples(index=False)
        ],
    }
    return json.dumps(payload, ensure_ascii=False, allow_nan=False)


def _write(folder: Path, relative: str, text: str) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))


def _copy_photos(folder: Path, media_dir: MediaLocation, shas: set[str]) -> None:
    target = folder / PHOTO_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for sha in sorted(shas):
        try:
            source = thumbnail_file(media_dir, sha)
        except (ValueError, FileNotFoundError):  # stored file gone: the page shows no photo rather than fail
            continue
        if source.suffix == ".jpg":
            shutil.copyfile(source, target / f"{sha}.jpg")


def write_results(
    engine: Engine,
    folder: Path,
    *,
    media_dir: MediaLocation,
    timezone: str,
    now: dt.datetime,
    slug: Callable[[str], str],
    wards: pd.DataFrame | None = None,
    wards_geometry: gpd.GeoDataFrame | None = None,
    air_pages: Mapping[str, str] | None = None,
) -> int:
    """Write the results pages, each ward's map, ``results.json`` and the public thumbnails into ``folder``.

    ``wards`` is :func:`public_wards` when the caller has it; ``wards_geometry`` (``code``, ``geometry``) gives each
    ward map its outline; ``air_pages`` (ward code → its air-quality page) links each ward page to the ward's air.
    Returns the number of wards.
    """
    wards = public_wards(engine) if wards is None else wards
    pages = page_paths(wards, slug)
    cases = {code: public_results(engine, PublicFilter(ward_code=code, limit=WARD_LIMIT)) for code in pages}
    outlines = {} if wards_geometry is None else dict(zip(wards_geometry["code"], wards_geometry.geometry,
                                                            strict=True))  # fmt: skip
    taxonomy = load_taxonomy()
    codes = set(taxonomy.categories).union(*(frame["category_code"] for frame in cases.values()))
    for language, prefix in LANGUAGES.items():
        names = {code: taxonomy.name(code, language) for code in codes}  # an unknown code reads "Other"
        root = "../" * (1 + prefix.count("/"))
        updated = translate("results.updated", language, at=local_time(now, language, timezone))
        _write(folder, f"{prefix}results/index.html", _index_page(language, wards, pages, root, updated))
        for ward in wards.to_dict("records"):
            code, page = ward["ward_code"], pages[ward["ward_code"]]
            air = f"{root}{prefix}{air_pages[code]}" if air_pages and code in air_pages else None
            html = _ward_page(language, ward, cases[code], names, timezone, root, page, updated, air)
            _write(folder, prefix + page, html)
            if not cases[code].dropna(subset=["lat", "lon"]).empty:
                title = f"{translate('site.results_map', language)} · {ward['ward_name']}"
                html = ward_results_map(cases[code], outlines.get(code), language, root=root + "../", names=names,
                                        timezone=timezone, title=title)  # fmt: skip
                _write(folder, prefix + map_path(page), html)
    _write(folder, "results.json", _json(cases, wards, pages, now))
    _copy_photos(folder, media_dir, {sha for frame in cases.values() for sha in frame["photo"] if sha})
    return len(pages)
