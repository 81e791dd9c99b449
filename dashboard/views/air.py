"""Không khí (public, no login): the AQI of my ward or station first, then the map, parameters, history, city.

Renders :class:`monitoring.public_snapshot.PublicSnapshot`, the same object the published site is built from,
so both show the same figures. Every data string reaching Markdown goes through :mod:`dashboard.markup`.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import components, loaders, maps, state
from dashboard.i18n import LANGUAGES, current_language, t
from dashboard.markup import escape_markdown, markdown_text
from data.i18n.formats import MISSING, local_time, measurement, number, parameter_name
from monitoring.aqi_tables import CATEGORIES, Scale
from monitoring.public_snapshot import (
    WARD_RADIUS_KM,
    HistoryPoint,
    PublicSnapshot,
    StationSnapshot,
    WardSnapshot,
    advice,
    build_snapshot,
)
from monitoring.public_text import aqi_text, day_label, distance_text, freshness, hour_label, level_text, text_colour


@st.cache_data(ttl=loaders.SHORT_TTL, show_spinner=False)
def _snapshot(now: dt.datetime) -> PublicSnapshot:
    """The public snapshot, built once a minute for every visitor."""
    settings = loaders.settings()
    engine = loaders.read_engine()
    return build_snapshot(engine, now=now, timezone=settings.timezone, boundary_set=settings.boundary_set)


def _language_switch() -> None:
    """A language switch on the page itself: on a phone the sidebar's one is hidden behind a button."""

    def switch() -> None:
        st.session_state[state.LANGUAGE] = st.session_state[state.AIR_LANGUAGE] or current_language()

    st.session_state[state.AIR_LANGUAGE] = current_language()
    st.segmented_control(
        t("public.language"),
        list(LANGUAGES),
        key=state.AIR_LANGUAGE,
        format_func=lambda code: LANGUAGES[code],
        on_change=switch,
        label_visibility="collapsed",
    )


def _choose_ward(snapshot: PublicSnapshot) -> WardSnapshot | None:
    labels = {w.code: f"{w.name} ({w.district})" if w.district else w.name for w in snapshot.wards}

    def on_ward() -> None:  # a new ward selects the station that stands for it (or its nearest one)
        ward = snapshot.ward(st.session_state[state.AIR_WARD] or "")
        if ward is not None and (ward.station_id or ward.nearest):
            st.session_state[state.AIR_STATION] = ward.station_id or ward.nearest[0][0]

    code = st.selectbox(  # selectbox options are plain text, not Markdown
        t("air.my_ward"),
        list(labels),
        index=None,
        key=state.AIR_WARD,
        placeholder=t("air.any_ward"),
        format_func=labels.__getitem__,
        on_change=on_ward,
    )
    return snapshot.ward(code) if code else None


def _default_station(snapshot: PublicSnapshot, ward: WardSnapshot | None) -> str:
    chosen = st.session_state.get(state.AIR_STATION)
    options = _station_options(snapshot, ward)
    if chosen in options:
        return str(chosen)
    if ward is not None and ward.station_id:
        return ward.station_id
    fresh = [s.id for s in snapshot.stations if s.value("vn") is not None]
    return fresh[0] if fresh else options[0]


def _station_options(snapshot: PublicSnapshot, ward: WardSnapshot | None) -> list[str]:
    return [sid for sid, _ in ward.nearest] if ward is not None else [s.id for s in snapshot.stations]


