"""Không khí (public, no login): station map in VN_AQI colours, my ward's nearest stations, health advice.

Reads only the public path (stations, readings, AQI values): no complaint text and no personal data.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import streamlit as st

from dashboard import components, loaders, maps, state
from dashboard.i18n import t
from dashboard.markup import escape_markdown, markdown_text

NEAREST = 3
EARTH_RADIUS_KM = 6371.0


def _distance_km(lat1: float, lon1: float, lat2: pd.Series, lon2: pd.Series) -> pd.Series:
    """Great-circle (haversine) distance from one point to many, in km."""
    p1, p2 = math.radians(lat1), lat2.astype(float).map(math.radians)
    dlat = p2 - p1
    dlon = (lon2.astype(float) - lon1).map(math.radians)
    a = (dlat / 2).map(math.sin) ** 2 + math.cos(p1) * p2.map(math.cos) * (dlon / 2).map(math.sin) ** 2
    return 2 * EARTH_RADIUS_KM * a.map(lambda v: math.asin(math.sqrt(v)))


def _station_map(stations: pd.DataFrame, scale: str) -> None:
    settings = loaders.settings()
    fmap = maps.base_map(tile_url=settings.tile_url, tile_attribution=settings.tile_attribution)
    wards = loaders.wards(settings.boundary_set)
    maps.add_ward_outlines(fmap, wards, layer_name=t("map.wards"), tooltip_label=t("common.ward"))
    maps.add_station_layer(
        fmap,
        components.station_map_frame(stations, scale),
        components.station_labels(scale),
        components.aqi_legend(scale),
    )
    components.show_map(maps.add_layer_control(fmap), key="air_map", height=420)


def _pick_station(stations: pd.DataFrame) -> pd.Series | None:
    wards = loaders.ward_choices(loaders.settings().boundary_set)
    located = stations.dropna(subset=["lat", "lon"])
    if located.empty:
        st.info(t("air.no_stations"))
        return None
    labels = dict(zip(wards["code"], wards["name"] + " (" + wards["district"].fillna("") + ")", strict=True))
    ward_code = st.selectbox(
        t("air.my_ward"),
        [None, *labels],
        format_func=lambda c: labels.get(c, t("air.any_ward")),
        on_change=lambda: st.session_state.pop(state.AIR_STATION, None),  # a new ward starts at its nearest station
    )
    if ward_code is not None:
        ward = wards.set_index("code").loc[ward_code]
        located = located.assign(
            distance_km=_distance_km(float(ward["lat"]), float(ward["lon"]), located["lat"], located["lon"])
        )
        located = located.sort_values("distance_km").head(NEAREST)
        st.caption(t("air.nearest", n=len(located)))
    options = list(located["id"])
    names = dict(zip(located["id"], map(escape_markdown, located["name"]), strict=True))  # labels are Markdown
    distances = dict(zip(located["id"], located.get("distance_km", pd.Series(dtype=float)), strict=False))
    chosen = st.radio(
        t("air.station"),
        options,
        key=state.AIR_STATION,
        format_func=lambda i: f"{names[i]} · {distances[i]:.1f} km" if i in distances else names[i],
    )
    return located.set_index("id").loc[chosen].rename(chosen)


def _current(station: pd.Series, scale: str) -> None:
    st.subheader(escape_markdown(station["name"]))
    st.caption(
        markdown_text(
            "air.location",
            lat=f"{station['lat']:.4f}",
            lon=f"{station['lon']:.4f}",
            ward=station.get("ward_name") or "–",
            operator=station.get("operator") or "–",
        )
    )
    if station["stale"]:
        st.warning(t("air.stale_badge", age=components.age_text(station["age_hours"])))
    if station["aqi"] is None or pd.isna(station["aqi"]):
        st.info(t("air.no_aqi"))
        return
    category = components.aqi_category(scale, int(station["category"]))
    text_colour = "#000000" if category.level <= 3 else "#FFFFFF"
    beyond = "+" if station["beyond_scale"] else ""
    st.markdown(
        f'<div style="background:{category.hex};color:{text_colour};padding:12px 16px;border-radius:8px;'
        f'max-width:100%"><div style="font-size:2.4rem;font-weight:700;line-height:1">{int(station["aqi"])}{beyond}'
        f'</div><div style="font-size:1.1rem">{maps.escape(t(f"aqi.scale_{scale}"))} · '
        f"{maps.escape(components.category_label(category))}</div></div>",
        unsafe_allow_html=True,
    )
    st.write(markdown_text("air.dominant_line", parameter=components.parameter_label(station["dominant"])))
    st.caption(t("air.updated", time=components.local_time_text(station["period_end"])))
    if scale == "vn":
        effect, public, sensitive = components.health_text(category.level)
        st.markdown(f"**{t('air.health_effect')}:** {effect}")
        st.markdown(f"**{t('air.advice_public')}:** {public}")
        st.markdown(f"**{t('air.advice_sensitive')}:** {sensitive}")
    else:
        st.caption(t("air.us_health_note"))


def _parameters(station: pd.Series) -> None:
    st.subheader(t("air.parameters"))
    readings = loaders.latest_readings(str(station.name))
    if readings.empty:
        st.info(t("air.no_readings"))
        return
    sub = station["sub_indices"] if isinstance(station["sub_indices"], dict) else {}
    dominant = station["dominant"]
    table = readings.assign(
        aqi_x=[str(sub[p]) if sub.get(p) is not None else "" for p in readings["parameter"]],
        observed_at=[components.local_time_text(v) for v in readings["observed_at"]],
        parameter=[("★ " if p == dominant else "") + components.parameter_label(p) for p in readings["parameter"]],
        measure_unit=readings["unit"],
    )[["parameter", "value", "measure_unit", "aqi_x", "observed_at"]]
    st.dataframe(table.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")
    st.caption(t("air.dominant_marker"))


def _charts(station: pd.Series, scale: str) -> None:
    now = loaders.now_minute()
    hourly = loaders.aqi_series(str(station.name), scale, "hourly", now - dt.timedelta(hours=24))
    daily = loaders.aqi_series(str(station.name), scale, "daily", now - dt.timedelta(days=7))
    st.subheader(t("air.chart_24h"))
    if hourly.empty:
        st.caption(t("air.no_series"))
    else:
        st.bar_chart(_local_index(hourly)["aqi"], y_label="AQI", x_label=t("analysis.time"), height=220)
    st.subheader(t("air.chart_7d"))
    if daily.empty:
        st.caption(t("air.no_series"))
    else:
        st.bar_chart(_local_index(daily)["aqi"], y_label="AQI", x_label=t("analysis.time"), height=220)


def _local_index(frame: pd.DataFrame) -> pd.DataFrame:
    index = pd.to_datetime(frame["period_end"], utc=True).dt.tz_convert(components.local_zone()).dt.tz_localize(None)
    return frame.set_index(index)


def _method(scale: str) -> None:
    with st.expander(t("air.method_title")):
        st.markdown(t("air.method_body"))
        table = pd.DataFrame(
            [(f"{c.low}–{c.high}", components.category_label(c), c.hex) for c in components.CATEGORIES[scale]],
            columns=[t("col.aqi_range"), t("air.category"), t("col.colour")],
        )
        st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("air.sources"))


def render() -> None:
    """Draw the public air-quality page."""
    st.title(t("air.title"))
    scale = st.radio(
        t("air.scale"),
        ["vn", "us"],
        key=state.AQI_SCALE,
        horizontal=True,
        format_func=lambda s: t(f"aqi.scale_{s}"),
    )
    st.caption(t("air.why_differ"))
    stations = loaders.stations("air", scale, loaders.now_minute())
    if stations.empty:
        st.info(t("air.no_stations"))
        _method(scale)
        return
    _station_map(stations, scale)
    station = _pick_station(stations)
    if station is not None:
        _current(station, scale)
        _parameters(station)
        _charts(station, scale)
    _method(scale)


render()
