"""Aggregates the leaders' page computes in the database: median, located cases for spots, data version."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from data import queries
from data.case_filter import CaseFilter
from data.case_points import load_complaint_cases
from data.schema import CaseStatusChange, ComplaintCase

NOW = dt.datetime(2025, 9, 20, 3, 0, tzinfo=dt.UTC)


def _case(opened: dt.datetime, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "category_code": "waste",
        "lat": 21.03,
        "lon": 105.85,
        "set_name": "hanoi-2025",
        "ward_code": "00070",
        "status": "received",
        "unit_id": None,
        "resolved_at": None,
        "opened_at": opened,
        "last_report_at": opened,
    }
    row.update(values)
    return row


def _insert(engine: Engine, rows: list[dict[str, object]]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(ComplaintCase), rows)


def _resolved_after(hours: list[float]) -> list[dict[str, object]]:
    opened = NOW - dt.timedelta(days=3)
    return [_case(opened, status="resolved", resolved_at=opened + dt.timedelta(hours=h)) for h in hours]


@pytest.mark.parametrize("hours", [[1.0, 2.0, 10.0], [1.0, 2.0, 10.0, 20.0], [7.5]])
def test_median_hours_to_resolve_matches_numpy(engine: Engine, hours: list[float]) -> None:
    _insert(engine, [*_resolved_after(hours), _case(NOW - dt.timedelta(days=1))])  # plus one open case
    kpis = queries.case_kpis(engine, CaseFilter(set_name="hanoi-2025"), NOW)
    assert kpis["median_hours_to_resolve"] == pytest.approx(round(float(np.median(hours)), 1))
    assert kpis["resolved"] == len(hours) and kpis["open"] == 1


def test_median_is_none_without_resolved_cases(engine: Engine) -> None:
    _insert(engine, [_case(NOW - dt.timedelta(days=1))])
    assert queries.case_kpis(engine, CaseFilter(), NOW)["median_hours_to_resolve"] is None


def test_located_cases_since_equals_the_geo_loader(engine: Engine) -> None:
    since = NOW - dt.timedelta(days=90)
    _insert(
        engine,
        [
            _case(NOW - dt.timedelta(days=1, microseconds=250)),
            _case(NOW - dt.timedelta(days=2), set_name=None, ward_code=None),  # not yet in a ward: kept
            _case(NOW - dt.timedelta(days=3), lat=None, lon=None),  # no location: left out
            _case(NOW - dt.timedelta(days=4), set_name="hanoi-2019"),  # another boundary set: left out
            _case(NOW - dt.timedelta(days=120)),  # before the lookback: left out
            _case(NOW - dt.timedelta(days=5), lat=21.04, lon=105.80, category_code="noise"),
        ],
    )
    fast = queries.located_cases_since(engine, since, "hanoi-2025")
    reference = load_complaint_cases(engine, since=since, set_name="hanoi-2025").dropna(subset=["lat", "lon"])
    assert len(fast) == 3
    assert str(fast["opened_at"].dt.tz) == "UTC"
    pd.testing.assert_frame_equal(
        fast.sort_values("id").reset_index(drop=True),
        reference[list(fast.columns)].sort_values("id").reset_index(drop=True),
        check_dtype=False,
    )


def test_data_version_changes_with_cases_and_status_changes(engine: Engine) -> None:
    empty = queries.complaint_data_version(engine)
    _insert(engine, [_case(NOW)])
    with_case = queries.complaint_data_version(engine)
    assert with_case != empty
    assert queries.complaint_data_version(engine) == with_case  # stable while nothing changes
    with engine.begin() as conn:
        conn.execute(
            insert(CaseStatusChange),
            [{"case_id": 1, "from_status": "received", "to_status": "assigned", "at": NOW, "actor": "t"}],
        )
    assert queries.complaint_data_version(engine) != with_case
