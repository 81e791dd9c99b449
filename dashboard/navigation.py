"""The app's pages, who may open them, the shared sidebar and one run of the app (``dashboard/app.py`` calls
:func:`main` on every page run).

Every page is registered on every run, so each has a stable URL that works when opened directly (``/air``,
``/users``…); a page the visitor may not open shows the login form or a refusal, and the sidebar lists only the
pages the signed-in role may open (:data:`PAGES`). Streamlit serves its default page only at ``/``, so the default
page is a small redirect to ``/air`` and no real page is the default (``/air`` used to say "Page not found").

This is a module, imported once per process, rather than the body of ``app.py``, which Streamlit executes again
on every page run of every session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard import auth, casework, components, loaders, state, url_state
from dashboard.i18n import LANGUAGES, t
from dashboard.markup import markdown_text
from data.db import DatabaseUnavailableError, schema_revision

VIEWS = Path(__file__).resolve().parent / "views"
FAVICON = "/app/static/envmon-icon.png"  # dashboard/static/, served by Streamlit (not read and hashed every run)


@dataclass(frozen=True)
class PageSpec:
    """A page of the app: its script (or function), stable URL path, title key and who may open it."""

    target: Path | Callable[[], None]
    url_path: str
    title_key: str
    roles: tuple[str, ...] | None  # None: everyone, signed in or not
    signed_out_only: bool = False
    in_menu: bool = True  # a detail page (one alert) is reached by its links, not from the sidebar


PAGES: tuple[PageSpec, ...] = (
    PageSpec(VIEWS / "air.py", "air", "nav.air", None),
    PageSpec(VIEWS / "overview.py", "overview", "nav.overview", auth.STAFF_ROLES),
    PageSpec(VIEWS / "analysis.py", "analysis", "nav.analysis", auth.STAFF_ROLES),
    PageSpec(VIEWS / "alerts.py", "alerts", "nav.alerts", auth.STAFF_ROLES),
    PageSpec(VIEWS / "alert.py", "alert", "nav.alert", auth.STAFF_ROLES, in_menu=False),
    PageSpec(VIEWS / "queue.py", "queue", "nav.queue", auth.CASE_ROLES),
    PageSpec(VIEWS / "case.py", "case", "nav.case", auth.CASE_ROLES, in_menu=False),
    PageSpec(VIEWS / "scorecard.py", "scorecard", "nav.scorecard", auth.STAFF_ROLES),
    PageSpec(VIEWS / "results.py", "results", "nav.results", None),
    PageSpec(VIEWS / "stations.py", "stations", "nav.stations", auth.STAFF_ROLES),
    PageSpec(VIEWS / "imports.py", "import", "nav.import", auth.OPERATOR_ONLY),
    PageSpec(VIEWS / "users.py", "users", "nav.users", auth.OPERATOR_ONLY),
    PageSpec(auth.login_page, "login", "nav.login", None, signed_out_only=True),
)


def may_open(spec: PageSpec, role: str | None) -> bool:
    """Whether the sidebar offers ``spec`` to a visitor with ``role`` (None: not signed in)."""
    if spec.signed_out_only:
        return role is None
    return spec.roles is None or role in spec.roles


def _database_ready() -> bool:
    try:
        revision = schema_revision(loaders.engine())
    except DatabaseUnavailableError as err:
        st.error(t("app.database_unavailable", error=str(err)))
        return False
    if revision is None:
        st.error(t("app.not_initialised"))
        return False
    return True


def _sidebar(pages: dict[str, st.Page]) -> None:
    user = auth.current_user()
    role = None if user is None else user["role"]
    with st.sidebar:
        st.radio(
            "Ngôn ngữ / Language",
            list(LANGUAGES),
            key=state.LANGUAGE,
            horizontal=True,
            format_func=lambda code: LANGUAGES[code],
        )
        params = url_state.link_params()
        for spec in PAGES:
            if spec.in_menu and may_open(spec, role):
                st.page_link(pages[spec.url_path], query_params=params or None)
        if user is None:
            st.caption(t("sidebar.public"))
        else:
            st.markdown(markdown_text("sidebar.signed_in", name=user["username"], role=t(f"role.{user['role']}")))
            if casework.is_unit_account(user):
                casework.sidebar_queue(user)
            st.button(t("sidebar.logout"), on_click=auth.logout)
        auth.cookie_sync()
        components.feed_banner()


def main() -> None:
    """One run of the app: page config, session, sidebar, then the page the URL names."""
    st.set_page_config(page_title="envmon · Hà Nội", page_icon=FAVICON, layout="wide")
    state.init_state(st.session_state, loaders.settings().language, asked=url_state.url_language())
    if not _database_ready():
        st.stop()
    auth.refresh()
    default, pages = _session_pages(st.session_state[state.LANGUAGE])
    url_state.sync()
    _sidebar(pages)
    st.navigation([default, *pages.values()], position="hidden").run()


def _session_pages(language: str) -> tuple[st.Page, dict[str, st.Page]]:
    """The default page and every page by URL path, titled in ``language``: made once per session and
    language (making them resolves every script's path on disk). Never shared between sessions: a page
    object carries the run state ``st.navigation`` gives it."""
    made = st.session_state.setdefault(state.PAGES, {})
    if language not in made:
        pages = {spec.url_path: st.Page(spec.target, title=t(spec.title_key), url_path=spec.url_path)
                 for spec in PAGES}  # fmt: skip

        def home() -> None:  # "/" (Streamlit serves a default page only there): go to the public page's URL
            unit = casework.is_unit_account(auth.current_user())
            start = "queue" if unit else PAGES[0].url_path  # a unit account: its queue
            st.switch_page(pages[start], query_params=url_state.link_params() or None)

        made[language] = (st.Page(home, title=t(PAGES[0].title_key), default=True), pages)
    return made[language]
