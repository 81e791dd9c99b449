"""Hàng đợi xử lý (``/queue``): a responsible unit's open cases — new, in progress, due soon, overdue — nearest
deadline first, each linked to its case page.

A ``unit`` account sees the cases of its own units only (the scope is part of the query, ``data.unit_queue``).
Staff pick a unit (``/queue?unit=CODE``); without one they see every unit with open cases and its counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, casework, loaders
from dashboard.case_forms import send_urge_now
from dashboard.i18n import current_language, label, t
from dashboard.markup import escape_markdown, markdown_text
from data import unit_queue, urges
from data.case_actions import CaseActionError
from data.i18n import formats
from data.unit_queue import SECTIONS, QueueScope
from data.urges import URGE_ROLES

LIST_URGE_DAYS = 7  # urges on a unit's whole overdue list are shown on its queue for this many days


def _case_rows(frame: pd.DataFrame, now: dt.datetime, *, with_unit: bool) -> pd.DataFrame:
    names = loaders.category_names(current_language())
    language, zone = current_language(), loaders.settings().timezone
    columns: dict[str, Any] = {
        t("queue.col.case"): [casework.case_url(i) for i in frame["id"]],
        t("queue.col.clock"): casework.clocks(frame, now),
        t("queue.col.title"): [formats.safe_text(v, language) for v in frame["title"]],
        t("urgeview.col"): _urged_cells(frame, language, zone),
        t("common.category"): [names[c] for c in frame["category_code"]],
        t("common.ward"): [formats.safe_text(v, language) for v in frame["ward_name"]],
        t("common.status"): [label("status", s) for s in frame["status"]],
        t("queue.col.deadline"): formats.local_times(frame["deadline"], language, zone),
        t("queue.col.assignee"): [formats.safe_text(v, language) for v in frame["assignee"]],
    }
    if with_unit:
        columns[t("common.unit")] = [formats.safe_text(v, language) for v in frame["unit_name"]]
    return pd.DataFrame(columns)


def _urged_cells(frame: pd.DataFrame, language: str, zone: str) -> list[str]:
    """Per case: how many times it was urged and when last (``2 lần · 04/12/2026 21:00``), ``—`` when never."""
    times = formats.local_times(frame["last_urged_at"], language, zone)
    return [
        t("urgeview.cell", n=formats.number(n, language), at=at) if n else formats.MISSING
        for n, at in zip(frame["urges"].fillna(0).astype(int), times, strict=True)
    ]


def _list_urges(scope: QueueScope) -> None:
    """The latest urges on the whole overdue list of the queue's units (in the last :data:`LIST_URGE_DAYS`)."""
    units = scope.units if scope.units is not None else frozenset({scope.unit_id} if scope.unit_id else ())
    since = loaders.now_minute() - dt.timedelta(days=LIST_URGE_DAYS)
    language, zone = current_language(), loaders.settings().timezone
    for urge in urges.recent_list_urges(loaders.engine(), units, since):
        note = f" — {escape_markdown(urge.note)}" if urge.note else ""
        when = formats.local_time(urge.at, language, zone)
        who = {"unit": escape_markdown(urge.unit_name), "actor": escape_markdown(urge.actor)}
        st.warning(t("urgeview.list_urged", at=when, note=note, **who), icon=":material/campaign:")


def _section(scope: QueueScope, section: str, total: int, now: dt.datetime, *, with_unit: bool) -> None:
    if total == 0:
        st.caption(t("queue.empty"))
        return
    frame = unit_queue.queue_cases(loaders.engine(), scope, now, casework.sla_policy(), section=section)
    view = _case_rows(frame, now, with_unit=with_unit)
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={t("queue.col.case"): casework.case_link_column(t("queue.col.case"), pinned=True)},
        key=f"queue_{section}",
    )
    if len(frame) < total:
        st.caption(t("queue.more", shown=formats.number(len(frame), current_language()),
                     total=formats.number(total, current_language())))  # fmt: skip


def _urge_unit(user: dict[str, Any], code: str, name: str, overdue: int) -> None:
    """ "Đôn đốc" on the unit's whole overdue list (leaders and operators), sent through the unit's route."""
    with st.form(f"urge_unit_{code}"):
        st.markdown(markdown_text("queue.urge_title", unit=name, n=formats.number(overdue, current_language())))
        note = st.text_input(t("casepage.urge_note"), max_chars=500)
        sent = st.form_submit_button(t("casepage.urge_button"), type="primary")
    if not sent:
        return
    try:
        recorded = urges.urge(loaders.engine(), actor=casework.actor(user), unit_code=code, note=note)
    except CaseActionError as err:
        st.error(escape_markdown(err.text(current_language())))
        return
    st.success(f"{markdown_text('casepage.urged', unit=name)} {send_urge_now(recorded.id)}")


