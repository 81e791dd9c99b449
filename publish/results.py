"""The published handling results: ``results/index.html`` (the wards), ``results/<ward>.html`` (each case's
category, status, dates, unit, reviewed result note and photo), the same under ``en/``, ``results.json``, and
the thumbnails of reviewed photos copied to ``results/photos/<sha256>.jpg``.

Everything comes from :func:`data.public_results.public_results` (the one public query: no reporter, phone,
report text or un-reviewed photo; locations rounded to ~100 m). Every data text is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from collections.abc import Callable
from html import escape
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from data.categories import load_taxonomy
from data.frames import plain_value
from data.i18n import label_in, translate
from data.i18n.formats import MISSING, local_date, local_time, number
from data.media import MediaLocation, thumbnail_file
from data.public_results import PHOTO_FOLDER, PublicFilter, public_results, public_wards
from publish.pages import STYLE

WARD_LIMIT = 500
"""Cases per ward page and per ward in ``results.json`` (newest first)."""
LANGUAGES = {"vi": "", "en": "en/"}


def _t(language: str, key: str, **values: object) -> str:
    return escape(translate(key, language, **values))


def _document(language: str, title: str, body: str, *, depth: int, page: str, updated: str) -> str:
    """A whole page ``depth`` folders below the site root (the other language's copy of ``page`` linked)."""
    up = "../" * depth
    other = f"{up}en/{page}" if language == "vi" else f"{up}{page}"
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}.res img{{width:96px;height:auto;border-radius:6px}}"
        ".res td{vertical-align:top}</style></head><body><main>"
        f'<header><a href="{up}{LANGUAGES[language]}index.html">{_t(language, "site.home")}</a>'
        f'<a class="lang" href="{other}" hreflang="{"en" if language == "vi" else "vi"}">'
        f"{_t(language, 'site.other_language')}</a></header><h1>{escape(title)}</h1>{body}"
        f"<footer>{escape(updated)}</footer></main></body></html>"
    )


def _ward_page(language: str, ward: dict[str, object], cases: pd.DataFrame, names: dict[str, str], timezone: str,
               depth: int, page: str, updated: str) -> str:  # fmt: skip
    photos = "../" * depth + PHOTO_FOLDER
    head = "".join(
        f"<th>{_t(language, f'results.col.{c}')}</th>"
        for c in ("category", "status", "received", "resolved", "unit", "note", "photo")
    )
    rows = []
    for case in cases.itertuples(index=False):
        image = f'<img src="{photos}/{escape(case.photo)}.jpg" alt="" loading="lazy">' if case.photo else ""
        cells = (
            escape(names.get(case.category_code, case.category_code)),
            escape(label_in("status", case.status, language)),
            escape(local_date(case.opened_at, language, timezone)),
            escape(local_date(case.resolved_at, language, timezone)),
            escape(case.unit or MISSING),
            escape(case.result_note or MISSING),
            image,
        )
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    total_cases = int(str(ward["cases"]))
    count = f"<p>{_t(language, 'results.count', n=number(total_cases, language))}</p>"
    if total_cases > len(cases):
        shown, total = number(len(cases), language), number(total_cases, language)
        count += f'<p class="small">{_t(language, "results.more", shown=shown, total=total)}</p>'
    table = f'<table class="res"><tr>{head}</tr>{"".join(rows)}</table>' if rows else ""
    intro = f'<p class="small">{_t(language, "results.intro")}</p>'
    title = f"{translate('results.title', language)} · {ward['ward_name']}"
    return _document(language, title, intro + count + table, depth=depth, page=page, updated=updated)


def _index_page(language: str, wards: pd.DataFrame, pages: dict[str, str], depth: int, updated: str) -> str:
    items = "".join(
        f'<li><a href="{escape(pages[w.ward_code].removeprefix("results/"))}">{escape(w.ward_name)}</a>'
        f' <span class="small">{_t(language, "results.count", n=number(int(w.cases), language))}</span></li>'
        for w in wards.itertuples(index=False)
    )
    body = f'<p class="small">{_t(language, "results.intro")}</p>'
    body += f'<ul class="list">{items}</ul>' if items else f"<p>{_t(language, 'results.no_wards')}</p>"
    title = translate("results.site_index", language)
    return _document(language, title, body, depth=depth, page="results/index.html", updated=updated)


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
) -> int:
    """Write the results pages, ``results.json`` and the public thumbnails into ``folder``; returns the wards."""
    wards = public_wards(engine)
    pages = {code: f"results/{slug(code)}.html" for code in wards["ward_code"]}
    cases = {code: public_results(engine, PublicFilter(ward_code=code, limit=WARD_LIMIT)) for code in pages}
    taxonomy = load_taxonomy()
    for language, prefix in LANGUAGES.items():
        names = {code: taxonomy.name(code, language) for code in taxonomy.categories}
        depth = 2 if prefix else 1
        updated = translate("results.updated", language, at=local_time(now, language, timezone))
        _write(folder, f"{prefix}results/index.html", _index_page(language, wards, pages, depth, updated))
        for ward in wards.to_dict("records"):
            page = pages[ward["ward_code"]]
            html = _ward_page(
                language, pd.Series(ward), cases[ward["ward_code"]], names, timezone, depth, page, updated
            )
            _write(folder, prefix + page, html)
    _write(folder, "results.json", _json(cases, wards, pages, now))
    _copy_photos(folder, media_dir, {sha for frame in cases.values() for sha in frame["photo"] if sha})
    return len(pages)
