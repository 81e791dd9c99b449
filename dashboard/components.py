"""Reusable pieces of the pages: feed banner, KPI cards, AQI labels, the complaint map, upload checks, time text."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import folium
import pandas as pd
import pyarrow as pa
import streamlit as st

from dashboard import auth, casework, loaders, map_documents, maps, offline_assets, state
from dashboard.i18n import current_language, label, t
from data.alert_states import ACTIVE_STATES
from data.case_filter import CaseFilter
from data.i18n import formats
from monitoring.aqi_tables import CATEGORIES, VN_HEALTH, Category, HealthMessage
from monitoring.poller import FeedHealth
from monitoring.poller import feed_status as poller_feed_status
from monitoring.thresholds import EffectiveLimit

MAP_HEIGHT = 520
LIMIT_HEADROOM = 1.5
MAX_SPOTS = 200  # maps and tables show the largest recurring spots only, so the page stays light at city scale
THRESHOLD_COLOURS = {"exceeding": "#FF0000", "within": "#00E400"}


def local_zone() -> ZoneInfo:
    """The configured local time zone (``ENVMON_TIMEZONE``) of pages, charts and day windows."""
    return loaders.settings().zone


def local_time_text(moment: object) -> str:
    """``04/12/2026 21:00`` (vi) / ``04 Dec 2026 21:00`` (en) in local time; ``—`` when missing."""
    return formats.local_time(moment, current_language(), loaders.settings().timezone)


def local_time_texts(moments: Iterable[object]) -> list[str]:
    """:func:`local_time_text` of every value, converted in one vectorised step (for table columns)."""
    return formats.local_times(moments, current_language(), loaders.settings().timezone)


def parameter_label(parameter: object) -> str:
    """Display name of a parameter code (``pm25`` → ``PM₂.₅``, ``flow`` → ``Lưu lượng``)."""
    return formats.parameter_name(parameter, current_language())


def age_text(hours: float | None) -> str:
    """A human age such as "5 giờ trước" / "2 ngày trước"."""
    return formats.age(hours, current_language())


def updated_text(moment: object, hours: float | None) -> str:
    """``04/12/2026 21:00 (5 giờ trước)``, or only ``chưa có dữ liệu`` when there was never a reading."""
    if formats.is_missing(moment):
        return age_text(None)
    return f"{local_time_text(moment)} ({age_text(hours)})"


def number_text(value: object, decimals: int = 0) -> str:
    """A number with the session language's separators (5.523 / 5,523); ``—`` when missing."""
    return formats.number(value, current_language(), decimals)


def percent_text(value: object, decimals: int = 1) -> str:
    """A 0–100 percentage in the session language (72,8 % / 72.8 %); ``—`` when missing."""
    return formats.percent(value, current_language(), decimals)


def safe_text(value: object) -> str:
    """Any value as display text in the session language; missing values show ``—`` (never nan/None)."""
    return formats.safe_text(value, current_language())


def show_table(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    decimals: dict[str, int] | None = None,
    case_links: bool = False,
    pinned: str | None = None,
) -> None:
    """``st.dataframe`` of ``columns`` with translated headers (``col.<name>``) and every cell as display text in
    the session language (5.523 · 72,8 · 04/12/2026 21:00; missing values ``—``, never nan/None).

    ``case_links``: the ``id`` column holds case ids, each shown as a link to its case page (``/case?id=N``);
    ``pinned``: a column of long names kept in view (:func:`pinned_name_column`)."""
    draw_table(table_view(frame, columns, decimals=decimals, case_links=case_links, pinned=pinned))


@dataclass(frozen=True)
class TableView:
    """A table as :func:`show_table` draws it: display texts under translated headers (already in Arrow, the form
    ``st.dataframe`` sends, so a cached view is not converted again on every run), and the column config."""

    table: pa.Table
    config: dict[str, Any]

    @property
    def empty(self) -> bool:
        """True when the table has no rows."""
        return self.table.num_rows == 0


