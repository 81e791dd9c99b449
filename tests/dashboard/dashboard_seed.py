"""A small, fully known dashboard dataset (synthetic) written straight into the tables.

Cases sit at the representative points of real wards of the shipped ``hanoi-2025`` set, so the ward
counts, KPIs and overdue lists below are known exactly. One case carries an HTML/JS payload and one report
carries a reporter name and phone, to prove escaping and privacy.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, insert, select

from data.readings_store import rebuild_latest
from data.schema import (
    Alert,
    AlertEvent,
    AqiValue,
    Average,
    BoundarySet,
    BoundaryUnit,
    ComplaintCase,
    ComplaintReport,
    FeedState,
    ImportBatch,
    QuarantineRow,
    Reading,
    ResponsibleUnit,
    Station,
)
from data.users import create_user
from monitoring.averages import hourly_means

NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)  # times below are relative to it
XSS_TITLE = "<img src=x onerror=alert(1)>"
REPORTER_NAME = "Nguyễn Văn Bí Mật"
REPORTER_PHONE = "0912345678"
PASSWORD = "correct-horse-battery"
USERS = {"lead": "leader", "ana": "analyst", "ops": "operator"}
# ward code -> (open on time, open overdue, resolved on time, resolved late)
CASE_PLAN = {"00070": (1, 2, 3, 1), "00004": (0, 1, 1, 0), "00008": (2, 0, 0, 1)}
WASTEWATER_PROFILE = {"standard": "QCVN 40:2011", "column": "B", "kq": 0.9, "kf": 1.0}  # COD B 150 × 0.9 = 135
STATIONS = {
    "hn-air-1": ("Trạm Hoàn Kiếm", 21.0288, 105.8523, 2, 75),  # moderate, fresh
    "hn-air-2": ("Trạm Cầu Giấy", 21.0312, 105.7905, 4, 160),  # bad, stale (last reading 10 h ago)
}


def _ward_points(engine: Engine, codes: list[str]) -> dict[str, tuple[float, float, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(BoundaryUnit.code, BoundaryUnit.name, BoundaryUnit.district, BoundaryUnit.geom)
            .join(BoundarySet, BoundarySet.id == BoundaryUnit.set_id)
            .where(BoundarySet.name == "hanoi-2025", BoundaryUnit.code.in_(codes))
        ).all()
    out = {}
    for code, name, district, geom in rows:
        point = geom.representative_point()
        out[code] = (point.y, point.x, name, district)
    return out


def _cases(engine: Engine) -> None:
    points = _ward_points(engine, list(CASE_PLAN))
    cases, reports = [], []
    case_id = 0
    for code, (open_ok, open_late, done_ok, done_late) in CASE_PLAN.items():
        lat, lon, name, district = points[code]
        kinds = [("open_ok", open_ok), ("open_late", open_late), ("done_ok", done_ok), ("done_late", done_late)]
        for kind, count in kinds:
            for _ in range(count):
                case_id += 1
                opened = NOW - dt.timedelta(days=3 + case_id)
                due = NOW + dt.timedelta(days=1) if kind == "open_ok" else opened + dt.timedelta(days=1)
                resolved = None
                if kind == "done_ok":
                    resolved = opened + dt.timedelta(hours=12)
                elif kind == "done_late":
                    resolved = opened + dt.timedelta(hours=36)
                cases.append(
                    {
                        "id": case_id,
                        "category_code": "waste" if case_id % 2 else "burning_smoke",
                        "lat": lat + case_id * 1e-5,
                        "lon": lon,
                        "set_name": "hanoi-2025",
                        "ward_code": code,
                        "ward_name": name,
                        "district": district,
                        "unit_id": 1 if code == "00070" else 2,
                        "status": "resolved" if resolved else "in_progress",
                        "title": XSS_TITLE if case_id == 1 else f"Rác thải tồn đọng #{case_id}",
                        "opened_at": opened,
                        "due_at": due,
                        "resolved_at": resolved,
                        "report_count": 1,
                        "last_report_at": opened,
                    }
                )
                reports.append(
                    {
                        "case_id": case_id,
                        "batch_id": "seed-complaints",
                        "source": "seed",
                        "external_id": f"S-{case_id}",
                        "channel": "zalo" if case_id % 3 else "hotline",
                        "category_code": "waste",
                        "description": XSS_TITLE if case_id == 1 else "Rác thải",
                        "reported_at": opened,
                        "lat": lat,
                        "lon": lon,
                        "ward_code": code,
                        "reporter_name": REPORTER_NAME,
                        "reporter_phone": REPORTER_PHONE,
                    }
                )
    with engine.begin() as conn:
        conn.execute(
            insert(ResponsibleUnit),
            [
                {"id": 1, "code": "ubnd-hk", "name": "UBND phường Hoàn Kiếm", "kind": "ward"},
                {"id": 2, "code": "urenco", "name": "Công ty Môi trường đô thị", "kind": "company"},
            ],
        )
        conn.execute(
            insert(ImportBatch),
            [
                {
                    "id": "seed-complaints",
                    "kind": "complaints",
                    "source": "seed",
                    "started_at": NOW,
                    "status": "done",
                    "summary": {"rows": 15, "accepted": 14, "duplicates": 0, "quarantined": 1, "unassigned": 0},
                }
            ],
        )
        conn.execute(
            insert(QuarantineRow),
            [
                {
                    "batch_id": "seed-complaints",
                    "row_number": 7,
                    "field": "lat",
                    "reason": "row 7: lat 210.5 out of range",
                    "raw": {"lat": "210.5"},
                    "created_at": NOW,
                }
            ],
        )
        conn.execute(insert(ComplaintCase), cases)
        conn.execute(insert(ComplaintReport), reports)


def _monitoring(engine: Engine) -> None:
    stations, readings, aqi = [], [], []
    for station_id, (name, lat, lon, level, value) in STATIONS.items():
        stations.append(
            {
                "id": station_id,
                "name": name,
                "kind": "air",
                "lat": lat,
                "lon": lon,
                "located": True,
                "set_name": "hanoi-2025",
                "ward_name": name.removeprefix("Trạm "),
                "source": "seed",
                "synthetic": True,
                "parameters": ["pm25", "no2"],
                "limit_profile": {},
            }
        )
        last = NOW - (dt.timedelta(hours=10) if station_id == "hn-air-2" else dt.timedelta(minutes=20))
        for hour in range(48):
            observed = last - dt.timedelta(hours=hour)
            readings.append(
                {
                    "station_id": station_id,
                    "parameter": "pm25",
                    "value": 30.0 + hour % 7,
                    "unit": "µg/m³",
                    "observed_at": observed,
                    "status": "01" if 5 <= hour < 8 else "00",
                }
            )
            readings.append(
                {
                    "station_id": station_id,
                    "parameter": "no2",
                    "value": 40.0,
                    "unit": "µg/m³",
                    "observed_at": observed,
                    "status": "00",
                }
            )
            aqi.append(
                {
                    "station_id": station_id,
                    "scale": "vn",
                    "period": "hourly",
                    "period_end": observed,
                    "aqi": value - hour % 3,
                    "category": level,
                    "dominant": "pm25",
                    "sub_indices": {"pm25": value},
                }
            )
        for day in range(7):
            aqi.append(
                {
                    "station_id": station_id,
                    "scale": "vn",
                    "period": "daily",
                    "period_end": last - dt.timedelta(days=day),
                    "aqi": value,
                    "category": level,
                    "dominant": "pm25",
                    "sub_indices": {"pm25": value},
                }
            )
        aqi.append(
            {
                "station_id": station_id,
                "scale": "us",
                "period": "hourly",
                "period_end": last,
                "aqi": value + 40,
                "category": min(6, level + 1),
                "dominant": "pm25",
                "sub_indices": {"pm25": value + 40},
            }
        )
    stations.append(
        {"id": "ww-1", "name": "KCN Thăng Long – cửa xả", "kind": "wastewater", "lat": 21.12, "lon": 105.78,
         "located": True, "set_name": "hanoi-2025", "ward_name": "Thượng Cát", "source": "seed", "synthetic": True,
         "parameters": ["cod"], "limit_profile": WASTEWATER_PROFILE}
    )  # fmt: skip
    for hour in range(24):
        observed = NOW - dt.timedelta(minutes=10) - dt.timedelta(hours=hour)
        readings.append(
            {
                "station_id": "ww-1",
                "parameter": "cod",
                "value": 180.0,
                "unit": "mg/L",
                "observed_at": observed,
                "status": "00",
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Station), stations)
        conn.execute(insert(Reading), readings)
        conn.execute(insert(Average), _hourly_means(readings))  # stored with the readings, as by store_batch
        rebuild_latest(conn)  # readings inserted directly, not through store_batch
        conn.execute(insert(AqiValue), aqi)
        conn.execute(
            insert(FeedState),
            [
                {
                    "feed": "openaq-hanoi",
                    "last_attempt_at": NOW,
                    "last_success_at": NOW,
                    "last_data_at": NOW - dt.timedelta(minutes=20),
                    "consecutive_failures": 0,
                }
            ],
        )
        conn.execute(
            insert(Alert),
            [
                {
                    "id": 1,
                    "rule_id": "pm25-24h-qcvn05",
                    "subject": "hn-air-2",
                    "kind": "threshold",
                    "severity": "warning",
                    "state": "firing",
                    "value": 62.0,
                    "threshold": 50.0,
                    "message": "PM2.5 24 h 62 > 50 µg/m³",
                    "labels": {"station_id": "hn-air-2", "station_name": "Trạm Hoàn Kiếm", "parameter": "pm25",
                               "period": "24h", "unit": "µg/m³", "basis": "QCVN 05:2023/BTNMT (24h)"},  # fmt: skip
                    "state_since": NOW - dt.timedelta(hours=5),
                    "fired_at": NOW - dt.timedelta(hours=5),
                },
                {
                    "id": 2,
                    "rule_id": "effluent-qcvn40",
                    "subject": "station:ww-1/cod",
                    "kind": "threshold",
                    "severity": "critical",
                    "state": "firing",
                    "value": 180.0,
                    "threshold": 135.0,
                    "message": "COD 180 > 135 mg/L",
                    "labels": {"station_id": "ww-1", "station_name": "KCN Thăng Long", "parameter": "cod",
                               "period": "raw", "unit": "mg/L", "basis": "QCVN 40:2011 B × Kq 0.9 × Kf 1"},  # fmt: skip
                    "state_since": NOW - dt.timedelta(hours=2),
                    "fired_at": NOW - dt.timedelta(hours=2),
                },
            ],
        )
        conn.execute(
            insert(AlertEvent),
            [
                {
                    "alert_id": 1,
                    "at": NOW - dt.timedelta(hours=5),
                    "event": "transition",
                    "from_state": "pending",
                    "to_state": "firing",
                    "value": 62.0,
                }
            ],
        )


def _hourly_means(readings: list[dict]) -> list[dict]:
    """The hourly means ``store_batch`` stores with ``readings`` (one reading an hour)."""
    frame = pd.DataFrame(readings).assign(observed_at=lambda f: pd.to_datetime(f["observed_at"], utc=True))
    hourly = hourly_means(frame, interval_minutes=60).assign(period="1h")
    hourly["value"] = hourly["value"].astype(object).where(hourly["value"].notna(), None)
    return [{**row, "period_end": row["period_end"].to_pydatetime()} for row in hourly.to_dict("records")]


def seed_dashboard(engine: Engine) -> None:
    """Write the whole dataset (boundaries must already be loaded) and one user per role."""
    _cases(engine)
    _monitoring(engine)
    for name, role in USERS.items():
        create_user(engine, name, PASSWORD, role)


def case_totals() -> dict[str, int]:
    """Expected totals of the seeded cases (independently of any query)."""
    totals = {"open": 0, "overdue": 0, "resolved": 0, "on_time": 0}
    for open_ok, open_late, done_ok, done_late in CASE_PLAN.values():
        totals["open"] += open_ok + open_late
        totals["overdue"] += open_late
        totals["resolved"] += done_ok + done_late
        totals["on_time"] += done_ok
    return totals


def signed_in(database_url: str, username: str) -> dict[str, object]:
    """Session-state entries of a browser signed in as ``username`` (a real server-side session, as after a login)."""
    from dashboard import state
    from data import sessions
    from data.db import make_engine
    from data.schema import User

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            user_id = conn.execute(select(User.id).where(User.username == username)).scalar_one()
        session_id, _code = sessions.start(engine, user_id, sessions.SessionPolicy())
    finally:
        engine.dispose()
    return {state.SESSION_ID: session_id}
