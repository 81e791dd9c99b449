"""Trạm quan trắc (stations): the station list with its state, per-station series with the applicable limit and
device-status bands, feed health."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders
from dashboard.i18n import current_language, label, t
from data.alert_text import basis_text
from data.i18n import formats
from data.station_hours import HOURLY_STATUS
from monitoring.station_health import station_health
from monitoring.thresholds import EffectiveLimit

WINDOWS = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30)}
STATUS_COLOURS = {"01": "#fdd835", "02": "#e53935"}  # TT 10/2021: 01 calibrating, 02 device error


def _status_bands(series: pd.DataFrame) -> pd.DataFrame:
    """Consecutive runs of non-measuring status as ``start, end, status`` intervals."""
    flagged = series[series["status"].isin(list(STATUS_COLOURS))]
    if flagged.empty:
        return pd.DataFrame(columns=["start", "end", "status"])
    run = (series["status"] != series["status"].shift()).cumsum()
    bands = (
        series.assign(run=run)[series["status"].isin(list(STATUS_COLOURS))]
        .groupby("run")
        .agg(start=("time", "min"), end=("time", "max"), status=("status", "first"))
    )
    bands["end"] = bands["end"] + pd.Timedelta(minutes=5)
    return bands.reset_index(drop=True)


def _chart(series: pd.DataFrame, limits: list[float], unit: str, domain: tuple[object, object]) -> alt.TopLevelMixin:
    language = current_language()
    series = series.assign(
        time_text=formats.local_times(series["observed_at"], language, loaders.settings().timezone),
        value_text=[formats.measurement(v, unit, language, 2) for v in series["value"]],
        status_text=[label("device_status", s) for s in series["status"]],
    )
    x = components.time_axis("time", t("analysis.time"), domain=domain)
    line = (
        alt.Chart(series)
        .mark_line(point=len(series) < 200)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=unit or t("stations.value")),
            tooltip=[
                alt.Tooltip("time_text:N", title=t("analysis.time")),
                alt.Tooltip("value_text:N", title=t("stations.value")),
                alt.Tooltip("status_text:N", title=t("stations.device_status")),
            ],
        )
    )
    layers: list[alt.Chart] = []
    bands = _status_bands(series)
    if len(bands):
        bands = bands.assign(status=[label("device_status", s) for s in bands["status"]])
        layers.append(
            alt.Chart(bands)
            .mark_rect(opacity=0.25)
            .encode(
                x=alt.X("start:T", scale=alt.Scale(type="utc")),
                x2="end:T",
                color=alt.Color(
                    "status:N", title=t("stations.device_status"), scale=alt.Scale(range=list(STATUS_COLOURS.values()))
                ),
            )
        )
    layers.append(line)
    if limits:
        rule = pd.DataFrame({"limit": limits, "label": [formats.measurement(v, unit, language, 0) for v in limits]})
        layers.append(
            alt.Chart(rule).mark_rule(color="#d32f2f", strokeDash=[6, 4]).encode(y="limit:Q", tooltip=["label:N"])
        )
    return components.localised(alt.layer(*layers).properties(height=320))


def _station_list(stations: pd.DataFrame, now: dt.datetime) -> None:
    st.subheader(t("stations.list"))
    statuses = loaders.station_device_status()
    language = current_language()
    states = []
    for row in stations.itertuples(index=False):
        health = station_health(row.last_reading_at, statuses.get(row.id), now)
        since = formats.local_time(health.since, language, loaders.settings().timezone)
        states.append(t(f"station_state.{health.state}", since=since))
    table = stations.assign(
        station=stations["name"],
        station_kind=[label("station_kind", k) for k in stations["kind"]],
        station_state=states,
        last_reading=[
            components.updated_text(m, h)
            for m, h in zip(stations["last_reading_at"], stations["age_hours"], strict=True)
        ],
        ward=stations["ward_name"],
    )
    components.show_table(table, ["station", "station_state", "last_reading", "station_kind", "ward"], pinned="station")


def _limit_caption(limit: EffectiveLimit | None, drawn: list[float], values: pd.Series, unit: str) -> None:
    language = current_language()
    if limit is None:
        st.caption(t("stations.no_limit"))
        return
    bound = limit.high if limit.high is not None else limit.low
    value = formats.measurement(bound, limit.unit, language, 0 if float(bound).is_integer() else 1)
    if drawn or values.dropna().empty:
        st.caption(t("stations.limit", value=value, basis=basis_text(limit.basis, language)))
    else:
        peak = formats.measurement(values.max(), unit, language, 1)
        st.caption(t("stations.limit_off_chart", value=value, basis=basis_text(limit.basis, language), peak=peak))


def _series(station: pd.Series, station_id: str, parameter: str, window: str, now: dt.datetime) -> None:
    start = now - WINDOWS[window]
    series = loaders.station_series(station_id, parameter, start, now)
    if series.empty:
        st.caption(t("air.no_series"))
        return
    timezone = loaders.settings().timezone
    series = series.assign(time=formats.wall_clock(series["observed_at"], timezone))
    unit = formats.unit_text(series["unit"].iloc[-1])
    limit = loaders.applicable_limit(
        str(station["kind"]), station["limit_profile"] or {}, parameter, now.astimezone(ZoneInfo(timezone)).date()
    )
    drawn = components.limits_in_range(limit, series["value"])
    domain = (formats.wall_clock([start], timezone).iloc[0], formats.wall_clock([now], timezone).iloc[0])
    st.altair_chart(_chart(series, drawn, unit, domain), width="stretch")
    first = pd.Timestamp(series["observed_at"].iloc[0])
    if first - pd.Timestamp(start) > WINDOWS[window] * 0.1:  # the data start well inside the chosen window
        st.caption(
            t(
                "stations.partial_range",
                parameter=components.parameter_label(parameter),
                first=formats.local_time(first, current_language(), timezone),
                window=t(f"stations.window_{window}"),
            )
        )
    _limit_caption(limit, drawn, series["value"], unit)
    if (series["status"] == HOURLY_STATUS).any():
        st.caption(t("stations.hourly_means"))


def _feed_health(now: dt.datetime) -> None:
    st.subheader(t("stations.feed_health"))
    health = loaders.feed_health()
    if health.empty:
        st.caption(t("feeds.none"))
        return
    view = health.assign(
        status=[label("feeds", components.feed_status(row, now)) for _, row in health.iterrows()],
        feed=health["feed"].map(lambda name: label("feed", name)),
    )
    components.show_table(
        view,
        ["feed", "status", "last_success_at", "last_data_at", "consecutive_failures", "last_error", "last_error_at"],
    )


def render() -> None:
    """Draw the stations page."""
    auth.require_role(auth.ALL_ROLES)
    st.title(t("stations.title"))
    now = loaders.now_minute()
    stations = loaders.stations(None, "vn", now)
    if stations.empty:
        st.info(t("air.no_stations"))
    else:
        _station_list(stations, now)
        st.subheader(t("stations.chart_title"))
        names = {row.id: f"{row.name} · {label('station_kind', row.kind)}" for row in stations.itertuples(index=False)}
        left, middle, right = st.columns(3)
        station_id = left.selectbox(t("air.station"), list(names), format_func=lambda i: names[i])
        station = stations.set_index("id").loc[station_id]
        parameters = loaders.station_parameters(station_id, now - max(WINDOWS.values()))
        window = right.radio(
            t("stations.window"), list(WINDOWS), horizontal=True, format_func=lambda w: t(f"stations.window_{w}")
        )
        if not parameters:
            st.info(t("air.no_readings"))
        else:
            parameter = middle.selectbox(t("stations.parameter"), parameters, format_func=components.parameter_label)
            if station["stale"]:
                st.warning(t("air.stale_badge", age=components.age_text(station["age_hours"])))
            _series(station, station_id, parameter, window, now)
    _feed_health(now)


render()
