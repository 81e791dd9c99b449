"""Case-work benchmark: the unit scorecard over a year and the case page's data, each against the naive way.

Seeded synthetic data in a temporary SQLite file (and a scratch PostgreSQL schema with ``--postgres URL``):
258 responsible units, 200,000 cases opened over 2025 in 126 wards (20,000 with ``--quick``), about 85 %
resolved (some late, some reopened, half of them with an "after" photo), the rest open with SLA deadlines, one
report and one history entry per case, 5,000 urges. Measured in the same run:

- :func:`data.scorecard.build_scorecard` for the year per unit (target ≤ 1 s: one GROUP BY pass in the database,
  working-hour percentiles in numpy; this process's CPU seconds are printed too, as the machine is shared)
  against the naive way: every case of the year fetched and looped over in Python (counters per unit, working
  hours per case through the same calendar);
- :func:`data.case_detail.load_case` for one case (target ≤ 0.5 s) against the naive way: every report,
  attachment and history row fetched and filtered in a Python loop, nearby open cases found by looping over
  every open case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select

from bench._common import machine, scratch_postgres_engine, timed
from data.case_actions import Actor
from data.case_detail import NEARBY_RADIUS_M, load_case
from data.config import PACKAGE_CONFIG_DIR
from data.db import make_engine, migrate
from data.schema import (
    CaseAttachment,
    CaseStatusChange,
    CaseUrge,
    ComplaintCase,
    ComplaintReport,
    ImportBatch,
    MediaObject,
    ResponsibleUnit,
)
from data.scorecard import build_scorecard
from data.sla import WorkingCalendar, due_times, load_sla_policy
from data.workflow import CLOSED_STATUSES, NOT_ACCEPTED

POLICY = load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml")
YEAR_START = dt.datetime(2024, 12, 31, 17, 0, tzinfo=dt.UTC)  # 1 January 2025, 00:00 in Hà Nội
YEAR_END = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)
NOW = YEAR_END + dt.timedelta(days=3)
UNITS, WARDS, URGES = 258, 126, 5_000
CHUNK = 20_000


def _frame(cases: int, seed: int = 17) -> pd.DataFrame:
    """The synthetic cases (columns of complaint_cases), deadlines from the shipped SLA policy."""
    rng = np.random.default_rng(seed)
    # ids in arrival order, as a live system numbers its cases
    opened = YEAR_START + pd.to_timedelta(np.sort(rng.integers(0, 365 * 86400, cases)), unit="s")
    priority = rng.choice(["normal", "urgent", "complex"], cases, p=[0.8, 0.1, 0.1])
    accept_due, due = due_times(opened, priority, POLICY)
    resolved_flag = rng.random(cases) < 0.85
    accepted_at = opened + pd.to_timedelta(rng.exponential(6 * 3600, cases).round(), unit="s")
    resolved_at = opened + pd.to_timedelta(rng.exponential(60 * 3600, cases).round() + 3600, unit="s")
    status = np.where(resolved_flag, "resolved", rng.choice(["received", "accepted", "in_progress"], cases))
    unaccepted = status == NOT_ACCEPTED
    ward = rng.integers(0, WARDS, cases)
    return pd.DataFrame(
        {
            "id": np.arange(1, cases + 1),
            "category_code": rng.choice(["waste", "noise", "air", "water"], cases),
            "lat": 21.0 + ward * 0.002 + rng.normal(0, 0.001, cases),
            "lon": 105.8 + ward * 0.001 + rng.normal(0, 0.001, cases),
            "set_name": "bench",
            "ward_code": [f"W{w:03d}" for w in ward],
            "ward_name": [f"Phường {w}" for w in ward],
            "unit_id": rng.integers(1, UNITS + 1, cases),
            "status": status,
            "priority": priority,
            "title": "",
            "opened_at": opened,
            "last_report_at": opened,
            "accept_due_at": accept_due,
            "due_at": due,
            "accepted_at": pd.Series(accepted_at).where(~unaccepted),
            "resolved_at": pd.Series(resolved_at).where(resolved_flag),
            "reopen_count": (rng.random(cases) < 0.03).astype(int),
        }
    )


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for row in out:
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                row[key] = value.to_pydatetime()
    return out


def _seed(engine: Engine, cases: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    with engine.begin() as conn:
        conn.execute(insert(ResponsibleUnit), [{"id": i, "code": f"U{i:03d}", "name": f"Đơn vị {i}"} for i in
                                               range(1, UNITS + 1)])  # fmt: skip
        conn.execute(insert(ImportBatch).values(id="bench", kind="bench", started_at=YEAR_START))
        conn.execute(
            insert(MediaObject).values(sha256="f" * 64, mime="image/jpeg", kind="photo", size_bytes=1,
                                       has_thumbnail=True, created_at=YEAR_START)
        )  # fmt: skip
        for start in range(0, len(cases), CHUNK):
            part = cases.iloc[start : start + CHUNK]
            conn.execute(insert(ComplaintCase), _rows(part))
            reports = pd.DataFrame(
                {"case_id": part["id"], "batch_id": "bench", "source": "bench", "external_id": part["id"].astype(str),
                 "channel": "zalo", "category_code": part["category_code"], "reported_at": part["opened_at"],
                 "lat": part["lat"], "lon": part["lon"], "reporter_name": "Người dân", "reporter_phone": "0900000000"}
            )  # fmt: skip
            conn.execute(insert(ComplaintReport), _rows(reports))
            history = pd.DataFrame(
                {"case_id": part["id"], "from_status": None, "to_status": "received", "at": part["opened_at"],
                 "actor": "import", "note": "", "unit_id": part["unit_id"]}
            )  # fmt: skip
            conn.execute(insert(CaseStatusChange), _rows(history))
            photo = part[(part["status"] == "resolved") & (rng.random(len(part)) < 0.5)]
            conn.execute(
                insert(CaseAttachment),
                [{"case_id": int(i), "sha256": "f" * 64, "purpose": "after", "uploaded_by": "u",
                  "uploaded_at": YEAR_END} for i in photo["id"]],
            )  # fmt: skip
        urge_cases = rng.choice(cases["id"].to_numpy(), URGES)
        conn.execute(
            insert(CaseUrge),
            [{"case_id": int(i), "unit_id": int(cases.at[int(i) - 1, "unit_id"]), "kind": "urge", "actor": "lead",
              "note": "", "at": YEAR_START + dt.timedelta(days=int(i) % 365)} for i in urge_cases],
        )  # fmt: skip


def naive_scorecard(engine: Engine) -> dict[int, dict[str, Any]]:
    """The obvious way: every case of the year into Python, a loop with counters per unit."""
    with engine.connect() as conn:
        cases = conn.execute(
            select(ComplaintCase.__table__).where(ComplaintCase.opened_at >= YEAR_START,
                                                  ComplaintCase.opened_at < YEAR_END)
        ).all()  # fmt: skip
        photos = set(conn.execute(select(CaseAttachment.case_id).where(CaseAttachment.purpose == "after")).scalars())
        urges = conn.execute(select(CaseUrge.unit_id, CaseUrge.at)).all()
    calendar = WorkingCalendar(POLICY, dt.date(2024, 12, 30), dt.date(2026, 2, 28))
    units: dict[int, dict[str, Any]] = {}
    for case in cases:
        unit = units.setdefault(case.unit_id, {"received": 0, "resolved": 0, "on_time": 0, "overdue": 0,
                                               "photo": 0, "urges": 0, "hours": []})  # fmt: skip
        unit["received"] += 1
        if case.status == "resolved":
            unit["resolved"] += 1
            unit["on_time"] += case.resolved_at <= case.due_at
            unit["photo"] += case.id in photos
            unit["hours"].append(float(calendar.hours_between([case.opened_at], [case.resolved_at])[0]))
        elif case.status not in CLOSED_STATUSES and (
            case.due_at < NOW or (case.status == NOT_ACCEPTED and case.accept_due_at < NOW)
        ):
            unit["overdue"] += 1
    for unit_id, at in urges:
        if YEAR_START <= at < YEAR_END and unit_id in units:
            units[unit_id]["urges"] += 1
    for unit in units.values():
        unit["median"] = float(np.median(unit["hours"])) if unit["hours"] else None
    return units


def naive_case(engine: Engine, case_id: int) -> dict[str, Any]:
    """The obvious way: whole tables into Python, the case's rows and nearby open cases found by looping."""
    with engine.connect() as conn:
        case = conn.execute(select(ComplaintCase.__table__).where(ComplaintCase.id == case_id)).one()
        reports = [r for r in conn.execute(select(ComplaintReport.__table__)) if r.case_id == case_id]
        history = [h for h in conn.execute(select(CaseStatusChange.__table__)) if h.case_id == case_id]
        files = [a for a in conn.execute(select(CaseAttachment.__table__)) if a.case_id == case_id]
        nearby = []
        for other in conn.execute(select(ComplaintCase.__table__)):
            if other.id == case_id or other.status in CLOSED_STATUSES or other.lat is None:
                continue
            dy = (other.lat - case.lat) * 110_574.0
            dx = (other.lon - case.lon) * 111_320.0 * math.cos(math.radians(case.lat))
            if math.hypot(dx, dy) <= NEARBY_RADIUS_M:
                nearby.append(other.id)
    return {"reports": reports, "history": history, "files": files, "nearby": nearby}


