"""The envmon dashboard entry point: page config, shared sidebar, navigation.

Run from the repository root: ``python -m streamlit run dashboard/app.py`` (``-m`` puts the repository on
``sys.path`` so ``data``, ``geo`` and ``monitoring`` import).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run dashboard/app.py` without -m only adds dashboard/
    sys.path.insert(0, str(REPO_ROOT))

from dashboard import auth, components, loaders, state  # noqa: E402
from dashboard.i18n import LANGUAGES, t  # noqa: E402
from data.db import DatabaseUnavailableError, schema_revision  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"
STATIC = Path(__file__).resolve().parent / "static"

st.set_page_config(page_title="envmon · Hà Nội", page_icon=str(STATIC / "envmon-icon.png"), layout="wide")
state.init_state(st.session_state, loaders.settings().language)


def _sidebar() -> None:
    with st.sidebar:
        st.radio(
            "Ngôn ngữ / Language",
            list(LANGUAGES),
            key=state.LANGUAGE,
            horizontal=True,
            format_func=lambda code: LANGUAGES[code],
        )
        user = auth.current_user()
        if user is None:
            st.caption(t("sidebar.public"))
        else:
            st.markdown(t("sidebar.signed_in", name=user["username"], role=t(f"role.{user['role']}")))
            st.button(t("sidebar.logout"), on_click=auth.logout)
        components.feed_banner()


def _pages() -> list[st.Page]:
    pages = [
        st.Page(VIEWS / "air.py", title=t("nav.air"), url_path="air", default=True),
        st.Page(VIEWS / "overview.py", title=t("nav.overview"), url_path="overview"),
        st.Page(VIEWS / "analysis.py", title=t("nav.analysis"), url_path="analysis"),
        st.Page(VIEWS / "alerts.py", title=t("nav.alerts"), url_path="alerts"),
        st.Page(VIEWS / "stations.py", title=t("nav.stations"), url_path="stations"),
        st.Page(VIEWS / "imports.py", title=t("nav.import"), url_path="import"),
    ]
    if auth.has_role(auth.OPERATOR_ONLY):
        pages.append(st.Page(VIEWS / "users.py", title=t("nav.users"), url_path="users"))
    return pages


try:
    revision = schema_revision(loaders.engine())
except DatabaseUnavailableError as err:
    st.error(t("app.database_unavailable", error=str(err)))
    st.stop()
if revision is None:
    st.error(t("app.not_initialised"))
    st.stop()

_sidebar()
st.navigation(_pages()).run()
