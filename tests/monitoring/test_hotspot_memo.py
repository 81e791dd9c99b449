"""The complaint families keep their cases and spots current case by case, and give what a cold evaluation gives.

The hotspot family (cases of the last weeks, recurring spots) and the SLA family (open cases) read their cases
once and then only the cases that changed; the spots are searched again only in the region of a change. Each
step below compares the long-lived (incremental) path with fresh memos (a cold evaluation) on the same data.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, update

from data.alert_states import OPEN_STATES
from data.alert_writes import stored_alerts
from data.case_points import load_complaint_cases
from data.db import transaction
from data.routing import seed_routing
from data.schema import CaseStatusChange, ComplaintCase
from geo.spots import find_spots, spot_regions
from monitoring import hotspot_signals as module
from monitoring import sla_signals as sla_module
from monitoring import spot_memo
from monitoring.alert_engine import evaluate_alerts
from monitoring.alert_rules import load_alert_rules
from monitoring.alert_store import to_alert
from monitoring.alerts import evaluate
from monitoring.case_memo import CaseFrameMemo
from monitoring.hotspot_signals import RULE_NEW_SPOT, hotspot_signals
from monitoring.sla_signals import sla_signals
from monitoring.spot_memo import SpotMemo

NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
HOAN_KIEM = (21.0288, 105.8523)
FAR = (21.0500, 105.8000)  # about 6 km away: its own region


def _add_cases(
    engine: Engine, days_ago: list[float], place: tuple[float, float] = HOAN_KIEM, **values: object
) -> list[int]:
    ids = []
    with transaction(engine) as session:
        for days in days_ago:
            when = NOW - dt.timedelta(days=days)
            case = ComplaintCase(category_code="waste", lat=place[0], lon=place[1], ward_code="00070",
                                 set_name="hanoi-2025", opened_at=when, last_report_at=when, **values)  # fmt: skip
            session.add(case)
            session.flush()
            ids.append(case.id)
    return ids


def _spots(engine: Engine, now: dt.datetime) -> dict[str, tuple[bool | None, float | None, str]]:
    """Per ward: active or not, how many active spots, reports of the largest one."""
    return {s.subject: (s.condition, s.value, s.labels["largest_count"]) for s in hotspot_signals(engine, now)
            if s.rule_id == RULE_NEW_SPOT}  # fmt: skip


def test_unchanged_complaints_are_neither_reread_nor_searched_again(loaded_engine: Engine) -> None:
    module.recent_cases.clear()
    _add_cases(loaded_engine, [1, 2, 3, 4, 6])
    _add_cases(loaded_engine, [1, 2, 3, 4, 5, 6], place=FAR)
    with (
        mock.patch.object(module.recent_cases, "_load", wraps=load_complaint_cases) as read,
        mock.patch.object(spot_memo, "label_spots", wraps=spot_memo.label_spots) as search,
    ):
        first = _spots(loaded_engine, NOW)
        later = _spots(loaded_engine, NOW + dt.timedelta(minutes=5))
        assert [call.kwargs["ids"] for call in read.call_args_list] == [None]
        assert [len(call.args[0]) for call in search.call_args_list] == [11]
        assert first == later == {"ward:00070": (True, 2.0, "6")}

        (new_case,) = _add_cases(loaded_engine, [0.5])  # a new report: the next evaluation sees it
        assert _spots(loaded_engine, NOW + dt.timedelta(minutes=10)) == {"ward:00070": (True, 2.0, "6")}
        assert [call.kwargs["ids"] for call in read.call_args_list] == [None, {new_case}]  # only the new case
        assert [len(call.args[0]) for call in search.call_args_list] == [11, 6]  # only its region: 5 + 1 cases


def test_the_clock_still_moves_the_activity_and_the_window(loaded_engine: Engine) -> None:
    module.recent_cases.clear()
    _add_cases(loaded_engine, [40, 41, 42, 43, 44])
    quiet = {"ward:00070": (False, 0.0, "5")}  # last report 40 days ago: beyond the 30-day window
    assert _spots(loaded_engine, NOW) == quiet
    assert _spots(loaded_engine, NOW - dt.timedelta(days=20)) == {"ward:00070": (True, 1.0, "5")}
    assert _spots(loaded_engine, NOW) == quiet
    assert _spots(loaded_engine, NOW - dt.timedelta(days=50)) == {}  # before the reports: no spot yet


def _history(engine: Engine, case_id: int, at: dt.datetime, **changes: object) -> None:
    """Change a case the way every writer does: the row and one status-change entry."""
    with transaction(engine) as session:
        case = session.get(ComplaintCase, case_id)
        to_status = str(changes.get("status", case.status))
        session.add(CaseStatusChange(case_id=case_id, from_status=case.status, to_status=to_status, at=at,
                                     actor="test"))  # fmt: skip
        session.execute(update(ComplaintCase).where(ComplaintCase.id == case_id).values(**changes))


def _both_ways(engine: Engine, now: dt.datetime) -> tuple[list, list]:
    """The complaint families' signals with the long-lived memos, then with fresh ones (a cold evaluation)."""
    incremental = hotspot_signals(engine, now) + sla_signals(engine, now)
    with (
        mock.patch.object(module, "recent_cases", CaseFrameMemo(load_complaint_cases)),
        mock.patch.object(module, "_spots", SpotMemo()),
        mock.patch.object(sla_module, "open_cases", CaseFrameMemo(sla_module.open_case_deadlines)),
    ):
        cold = hotspot_signals(engine, now) + sla_signals(engine, now)
    return incremental, cold