def measure(engine: Engine, cases: pd.DataFrame) -> dict[str, float]:
    """Seed ``engine`` and time both targets and their naive ways."""
    load_s, _ = timed(lambda: _seed(engine, cases))
    cpu_start = time.process_time()
    card_s, card = timed(
        lambda: build_scorecard(engine, since=YEAR_START, until=YEAR_END, policy=POLICY, by="unit", now=NOW), repeat=3
    )
    card_cpu_s = (time.process_time() - cpu_start) / 3  # this process only: all of SQLite's work, not PostgreSQL's
    naive_card_s, naive = timed(lambda: naive_scorecard(engine))
    some_unit = int(card.rows["code"].iloc[0][1:])
    assert card.rows["received"].iloc[0] == naive[some_unit]["received"], "the two ways disagree"
    open_case = int(cases.loc[cases["status"] != "resolved", "id"].iloc[0])
    leader = Actor("lead", "leader", None)
    case_s, _ = timed(lambda: load_case(engine, open_case, actor=leader, now=NOW, policy=POLICY), repeat=3)
    naive_case_s, _ = timed(lambda: naive_case(engine, open_case))
    return {"load_s": load_s, "scorecard_s": card_s, "scorecard_cpu_s": card_cpu_s, "naive_scorecard_s": naive_card_s,
            "case_s": case_s, "naive_case_s": naive_case_s, "units": len(card.rows),
            "load_average": os.getloadavg()[0]}  # fmt: skip


