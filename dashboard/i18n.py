"""The dashboard's view of the catalogue in :mod:`data.i18n`: strings in the session's language."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from data.i18n import LANGUAGES, STRINGS, label_in, translate

__all__ = ["LANGUAGES", "STRINGS", "current_language", "label", "t", "translate"]


def current_language() -> str:
    """The session's UI language (``vi`` unless the user switched)."""
    return str(st.session_state.get(state.LANGUAGE, "vi"))


def t(key: str, **values: object) -> str:
    """The string ``key`` in the session's language."""
    return translate(key, current_language(), **values)


def label(group: str, code: object) -> str:
    """A display label for a data code (status, role…): ``group.code`` when known, else the code itself."""
    return label_in(group, code, current_language())
