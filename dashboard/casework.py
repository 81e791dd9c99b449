"""Shared pieces of the case-work pages (queue, case): the SLA policy, the viewer's unit scope, links to a case,
the queue counts of the sidebar and the clock in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import loaders, maps
from dashboard.i18n import current_language, t
from data.case_actions import Actor
from data.i18n import formats
from data.media import MediaStore, media_store
from data.sla import SlaPolicy, load_sla_policy
from data.unit_queue import QueueScope, clock_text, queue_counts
from data.users import UNIT_ROLE, unit_scope

CASE_PAGE = "views/case.py"
QUEUE_PAGE = "views/queue.py"


@st.cache_resource(show_spinner=False)
def sla_policy() -> SlaPolicy:
    """The working calendar and deadlines (``sla.toml`` of the settings), read once per server process."""
    settings = loaders.settings()
    return load_sla_policy(settings.config_path("sla"), settings.timezone)


def viewer_units(user: dict[str, Any]) -> frozenset[int] | None:
    """The responsible-unit ids whose cases ``user`` may see, read from the database on every run (None: all)."""
    return unit_scope(loaders.engine(), int(user["id"]))


def is_unit_account(user: dict[str, Any] | None) -> bool:
    """True for a responsible unit's account (it sees its own cases only)."""
    return user is not None and user["role"] == UNIT_ROLE


def case_url(case_id: object) -> str:
    """The case page's address, ``/case?id=N`` (deep-linkable; what every case row, popup and alert links to)."""
    return maps.CASE_URL.format(id=int(case_id))  # type: ignore[call-overload]


CASE_LINK_DISPLAY = r"/case\?id=(\d+)"
"""``st.column_config.LinkColumn(display_text=...)``: a link column of :func:`case_url` values shows the id."""


def case_link_column(label: str, *, pinned: bool = False) -> Any:
    """A table column of :func:`case_url` values, shown as the case number and opened on click; ``pinned`` keeps
    it in view while the rest of the grid scrolls sideways (a work list on a phone)."""
    return st.column_config.LinkColumn(label, display_text=CASE_LINK_DISPLAY, width="small", pinned=pinned or None)


def sidebar_queue(user: dict[str, Any]) -> None:
    """The unit account's open cases per queue section, in the sidebar (counted in the database on every run)."""
    scope = QueueScope(units=viewer_units(user))
    counts = queue_counts(loaders.engine(), scope, loaders.now_minute(), sla_policy())
    language = current_language()
    st.markdown(t("queue.sidebar_counts", **{name: formats.number(n, language) for name, n in counts.items()}))


def clock(deadline: object, hours_left: object, now: dt.datetime) -> str:
    """The SLA clock in words in the session language (``còn 3 giờ làm việc`` / ``quá hạn 2 ngày``)."""
    return clock_text(deadline, hours_left, now, current_language())


def clocks(frame: pd.DataFrame, now: dt.datetime) -> list[str]:
    """:func:`clock` of every row of a frame with ``deadline`` and ``hours_left``."""
    return [clock(d, h, now) for d, h in zip(frame["deadline"], frame["hours_left"], strict=True)]


def media_dir() -> MediaStore:
    """Where the case files are stored (the media settings: ``var/media`` by default, or a bucket)."""
    return media_store(loaders.settings())


def actor(user: dict[str, Any]) -> Actor:
    """The signed-in user as the case actions see them: name, role and unit scope (read now, not cached)."""
    return Actor(str(user["username"]), str(user["role"]), viewer_units(user))