def pinned_name_column() -> Any:
    """The column config of a column of long names kept in view at 200 px while the rest of the grid scrolls
    sideways (on a phone a long name would otherwise fill the screen and push the figures off it)."""
    return st.column_config.Column(pinned=True, width="medium")


def table_view(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    decimals: dict[str, int] | None = None,
    case_links: bool = False,
    pinned: str | None = None,
) -> TableView:
    """The display table of :func:`show_table` without drawing it (a page may cache it: formatting thousands of
    cells is the costly part). ``pinned``: a column of long names drawn with :func:`pinned_name_column`."""
    places = decimals or {}
    language = current_language()
    view = pd.DataFrame(
        {
            t(f"col.{column}"): [_cell(column, v, language, places.get(column)) for v in frame[column]]
            for column in columns
        }
    )
    config: dict[str, Any] = {}
    if pinned is not None:
        config[t(f"col.{pinned}")] = pinned_name_column()
    if case_links and "id" in columns:
        view[t("col.id")] = [casework.case_url(v) for v in frame["id"]]
        config[t("col.id")] = casework.case_link_column(t("col.id"))
    return TableView(pa.Table.from_pandas(view, preserve_index=False), config)


def draw_table(table: TableView) -> None:
    """Draw a :class:`TableView` as a full-width ``st.dataframe``."""
    st.dataframe(table.table, hide_index=True, width="stretch", column_config=table.config or None)


def _cell(column: str, value: object, language: str, decimals: int | None) -> str:
    if column == "id" or column.endswith("_id"):  # identifiers: no thousands separator
        return formats.safe_text(str(value) if not formats.is_missing(value) else None, language)
    if decimals is not None and not isinstance(value, str):
        return formats.number(value, language, decimals)
    return formats.safe_text(value, language)


