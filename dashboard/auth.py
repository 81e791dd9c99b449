"""Login, logout and role checks for the protected pages (passwords checked by ``data.users``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import streamlit as st

from dashboard import loaders, state
from dashboard.i18n import t
from data.users import LOCKOUT, MAX_FAILED_LOGINS, verify_password

ALL_ROLES = ("leader", "analyst", "operator")
OPERATOR_ONLY = ("operator",)


def current_user() -> dict[str, Any] | None:
    """``{"username", "role"}`` of the logged-in user, or None."""
    return st.session_state.get(state.USER)


def has_role(roles: Collection[str]) -> bool:
    """True when someone is logged in with one of ``roles``."""
    user = current_user()
    return user is not None and user["role"] in roles


def login_form() -> None:
    """Username, password and a submit button; on success the user is stored and the page reruns."""
    with st.form("login", clear_on_submit=False):
        st.subheader(t("login.title"))
        username = st.text_input(t("login.username"), key="login_username")
        password = st.text_input(t("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        user = verify_password(loaders.engine(), username, password) if username and password else None
        if user is None:
            st.error(t("login.failed", n=MAX_FAILED_LOGINS, minutes=int(LOCKOUT.total_seconds() // 60)))
            return
        st.session_state[state.USER] = {"username": user.username, "role": user.role}
        st.rerun()


def require_role(roles: Collection[str] = ALL_ROLES) -> dict[str, Any]:
    """The logged-in user if their role is in ``roles``; otherwise show the login form (or a refusal) and stop."""
    user = current_user()
    if user is None:
        st.info(t("login.required"))
        login_form()
        st.stop()
    if user["role"] not in roles:
        st.warning(t("login.forbidden", role=t(f"role.{user['role']}")))
        st.stop()
    return user


def logout() -> None:
    """Forget the logged-in user."""
    st.session_state[state.USER] = None
