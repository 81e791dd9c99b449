"""One alert (``/alert?id=N``): what, where, since when, who handles it; the signal against its limit around
the episode; for an overdue reminder, the unit's overdue cases; for recurring spots, the ward's spots; the
alert's history."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, casework, loaders
from dashboard.i18n import current_language, label, t
from dashboard.markup import escape_markdown, markdown_text
from data import alert_queries, queries
from data.alert_text import describe, unit_queue_path
from data.case_filter import CaseFilter
from data.i18n.formats import local_time, local_times, number, parameter_name, unit_text, wall_clock
from data.station_hours import HOURLY_STATUS
from monitoring.hotspot_signals import RULE_NEW_SPOT

WINDOW_BEFORE = dt.timedelta(days=1)  # the chart starts this long before the episode


def _alert_id() -> int | None:
    raw = st.query_params.get("id", "")
    return int(raw) if str(raw).isdigit() else None


def _facts(alert: dict, language: str, now: dt.datetime) -> None:
    text = describe(alert, language, now=now, timezone=loaders.settings().timezone)
    st.title(escape_markdown(text.place))
    st.subheader(escape_markdown(text.what))
    facts = (  # a line of label: value pairs that wraps, instead of metric cards that cut long values off
        (t("alerts.col_severity"), text.severity),
        (t("alerts.col_state"), text.state),
        (t("alerts.col_since"), text.since),
        (t("alerts.detail_changed"), local_time(alert.get("state_since"), language)),
    )
    st.markdown(" · ".join(f"{escape_markdown(name)}: **{escape_markdown(value)}**" for name, value in facts))
    if text.data_age:
        st.warning(escape_markdown(text.data_age))
    if alert.get("ack_by") and not pd.isna(alert.get("ack_at")):
        st.info(markdown_text("alerts.detail_ack", who=alert["ack_by"], at=local_time(alert["ack_at"], language),
                              note=alert.get("ack_note") or "—"))  # fmt: skip


def _signal_chart(alert: dict, language: str, now: dt.datetime) -> None:
    labels = alert["labels"]
    station, parameter = labels.get("station_id"), labels.get("parameter")
    if alert["kind"] not in ("threshold", "device") or not station or not parameter:
        return
    start = alert.get("active_at")
    start = now if pd.isna(start) else pd.Timestamp(start).to_pydatetime()
    series = loaders.station_series(station, parameter, start - WINDOW_BEFORE, now)
    st.subheader(t("alerts.detail_chart", parameter=parameter_name(parameter, language)))
    if series.empty:
        st.caption(t("alerts.detail_no_readings"))
        return
    unit = unit_text(labels.get("unit") or series["unit"].iloc[-1])
    times = wall_clock(series["observed_at"], loaders.settings().timezone)
    frame = pd.DataFrame({"time": times.to_numpy(), "value": series["value"].astype(float).to_numpy()})
    axis_title = f"{parameter_name(parameter, language)} ({unit})" if unit else parameter_name(parameter, language)
    line = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("time:T", title=None, axis=alt.Axis(format="%d/%m %H:%M")), y=alt.Y("value:Q", title=axis_title)
        )
    )
    layers = [line]
    if not pd.isna(alert.get("threshold")):
        limit = pd.DataFrame({"limit": [float(alert["threshold"])]})
        layers.append(alt.Chart(limit).mark_rule(color="#c62828", strokeDash=[6, 4]).encode(y="limit:Q"))
    st.altair_chart(alt.layer(*layers), use_container_width=True)
    limit_text = number(alert["threshold"], language, 1) if not pd.isna(alert.get("threshold")) else "—"
    st.caption(t("alerts.detail_chart_note", limit=f"{limit_text} {unit}".strip()))
    if (series["status"] == HOURLY_STATUS).any():
        st.caption(t("stations.hourly_means"))


def _unit_cases(alert: dict, language: str, now: dt.datetime) -> None:
    if alert["kind"] != "sla":
        return
    st.subheader(t("alerts.detail_unit_cases"))
    queue = unit_queue_path(alert)
    if queue:
        st.markdown(f"[{escape_markdown(t('alerts.open_queue'))}]({queue})")
    cases = queries.overdue_cases(loaders.engine(), CaseFilter(), now, limit=2000)
    mine = cases[cases["unit"] == (alert["labels"].get("unit_name") or "")]
    if mine.empty:
        st.success(t("overview.no_overdue"))
        return
    names = loaders.category_names(language)
    view = pd.DataFrame({
        t("alerts.case"): [casework.case_url(case_id) for case_id in mine["id"]],
        t("common.category"): [names[c] for c in mine["category_code"]],
        t("alerts.col_place"): mine["ward_name"].fillna(t("alerts.outside_wards")),
        t("alerts.case_status"): [label("status", s) for s in mine["status"]],
        t("alerts.case_deadline"): local_times(mine["due_at"], language),
        t("alerts.case_days_late"): [number(d, language, 1) for d in mine["days_overdue"]],
    })  # fmt: skip
    st.dataframe(view, hide_index=True, width="stretch",
                 column_config={t("alerts.case"): casework.case_link_column(t("alerts.case"))})  # fmt: skip


def _ward_spots(alert: dict, language: str, now: dt.datetime) -> None:
    """A recurring-spot alert is one per ward: here are its spots, largest first."""
    if alert["rule_id"] != RULE_NEW_SPOT:
        return
    st.subheader(t("alerts.detail_spots"))
    spots = loaders.recurring_spots(loaders.settings().boundary_set, now)
    ward = alert["labels"].get("ward_code") or ""
    mine = spots[spots["ward_code"].fillna("").astype(str) == ward]
    if mine.empty:
        st.caption(t("alerts.detail_no_spots"))
        return
    names = loaders.category_names(language)
    timezone = loaders.settings().timezone
    view = pd.DataFrame({
        t("alerts.spot_place"): [f"{number(lat, language, 5)}, {number(lon, language, 5)}"
                                 for lat, lon in zip(mine["lat"], mine["lon"], strict=True)],
        t("alerts.spot_reports"): [number(n, language) for n in mine["count"]],
        t("alerts.spot_radius"): [f"{number(r, language)} m" for r in mine["radius_m"]],
        t("common.category"): [", ".join(f"{names[c]} ×{n}" for c, n in cats.items())
                               for cats in mine["categories"]],
        t("alerts.spot_first"): local_times(mine["first_report"], language, timezone),
        t("alerts.spot_last"): local_times(mine["last_report"], language, timezone),
        t("alerts.spot_active"): [t("common.yes") if a else t("common.no") for a in mine["active"]],
    })  # fmt: skip
    st.dataframe(view, hide_index=True, width="stretch")


def _history(alert_id: int, language: str) -> None:
    st.subheader(t("alerts.history"))
    events = alert_queries.alert_events(loaders.engine(), alert_id, limit=200)
    if events.empty:
        st.caption(t("alerts.no_history"))
        return
    view = pd.DataFrame({
        t("col.at"): local_times(events["at"], language),
        t("col.event"): [label("alert_event", e) for e in events["event"]],
        t("col.to_state"): [label("alert_state", s) if isinstance(s, str) else "" for s in events["to_state"]],
        t("col.actor"): [a if a != "system" else t("alerts.system") for a in events["actor"]],
        t("col.note"): events["note"].fillna(""),
    })  # fmt: skip
    st.dataframe(view, hide_index=True, width="stretch")


def render() -> None:
    """Draw one alert's page."""
    auth.require_role(auth.ALL_ROLES)
    language = current_language()
    alert_id = _alert_id()
    found = alert_queries.alert_frame(loaders.engine(), alert_id=alert_id) if alert_id is not None else None
    if found is None or found.empty:
        st.error(t("alerts.detail_missing"))
        st.page_link("views/alerts.py", label=t("alerts.back"))
        return
    alert = found.to_dict("records")[0]
    now = loaders.now_minute()
    st.page_link("views/alerts.py", label=t("alerts.back"))
    _facts(alert, language, now)
    _signal_chart(alert, language, now)
    _unit_cases(alert, language, now)
    _ward_spots(alert, language, now)
    _history(int(alert["id"]), language)


render()
