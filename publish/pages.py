"""The site's HTML pages from the public snapshot: index, a page per station and per ward, the ward list.

Mobile first: the AQI card comes first, one column, inline CSS, no script except the small "near me"
enhancement on the index (it reads ``stations.json`` and the browser's location; without it the page is
complete). Every data text is HTML-escaped; links are built from our own slugs only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape

from data.i18n import translate
from data.i18n.formats import MISSING, local_time, measurement, number, parameter_name
from monitoring.aqi_tables import CATEGORIES
from monitoring.public_snapshot import (
    SCALES,
    WARD_RADIUS_KM,
    PublicSnapshot,
    ScaleValue,
    StationSnapshot,
    WardSnapshot,
    advice,
)
from monitoring.public_text import aqi_text, day_label, distance_text, freshness, hour_label, level_text, text_colour
from publish.charts import bar_chart

STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1b1b1b;background:#fafafa}main{max-width:720px;margin:0 auto;padding:12px}
header{display:flex;justify-content:space-between;align-items:baseline;gap:8px;flex-wrap:wrap}
h1{font-size:1.35rem;margin:.2em 0}h2{font-size:1.1rem;margin:1.2em 0 .4em}a{color:#0b57d0}
.lang{font-size:.95rem}.card{border-radius:10px;padding:12px 14px;margin:10px 0}
.card .n{font-size:2.8rem;font-weight:700;line-height:1.05}.card .c{font-size:1.1rem}.small{font-size:.85rem}
.badge{display:inline-block;border-radius:6px;padding:1px 8px;font-size:.85rem}
.fresh{background:#e6f4ea;color:#0d652d}.stale{background:#fce8e6;color:#a50e0e}
ul.list{list-style:none;padding:0;margin:0}ul.list li{display:flex;gap:10px;align-items:center;padding:6px 0;
border-bottom:1px solid #e5e5e5}.chip{min-width:3.2em;text-align:center;border-radius:6px;padding:3px 4px;
font-weight:700}table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{padding:4px;border-bottom:1px
solid #e5e5e5;text-align:left}.chart{width:100%;height:auto;background:#fff}iframe{width:100%;height:360px;
border:1px solid #ddd;border-radius:8px}.legend span{display:inline-block;margin:2px 6px 2px 0;font-size:.8rem}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:3px;vertical-align:-1px;border:1px solid #777}
dl{margin:0}dt{font-weight:600;margin-top:.4em}dd{margin:0}footer{font-size:.8rem;color:#555;margin:2em 0}
#near{display:none}nav.tabs{display:grid;grid-template-columns:1fr 1fr;gap:6px;margin:8px 0 4px;max-width:460px}
nav.tabs a{padding:8px 6px;border-radius:999px;background:#e8eef9;text-decoration:none;font-weight:600;
text-align:center;line-height:1.2}
nav.tabs a[aria-current]{background:#0b57d0;color:#fff}
""".replace("\n", "")

LANGUAGES = {"vi": "", "en": "en/"}
"""Language -> its folder under the site root (Vietnamese is the default, at the root)."""
SECTIONS = (("air", "index.html", "site.nav_air"), ("results", "results/index.html", "site.nav_results"))
"""The site's two parts, as tabs on every page: key, page from the language root, label."""

NEAR_ME_SCRIPT = """
(function(){var b=document.getElementById('near-btn'),o=document.getElementById('near-out');
if(!('geolocation' in navigator)||!window.fetch)return;document.getElementById('near').style.display='block';
function km(a,b,c,d){var r=Math.PI/180,x=Math.sin((c-a)*r/2),y=Math.sin((d-b)*r/2);
return 12742*Math.asin(Math.sqrt(x*x+Math.cos(a*r)*Math.cos(c*r)*y*y));}
b.addEventListener('click',function(){navigator.geolocation.getCurrentPosition(function(p){
fetch(b.dataset.src).then(function(r){return r.json();}).then(function(d){
var s=d.stations.map(function(t){return [km(p.coords.latitude,p.coords.longitude,t.lat,t.lon),t];})
.sort(function(a,b){return a[0]-b[0];}).slice(0,3);o.textContent='';s.forEach(function(e){
var li=document.createElement('li'),a=document.createElement('a'),v=e[1].aqi.vn;
a.href=b.dataset.root+e[1].page;a.textContent=e[1].name+' \\u00b7 '+e[0].toFixed(1)+' km';
li.textContent=(v?v.aqi:'\\u2014')+' ';li.appendChild(a);o.appendChild(li);});});},
function(){o.textContent=b.dataset.denied;});});})();
""".strip()


