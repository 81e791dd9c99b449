"""The demo city lives: poll rounds bring new reports and the units' work, the overdue share stays 10–25 %."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.demo_city import advance_demo_city, is_demo_database
from data.demo_complaints import build_demo_complaints
from data.routing import seed_routing
from data.schema import CaseStatusChange, ComplaintReport
from tests.data.test_complaints_demo import BUILD_TIMES, _frame, assert_functioning_city


@pytest.fixture(autouse=True)
def _media_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The demo stores its synthetic "after" photo: in the test's folder, not the working tree's var/."""
    monkeypatch.setenv("ENVMON_MEDIA_DIR", str(tmp_path / "media"))


def _reports(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(ComplaintReport.external_id, ComplaintReport.source)).all())


def test_a_database_without_the_demo_is_never_touched(loaded_engine: Engine) -> None:
    seed_routing(loaded_engine)
    assert not is_demo_database(loaded_engine)
    assert advance_demo_city(loaded_engine, BUILD_TIMES["weekday-morning"]) == {}
    assert _reports(loaded_engine).empty


@pytest.mark.slow
def test_rounds_over_three_days_keep_the_city_functioning(sqlite_engine: Engine) -> None:
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(sqlite_engine)
    seed_routing(sqlite_engine)
    start = BUILD_TIMES["friday-evening"]
    build_demo_complaints(sqlite_engine, now=start, n_reports=6000)
    built = len(_reports(sqlite_engine))
    moment, arrived, handled = start, 0, 0
    while moment < start + dt.timedelta(days=3):
        moment += dt.timedelta(minutes=30)  # a poll round every half hour (the poller: every 5 minutes)
        step = advance_demo_city(sqlite_engine, moment)
        arrived, handled = arrived + step["reports"], handled + step["actions"]
        if moment.minute == 0 and moment.hour % 6 == 0:
            assert_functioning_city(sqlite_engine, moment)
    reports = _reports(sqlite_engine)
    assert len(reports) == built + arrived and reports["external_id"].is_unique
    assert set(reports["source"]) == {"demo-synthetic"}
    assert 30 <= arrived <= 70 and handled > 50  # ~15 reports a day; Monday's work
    history = _frame(sqlite_engine, CaseStatusChange)
    assert not history.duplicated(["case_id", "to_status", "at"]).any()
    again = advance_demo_city(sqlite_engine, moment)  # the same round again adds nothing
    assert (again["reports"], again["actions"]) == (0, 0)
