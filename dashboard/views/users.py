"""Người dùng (operators only): accounts, adding one, changing one (state, role, units, password), audit log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders
from dashboard.i18n import current_language, label, t
from data.audit import AuditRecord, recent
from data.users import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    UNIT_ROLE,
    AccountError,
    UserInfo,
    create_user,
    list_users,
    set_active,
    set_password,
    set_role,
    set_units,
    unit_names,
)

ACTIONS = ("deactivate", "activate", "role", "units", "password")


def _accounts(users: list[UserInfo], units: dict[str, str]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                t("col.username"): [u.username for u in users],
                t("col.role"): [label("role", u.role) for u in users],
                t("col.active"): [u.active for u in users],
                t("col.units"): [", ".join(units.get(code, code) for code in u.units) for u in users],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _add(actor: str, units: dict[str, str]) -> None:
    with st.form("add_user", clear_on_submit=True):
        st.subheader(t("users.add"))
        st.caption(t("users.password_rules", n=MIN_PASSWORD_LENGTH))
        name = st.text_input(t("login.username"))
        role = st.selectbox(t("col.role"), ROLES, format_func=lambda r: label("role", r))
        chosen = st.multiselect(t("users.units"), list(units), format_func=units.get, placeholder=t("common.choose"))
        password = st.text_input(t("login.password"), type="password")
        if st.form_submit_button(t("users.add_submit")):
            try:
                user = create_user(loaders.engine(), name, password, role, units=chosen, actor=actor)
            except AccountError as err:
                st.error(err.text(current_language()))
            else:
                st.success(t("users.added", name=user.username))


def _change(actor: str, users: list[UserInfo], units: dict[str, str]) -> None:
    with st.form("change_user", clear_on_submit=True):
        st.subheader(t("users.manage"))
        left, right = st.columns(2)
        who = left.selectbox(t("users.who"), [u.username for u in users])
        action = right.selectbox(t("users.action"), ACTIONS, format_func=lambda a: t(f"users.action.{a}"))
        role = left.selectbox(t("col.role"), ROLES, format_func=lambda r: label("role", r))
        chosen = right.multiselect(t("users.units"), list(units), format_func=units.get, placeholder=t("common.choose"))
        password = st.text_input(t("users.new_password"), type="password")
        if st.form_submit_button(t("users.apply")) and who:
            engine = loaders.engine()
            try:
                if action in ("deactivate", "activate"):
                    ended = set_active(engine, who, action == "activate", actor=actor)
                elif action == "role":
                    ended = set_role(engine, who, role, units=chosen if role == UNIT_ROLE else (), actor=actor)
                elif action == "units":
                    ended = 0
                    set_units(engine, who, chosen, actor=actor)
                else:
                    ended = set_password(engine, who, password, actor=actor)
            except AccountError as err:
                st.error(err.text(current_language()))
            else:
                st.success(t(f"users.done.{action}", name=who, n=ended))


def _detail(entry: AuditRecord) -> str:
    """The entry's parameters as a short text in the reader's language (role labels, unit codes, sessions)."""
    detail = entry.detail
    parts = []
    if "role" in detail:
        parts.append(t("audit.detail.role", role=label("role", detail["role"])))
    if entry.action == "user.role":
        before, after = label("role", detail.get("before")), label("role", detail.get("after"))
        parts.append(t("audit.detail.change", before=before, after=after))
    units = detail.get("after") if entry.action == "user.units" else detail.get("units")
    if units:
        parts.append(t("audit.detail.units", units=", ".join(units)))
    if detail.get("sessions_ended"):
        parts.append(t("audit.detail.sessions_ended", n=detail["sessions_ended"]))
    return "; ".join(parts)


def _audit_log() -> None:
    st.subheader(t("users.audit"))
    entries = recent(loaders.engine())
    if not entries:
        st.caption(t("users.audit_empty"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("col.audit_at"): components.local_time_texts([e.at for e in entries]),
                t("col.audit_actor"): [label("audit.actor", e.actor) for e in entries],
                t("col.audit_action"): [t(f"audit.{e.action}") for e in entries],
                t("col.audit_target"): [e.target for e in entries],
                t("col.audit_detail"): [_detail(e) for e in entries],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def render() -> None:
    """Draw the user administration page."""
    actor = auth.require_role(auth.OPERATOR_ONLY)["username"]
    st.title(t("users.title"))
    engine = loaders.engine()
    users = list_users(engine)
    units = unit_names(engine)
    _accounts(users, units)
    _add(actor, units)
    _change(actor, users, units)
    _audit_log()


render()
