"""The hotspot family reuses cases and spots while complaints are unchanged, and sees every change at once."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from sqlalchemy import Engine

from data.db import transaction
from data.schema import ComplaintCase
from monitoring import hotspot_signals as module
from monitoring.hotspot_signals import RULE_NEW_SPOT, hotspot_signals

NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


def _add_cases(engine: Engine, days_ago: list[float], lat: float = 21.0288, lon: float = 105.8523) -> None:
    with transaction(engine) as session:
        for days in days_ago:
            when = NOW - dt.timedelta(days=days)
            session.add(
                ComplaintCase(category_code="waste", lat=lat, lon=lon, ward_code="00070", set_name="hanoi-2025",
                              opened_at=when, last_report_at=when)
            )  # fmt: skip


def _spots(engine: Engine, now: dt.datetime) -> dict[str, tuple[bool | None, float | None, str]]:
    """Per ward: active or not, how many active spots, reports of the largest one."""
    return {s.subject: (s.condition, s.value, s.labels["largest_count"]) for s in hotspot_signals(engine, now)
            if s.rule_id == RULE_NEW_SPOT}  # fmt: skip


def test_unchanged_complaints_are_neither_reloaded_nor_searched_again(loaded_engine: Engine) -> None:
    module._memos.clear()
    _add_cases(loaded_engine, [1, 2, 3, 4, 6])
    with (
        mock.patch.object(module, "load_complaint_cases", wraps=module.load_complaint_cases) as load,
        mock.patch.object(module, "find_spots", wraps=module.find_spots) as search,
    ):
        first = _spots(loaded_engine, NOW)
        later = _spots(loaded_engine, NOW + dt.timedelta(minutes=5))
        assert (load.call_count, search.call_count) == (1, 1)
        assert first == later == {"ward:00070": (True, 1.0, "5")}

        _add_cases(loaded_engine, [0.5])  # a new report: the next evaluation sees it
        assert _spots(loaded_engine, NOW + dt.timedelta(minutes=10)) == {"ward:00070": (True, 1.0, "6")}
        assert (load.call_count, search.call_count) == (2, 2)


def test_the_clock_still_moves_the_activity_and_the_window(loaded_engine: Engine) -> None:
    module._memos.clear()
    _add_cases(loaded_engine, [40, 41, 42, 43, 44])
    quiet = {"ward:00070": (False, 0.0, "5")}  # last report 40 days ago: beyond the 30-day window
    assert _spots(loaded_engine, NOW) == quiet
    assert _spots(loaded_engine, NOW - dt.timedelta(days=20)) == {"ward:00070": (True, 1.0, "5")}
    assert _spots(loaded_engine, NOW) == quiet
    assert _spots(loaded_engine, NOW - dt.timedelta(days=50)) == {}  # before the reports: no spot yet
