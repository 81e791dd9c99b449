"""A scorecard world seeded straight into the tables, on either engine, with figures worked out by hand.

March 2025 (Hà Nội time) is the period; ``NOW`` is 1 April 2025. Every case is opened on Monday 17 March 09:00
(``OPENED``) unless said otherwise; normal priority: accept within 8, resolve within 40 working hours.

Unit A (UBND-A, ward 00070):
  1. accepted after 1 h, resolved after 3 working hours, an "after" photo → on time twice;
  2. accepted after 2 days (late), resolved Wednesday 26 March 09:00 = 63 working hours (late), reopened once;
  3. never accepted: overdue now (accept-by and resolve-by both past);
  a merged duplicate of case 1 (never counted).
Unit B (URENCO, ward 00071):
  4. accepted after 1 h, in progress, resolve-by moved to 2099: its resolution is not decided at any "now";
  5. opened in February, still in progress past its resolve-by: overdue now, not received in March.
Unit C (SONNMT): no cases.
Urges: 2 on unit A in March, 1 on unit A in February; 1 on unit B in March on the unit's list (no case).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from data.config import PACKAGE_CONFIG_DIR
from data.schema import CaseAttachment, CaseUrge, ComplaintCase, MediaObject, ResponsibleUnit
from data.sla import add_working_hours, load_sla_policy

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
POLICY = load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml")
SINCE = dt.datetime(2025, 3, 1, tzinfo=HANOI).astimezone(dt.UTC)
UNTIL = dt.datetime(2025, 4, 1, tzinfo=HANOI).astimezone(dt.UTC)
NOW = dt.datetime(2025, 4, 1, 10, 0, tzinfo=HANOI).astimezone(dt.UTC)
OPENED = dt.datetime(2025, 3, 17, 9, 0, tzinfo=HANOI).astimezone(dt.UTC)
ACCEPT_DUE = add_working_hours(OPENED, 8, POLICY)
DUE = add_working_hours(OPENED, 40, POLICY)


@dataclass(frozen=True)
class Units:
    a: int
    b: int
    c: int


def _case(conn, **values) -> int:
    row = {
        "category_code": "waste", "lat": 21.0288, "lon": 105.8523, "set_name": "hanoi-2025", "ward_code": "00070",
        "ward_name": "Hoàn Kiếm", "district": "Quận Hoàn Kiếm", "status": "received", "priority": "normal",
        "title": "Rác", "opened_at": OPENED, "last_report_at": OPENED, "accept_due_at": ACCEPT_DUE, "due_at": DUE,
    }  # fmt: skip
    row.update(values)
    return int(conn.execute(insert(ComplaintCase).values(**row)).inserted_primary_key[0])


def seed_scorecard(engine: Engine) -> Units:
    """Seed the world described in the module docstring; returns the unit ids."""
    hours = dt.timedelta(hours=1)
    with engine.begin() as conn:
        ids = [
            int(conn.execute(insert(ResponsibleUnit).values(code=code, name=name, kind="test")).inserted_primary_key[0])
            for code, name in (("UBND-A", "UBND phường A"), ("URENCO", "URENCO"), ("SONNMT", "Sở NN&MT"))
        ]
        units = Units(*ids)
        first = _case(
            conn, unit_id=units.a, status="resolved", accepted_at=OPENED + hours, resolved_at=OPENED + 3 * hours
        )
        _case(
            conn, unit_id=units.a, status="resolved", accepted_at=OPENED + dt.timedelta(days=2), reopen_count=1,
            resolved_at=dt.datetime(2025, 3, 26, 9, 0, tzinfo=HANOI).astimezone(dt.UTC),
        )  # fmt: skip
        _case(conn, unit_id=units.a)
        _case(conn, unit_id=units.a, status="merged", merged_into_id=first)
        _case(
            conn, unit_id=units.b, ward_code="00071", ward_name="Hàng Bạc", status="in_progress",
            accepted_at=OPENED + hours, due_at=dt.datetime(2099, 5, 5, tzinfo=dt.UTC),
        )  # fmt: skip
        february = OPENED - dt.timedelta(days=28)
        _case(
            conn, unit_id=units.b, ward_code="00071", ward_name="Hàng Bạc", status="in_progress",
            opened_at=february, accepted_at=february + hours, accept_due_at=february + 8 * hours,
            due_at=february + dt.timedelta(days=7),
        )  # fmt: skip
        conn.execute(
            insert(MediaObject).values(
                sha256="a" * 64, mime="image/jpeg", kind="photo", size_bytes=10, has_thumbnail=True, created_at=OPENED
            )
        )
        conn.execute(
            insert(CaseAttachment).values(
                case_id=first, sha256="a" * 64, purpose="after", uploaded_by="ubnd-a", uploaded_at=OPENED + 3 * hours
            )
        )
        for unit, case_id, moment in (
            (units.a, first, OPENED + hours),
            (units.a, None, OPENED + 2 * hours),
            (units.a, None, OPENED - dt.timedelta(days=20)),
            (units.b, None, OPENED),
        ):
            conn.execute(
                insert(CaseUrge).values(case_id=case_id, unit_id=unit, kind="urge", actor="lanhdao", note="", at=moment)
            )
    return units