@dataclass(frozen=True)
class PageContext:
    """What every page of one language needs: the snapshot, the language, links to other pages."""

    snapshot: PublicSnapshot
    language: str
    station_pages: Mapping[str, str]  # station id -> path from a language root ("stations/x.html")
    ward_pages: Mapping[str, str]  # ward code -> path from a language root
    result_pages: Mapping[str, str] = field(default_factory=dict)  # ward code -> its results page, if it has any

    def t(self, key: str, **values: object) -> str:
        """The catalogue text ``key`` in this language, HTML-escaped (values included)."""
        return escape(translate(key, self.language, **values))


def document(language: str, title: str, body: str, *, root: str, page: str, section: str, footer: str,
             style: str = "") -> str:  # fmt: skip
    """A whole page of the site in ``language``: the header (home, the other language's copy of ``page``), the
    tabs between air quality and handling results (``section`` is the current one), ``body`` and ``footer``.

    ``root`` is the path from the page to the site root (``""``, ``"../"``…), ``page`` its path from its language
    root (``"stations/HN1.html"``); ``title``, ``body`` and ``footer`` are HTML (``title`` is escaped here).
    """
    other = "en" if language == "vi" else "vi"
    home = root + LANGUAGES[language]
    current = ' aria-current="page"'
    tabs = "".join(
        f'<a href="{home}{target}"{current if key == section else ""}>{escape(translate(label, language))}</a>'
        for key, target, label in SECTIONS
    )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}{style}</style></head><body><main>"
        f'<header><a href="{home}index.html">{escape(translate("site.home", language))}</a>'
        f'<a class="lang" href="{root}{LANGUAGES[other]}{page}" hreflang="{other}">'
        f"{escape(translate('site.other_language', language))}</a></header>"
        f'<nav class="tabs" aria-label="{escape(translate("site.sections", language))}">{tabs}</nav>'
        f"{body}<footer>{footer}</footer></main></body></html>"
    )


def _document(ctx: PageContext, title: str, body: str, *, depth: int, alternate: str, section: str = "air") -> str:
    """An air-quality page; ``depth`` is how many folders below its language root it sits."""
    root = "../" * (depth + (1 if LANGUAGES[ctx.language] else 0))
    updated = ctx.t("site.updated", time=local_time(ctx.snapshot.generated_at, ctx.language, ctx.snapshot.timezone))
    return document(ctx.language, title, body, root=root, page=alternate, section=section,
                    footer=f"{updated}<br>{ctx.t('air.sources')}")  # fmt: skip


def _card(ctx: PageContext, value: ScaleValue | None, heading: str, station: StationSnapshot | None) -> str:
    scale_name = ctx.t("aqi.scale_vn")
    if value is None:
        body = f'<div class="n">{MISSING}</div><div class="c">{scale_name} · {ctx.t("public.no_data")}</div>'
        style = "background:#9E9E9E;color:#fff"
    else:
        label = escape(level_text("vn", value.level, ctx.language))
        beyond = f" ({ctx.t('public.beyond_scale')})" if value.beyond_scale else ""
        body = f'<div class="n">{escape(aqi_text(value))}</div><div class="c">{scale_name} · {label}{beyond}</div>'
        style = f"background:{value.category.hex};color:{text_colour(value.level)}"
    fresh = ""
    if station is not None:
        kind = "stale" if station.stale else "fresh"
        fresh = f'<div><span class="badge {kind}">{escape(freshness(station, ctx.language, ctx.snapshot.timezone))}'
        fresh += "</span></div>"
    return f'<div class="card" style="{style}"><div class="small">{heading}</div>{body}</div>{fresh}'


def _advice(ctx: PageContext, station: StationSnapshot) -> str:
    parts = []
    for scale in SCALES:
        value = station.value(scale)
        if value is None:
            continue
        tips = advice(scale, value.level, ctx.language)
        note = f'<p class="small">{ctx.t("public.us_advice_note")}</p>' if scale == "us" else ""
        parts.append(
            f"<h2>{ctx.t(f'aqi.scale_{scale}')}: {escape(aqi_text(value))} "
            f"{escape(level_text(scale, value.level, ctx.language))}</h2><dl>"
            f"<dt>{ctx.t('air.health_effect')}</dt><dd>{escape(tips.effect)}</dd>"
            f"<dt>{ctx.t('air.advice_public')}</dt><dd>{escape(tips.public)}</dd>"
            f"<dt>{ctx.t('air.advice_sensitive')}</dt><dd>{escape(tips.sensitive)}</dd></dl>{note}"
        )
    return "".join(parts)


def _chip(value: ScaleValue | None) -> str:
    if value is None:
        return f'<span class="chip" style="background:#ddd">{MISSING}</span>'
    return (
        f'<span class="chip" style="background:{value.category.hex};color:{text_colour(value.level)}">'
        f"{escape(aqi_text(value))}</span>"
    )


