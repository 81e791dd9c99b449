"""Session-state keys of the dashboard, in one place, initialised once per browser session."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

LANGUAGE = "envmon_language"  # "vi" | "en"
DEFAULT_LANGUAGE = "envmon_default_language"  # the configured UI language; another one is kept in the URL
USER = "envmon_user"  # dict(id, username, role, units) of the live session, re-read every run; else None
SESSION_ID = "envmon_session_id"  # id of this browser's row in user_sessions (data.sessions), else None
SESSION_ENDED = "envmon_session_ended"  # True once after the session ended under an open tab (shows why)
COOKIE_CHECKED = "envmon_cookie_checked"  # the cookie token already tried in this browser session
COOKIE_ACTION = "envmon_cookie_action"  # ("set", handoff code) or ("clear", "") for the cookie component
CASE_FILTER = "envmon_case_filter"  # the shared case filter, mirrored in the URL (dashboard.url_state)
AQI_SCALE = "envmon_aqi_scale"  # "vn" | "us" on the public page
AIR_STATION = "envmon_air_station"  # station chosen on the public page
AIR_WARD = "envmon_air_ward"  # ward chosen on the public page
AIR_LANGUAGE = "envmon_air_language"  # the public page's own language switch, mirrored into LANGUAGE
MAP_METRIC = "envmon_map_metric"  # "count" | "rate" for the ward choropleth
ANALYSIS_METRIC = "envmon_analysis_metric"  # the same choice on the analysis page
IMPORT_RESULT = "envmon_import_result"  # summary of the last upload on the import page
OVERDUE_CASES_OPEN = "envmon_overdue_cases_open"  # the overview's expander of overdue cases is open
PAGES = "envmon_pages"  # this session's page objects per language (dashboard/app.py)

DEFAULTS: dict[str, Any] = {
    USER: None,
    SESSION_ID: None,
    SESSION_ENDED: False,
    COOKIE_CHECKED: None,
    COOKIE_ACTION: None,
    AQI_SCALE: "vn",
    MAP_METRIC: "count",
    ANALYSIS_METRIC: "count",
    IMPORT_RESULT: None,
}


def init_state(state: MutableMapping[str, Any], language: str = "vi", *, asked: str | None = None) -> None:
    """Set every key that is not set yet (``language`` is the configured default UI language, ``asked`` the one
    the URL asks for)."""
    state.setdefault(DEFAULT_LANGUAGE, language)
    state.setdefault(LANGUAGE, asked or language)
    for key, value in DEFAULTS.items():
        state.setdefault(key, value)