def test_incremental_evaluations_give_the_alerts_of_a_cold_evaluation(loaded_engine: Engine) -> None:
    units = seed_routing(loaded_engine)
    unit = next(iter(units.values()))
    module.recent_cases.clear()
    sla_module.open_cases.clear()
    deadlines = {"accept_due_at": NOW - dt.timedelta(days=1), "due_at": NOW + dt.timedelta(days=2)}
    spot = _add_cases(loaded_engine, [1, 2, 3, 4], unit_id=unit, status="received", **deadlines)
    other = _add_cases(loaded_engine, [2, 3, 5, 6, 7], place=FAR, unit_id=unit, status="in_progress", **deadlines)
    (hole,) = _add_cases(loaded_engine, [3], place=FAR)  # an id left free for a late commit below
    _add_cases(loaded_engine, [3], place=FAR, status="received", **deadlines)
    with transaction(loaded_engine) as session:
        session.execute(delete(ComplaintCase).where(ComplaintCase.id == hole))
    rules = load_alert_rules()
    steps = [
        lambda at: None,
        lambda at: _add_cases(loaded_engine, [0.1], unit_id=unit, status="received", **deadlines),  # 5th: a spot
        lambda at: _history(loaded_engine, other[0], at, status="resolved"),  # a spot case closed: SLA only
        lambda at: _add_cases(loaded_engine, [0.2], place=(21.2, 105.9)),  # a new place: the others kept
        lambda at: _history(loaded_engine, spot[0], at, lat=FAR[0], lon=FAR[1]),  # moved to the other place
        lambda at: _history(loaded_engine, other[1], at, unit_id=None),  # unit taken away
        lambda at: _late_commit(loaded_engine, hole, at),
    ]
    with mock.patch.object(module.recent_cases, "_load", wraps=load_complaint_cases) as read:
        for index, change in enumerate(steps):
            now = NOW + dt.timedelta(minutes=5 * index)
            change(now)
            with loaded_engine.connect() as conn:
                previous = {key: to_alert(record) for key, record in stored_alerts(conn).items()}
            incremental, cold = _both_ways(loaded_engine, now)
            assert incremental == cold, f"step {index}"
            same = [evaluate(signals, previous, rules.timings(), now, rules.default_timing)
                    for signals in (incremental, cold)]  # fmt: skip
            assert same[0] == same[1], f"step {index}"
            evaluate_alerts(loaded_engine, now, [module.hotspot_signals, sla_signals], rules=rules)
    reads = [call.kwargs["ids"] for call in read.call_args_list]
    assert reads[0] is None and reads[-1] is None  # the first read and the one after the late commit are full
    assert all(ids for ids in reads[1:-1])  # every other change re-read only the changed cases
    active = {(alert.rule_id, alert.subject) for alert in previous.values() if alert.state in OPEN_STATES}
    assert (RULE_NEW_SPOT, "ward:00070") in active  # the comparison covered open alerts of both families
    assert any(rule == sla_module.SLA_RULE_ID for rule, _ in active)


def _late_commit(engine: Engine, case_id: int, at: dt.datetime) -> None:
    """A case whose id is below one already seen (its transaction committed after a later one's)."""
    with engine.begin() as conn:
        conn.execute(insert(ComplaintCase).values(id=case_id, category_code="waste", lat=HOAN_KIEM[0],
                                                  lon=HOAN_KIEM[1], ward_code="00070", set_name="hanoi-2025",
                                                  status="received", opened_at=at, last_report_at=at))  # fmt: skip


def test_spots_searched_region_by_region_are_the_spots_of_one_search() -> None:
    """What the spot memo relies on: no spot spans two of :func:`geo.spots.spot_regions`."""
    rng = np.random.default_rng(3)
    centres = rng.uniform([21.0, 105.8], [21.05, 105.85], size=(40, 2))
    picks = rng.integers(0, len(centres), 2000)
    points = pd.DataFrame({
        "lat": centres[picks, 0] + rng.normal(0, 0.0006, 2000), "lon": centres[picks, 1] + rng.normal(0, 0.0006, 2000),
        "opened_at": NOW - pd.to_timedelta(rng.uniform(0, 90, 2000), unit="D"), "category_code": "waste",
    })  # fmt: skip
    regions = spot_regions(points)
    assert 1 < len(set(regions)) < len(points)
    parts = [find_spots(points[regions == region], NOW) for region in sorted(set(regions))]
    by_region = pd.concat([part for part in parts if len(part)], ignore_index=True)
    columns = ["count", "first_report", "last_report", "lat", "lon", "radius_m"]
    whole = find_spots(points, NOW)
    assert len(whole) > 10
    assert (
        by_region.sort_values(columns)[columns]
        .reset_index(drop=True)
        .equals(whole.sort_values(columns)[columns].reset_index(drop=True))
    )