def _station_list(ctx: PageContext, stations: list[StationSnapshot], root: str) -> str:
    items = []
    for station in stations:
        value = station.value("vn")
        if value is not None:
            label = escape(level_text("vn", value.level, ctx.language))
        else:
            label = ctx.t("air.stale" if station.stale and station.last_reading_at else "public.no_data")
        items.append(
            f'<li>{_chip(value)}<span><a href="{root}{ctx.station_pages[station.id]}">{escape(station.name)}</a>'
            f'<br><span class="small">{label}</span></span></li>'
        )
    return f'<ul class="list">{"".join(items)}</ul>'


def _legend(ctx: PageContext) -> str:
    spans = "".join(
        f'<span><i style="background:{c.hex}"></i>{c.low}–{c.high} {escape(level_text("vn", c.level, ctx.language))}'
        "</span>"
        for c in CATEGORIES["vn"]
    )
    return f'<div class="legend">{spans}</div>'


def _city(ctx: PageContext) -> str:
    summary = ctx.snapshot.summary["vn"]
    if summary.worst is None or summary.best is None:
        return f"<p>{ctx.t('public.city_none')}</p>"
    lines = []
    for key, station_id in (("public.city_worst", summary.worst), ("public.city_best", summary.best)):
        station = ctx.snapshot.station(station_id)
        value = station.value("vn") if station else None
        if station is not None and value is not None:
            lines.append(
                "<li>"
                + ctx.t(
                    key, station=station.name, aqi=aqi_text(value), category=level_text("vn", value.level, ctx.language)
                )
                + "</li>"  # fmt: skip
            )
    counts = ctx.t("public.city_counts", reporting=summary.reporting, stale=summary.stale)
    return f'<ul>{"".join(lines)}</ul><p class="small">{counts}</p>'


def index_page(ctx: PageContext, *, data_root: str) -> str:
    """The index of one language: the city now, near me, stations, map, wards, open data."""
    snapshot = ctx.snapshot
    worst = snapshot.station(snapshot.summary["vn"].worst or "")
    card = _card(ctx, worst.value("vn") if worst else None, escape(worst.name) if worst else "", worst)
    fresh_first = sorted(snapshot.stations, key=lambda s: (s.value("vn") is None, -(s.value("vn").aqi if s.value(
        "vn") else 0)))  # fmt: skip
    body = (
        f'<h1>{ctx.t("site.title")}</h1><p class="small">{ctx.t("public.subtitle")}</p>'
        f"<h2>{ctx.t('public.city')}</h2>{card}{_city(ctx)}"
        f'<div id="near"><h2>{ctx.t("site.near_me")}</h2><button id="near-btn" type="button" '
        f'data-src="{data_root}stations.json" data-root="" data-denied="{ctx.t("site.near_me_denied")}">'
        f'{ctx.t("site.near_me")}</button><ul id="near-out" class="list"></ul></div>'
        f"<h2>{ctx.t('site.stations')}</h2>{_station_list(ctx, fresh_first, '')}"
        f"<h2>{ctx.t('public.map')}</h2>"
        f'<iframe src="map.html" loading="lazy" title="{ctx.t("public.map")}"></iframe>'
        f'<p class="small"><a href="map.html">{ctx.t("site.full_map")}</a> · {ctx.t("site.no_js_map")}</p>'
        f"{_legend(ctx)}"
        f'<h2>{ctx.t("site.wards")}</h2><p><a href="wards/index.html">{ctx.t("site.all_wards")}</a></p>'
        f'<h2>{ctx.t("site.nav_results")}</h2><p class="small">{ctx.t("site.results_body")}</p>'
        f'<p><a href="results/index.html">{ctx.t("site.results_link")}</a></p>'
        f'<h2>{ctx.t("site.open_data")}</h2><p class="small">{ctx.t("site.open_data_body")}</p><p>'
        + " · ".join(
            f'<a href="{data_root}{name}">{name}</a>'
            for name in ("stations.json", "wards.json", "aqi.geojson", "history.csv", "results.json")
        )
        + f"</p><script>{NEAR_ME_SCRIPT}</script>"
    )
    return _document(ctx, translate("site.title", ctx.language), body, depth=0, alternate="index.html")


def _readings_table(ctx: PageContext, station: StationSnapshot) -> str:
    if not station.readings:
        return f"<p>{ctx.t('air.no_readings')}</p>"
    dominant = station.current["vn"].dominant if station.current["vn"] else None
    head = "".join(
        f"<th>{ctx.t(k)}</th>"
        for k in ("col.parameter", "public.col_value", "public.col_sub_vn", "public.col_sub_us", "public.col_time")
    )
    rows = []
    for r in station.readings:
        star = "★ " if r.parameter == dominant else ""
        subs = "".join(f"<td>{MISSING if r.sub_index.get(s) is None else r.sub_index[s]}</td>" for s in SCALES)
        rows.append(
            f"<tr><td>{star}{escape(parameter_name(r.parameter, ctx.language))}</td>"
            f"<td>{escape(measurement(r.value, r.unit, ctx.language))}</td>{subs}"
            f"<td>{escape(local_time(r.observed_at, ctx.language, ctx.snapshot.timezone))}</td></tr>"
        )
    return f'<table><tr>{head}</tr>{"".join(rows)}</table><p class="small">{ctx.t("air.dominant_marker")}</p>'


