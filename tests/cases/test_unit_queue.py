"""A unit's queue: sections decided in SQL, the unit scope in the query, working-hour clocks, on both engines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from data.config import PACKAGE_CONFIG_DIR
from data.schema import CaseUrge, ComplaintCase, ResponsibleUnit
from data.sla import SlaPolicy, load_sla_policy
from data.unit_queue import QueueScope, clock_text, closed_cases, queue_cases, queue_counts, unit_summary

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=HANOI).astimezone(dt.UTC)  # a Wednesday, 10:00 in Hà Nội
UNIT_A, UNIT_B = 1, 2


def _local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=HANOI).astimezone(dt.UTC)


# id -> (unit, status, accept_due_at, due_at, merged_into)
CASES = {
    1: (UNIT_A, "received", NOW + dt.timedelta(hours=3), _local(9, 17), None),  # new, 3 working hours to accept
    2: (UNIT_A, "received", NOW - dt.timedelta(hours=2), _local(9, 17), None),  # not accepted in time: overdue
    3: (UNIT_A, "in_progress", None, _local(2, 14), None),  # 4 working hours left: due soon
    4: (UNIT_A, "assigned", None, _local(4, 10), None),  # Friday: 18 working hours left
    5: (UNIT_A, "in_progress", None, NOW - dt.timedelta(days=2, hours=3), None),  # overdue by 2 days
    6: (UNIT_A, "resolved", None, _local(1, 10), None),  # closed: never in a queue
    7: (UNIT_B, "received", NOW + dt.timedelta(hours=1), _local(9, 17), None),  # the other unit's
    8: (UNIT_A, "received", NOW + dt.timedelta(hours=2), _local(9, 17), 1),  # merged into case 1
    9: (UNIT_A, "in_progress", None, _local(3, 8, 30), None),  # Thursday 08:30: 22 h away, 7.5 working hours
}


@pytest.fixture
def policy() -> SlaPolicy:
    return load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml")


@pytest.fixture
def queue_db(engine: Engine) -> Engine:
    rows = [
        {
            "id": case_id,
            "category_code": "waste",
            "unit_id": unit,
            "status": status,
            "title": f"Case {case_id}",
            "opened_at": NOW - dt.timedelta(days=5),
            "last_report_at": NOW - dt.timedelta(days=5),
            "accept_due_at": accept,
            "due_at": due,
        }
        for case_id, (unit, status, accept, due, _merged) in CASES.items()
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(ResponsibleUnit),
            [{"id": UNIT_A, "code": "ubnd-a", "name": "UBND A"}, {"id": UNIT_B, "code": "urenco", "name": "URENCO"}],
        )
        conn.execute(insert(ComplaintCase), rows)
        for case_id, (*_rest, merged) in CASES.items():
            if merged is not None:
                conn.execute(
                    ComplaintCase.__table__.update()
                    .where(ComplaintCase.__table__.c.id == case_id)
                    .values(merged_into_id=merged)
                )
        conn.execute(
            insert(CaseUrge),
            [
                {
                    "case_id": 5,
                    "unit_id": UNIT_A,
                    "kind": "urge",
                    "actor": "lead",
                    "note": "",
                    "at": NOW - dt.timedelta(hours=h),
                }
                for h in (3, 1)
            ],  # fmt: skip
        )
    return engine


def test_sections_are_counted_in_sql_with_working_hours(queue_db: Engine, policy: SlaPolicy) -> None:
    counts = queue_counts(queue_db, QueueScope(units=frozenset({UNIT_A})), NOW, policy)
    assert counts == {"new": 1, "in_progress": 1, "due_soon": 2, "overdue": 2}
    frame = queue_cases(queue_db, QueueScope(units=frozenset({UNIT_A})), NOW, policy)
    assert dict(zip(frame["id"], frame["section"], strict=True)) == {
        1: "new", 2: "overdue", 3: "due_soon", 4: "in_progress", 5: "overdue", 9: "due_soon"
    }  # fmt: skip
    # next deadline first: accept-by while not accepted, resolve-by once accepted
    assert list(frame["id"]) == [5, 2, 1, 3, 9, 4]
    hours = dict(zip(frame["id"], frame["hours_left"].round(2), strict=True))
    assert hours[1] == 3.0 and hours[3] == 4.0 and hours[9] == 7.5 and hours[4] == 18.0
    assert hours[5] < 0 and hours[2] < 0
    assert dict(zip(frame["id"], frame["urges"], strict=True))[5] == 2
    last = dict(zip(frame["id"], pd.to_datetime(frame["last_urged_at"], utc=True), strict=True))
    assert last[5] == pd.Timestamp(NOW - dt.timedelta(hours=1))  # the latest of its two urges
    assert all(pd.isna(last[case_id]) for case_id in last if case_id != 5)  # never urged: no time


def test_unit_scope_is_in_the_query(queue_db: Engine, policy: SlaPolicy) -> None:
    other = queue_cases(queue_db, QueueScope(units=frozenset({UNIT_B})), NOW, policy)
    assert list(other["id"]) == [7]
    assert queue_cases(queue_db, QueueScope(units=frozenset()), NOW, policy).empty  # bound to nothing: sees nothing
    assert sum(queue_counts(queue_db, QueueScope(units=frozenset()), NOW, policy).values()) == 0
    staff_one_unit = queue_cases(queue_db, QueueScope(unit_id=UNIT_B), NOW, policy)
    assert list(staff_one_unit["id"]) == [7]
    # a unit account asking for another unit's queue gets nothing: both conditions apply
    assert queue_cases(queue_db, QueueScope(units=frozenset({UNIT_A}), unit_id=UNIT_B), NOW, policy).empty
    overdue = queue_cases(queue_db, QueueScope(), NOW, policy, section="overdue")
    assert set(overdue["id"]) == {2, 5}


def test_unit_summary_counts_every_unit(queue_db: Engine, policy: SlaPolicy) -> None:
    summary = unit_summary(queue_db, NOW, policy)
    assert list(summary["code"]) == ["ubnd-a", "urenco"]  # most overdue first
    first = summary.iloc[0]
    assert (first["new"], first["in_progress"], first["due_soon"], first["overdue"]) == (1, 1, 2, 2)
    assert summary.iloc[1]["new"] == 1


def test_clock_in_words(queue_db: Engine, policy: SlaPolicy) -> None:
    frame = queue_cases(queue_db, QueueScope(units=frozenset({UNIT_A})), NOW, policy).set_index("id")
    texts = {i: clock_text(frame.at[i, "deadline"], frame.at[i, "hours_left"], NOW, "vi") for i in frame.index}
    assert texts[1] == "còn 3 giờ làm việc"
    assert texts[5] == "quá hạn 2 ngày"
    assert texts[2] == "quá hạn 2 giờ"
    assert clock_text(frame.at[4, "deadline"], frame.at[4, "hours_left"], NOW, "en") == "18 working hours left"
    assert clock_text(None, None, NOW, "vi") == "—"
    saturday = _local(5, 10)  # due Monday 08:00: no working hour in between, yet not overdue
    assert clock_text(_local(7, 8), 0.0, saturday, "vi") == "còn dưới 1 giờ làm việc"


def test_closed_cases_latest_first_with_on_time(queue_db: Engine) -> None:
    with queue_db.begin() as conn:
        table = ComplaintCase.__table__
        conn.execute(table.update().where(table.c.id == 6).values(resolved_at=_local(1, 9)))  # before its 10:00
        conn.execute(table.update().where(table.c.id == 4).values(status="rejected", resolved_at=_local(2, 9)))
        conn.execute(table.update().where(table.c.id == 7).values(status="resolved", resolved_at=_local(2, 8)))
    frame = closed_cases(queue_db, QueueScope(units=frozenset({UNIT_A})), NOW)
    assert list(frame["id"]) == [4, 6]  # the other unit's case 7 is not in scope
    assert dict(zip(frame["id"], frame["on_time"], strict=True)) == {4: None, 6: True}  # a rejection is not judged
    assert list(closed_cases(queue_db, QueueScope(units=frozenset({UNIT_B})), NOW)["id"]) == [7]
    assert closed_cases(queue_db, QueueScope(units=frozenset({UNIT_A})), NOW, days=1)["id"].tolist() == [4]
