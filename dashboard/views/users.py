"""Người dùng (operators only): list users, add a user, reset a password."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, loaders
from dashboard.i18n import label, t
from data.users import ROLES, create_user, list_users, set_password


def render() -> None:
    """Draw the user administration page."""
    auth.require_role(auth.OPERATOR_ONLY)
    st.title(t("users.title"))
    engine = loaders.engine()
    users = list_users(engine)
    st.dataframe(
        [
            {t("col.username"): u.username, t("col.role"): label("role", u.role), t("col.active"): u.active}
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )
    with st.form("add_user", clear_on_submit=True):
        st.subheader(t("users.add"))
        name = st.text_input(t("login.username"))
        role = st.selectbox(t("col.role"), ROLES, format_func=lambda r: label("role", r))
        password = st.text_input(t("login.password"), type="password")
        if st.form_submit_button(t("users.add_submit")):
            try:
                create_user(engine, name, password, role)
                st.success(t("users.added", name=name))
            except ValueError as err:
                st.error(str(err))
    with st.form("reset_password", clear_on_submit=True):
        st.subheader(t("users.reset"))
        who = st.selectbox(t("login.username"), [u.username for u in users])
        password = st.text_input(t("users.new_password"), type="password")
        if st.form_submit_button(t("users.reset_submit")) and who:
            try:
                set_password(engine, who, password)
                st.success(t("users.reset_done", name=who))
            except ValueError as err:
                st.error(str(err))


render()
