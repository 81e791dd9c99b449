"""Trạm quan trắc (stations): per-station series with the applicable limit, device-status bands, feed health."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders
from dashboard.i18n import label, t
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


def _chart(series: pd.DataFrame, limit: EffectiveLimit | None, unit: str) -> alt.LayerChart | alt.Chart:
    line = (
        alt.Chart(series)
        .mark_line(point=len(series) < 200)
        .encode(
            x=alt.X("time:T", title=t("analysis.time")),
            y=alt.Y("value:Q", title=unit),
            tooltip=[alt.Tooltip("time:T", format="%d/%m %H:%M"), "value:Q", "status:N"],
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
                x="start:T",
                x2="end:T",
                color=alt.Color(
                    "status:N", title=t("stations.device_status"), scale=alt.Scale(range=list(STATUS_COLOURS.values()))
                ),
            )
        )
    layers.append(line)
    if limit is not None:
        bounds = [value for value in (limit.high, limit.low) if value is not None]
        rule = pd.DataFrame(
            {
                "limit": bounds,
                "label": [t("stations.limit", value=f"{v:g} {limit.unit}", basis=limit.basis) for v in bounds],
            }
        )
        layers.append(
            alt.Chart(rule).mark_rule(color="#d32f2f", strokeDash=[6, 4]).encode(y="limit:Q", tooltip=["label:N"])
        )
    return alt.layer(*layers).properties(height=320)


def render() -> None:
    """Draw the stations page."""
    auth.require_role(auth.ALL_ROLES)
    st.title(t("stations.title"))
    now = loaders.now_minute()
    stations = loaders.stations(None, "vn", now)
    if stations.empty:
        st.info(t("air.no_stations"))
    else:
        names = dict(zip(stations["id"], stations["name"] + " (" + stations["kind"] + ")", strict=True))
        left, middle, right = st.columns(3)
        station_id = left.selectbox(t("air.station"), list(names), format_func=lambda i: names[i])
        station = stations.set_index("id").loc[station_id]
        parameters = loaders.station_parameters(station_id)
        window = right.radio(
            t("stations.window"), list(WINDOWS), horizontal=True, format_func=lambda w: t(f"stations.window_{w}")
        )
        if not parameters:
            st.info(t("air.no_readings"))
        else:
            parameter = middle.selectbox(t("stations.parameter"), parameters)
            series = loaders.reading_series(station_id, parameter, now - WINDOWS[window])
            if station["stale"]:
                st.warning(t("air.stale_badge", age=components.age_text(station["age_hours"])))
            if series.empty:
                st.caption(t("air.no_series"))
            else:
                series = series.assign(
                    time=pd.to_datetime(series["observed_at"], utc=True)
                    .dt.tz_convert(components.local_zone())
                    .dt.tz_localize(None)
                )
                limit = loaders.applicable_limit(
                    str(station["kind"]),
                    station["limit_profile"] or {},
                    parameter,
                    now.astimezone(components.local_zone()).date(),
                )
                st.altair_chart(_chart(series, limit, str(series["unit"].iloc[-1])), width="stretch")
                if limit is None:
                    st.caption(t("stations.no_limit"))
                else:
                    st.caption(
                        t(
                            "stations.limit",
                            value=f"{limit.high if limit.high is not None else limit.low:g} {limit.unit}",
                            basis=limit.basis,
                        )
                    )
    st.subheader(t("stations.feed_health"))
    health = loaders.feed_health()
    if health.empty:
        st.caption(t("feeds.none"))
    else:
        view = health.assign(
            status=[label("feeds", components.feed_status(row, now)) for _, row in health.iterrows()],
            last_success_at=[components.local_time_text(v) for v in health["last_success_at"]],
            last_data_at=[components.local_time_text(v) for v in health["last_data_at"]],
            last_error_at=[components.local_time_text(v) for v in health["last_error_at"]],
            last_error=health["last_error"].fillna(""),
        )[["feed", "status", "last_success_at", "last_data_at", "consecutive_failures", "last_error", "last_error_at"]]
        st.dataframe(view.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")


render()
