"""The scorecard's one-pass SQL equals the obvious computation (a Python loop over every case) on both engines.

A seeded world of 160 cases with the edge cases the SQL must get right: reopened cases (open again, or resolved
again), transferred, rejected and merged cases, cases without a ward or without a unit, missing deadlines, a
resolution stamped before the opening (0 working hours), sub-second timestamps, several "after" photos on one case,
cases opened outside the period, urges on cases and on a unit's list, and a unit without cases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select

from data.schema import CaseAttachment, CaseUrge, ComplaintCase, MediaObject, ResponsibleUnit
from data.scorecard import FIGURES, WEIGHTS, build_scorecard
from data.sla import WorkingCalendar
from data.workflow import CLOSED_STATUSES, NOT_ACCEPTED, STATUSES

from .scorecard_seed import NOW, POLICY, SINCE, UNTIL

UNITS = ("U-A", "U-B", "U-C", "U-EMPTY")
WARDS = (("00070", "Hoàn Kiếm"), ("00071", "Hàng Bạc"), (None, None))


def _seed(engine: Engine, cases: int = 160) -> None:
    rng = np.random.default_rng(17)
    with engine.begin() as conn:
        unit_ids = [
            int(conn.execute(insert(ResponsibleUnit).values(code=code, name=f"Đơn vị {code}", kind="test"))
                .inserted_primary_key[0])
            for code in UNITS
        ]  # fmt: skip
        conn.execute(insert(MediaObject).values(sha256="b" * 64, mime="image/jpeg", kind="photo", size_bytes=1,
                                                has_thumbnail=True, created_at=SINCE))  # fmt: skip
        start = SINCE - dt.timedelta(days=20)  # some cases are opened before the period, some after it
        span = (UNTIL + dt.timedelta(days=5) - start).total_seconds()
        ids = []
        for number in range(cases):
            opened = start + dt.timedelta(seconds=float(rng.uniform(0, span)))  # microseconds included
            status = str(rng.choice(STATUSES))
            ward_code, ward_name = WARDS[int(rng.integers(0, len(WARDS)))]
            accepted = None if status == NOT_ACCEPTED or rng.random() < 0.1 else opened + dt.timedelta(
                hours=float(rng.exponential(10)))  # fmt: skip
            resolved = None
            if status == "resolved" or (status in CLOSED_STATUSES and rng.random() < 0.3):
                hours = -1.0 if number % 7 == 0 else float(rng.exponential(50))  # a clock skew: before opening
                resolved = opened + dt.timedelta(hours=hours)
            accept_due = None if number % 23 == 0 else opened + dt.timedelta(hours=float(rng.uniform(4, 30)))
            due = None if number % 19 == 0 else opened + dt.timedelta(hours=float(rng.uniform(20, 200)))
            values = {
                "category_code": "waste", "lat": 21.03, "lon": 105.85, "set_name": "hanoi-2025",
                "ward_code": ward_code, "ward_name": ward_name, "status": status, "priority": "normal",
                "title": f"Vụ {number}", "opened_at": opened, "last_report_at": opened,
                "accept_due_at": accept_due, "due_at": due, "accepted_at": accepted, "resolved_at": resolved,
                "unit_id": None if number % 29 == 0 else unit_ids[int(rng.integers(0, 3))],
                "reopen_count": int(rng.random() < 0.2) + int(rng.random() < 0.05),
                "merged_into_id": ids[0] if status == "merged" and ids else None,
            }  # fmt: skip
            ids.append(int(conn.execute(insert(ComplaintCase).values(**values)).inserted_primary_key[0]))
        for case_id in rng.choice(ids, 70):  # repeats: several "after" photos on one case
            purpose = "after" if rng.random() < 0.8 else "before"
            conn.execute(insert(CaseAttachment).values(case_id=int(case_id), sha256="b" * 64, purpose=purpose,
                                                       uploaded_by="u", uploaded_at=NOW))  # fmt: skip
        cases_units = dict(conn.execute(select(ComplaintCase.id, ComplaintCase.unit_id)).all())
        for number in range(40):
            case_id = int(rng.choice(ids)) if number % 4 else None
            unit_id = cases_units.get(case_id) if case_id is not None else unit_ids[number % 3]
            at = SINCE + dt.timedelta(days=float(rng.uniform(-10, 40)))
            conn.execute(insert(CaseUrge).values(case_id=case_id, unit_id=unit_id or unit_ids[0], kind="urge",
                                                 actor="lanhdao", note="", at=at))  # fmt: skip


def _percent(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def _naive(engine: Engine, by: str) -> dict[str, dict[str, Any]]:
    """Every figure the obvious way: the whole tables fetched, one Python loop over the cases."""
    with engine.connect() as conn:
        cases = conn.execute(select(ComplaintCase.__table__)).all()
        photos = set(conn.execute(select(CaseAttachment.case_id).where(CaseAttachment.purpose == "after")).scalars())
        urges = conn.execute(select(CaseUrge.__table__)).all()
        units = {row.id: (row.code, row.name) for row in conn.execute(select(ResponsibleUnit.__table__))}
    calendar = WorkingCalendar(POLICY, dt.date(2025, 1, 1), dt.date(2025, 6, 30))

    def aware(value: dt.datetime | None) -> dt.datetime | None:
        return value if value is None or value.tzinfo is not None else value.replace(tzinfo=dt.UTC)

    def key_of(row: Any) -> Any:
        return row.unit_id if by == "unit" else row.ward_code

    if by == "unit":
        groups = {unit_id: {"code": code, "name": name} for unit_id, (code, name) in units.items()}
    else:
        groups = {row.ward_code: {"code": row.ward_code, "name": row.ward_name} for row in cases if row.ward_code}
    counters = ("received", "acc_ok", "acc_dec", "res_ok", "res_dec", "resolved", "reopened", "closed", "photo",
                "overdue", "urges")  # fmt: skip
    tallies = {key: dict.fromkeys(counters, 0) | {"hours": []} for key in groups}
    by_id = {row.id: row for row in cases}
    for row in cases:
        if row.merged_into_id is not None or key_of(row) not in tallies:
            continue
        tally = tallies[key_of(row)]
        opened, accepted, resolved_at = aware(row.opened_at), aware(row.accepted_at), aware(row.resolved_at)
        accept_due, due = aware(row.accept_due_at), aware(row.due_at)
        is_open = row.status not in CLOSED_STATUSES
        accept_late = row.status == NOT_ACCEPTED and accept_due is not None and accept_due < NOW
        overdue = is_open and (accept_late or (due is not None and due < NOW))
        tally["overdue"] += overdue
        if not SINCE <= opened < UNTIL:
            continue
        resolved = row.status == "resolved" and resolved_at is not None
        tally["received"] += 1
        tally["acc_ok"] += accepted is not None and accept_due is not None and accepted <= accept_due
        tally["acc_dec"] += accepted is not None or accept_late
        tally["res_ok"] += resolved and due is not None and resolved_at <= due
        tally["res_dec"] += resolved or (overdue and due is not None and due < NOW)
        tally["resolved"] += resolved
        tally["reopened"] += row.reopen_count > 0
        tally["closed"] += resolved or row.reopen_count > 0
        tally["photo"] += resolved and row.id in photos
        if resolved:
            start, end = (round(moment.timestamp()) for moment in (opened, resolved_at))
            hours = calendar.hours_between([dt.datetime.fromtimestamp(start, dt.UTC)],
                                           [dt.datetime.fromtimestamp(end, dt.UTC)])[0]  # fmt: skip
            tally["hours"].append(max(float(hours), 0.0))
    for urge in urges:
        at = aware(urge.at)
        if not SINCE <= at < UNTIL:
            continue
        key = urge.unit_id if by == "unit" else (by_id[urge.case_id].ward_code if urge.case_id else None)
        if key in tallies:
            tallies[key]["urges"] += 1
    out = {}
    for key, tally in tallies.items():
        rates = {
            "accepted_on_time_pct": _percent(tally["acc_ok"], tally["acc_dec"]),
            "resolved_on_time_pct": _percent(tally["res_ok"], tally["res_dec"]),
            "reopen_rate_pct": _percent(tally["reopened"], tally["closed"]),
            "photo_proof_pct": _percent(tally["photo"], tally["resolved"]),
        }
        not_reopened = None if rates["reopen_rate_pct"] is None else 100.0 - rates["reopen_rate_pct"]
        parts = {**rates, "not_reopened_pct": not_reopened}
        defined = {name: weight for name, weight in WEIGHTS.items() if parts[name] is not None}
        score = (sum(parts[n] * w for n, w in defined.items()) / sum(defined.values())
                 if defined and tally["received"] else None)  # fmt: skip
        hours = tally["hours"]
        figures = {
            "received": tally["received"], "overdue_now": tally["overdue"], "urges": tally["urges"], **rates,
            "median_hours": float(np.median(hours)) if hours else None,
            "p90_hours": float(np.quantile(hours, 0.9)) if hours else None,
            "score": None if score is None else round(score, 1),
        }  # fmt: skip
        out[groups[key]["code"]] = {
            name: (None if value is None else float(np.round(value, 1)) if isinstance(value, float) else value)
            for name, value in figures.items()
        }
    return out


@pytest.mark.parametrize("by", ["unit", "ward"])
def test_one_pass_equals_the_python_loop(engine, by):
    _seed(engine)
    card = build_scorecard(engine, since=SINCE, until=UNTIL, policy=POLICY, by=by, now=NOW)
    fast = {row["code"]: {name: row[name] for name in FIGURES if name != "rank"} for row in card.records()}
    naive = _naive(engine, by)
    assert fast == naive
    assert sum(row["received"] for row in naive.values()) > 30  # the world is not trivially empty
    if by == "unit":
        assert fast["U-EMPTY"]["received"] == 0 and fast["U-EMPTY"]["score"] is None


def test_the_seeded_world_has_its_edge_cases(engine):
    """The equality above is only worth something if the world really holds the edge cases."""
    _seed(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(ComplaintCase.__table__)).all()
    statuses = {row.status for row in rows}
    assert {"transferred", "rejected", "merged", "resolved", NOT_ACCEPTED} <= statuses
    assert any(row.reopen_count > 0 and row.status not in CLOSED_STATUSES for row in rows)  # reopened, open again
    assert any(row.ward_code is None for row in rows) and any(row.unit_id is None for row in rows)
    assert any(row.due_at is None for row in rows) and any(row.accept_due_at is None for row in rows)
    assert any(row.resolved_at is not None and row.resolved_at < row.opened_at for row in rows)
