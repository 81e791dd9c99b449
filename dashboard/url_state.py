"""The shared case filter (district, ward, category, time range) kept in the URL so that it survives page
changes and reloads and can be shared as a link.

The filter lives in ``st.session_state[state.CASE_FILTER]`` and is mirrored into ``st.query_params`` on every run
(:func:`sync`, called by ``app.py``); a new browser session (a reload, a bookmark, a shared link) starts from the
URL. Pages draw their filter widgets through :func:`multiselect` and :func:`date_range`, which start from the
shared value and write changes back; the navigation links carry :func:`link_params`.

URL form: ``?district=Hoàn Kiếm&ward=00070&ward=00082&category=waste&from=2025-01-01&to=2025-12-31``.

The page language travels the same way as ``lang=en`` when it is not the configured default, so a reload or a
shared link opens in the language it was made in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import streamlit as st

from dashboard import state
from data.i18n import LANGUAGES

LIST_FIELDS = ("district", "ward", "category")
DATE_FIELDS = ("from", "to")
FIELDS = LIST_FIELDS + DATE_FIELDS
LANGUAGE_FIELD = "lang"
MAX_VALUES = 200
"""More values than this in one URL field are ignored (a crafted link cannot make a page build a huge query)."""


def _from_url() -> dict[str, Any]:
    shared: dict[str, Any] = {}
    for name in LIST_FIELDS:
        values = [v for v in st.query_params.get_all(name) if v][:MAX_VALUES]
        if values:
            shared[name] = values
    for name in DATE_FIELDS:
        day = parse_day(st.query_params.get(name))
        if day is not None:
            shared[name] = day.isoformat()
    return shared


def url_language() -> str | None:
    """The language a URL asks for (``?lang=en``), or None when absent or not one of :data:`LANGUAGES`."""
    wanted = st.query_params.get(LANGUAGE_FIELD)
    return wanted if wanted in LANGUAGES else None


def parse_day(text: str | None) -> dt.date | None:
    """An ISO date from the URL, or None when absent or malformed (a bad link falls back to the default)."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def shared_filter() -> dict[str, Any]:
    """The shared filter: ``{"district": [...], "ward": [...], "category": [...], "from": iso, "to": iso}``."""
    current = st.session_state.get(state.CASE_FILTER)
    if current is None:
        current = _from_url()
        st.session_state[state.CASE_FILTER] = current
    return current


def link_params() -> dict[str, str | list[str]]:
    """Query parameters that carry the shared filter (and a language other than the default) to another page."""
    params: dict[str, str | list[str]] = {name: value for name, value in shared_filter().items() if value}
    language = st.session_state.get(state.LANGUAGE)
    if language and language != st.session_state.get(state.DEFAULT_LANGUAGE):
        params[LANGUAGE_FIELD] = str(language)
    return params


def sync() -> None:
    """Write the shared filter and the page language into the URL (called once per run before the page draws)."""
    wanted = link_params()
    for name in (*FIELDS, LANGUAGE_FIELD):
        if name not in wanted and name in st.query_params:
            del st.query_params[name]
    for name, value in wanted.items():
        if (st.query_params.get_all(name) if isinstance(value, list) else st.query_params.get(name)) != value:
            st.query_params[name] = value


def _store(name: str, value: list[str] | str | None) -> None:
    current = dict(shared_filter())
    if value:
        current[name] = value
    else:
        current.pop(name, None)
    st.session_state[state.CASE_FILTER] = current
    sync()


def _on_list_change(name: str, key: str) -> None:
    _store(name, [str(v) for v in st.session_state[key]])


def multiselect(container: Any, name: str, label: str, options: Sequence[Any], **kwargs: Any) -> list[Any]:
    """``container.multiselect`` for a shared field (``district``, ``ward``, ``category``); values not among
    ``options`` (another boundary set, a stale link) are left out of the widget but kept in the URL."""
    key = f"url_state_{name}"
    allowed = {str(option): option for option in options}
    if key not in st.session_state:
        st.session_state[key] = [allowed[v] for v in shared_filter().get(name, []) if v in allowed]
    else:  # options can shrink (a district narrows the wards): keep what is still offered
        st.session_state[key] = [v for v in st.session_state[key] if str(v) in allowed]
    return container.multiselect(label, options, key=key, on_change=_on_list_change, args=(name, key), **kwargs)


def _on_range_change(key: str) -> None:
    value = st.session_state[key]
    if isinstance(value, tuple) and len(value) == 2:
        _store("from", value[0].isoformat())
        _store("to", value[1].isoformat())


def date_range(container: Any, label: str, default: tuple[dt.date, dt.date], **kwargs: Any) -> Any:
    """``container.date_input`` for the shared time range (``from`` .. ``to``, both included)."""
    key = "url_state_period"
    if key not in st.session_state:
        shared = shared_filter()
        start = parse_day(shared.get("from")) or default[0]
        end = parse_day(shared.get("to")) or default[1]
        st.session_state[key] = (start, end) if start <= end else default
    return container.date_input(label, key=key, on_change=_on_range_change, args=(key,), **kwargs)