def localised(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` with the session language's Vega locale (day and month names, number separators)."""
    return chart.configure(locale=formats.vega_locale(current_language()))


def time_axis(field: str, title: str, *, domain: tuple[object, object] | None = None) -> alt.X:
    """An x encoding for local wall-clock times (see ``formats.wall_clock``): a UTC scale, so the browser's own
    time zone never shifts the hours, with 24-hour labels and day names in the session language."""
    scale = (
        alt.Scale(type="utc", domain=[pd.Timestamp(v).isoformat() for v in domain]) if domain else alt.Scale(type="utc")
    )
    return alt.X(
        f"{field}:T",
        title=title,
        scale=scale,
        axis=alt.Axis(labelExpr=formats.time_axis_label_expr(current_language()), labelOverlap=True),
    )


def limits_in_range(limit: EffectiveLimit | None, values: pd.Series) -> list[float]:
    """The bounds of ``limit`` worth drawing over ``values``: one far above every reading (more than
    ``LIMIT_HEADROOM`` × the highest) would squash the series into a flat line, so it is stated, not drawn."""
    present = values.dropna()
    if limit is None or present.empty:
        return []
    peak, low = float(present.max()), float(present.min())
    bounds = [b for b in (limit.high, limit.low) if b is not None]
    return [float(b) for b in bounds if b <= max(peak, 0.0) * LIMIT_HEADROOM or b <= low]


def aqi_category(scale: str, level: int) -> Category:
    """The official category (colour, labels) of a 1-based level on ``scale`` ('vn' | 'us')."""
    return CATEGORIES[scale][max(1, min(6, int(level))) - 1]  # type: ignore[index]


def category_label(category: Category) -> str:
    """The category name in the current language."""
    return category.label_vi if current_language() == "vi" else category.label_en


def health_text(level: int) -> tuple[str, str, str]:
    """(health effect, advice for the public, advice for sensitive groups) of a VN_AQI level (Bảng 4/5)."""
    message: HealthMessage = VN_HEALTH[max(1, min(6, int(level)))]
    if current_language() == "vi":
        return message.effect_vi, message.public_vi, message.sensitive_vi
    return message.effect_en, message.public_en, message.sensitive_en


def aqi_legend(scale: str) -> list[tuple[str, str]]:
    """Legend entries (colour, "0–50 Tốt") for ``scale``."""
    return [(c.hex, f"{c.low}–{c.high} {category_label(c)}") for c in CATEGORIES[scale]]  # type: ignore[index]


def feed_status(row: pd.Series, now: dt.datetime) -> str:
    """``ok`` | ``stale`` | ``unavailable`` for one feed_state row (``monitoring.poller.feed_status``).

    Feeds missing from the feeds config are judged with the config defaults (60 min, stale after 180 min).
    """
    interval, stale_after = loaders.feed_schedules().get(
        str(row["feed"]), (dt.timedelta(minutes=60), dt.timedelta(minutes=180))
    )
    values = {key: (None if pd.isna(row.get(key)) else row.get(key)) for key in FeedHealth.__dataclass_fields__}
    values["consecutive_failures"] = int(values["consecutive_failures"] or 0)
    values["checkpoint"] = {}
    return poller_feed_status(FeedHealth(**values), now, interval, stale_after).value.lower()


def feed_banner() -> None:
    """Sidebar summary of feed health; warns when any feed is stale or unavailable."""
    kind, text = _feed_summary(loaders.now_minute(), current_language())
    {"caption": st.caption, "warning": st.warning, "success": st.success}[kind](text)


@loaders.shared_view(ttl=loaders.SHORT_TTL)
def _feed_summary(now: dt.datetime, language: str) -> tuple[str, str]:
    """How the banner looks (``caption`` / ``warning`` / ``success``) and its text, once per minute and language
    (``language`` selects the cached answer)."""
    health = loaders.feed_health()
    if health.empty:
        return "caption", t("feeds.none")
    statuses = [feed_status(row, now) for _, row in health.iterrows()]
    bad = [f"{label('feed', feed)} ({t('feeds.' + s)})" for feed, s in zip(health["feed"], statuses, strict=True)
           if s != "ok"]  # fmt: skip
    if bad:
        return "warning", t("feeds.problem", feeds=", ".join(bad))
    return "success", t("feeds.all_ok", n=len(statuses))


def kpi_row(items: Sequence[tuple[str, object, str | None]]) -> None:
    """One row of metric cards: (label, value, help); on a phone they wrap two to a line instead of stacking one
    per screen line (two 165-px cards and a small gap fit the 358 px a 390-px phone leaves)."""
    with st.container(horizontal=True, wrap=True, gap="small"):
        for title, value, help_text in items:
            st.metric(title, formats.MISSING if value is None else value, help=help_text, width=165)


def station_map_frame(stations: pd.DataFrame, scale: str) -> pd.DataFrame:
    """Add the display columns ``maps.add_station_layer`` needs: colour, value and category text, update time."""
    out = stations.copy()
    colours, values, labels, dominants, updated = [], [], [], [], []
    for row in out.itertuples(index=False):
        has_aqi = row.aqi is not None and not pd.isna(row.aqi)
        category = aqi_category(scale, int(row.category)) if has_aqi else None
        colours.append(category.hex if category else maps.STALE_COLOUR)
        values.append(f"{int(row.aqi)}{'+' if row.beyond_scale else ''}" if has_aqi else "")
        labels.append(category_label(category) if category else "")
        dominants.append(parameter_label(row.dominant) if has_aqi else "")
        updated.append(updated_text(row.last_reading_at, row.age_hours))
    return out.assign(colour=colours, value_text=values, category_text=labels, dominant=dominants, updated_text=updated)


def threshold_map_frame(stations: pd.DataFrame, firing: pd.DataFrame) -> pd.DataFrame:
    """Display columns for stations coloured by threshold state: red while a threshold alert fires on them."""
    exceeding: dict[str, list[str]] = {}
    for alert in firing[firing["kind"] == "threshold"].itertuples(index=False):
        labels = alert.labels if isinstance(alert.labels, dict) else {}
        station_id = labels.get("station_id")
        if station_id:
            value = "" if alert.value is None or pd.isna(alert.value) else f" {alert.value:g}"
            limit = "" if alert.threshold is None or pd.isna(alert.threshold) else f" > {alert.threshold:g}"
            exceeding.setdefault(str(station_id), []).append(
                f"{parameter_label(labels.get('parameter', ''))}{value}{limit}"
            )
    out = stations.copy()
    flagged = [str(i) in exceeding for i in out["id"]]
    return out.assign(
        colour=[THRESHOLD_COLOURS["exceeding" if f else "within"] for f in flagged],
        value_text=["; ".join(exceeding.get(str(i), [])) for i in out["id"]],
        category_text=[t("stations.exceeding") if f else t("stations.within") for f in flagged],
        dominant="",
        updated_text=[updated_text(r.last_reading_at, r.age_hours) for r in out.itertuples()],
    )


def threshold_labels() -> maps.StationMarkerLabels:
    """Texts for the wastewater (threshold-state) station layer."""
    return maps.StationMarkerLabels(
        layer=t("map.wastewater"),
        legend_title=t("map.threshold_state"),
        stale_label=t("air.stale"),
        no_value=t("stations.within"),
        value=t("stations.exceedances"),
        category=t("common.status"),
        dominant="",
        last_update=t("air.last_update"),
        ward=t("common.ward"),
    )


def threshold_legend() -> list[tuple[str, str]]:
    """Legend entries of the threshold-state layer."""
    return [
        (THRESHOLD_COLOURS["exceeding"], t("stations.exceeding")),
        (THRESHOLD_COLOURS["within"], t("stations.within")),
    ]


def station_labels(scale: str) -> maps.StationMarkerLabels:
    """Station layer texts in the current language."""
    return maps.StationMarkerLabels(
        layer=t("map.stations"),
        legend_title=t(f"aqi.scale_{scale}"),
        stale_label=t("air.stale"),
        no_value=t("air.no_value"),
        value=t(f"aqi.scale_{scale}"),
        category=t("air.category"),
        dominant=t("air.dominant"),
        last_update=t("air.last_update"),
        ward=t("common.ward"),
    )


@dataclass(frozen=True)
class MapPayload:
    """A folium map rendered once into a standalone HTML page whose asset links are all local (cacheable)."""

    html: str


def map_payload(fmap: folium.Map) -> MapPayload:
    """Render ``fmap`` into its standalone page with the vendored assets (see :mod:`dashboard.offline_assets`)."""
    return MapPayload(html=offline_assets.offline_html(fmap.get_root().render()))


def show_map(fmap: folium.Map | MapPayload, key: str, height: int = MAP_HEIGHT) -> None:
    """Show a folium map (or its rendered payload) in an ``st.iframe``; nothing returns to Python, so panning
    and zooming never rerun the page. ``key`` names the map's container (CSS class ``st-key-<key>``).

    Every text in the page was escaped by :mod:`dashboard.maps` when the map was built.
    """
    payload = fmap if isinstance(fmap, MapPayload) else map_payload(fmap)
    with st.container(key=key):
        st.iframe(payload.html, height=height)


def show_map_document(document: map_documents.MapDocument, key: str, height: int = MAP_HEIGHT) -> None:
    """Show a big map page by URL (:mod:`dashboard.map_documents`) for the signed-in staff: a rerun sends a frame
    element of a hundred bytes instead of the page, and the browser loads each distinct map once."""
    with st.container(key=key):
        st.iframe(map_documents.publish(document, auth.ALL_ROLES), height=height)


def overview_map(
    flt: CaseFilter, set_name: str, metric: str, version: tuple[int, ...] | None = None
) -> map_documents.MapDocument:
    """The leaders' map (``complaint_map(..., overview=True)``) rendered once per minute, metric and language.

    Cached under the complaint data version and the current minute as well (stations' staleness, alerts and
    the spots' activity follow the clock), so the next leader and a return to a metric skip folium entirely.
    When only the minute has changed since the last map of the same selection, that map is shown at once and
    this minute's is rendered on the background thread (``loaders.prefetch``): no page run waits seconds for
    folium because the clock moved (the clock-driven layers are then up to one render late). New complaints
    (another data version) are always drawn before the page shows the map. ``version``: the
    ``loaders.data_version()`` the caller read this run (else it is read here).
    """
    key = (flt, set_name, metric, st.session_state[state.LANGUAGE])
    now, version = loaders.now_minute(), loaders.data_version() if version is None else version
    last = _last_maps().get(key)
    if last is not None and last.version == version and last.minute == now:
        return last.payload  # this minute's map, already drawn: no cache lookup (it would copy megabytes)
    if last is not None and last.version == version and last.minute < now:
        loaders.prefetch(lambda: _render_overview_map(key, now, version))
        return last.payload
    return _render_overview_map(key, now, version)


MapKey = tuple[CaseFilter, str, str, str]  # filter, boundary set, metric, language
MAX_LAST_MAPS = 32  # selections whose last map a process keeps
_LAST_MAPS_LOCK = threading.Lock()


@dataclass(frozen=True)
class _RenderedMap:
    minute: dt.datetime
    version: tuple[int, ...]
    payload: map_documents.MapDocument


@st.cache_resource
def _last_maps() -> dict[MapKey, _RenderedMap]:
    """The last rendered overview map of each selection, shared by the sessions of this process."""
    return {}


def _render_overview_map(key: MapKey, now: dt.datetime, version: tuple[int, ...]) -> map_documents.MapDocument:
    """The overview map of ``key`` for minute ``now`` (cached), remembered as the selection's last map."""
    payload = _overview_map(*key, now, version)
    last = _last_maps()
    with _LAST_MAPS_LOCK:
        if key not in last or last[key].minute <= now:
            last[key] = _RenderedMap(now, version, payload)
            while len(last) > MAX_LAST_MAPS:
                last.pop(next(iter(last)))  # the selection stored first
    return payload


@st.cache_data(ttl=loaders.SHORT_TTL, show_spinner=False, max_entries=16)
def _overview_map(
    flt: CaseFilter, set_name: str, metric: str, language: str, now: dt.datetime, version: tuple[int, ...]
) -> map_documents.MapDocument:
    """Cached under ``language``, ``now`` and ``version`` (they only select the cached answer)."""
    page = complaint_map(flt, set_name, metric, overview=True).get_root().render()
    return map_documents.MapDocument.of(offline_assets.offline_html(page, map_documents.ASSET_BASE))


def geojson_bytes(frame: pd.DataFrame) -> bytes:
    """A GeoJSON FeatureCollection of ``frame`` (points from ``lat``/``lon``; rows without both get no geometry)."""
    features = []
    for record in json.loads(frame.to_json(orient="records", date_format="iso")):
        lat, lon = record.get("lat"), record.get("lon")
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        features.append({"type": "Feature", "geometry": geometry, "properties": record})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


def complaint_map(flt: CaseFilter, set_name: str, metric: str, *, overview: bool) -> folium.Map:
    """Ward choropleth of the filtered cases plus markers (few) or a heat layer (many), one collapsible legend
    and a layer control.

    ``overview=True`` adds the leaders' layers: Gi* hotspot outlines, recurring spots, sensor-corroborated smoke
    and odour complaints, air stations (circles, VN_AQI) and wastewater stations (squares, threshold state); the
    case density is then off by default (the ward colours already count the cases).
    """
    settings = loaders.settings()
    now = loaders.now_minute()
    stats = loaders.ward_stats(flt, set_name, now)
    fmap = maps.base_map(tile_url=settings.tile_url, tile_attribution=settings.tile_attribution)
    legend = maps.LegendPanel(t("map.legend"))
    rate = metric == "rate"
    maps.add_ward_choropleth(
        fmap,
        stats,
        "rate" if rate else "cases",
        layer_name=t("map.wards"),
        legend_title=t("map.rate_legend") if rate else t("map.count_legend"),
        tooltip_labels=(t("common.ward"), t("common.district"), t("map.rate") if rate else t("map.count")),
        no_data_label=t("map.no_cases"),
        number=lambda v: number_text(v, 2 if rate else 0),
        legend=legend,
    )
    classes = loaders.hotspots(flt, set_name, rate) if overview else None
    if classes is not None:
        merged = stats.merge(classes[["ward_code", "class"]], left_on="code", right_on="ward_code", how="left")
        maps.add_hotspot_layer(
            fmap,
            merged,
            "class",
            {c: t(f"hotspot.{c}") for c in maps.HOTSPOT_STYLES},
            layer_name=t("map.hotspots"),
            legend_title=t("map.hotspots"),
            legend=legend,
        )
    spots = spot_table(set_name) if overview else None
    if spots is not None and len(spots):
        maps.add_spot_layer(
            fmap,
            spots[["lat", "lon", "cases", "ward", "categories", "last_report", "active"]],
            layer_name=t("map.spots"),
            popup_labels={c: t(f"col.{c}") for c in spots.columns},
            legend=legend,
        )
    if loaders.case_count(flt) <= loaders.MAX_CASE_MARKERS:
        names = loaders.category_names(st.session_state[state.LANGUAGE])
        points = loaders.case_points(flt)
        points = points.assign(
            category_code=[names[c] for c in points["category_code"]],
            status=[label("status", s) for s in points["status"]],
            opened_at=local_time_texts(points["opened_at"]),
            report_count=[number_text(n) for n in points["report_count"]],
        )
        marker_labels = maps.CaseMarkerLabels(
            title=t("common.case"),
            category=t("common.category"),
            status=t("common.status"),
            ward=t("common.ward"),
            unit=t("common.unit"),
            opened=t("common.opened"),
            reports=t("common.reports"),
            open_case=t("casepage.open_in_new_tab"),
        )
        maps.add_case_markers(fmap, points, marker_labels, layer_name=t("map.cases"))
    else:
        maps.add_heat_layer(fmap, loaders.heat_cells(flt), layer_name=t("map.heat"), show=not overview)
    if overview:
        _add_corroborated_layer(fmap, now, legend)
        _add_station_layers(fmap, now, legend)
    legend.add_to(fmap)
    return maps.add_layer_control(fmap)


def corroboration_table(now: dt.datetime) -> pd.DataFrame:
    """Corroborated complaints of the last ``loaders.CORROBORATION_DAYS`` days with display texts: ``id, lat,
    lon, category, reported, evidence`` (the station, what it measured and when, how far)."""
    found = loaders.corroborated_cases(now)
    names = loaders.category_names(current_language())
    stations = loaders.stations(None, "vn", now).set_index("id")["name"].to_dict()
    evidence = [evidence_text(row, stations) for row in found.itertuples(index=False)]
    return pd.DataFrame(
        {
            "id": found["id"],
            "lat": found["lat"],
            "lon": found["lon"],
            "category": [names[c] for c in found["category_code"]],
            "reported": local_time_texts(found["reported_at"]),
            "evidence": evidence,
        }
    )


def evidence_text(row: object, station_names: dict[str, str]) -> str:
    """What corroborates a complaint, in words: the station, what it measured and when, how far (a row of
    ``geo.corroboration.corroborate_complaints``: station_id, parameter, value, observed_at, distance_m)."""
    parameter, value = row.parameter, row.value  # type: ignore[attr-defined]
    measured = (
        f"AQI {number_text(value)}" if parameter == "aqi" else f"{parameter_label(parameter)} {number_text(value, 1)}"
    )
    return t(
        "corroboration.evidence",
        station=station_names.get(row.station_id, row.station_id),  # type: ignore[attr-defined]
        measured=measured,
        time=local_time_text(row.observed_at),  # type: ignore[attr-defined]
        distance=number_text(row.distance_m / 1000.0, 1),  # type: ignore[attr-defined]
    )


def alert_subject_text(subject: object, labels: object, station_names: dict[str, str]) -> str:
    """What an alert is about, in words: ``Trạm Hoàn Kiếm · PM₂.₅`` for a station alert (from its labels),
    the ward or unit name when the labels carry one, else the stored subject."""
    found = labels if isinstance(labels, dict) else {}
    station_id = found.get("station_id")
    if station_id:
        name = station_names.get(str(station_id), str(station_id))
        parameter = found.get("parameter")
        return f"{name} · {parameter_label(parameter)}" if parameter else name
    for key in ("ward_name", "unit_name", "ward", "unit"):
        if found.get(key):
            return str(found[key])
    return formats.safe_text(subject, current_language())


def corroboration_column(case_ids: Iterable[object]) -> list[str]:
    """For a case list: what confirmed each case (station, measurement, time, distance), empty otherwise."""
    table = corroboration_table(loaders.now_minute())
    evidence = dict(zip(table["id"], table["evidence"], strict=True))
    return [evidence.get(case_id, "") for case_id in case_ids]


def _add_corroborated_layer(fmap: folium.Map, now: dt.datetime, legend: maps.LegendPanel) -> None:
    table = corroboration_table(now)
    labels = (t("common.category"), t("common.opened"), t("corroboration.by"))
    maps.add_corroborated_layer(
        fmap,
        table,
        layer_name=t("map.corroborated", days=loaders.CORROBORATION_DAYS),
        popup_rows=lambda row: list(zip(labels, (row.category, row.reported, row.evidence), strict=True)),
        legend=legend,
        open_case=t("casepage.open_in_new_tab"),
    )


def _add_station_layers(fmap: folium.Map, now: dt.datetime, legend: maps.LegendPanel) -> None:
    stations = loaders.stations("air", "vn", now)
    if len(stations):
        maps.add_station_layer(
            fmap,
            station_map_frame(stations, "vn"),
            station_labels("vn"),
            aqi_legend("vn"),
            panel=legend,
        )
    effluent = loaders.stations("wastewater", "vn", now)
    if len(effluent):
        firing = loaders.alerts(ACTIVE_STATES, None)
        maps.add_station_layer(
            fmap,
            threshold_map_frame(effluent, firing),
            threshold_labels(),
            threshold_legend(),
            shape="square",
            panel=legend,
        )


def spot_table(set_name: str) -> pd.DataFrame:
    """The ``MAX_SPOTS`` largest recurring spots for display: ward, cases, categories, first/last report, active."""
    return spot_summary(set_name)[0]


def spot_summary(set_name: str) -> tuple[pd.DataFrame, int]:
    """:func:`spot_table` and how many recurring spots there are in all."""
    return _spot_summary(set_name, loaders.now_minute(), st.session_state[state.LANGUAGE], loaders.data_version())


@st.cache_data(ttl=loaders.SHORT_TTL, show_spinner=False, max_entries=16)
def _spot_summary(set_name: str, now: dt.datetime, language: str, version: tuple[int, ...]) -> tuple[pd.DataFrame, int]:
    """Built once per minute, language and complaint data version (they only select the cached answer): every
    overview run shows the table, and the map draws the same spots."""
    found = loaders.recurring_spots(set_name, now)
    spots = found.head(MAX_SPOTS)  # largest first
    if spots.empty:
        columns = ["lat", "lon", "cases", "ward", "categories", "first_report", "last_report", "active"]
        return pd.DataFrame(columns=columns), len(found)
    names = loaders.category_names(language)
    choices = loaders.ward_choices(set_name)
    wards = dict(zip(choices["code"], choices["name"], strict=True))
    table = pd.DataFrame(
        {
            "lat": spots["lat"],
            "lon": spots["lon"],
            "cases": spots["count"],
            "ward": [wards.get(code, "") for code in spots["ward_code"]],
            "categories": [", ".join(f"{names[k]} ({v})" for k, v in c.items()) for c in spots["categories"]],
            "first_report": local_time_texts(spots["first_report"]),
            "last_report": local_time_texts(spots["last_report"]),
            "active": [t("common.yes") if a else t("common.no") for a in spots["active"]],
        }
    )
    return table, len(found)
