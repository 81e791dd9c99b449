"""Login, logout, sessions that survive reloads and new tabs, and role checks for the protected pages.

Every run starts with :func:`refresh`: the browser session's server-side session (``data.sessions``) is looked up
— by the id kept in ``st.session_state`` or, in a new tab or after a reload, by the ``envmon_session`` cookie —
and the user's *current* role, state and units are read from the database. A revoked, expired, idle or
deactivated session leaves the tab logged out at its next interaction.

The cookie is HttpOnly, so Python sets it through the app's own HTTP route (``dashboard.server``): after a login
a tiny component posts the one-time handoff code there; after a logout it asks the route to clear the cookie.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import streamlit as st

from dashboard import loaders, state
from dashboard.i18n import t
from dashboard.server import COOKIE, SESSION_PATH
from data import sessions
from data.users import LOCKOUT, MAX_FAILED_LOGINS, UNIT_ROLE, verify_password

STAFF_ROLES = ("leader", "analyst", "operator")
ALL_ROLES = STAFF_ROLES
"""The roles of the department's staff pages (a ``unit`` account sees only its own cases, on its own pages)."""
OPERATOR_ONLY = ("operator",)
UNIT_ONLY = (UNIT_ROLE,)
CASE_ROLES = (*STAFF_ROLES, UNIT_ROLE)
"""Who may open the case-work pages (queue, case): the staff, and a unit account for its own units' cases."""

_COOKIE_JS = f"""
const done = new Set();
export default function (component) {{
    const action = component.data || {{}};
    const id = action.kind + ":" + (action.code || "");
    if (!action.kind || done.has(id)) return;
    done.add(id);
    fetch("{SESSION_PATH}", {{
        method: action.kind === "set" ? "POST" : "DELETE",
        body: action.kind === "set" ? action.code : null,
        credentials: "same-origin",
        cache: "no-store",
    }});
}}
"""
_cookie_component = st.components.v2.component("envmon_session_cookie", js=_COOKIE_JS)


def _policy() -> sessions.SessionPolicy:
    return sessions.SessionPolicy.from_settings(loaders.settings())


def refresh(*, touch: bool = True) -> dict[str, Any] | None:
    """Resolve this browser's session for the current run and store the user (or None) in the session state.

    ``touch=False``: check without counting the run as activity (for automatic refreshes, see :func:`recheck`).
    """
    engine = loaders.engine()
    session_id = st.session_state.get(state.SESSION_ID)
    found = None
    if session_id is not None:
        found = sessions.resolve(engine, _policy(), session_id=session_id, touch=touch)
        if found is None:
            st.session_state[state.SESSION_ENDED] = True
            st.session_state[state.COOKIE_ACTION] = ("clear", "")
    else:
        token = st.context.cookies.get(COOKIE)
        if isinstance(token, str) and token and token != st.session_state.get(state.COOKIE_CHECKED):
            st.session_state[state.COOKIE_CHECKED] = token  # a stale cookie is tried once, not on every run
            found = sessions.resolve(engine, _policy(), token=token)
            if found is None:
                st.session_state[state.COOKIE_ACTION] = ("clear", "")
    _remember(found)
    return st.session_state[state.USER]


def _remember(found: sessions.SessionUser | None) -> None:
    st.session_state[state.SESSION_ID] = None if found is None else found.session_id
    st.session_state[state.USER] = (
        None
        if found is None
        else {"id": found.user_id, "username": found.username, "role": found.role, "units": list(found.units)}
    )


def cookie_sync() -> None:
    """Draw the invisible component that sets or clears the session cookie, when a login or logout asked for it."""
    action = st.session_state.get(state.COOKIE_ACTION)
    if action is None:
        return
    kind, code = action
    _cookie_component(data={"kind": kind, "code": code}, key=f"envmon_cookie_{kind}", height=0)
    st.session_state[state.COOKIE_ACTION] = None


def current_user() -> dict[str, Any] | None:
    """``{"id", "username", "role", "units"}`` of the logged-in user (as of this run), or None."""
    return st.session_state.get(state.USER)


def has_role(roles: Collection[str]) -> bool:
    """True when someone is logged in with one of ``roles``."""
    user = current_user()
    return user is not None and user["role"] in roles


def login_form(*, heading: bool = True) -> None:
    """Username, password and a submit button; on success a session starts and the page reruns."""
    if st.session_state.get(state.SESSION_ENDED):
        st.warning(t("session.ended"))
    with st.form("login", clear_on_submit=False):
        if heading:
            st.subheader(t("login.title"))
        username = st.text_input(t("login.username"), key="login_username")
        password = st.text_input(t("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        engine = loaders.engine()
        user = verify_password(engine, username, password) if username and password else None
        if user is None:
            st.error(t("login.failed", n=MAX_FAILED_LOGINS, minutes=int(LOCKOUT.total_seconds() // 60)))
            return
        session_id, code = sessions.start(engine, user.id, _policy())
        _remember(sessions.resolve(engine, _policy(), session_id=session_id))
        st.session_state[state.SESSION_ENDED] = False
        st.session_state[state.COOKIE_ACTION] = ("set", code)
        st.session_state.pop("login_password", None)
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


def recheck(roles: Collection[str] = ALL_ROLES) -> dict[str, Any]:
    """The user, re-read from the database, for the body of an ``st.fragment``.

    A fragment's rerun (its own buttons, ``run_every``) skips ``app.py`` and so :func:`refresh`: a fragment that
    shows data or offers actions calls this first. When the session ended or the role no longer allows
    ``roles``, the whole app reruns (and shows the login form or the refusal). Automatic refreshes do not count as
    activity, so an open page that refreshes itself still reaches the idle timeout.
    """
    user = refresh(touch=False)
    if user is None or user["role"] not in roles:
        st.rerun(scope="app")
    return user


def login_page() -> None:
    """The ``/login`` page: the form, or who is signed in."""
    st.title(t("login.title"))
    user = current_user()
    if user is None:
        st.caption(t("login.page_intro"))
        login_form(heading=False)
    else:
        st.success(t("login.done", name=user["username"], role=t(f"role.{user['role']}")))


def logout() -> None:
    """End this browser's session everywhere it is open and clear the cookie."""
    sessions.end(loaders.engine(), session_id=st.session_state.get(state.SESSION_ID))
    _remember(None)
    st.session_state[state.SESSION_ENDED] = False
    st.session_state[state.COOKIE_ACTION] = ("clear", "")