def _card(station: StationSnapshot, ward: WardSnapshot | None, scale: Scale, timezone: str) -> None:
    """The AQI card: colour, number, category, station (and ward), freshness; first thing on a phone."""
    language = current_language()
    value = station.value(scale)
    if ward is not None:
        if ward.station_id == station.id and ward.distance_km is not None:
            heading = t("public.card_ward", ward=ward.name, station=station.name,
                        km=distance_text(ward.distance_km, language))  # fmt: skip
        else:
            heading = t("public.card_station", station=station.name)
            st.warning(
                t("public.ward_no_station", km=distance_text(WARD_RADIUS_KM, language), ward=escape_markdown(ward.name))
            )
    else:
        heading = t("public.card_station", station=station.name)
    if value is None:
        background, colour, shown, label = maps.STALE_COLOUR, "#FFFFFF", MISSING, t("public.no_data")
    else:
        background, colour = value.category.hex, text_colour(value.level)
        shown, label = aqi_text(value), level_text(scale, value.level, language)
        if value.beyond_scale:
            label += f" ({t('public.beyond_scale')})"
    st.markdown(  # one HTML block, every text HTML-escaped (Markdown is not parsed inside an HTML block)
        f'<div class="envmon-aqi-card" style="background:{background};color:{colour};padding:12px 16px;'
        f'border-radius:8px;max-width:100%"><div style="font-size:.95rem">{maps.escape(heading)}</div>'
        f'<div style="font-size:2.6rem;font-weight:700;line-height:1.1">{maps.escape(shown)}</div>'
        f'<div style="font-size:1.1rem">{maps.escape(t(f"aqi.scale_{scale}"))} · {maps.escape(label)}</div>'
        f'<div style="font-size:.85rem">{maps.escape(freshness(station, language, timezone))}</div></div>',
        unsafe_allow_html=True,
    )
    st.caption(
        markdown_text(
            "public.location",
            lat=number(station.lat, language, 4),
            lon=number(station.lon, language, 4),
            ward=station.ward_name or MISSING,
            operator=station.operator or MISSING,
        )
    )
    if value is None:
        return
    if value.dominant:
        st.markdown(markdown_text("air.dominant_line", parameter=parameter_name(value.dominant, language)))
    tips = advice(scale, value.level, language)
    st.markdown(f"**{t('air.health_effect')}:** {escape_markdown(tips.effect)}")
    st.markdown(f"**{t('air.advice_public')}:** {escape_markdown(tips.public)}")
    st.markdown(f"**{t('air.advice_sensitive')}:** {escape_markdown(tips.sensitive)}")
    if scale == "us":
        st.caption(t("public.us_advice_note"))


def _map(snapshot: PublicSnapshot, scale: Scale) -> None:
    settings = loaders.settings()
    fmap = maps.base_map(tile_url=settings.tile_url, tile_attribution=settings.tile_attribution, scroll_with_page=True)
    wards = loaders.wards(settings.boundary_set)
    maps.add_ward_outlines(fmap, wards, layer_name=t("map.wards"), tooltip_label=t("common.ward"))
    maps.add_station_layer(
        fmap,
        components.station_map_frame(_map_frame(snapshot, scale), scale),
        components.station_labels(scale),
        components.aqi_legend(scale),
    )
    components.show_map(maps.add_layer_control(fmap), key="air_map", height=380)