def _closed(scope: QueueScope, now: dt.datetime, *, with_unit: bool) -> None:
    """Cases closed in the last days, latest first: how each ended, whether on time, whether its result is public."""
    frame = unit_queue.closed_cases(loaders.engine(), scope, now)
    if frame.empty:
        st.caption(t("queue.empty"))
        return
    names = loaders.category_names(current_language())
    language, zone = current_language(), loaders.settings().timezone
    yes_no = {True: t("common.yes"), False: t("common.no"), None: "—"}
    view = pd.DataFrame({
        t("queue.col.case"): [casework.case_url(i) for i in frame["id"]],
        t("common.status"): [label("status", s) for s in frame["status"]],
        t("queue.col.title"): [formats.safe_text(v, language) for v in frame["title"]],
        t("queue.col.on_time"): [yes_no[v] for v in frame["on_time"]],
        t("queue.col.closed_at"): formats.local_times(frame["resolved_at"], language, zone),
        t("common.category"): [names[c] for c in frame["category_code"]],
        t("common.ward"): [formats.safe_text(v, language) for v in frame["ward_name"]],
        t("queue.col.public"): [yes_no[bool(v)] for v in frame["result_public"]],
    })  # fmt: skip
    if with_unit:
        view[t("common.unit")] = [formats.safe_text(v, language) for v in frame["unit_name"]]
    case_column = {t("queue.col.case"): casework.case_link_column(t("queue.col.case"), pinned=True)}
    st.dataframe(view, hide_index=True, width="stretch", key="queue_closed", column_config=case_column)


def _queue(scope: QueueScope, *, with_unit: bool, urge: tuple[dict[str, Any], str, str] | None = None) -> None:
    """The four sections as tabs, overdue first; ``urge`` (user, unit code, unit name) adds the urge form."""
    now = loaders.now_minute()
    counts = unit_queue.queue_counts(loaders.engine(), scope, now, casework.sla_policy())
    st.caption(t("queue.intro"))
    _list_urges(scope)
    order = ("overdue", "new", "due_soon", "in_progress")  # what needs a hand first
    tabs = st.tabs(
        [t("queue.tab", label=t(f"queue.section.{name}"), n=counts[name]) for name in order]
        + [t("queue.section.closed", days=unit_queue.CLOSED_DAYS)]
    )
    for tab, name in zip(tabs, order, strict=False):
        with tab:
            if name == "overdue" and urge is not None and counts[name]:
                _urge_unit(*urge, counts[name])
            _section(scope, name, counts[name], now, with_unit=with_unit)
    with tabs[-1]:
        _closed(scope, now, with_unit=with_unit)


def _unit_list(now: dt.datetime) -> None:
    """Every unit with open cases and its counts, each linked to its own queue (the staff's entry point)."""
    summary = unit_queue.unit_summary(loaders.engine(), now, casework.sla_policy())
    st.subheader(t("queue.all_units"))
    if summary.empty:
        st.success(t("queue.no_open"))
        return
    language = current_language()
    view = pd.DataFrame({
        t("queue.open_queue"): [f"/queue?unit={code}" for code in summary["code"]],
        t("common.unit"): summary["name"].astype(str),
        **{t(f"queue.section.{name}"): [formats.number(n, language) for n in summary[name]] for name in SECTIONS},
    })  # fmt: skip
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={t("queue.open_queue"): st.column_config.LinkColumn(display_text=r"/queue\?unit=(.+)")},
    )


def _staff_queue(user: dict[str, Any]) -> None:
    code = str(st.query_params.get("unit", "")).strip()
    if not code:
        st.title(t("queue.title"))
        _unit_list(loaders.now_minute())
        return
    found = unit_queue.unit_by_code(loaders.engine(), code)
    if found is None:
        st.title(t("queue.title"))
        st.error(markdown_text("queue.unknown_unit", code=code))
        _unit_list(loaders.now_minute())
        return
    unit_id, name = found
    st.title(markdown_text("queue.title_unit", unit=name))
    urge = (user, code, name) if user["role"] in URGE_ROLES else None
    _queue(QueueScope(unit_id=unit_id), with_unit=False, urge=urge)


def _unit_account_queue(user: dict[str, Any]) -> None:
    units = casework.viewer_units(user) or frozenset()
    st.title(t("queue.title"))
    if not units:
        st.warning(t("queue.no_units"))
        return
    names = unit_queue.units_of(loaders.engine(), units)["name"].astype(str)
    st.markdown(markdown_text("queue.units_line", units=", ".join(names)))
    _queue(QueueScope(units=units), with_unit=len(units) > 1)


def render() -> None:
    """Draw the queue of the signed-in unit, or of the unit a staff member picked."""
    user = auth.require_role(auth.CASE_ROLES)
    if casework.is_unit_account(user):
        _unit_account_queue(user)
    else:
        _staff_queue(user)


render()
