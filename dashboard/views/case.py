"""Vụ việc (``/case?id=N``): one case — where, what was reported, every file, the written record, the SLA clock,
the unit and how it was routed, station evidence, nearby cases, urges — and the actions the viewer may take.

The case is read through ``data.case_detail.load_case`` with the viewer's unit scope: a unit opening another
unit's case gets the same "not found" as for an id that does not exist.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, case_forms, case_widgets, casework, loaders
from dashboard.i18n import current_language, t
from dashboard.markup import escape_markdown, markdown_text
from data.case_actions import CaseNotFoundError
from data.case_detail import load_case

# Who sees a reporter's name and phone: the intake desk that may have to call back (as Hue-S's IOC does);
# handling units, leaders and analysts work without them. (A comment: a bare string here would be drawn.)
PERSONAL_DATA_ROLES = ("operator",)


def _case_id() -> int | None:
    raw = str(st.query_params.get("id", "")).strip().removeprefix("#")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _not_found(raw: object) -> None:
    st.title(t("nav.case"))
    st.error(markdown_text("casepage.not_found", id=raw or "—"))
    st.page_link(casework.QUEUE_PAGE, label=t("casepage.back"))


def render() -> None:
    """Draw one case for the signed-in viewer."""
    user = auth.require_role(auth.CASE_ROLES)
    actor = casework.actor(user)
    case_id = _case_id()
    if case_id is None:
        _not_found(st.query_params.get("id", ""))
        return
    now = loaders.now_minute()
    try:
        detail = load_case(
            loaders.engine(),
            case_id,
            actor=actor,
            now=now,
            policy=casework.sla_policy(),
            include_personal=actor.role in PERSONAL_DATA_ROLES,
        )
    except CaseNotFoundError as err:
        st.title(t("nav.case"))
        st.error(escape_markdown(err.text(current_language())))
        st.page_link(casework.QUEUE_PAGE, label=t("casepage.back"))
        return
    st.page_link(casework.QUEUE_PAGE, label=t("casepage.back"))
    st.title(markdown_text("casepage.heading", id=detail.id, title=detail.title or t("casepage.untitled")))
    case_forms.show_flash(detail.id)
    case_widgets.status_line(detail, now)
    left, right = st.columns([3, 2])
    with left:
        case_widgets.facts(detail)
    with right:
        case_widgets.location_map(detail)
    case_forms.actions(detail, actor)
    case_forms.urge(detail, actor)
    case_forms.review(detail, actor)
    case_widgets.reports(detail, personal=actor.role in PERSONAL_DATA_ROLES)
    case_widgets.files(detail)
    case_widgets.timeline(detail)
    case_widgets.urges(detail)
    case_widgets.corroboration(detail)
    case_widgets.nearby(detail)
    case_forms.remember_version(detail)


render()
