"""Cảnh báo (alerts): active and recent alerts with state, since when and value; acknowledge; history."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders
from dashboard.i18n import label, t
from data.alert_states import OPEN_STATES

ACTIVE_STATES = tuple(OPEN_STATES)  # pending, firing and stale: every episode that has not ended
RECENT_DAYS = 7
ACK_HOURS = (4, 8, 24, 72)
REFRESH = dt.timedelta(seconds=loaders.SHORT_TTL)  # the live panel re-reads as often as the cache expires


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    view = frame.assign(
        state=[label("alert_state", s) for s in frame["state"]],
        severity=[label("severity", s) for s in frame["severity"]],
        state_since=[components.local_time_text(v) for v in frame["state_since"]],
        ack_at=[components.local_time_text(v) for v in frame["ack_at"]],
        ack_by=frame["ack_by"].fillna(""),
        ack_note=frame["ack_note"].fillna(""),
    )
    columns = [
        "id",
        "severity",
        "state",
        "subject",
        "rule_id",
        "value",
        "threshold",
        "state_since",
        "message",
        "ack_by",
        "ack_note",
        "ack_at",
    ]
    return view[columns].rename(columns=lambda c: t(f"col.{c}"))


def _acknowledge(active: pd.DataFrame, username: str) -> None:
    st.subheader(t("alerts.ack_title"))
    if importlib.util.find_spec("monitoring.alert_store") is None:
        st.info(t("alerts.ack_unavailable"))
        return
    from monitoring import alert_store

    subjects = dict(zip(active["id"], active["subject"] + " · " + active["rule_id"], strict=True))
    with st.form("ack"):
        alert_id = st.selectbox(t("alerts.ack_which"), list(subjects), format_func=lambda i: f"#{i} {subjects[i]}")
        note = st.text_area(t("alerts.ack_note"), max_chars=1000)
        hours = st.selectbox(t("alerts.ack_until"), ACK_HOURS, index=2, format_func=lambda h: t("kpi.hours", n=h))
        submitted = st.form_submit_button(t("alerts.ack_submit"), type="primary")
    if submitted:
        if not note.strip():
            st.error(t("alerts.ack_note_required"))
            return
        now = dt.datetime.now(dt.UTC)
        alert_store.acknowledge(
            loaders.engine(),
            int(alert_id),
            by=username,
            note=note.strip(),
            until=now + dt.timedelta(hours=hours),
            now=now,
        )
        loaders.clear_live_caches()
        st.success(t("alerts.ack_done", id=alert_id))


@st.fragment(run_every=REFRESH)
def _active_panel() -> None:
    """The active alerts, refreshed on their own every ``REFRESH`` without rerunning the page."""
    active = loaders.alerts(ACTIVE_STATES, None)
    st.subheader(t("alerts.active"))
    if active.empty:
        st.success(t("alerts.none_active"))
    else:
        st.dataframe(_table(active), hide_index=True, width="stretch")


def render() -> None:
    """Draw the alerts page."""
    user = auth.require_role(auth.ALL_ROLES)
    st.title(t("alerts.title"))
    _active_panel()
    active = loaders.alerts(ACTIVE_STATES, None)
    since = loaders.now_minute() - dt.timedelta(days=RECENT_DAYS)
    recent = loaders.alerts((), since)
    recent = recent[~recent["state"].isin(ACTIVE_STATES)]
    st.subheader(t("alerts.recent", days=RECENT_DAYS))
    if recent.empty:
        st.caption(t("alerts.none_recent"))
    else:
        st.dataframe(_table(recent), hide_index=True, width="stretch")
    if not active.empty:
        if auth.has_role(auth.OPERATOR_ONLY):
            _acknowledge(active, user["username"])
        else:
            st.caption(t("alerts.ack_operator_only"))
    st.subheader(t("alerts.history"))
    history = loaders.alert_history(None)
    if history.empty:
        st.caption(t("alerts.no_history"))
    else:
        view = history.assign(
            at=[components.local_time_text(v) for v in history["at"]],
            from_state=[label("alert_state", s) if s else "" for s in history["from_state"]],
            to_state=[label("alert_state", s) if s else "" for s in history["to_state"]],
        )
        st.dataframe(view.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")


render()