def _report(name: str, cases: int, result: dict[str, float]) -> None:
    print(f"{name}: {cases:,} cases, {result['units']} units (seeded in {result['load_s']:.1f} s)")
    print(f"  scorecard for the year, SQL aggregates   {result['scorecard_s']:.3f} s   (target ≤ 1 s)")
    print(
        f"    CPU in this process, mean of 3         {result['scorecard_cpu_s']:.3f} s   "
        f"(load average {result['load_average']:.2f})"
    )
    print(f"  naive: Python loop over every case       {result['naive_scorecard_s']:.3f} s")
    print(f"  ratio naive ÷ SQL                        {result['naive_scorecard_s'] / result['scorecard_s']:.1f}×")
    print(f"  case page data (load_case)               {result['case_s']:.3f} s   (target ≤ 0.5 s)")
    print(f"  naive: tables looped in Python           {result['naive_case_s']:.3f} s")
    print(f"  ratio naive ÷ load_case                  {result['naive_case_s'] / result['case_s']:.1f}×")
    met = result["scorecard_s"] <= 1.0 and result["case_s"] <= 0.5
    print(f"  targets: {'met' if met else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 cases instead of 200,000")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"), help="also on this PostgreSQL")
    args = parser.parse_args()
    count = 20_000 if args.quick else 200_000
    cases = _frame(count)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        _report("SQLite", count, measure(engine, cases))
        engine.dispose()
    if args.postgres:
        with scratch_postgres_engine(args.postgres, "bench") as engine:
            _report("PostgreSQL", count, measure(engine, cases))


if __name__ == "__main__":
    main()