def _charts(ctx: PageContext, station: StationSnapshot) -> str:
    parts = []
    for scale in SCALES:
        hours = station.hourly[scale]
        days = station.daily[scale]
        name = translate(f"aqi.scale_{scale}", ctx.language)
        hour_title = f"{translate('air.chart_24h', ctx.language)} · {name}"
        day_title = f"{translate('air.chart_7d', ctx.language)} · {name}"
        parts.append(f"<h2>{escape(hour_title)}</h2>")
        parts.append(bar_chart(hours, [hour_label(p.period_end, ctx.snapshot.timezone) for p in hours], scale,
                               ctx.language, title=hour_title, label_every=4))  # fmt: skip
        parts.append(f"<h2>{escape(day_title)}</h2>")
        parts.append(bar_chart(days, [day_label(p.day, ctx.language) for p in days if p.day], scale, ctx.language,
                               title=day_title, label_every=1))  # fmt: skip
    return "".join(parts)


def station_page(ctx: PageContext, station: StationSnapshot) -> str:
    """A station's page: card, dominant pollutant, advice on both scales, readings, 24-hour and 7-day charts."""
    value = station.value("vn")
    dominant = ""
    if value is not None and value.dominant:
        dominant = f"<p>{ctx.t('air.dominant')}: <b>{escape(parameter_name(value.dominant, ctx.language))}</b></p>"
    location = ctx.t(
        "public.location",
        lat=number(station.lat, ctx.language, 4),
        lon=number(station.lon, ctx.language, 4),
        ward=station.ward_name or MISSING,
        operator=station.operator or MISSING,
    )
    synthetic = f'<p><span class="badge stale">{ctx.t("public.synthetic")}</span></p>' if station.synthetic else ""
    body = (
        f"<h1>{escape(station.name)}</h1>{_card(ctx, value, escape(station.name), station)}{dominant}"
        f'<p class="small">{location}</p>{synthetic}{_advice(ctx, station)}'
        f"<h2>{ctx.t('air.parameters')}</h2>{_readings_table(ctx, station)}{_charts(ctx, station)}"
    )
    page = ctx.station_pages[station.id]
    return _document(ctx, station.name, body, depth=page.count("/"), alternate=page)


def ward_page(ctx: PageContext, ward: WardSnapshot) -> str:
    """A ward's page: the value standing for it (from which station, how far), advice, nearest stations."""
    station = ctx.snapshot.station(ward.station_id) if ward.station_id else None
    root = "../"
    if station is not None and ward.distance_km is not None:
        heading = ctx.t("public.card_ward", ward=ward.name, station=station.name,
                        km=distance_text(ward.distance_km, ctx.language))  # fmt: skip
        card = _card(ctx, station.value("vn"), heading, station) + _advice(ctx, station)
    else:
        card = (
            f"<p>{ctx.t('public.ward_no_station', km=distance_text(WARD_RADIUS_KM, ctx.language), ward=ward.name)}</p>"
        )
    nearest = [s for s in (ctx.snapshot.station(sid) for sid, _ in ward.nearest) if s is not None]
    district = f'<p class="small">{escape(ward.district)}</p>' if ward.district else ""
    results = ""
    if ward.code in ctx.result_pages:
        results = (
            f"<h2>{ctx.t('site.nav_results')}</h2>"
            f'<p><a href="{root}{ctx.result_pages[ward.code]}">{ctx.t("site.ward_results")}</a></p>'
        )
    body = (
        f"<h1>{ctx.t('site.ward_of', ward=ward.name)}</h1>{district}{card}"
        f"<h2>{ctx.t('site.nearest_stations')}</h2>{_station_list(ctx, nearest, root)}{results}"
    )
    page = ctx.ward_pages[ward.code]
    return _document(ctx, ward.name, body, depth=page.count("/"), alternate=page)


def ward_index(ctx: PageContext) -> str:
    """Every ward with its value, linking to its page."""
    items = []
    for ward in ctx.snapshot.wards:
        value = ctx.snapshot.ward_value(ward.code, "vn")
        page = ctx.ward_pages[ward.code].removeprefix("wards/")
        items.append(f'<li>{_chip(value)}<a href="{page}">{escape(ward.name)}</a></li>')
    body = f'<h1>{ctx.t("site.wards")}</h1><ul class="list">{"".join(items)}</ul>'
    return _document(ctx, translate("site.wards", ctx.language), body, depth=1, alternate="wards/index.html")