def _map_frame(snapshot: PublicSnapshot, scale: Scale) -> pd.DataFrame:
    """The snapshot's stations in the columns ``components.station_map_frame`` reads."""
    rows = []
    for s in snapshot.stations:
        value = s.current[scale]
        rows.append(
            {
                "name": s.name, "lat": s.lat, "lon": s.lon, "ward_name": s.ward_name or "", "stale": s.stale,
                "aqi": value.aqi if value else None, "category": value.level if value else None,
                "beyond_scale": value.beyond_scale if value else False, "dominant": value.dominant if value else None,
                "last_reading_at": s.last_reading_at, "age_hours": s.age_hours,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def _parameters(station: StationSnapshot, timezone: str) -> None:
    st.subheader(t("air.parameters"))
    if not station.readings:
        st.info(t("air.no_readings"))
        return
    language = current_language()
    dominant = {s: (v.dominant if v else None) for s, v in station.current.items()}
    table = pd.DataFrame(
        {
            t("col.parameter"): [
                ("★ " if r.parameter == dominant["vn"] else "") + parameter_name(r.parameter, language)
                for r in station.readings
            ],
            t("public.col_value"): [measurement(r.value, r.unit, language) for r in station.readings],
            t("public.col_sub_vn"): [_sub(r.sub_index.get("vn")) for r in station.readings],
            t("public.col_sub_us"): [_sub(r.sub_index.get("us")) for r in station.readings],
            t("public.col_time"): [local_time(r.observed_at, language, timezone) for r in station.readings],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("air.dominant_marker"))


def _sub(value: int | None) -> str:
    return MISSING if value is None else str(value)


def _history_chart(points: tuple[HistoryPoint, ...], labels: list[str], scale: Scale, title: str) -> None:
    """Bars in their category colours; slots without a value stay empty (and are counted below the chart)."""
    st.subheader(title)
    if all(p.aqi is None for p in points):
        st.caption(t("air.no_series"))
        return
    language = current_language()
    frame = pd.DataFrame(
        {
            "slot": labels,
            "aqi": [p.aqi for p in points],
            "category": [level_text(scale, p.level, language) for p in points],
        }
    )
    colours = CATEGORIES[scale]
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("slot:N", sort=labels, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("aqi:Q", title=t(f"aqi.scale_{scale}")),
            color=alt.Color(
                "category:N",
                scale=alt.Scale(
                    domain=[level_text(scale, c.level, language) for c in colours], range=[c.hex for c in colours]
                ),
                legend=None,
            ),
            tooltip=[alt.Tooltip("slot:N", title=""), alt.Tooltip("aqi:Q", title="AQI"), "category:N"],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")
    empty = sum(p.aqi is None for p in points)
    if empty:
        st.caption(t("public.history_empty", n=empty))


def _charts(station: StationSnapshot, scale: Scale, timezone: str) -> None:
    language = current_language()
    hours = station.hourly[scale]
    _history_chart(hours, [hour_label(p.period_end, timezone) for p in hours], scale, t("air.chart_24h"))
    days = station.daily[scale]
    _history_chart(days, [day_label(p.day, language) for p in days if p.day], scale, t("air.chart_7d"))


def _city(snapshot: PublicSnapshot, scale: Scale) -> None:
    st.subheader(t("public.city"))
    summary = snapshot.summary[scale]
    language = current_language()
    if summary.worst is None or summary.best is None:
        st.caption(t("public.city_none"))
        return
    for key, station_id in (("public.city_worst", summary.worst), ("public.city_best", summary.best)):
        station = snapshot.station(station_id)
        value = station.value(scale) if station else None
        if station is not None and value is not None:
            st.markdown(
                markdown_text(
                    key, station=station.name, aqi=aqi_text(value), category=level_text(scale, value.level, language)
                )  # fmt: skip
            )
    st.caption(t("public.city_counts", reporting=summary.reporting, stale=summary.stale))


def _method(scale: Scale) -> None:
    with st.expander(t("air.method_title")):
        st.markdown(t("air.method_body"))
        language = current_language()
        table = pd.DataFrame(
            [(f"{c.low}–{c.high}", level_text(scale, c.level, language), c.hex) for c in CATEGORIES[scale]],
            columns=[t("col.aqi_range"), t("air.category"), t("col.colour")],
        )
        st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("air.sources"))


def render() -> None:
    """Draw the public air-quality page, phone first: the chosen AQI card before the map and details."""
    _language_switch()
    st.title(t("air.title"))
    snapshot = _snapshot(loaders.now_minute())
    scale: Scale = st.session_state.get(state.AQI_SCALE, "vn")
    if not snapshot.stations:
        st.info(t("air.no_stations"))
        _method(scale)
        return
    ward = _choose_ward(snapshot)
    st.session_state[state.AIR_STATION] = _default_station(snapshot, ward)
    station = snapshot.station(st.session_state[state.AIR_STATION])
    assert station is not None
    card = st.container()
    names = {s.id: escape_markdown(s.name) for s in snapshot.stations}  # radio labels are Markdown
    distances = dict(ward.nearest) if ward is not None else {}
    language = current_language()
    st.radio(
        t("air.nearest", n=len(distances)) if ward is not None else t("air.station"),
        _station_options(snapshot, ward),
        key=state.AIR_STATION,
        format_func=lambda i: (
            f"{names[i]} · {distance_text(distances[i], language)} km" if i in distances else names[i]
        ),
    )
    scale = st.radio(
        t("air.scale"), ["vn", "us"], key=state.AQI_SCALE, horizontal=True, format_func=lambda s: t(f"aqi.scale_{s}")
    )
    st.caption(t("public.scale_note"))
    with card:
        _card(station, ward, scale, snapshot.timezone)
    _map(snapshot, scale)
    _parameters(station, snapshot.timezone)
    _charts(station, scale, snapshot.timezone)
    _city(snapshot, scale)
    _method(scale)


render()
