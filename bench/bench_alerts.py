"""Alert benchmark: every rule family over one day of 100 stations × 8 parameters plus 200,000 complaint cases,
and the Alerts page with 5,000 alerts in its history.

Seeded synthetic data in a temporary SQLite file: 60 air and 40 wastewater stations, 288 readings per
parameter (status 01 calibration windows, 02 device errors, one station dying at 15:00), hourly / 8-h / 24-h
means and stored AQI; 200,000 cases over a year in the shipped wards, routed to the shipped units, about a
fifth still open with SLA deadlines. Measured in the same run:

- the station rules evaluated every 5 minutes of the day (every hour with ``--quick``), and the latest value
  per station and parameter in one grouped query against one query per pair (the obvious N+1 loop);
- one evaluation of every family at the end of the day, overdue reminders grouped per unit included (target
  ≤ 1 s): warm (complaints unchanged, best of 3), after a small change (two new cases and three status changes
  before each of 3 evaluations, median: what the poller meets every round) and cold (nothing kept: the cases
  read and the spots searched in full, the first evaluation after a start); the after-change figure against a
  cold evaluation after the same kind of change (reading everything again on any change, what the product did
  before), the warm one against one SLA alert per overdue case, and the SLA family's memo against its two
  grouped SQL scans of the cases;
- the Alerts page (server time of a full AppTest run) with 5,000 alerts changed in the last week (target ≤ 1 s),
  and its listing read with one query against one query per alert.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select

from bench._common import machine, timed
from data.alert_queries import alert_frame
from data.alert_text import describe, describe_frame
from data.boundary_store import load_shipped_sets, wards_frame
from data.case_filter import CaseFilter
from data.config import load_settings
from data.db import make_engine, migrate, transaction
from data.queries import oldest_overdue_cases, overdue_by_unit
from data.routing import seed_routing
from data.schema import Alert, Average, CaseStatusChange, ComplaintCase, Reading, ResponsibleUnit, Station
from data.sla import overdue_mask
from data.station_signal_queries import latest_readings
from monitoring import hotspot_signals, sla_signals
from monitoring.alert_engine import evaluate_alerts
from monitoring.aqi_store import refresh_aqi
from monitoring.pipeline import all_providers
from monitoring.signals import Signal

DAY = dt.datetime(2025, 3, 8, tzinfo=dt.UTC) - dt.timedelta(hours=7)  # 00:00 local, 8 March 2025
AIR = {"pm25": 45, "pm10": 80, "no2": 60, "so2": 20, "o3": 70, "co": 1500, "temp": 25, "rh": 75}
WATER = {"cod": 90, "tss": 60, "nh4": 6, "tn": 25, "tp": 3, "ph": 7.2, "temp": 30, "color": 60}
PROFILE = {"standard": "QCVN 40:2011", "column": "B", "kq": 1.0, "kf": 1.0}


def _readings(stations: int, seed: int = 8) -> pd.DataFrame:
    """One day of 5-minute readings: diurnal pattern + noise, some exceedances, calibration and errors."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(DAY + dt.timedelta(minutes=5), periods=288, freq="5min")
    diurnal = 1 + 0.4 * np.sin(np.linspace(0, 2 * np.pi, 288))
    frames = []
    for index in range(stations):
        station = f"ST{index:03d}"
        levels = AIR if index % 5 < 3 else WATER
        for parameter, level in levels.items():
            scale = 1.6 if index % 7 == 0 else 1.0  # every 7th station runs high
            values = level * scale * diurnal * rng.lognormal(0, 0.15, 288)
            status = np.full(288, "00")
            if index % 10 == 1:
                status[120:132] = "01"  # a one-hour calibration window with span-gas values
                values[120:132] = level * 20
            if index % 17 == 2:
                status[200:] = "02"
            keep = slice(0, 180) if index == 5 else slice(0, 288)  # station ST005 dies at 15:00 local
            frames.append(
                pd.DataFrame(
                    {
                        "station_id": station,
                        "parameter": parameter,
                        "value": values[keep],
                        "unit": "µg/m³" if levels is AIR else "mg/L",
                        "observed_at": times[keep],
                        "status": status[keep],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _averages(readings: pd.DataFrame) -> pd.DataFrame:
    """Hourly means of status-00 readings (≥ 9 of 12), rolling 8-h (8/8) and 24-h (≥ 18) means."""
    valid = readings[readings["status"] == "00"].copy()
    valid["period_end"] = valid["observed_at"].dt.ceil("h")
    hourly = valid.groupby(["station_id", "parameter", "period_end"])["value"].agg(["mean", "count"]).reset_index()
    hourly["valid"] = hourly["count"] >= 9
    frames = [hourly.assign(period="1h").rename(columns={"mean": "value"})]
    series = hourly[hourly["valid"]].pivot_table(index="period_end", columns=["station_id", "parameter"], values="mean")
    for period, (hours, minimum) in {"8h": (8, 8), "24h": (24, 18)}.items():
        rolled = series.rolling(hours, min_periods=minimum).mean().stack([0, 1], future_stack=True).dropna()
        frame = rolled.rename("value").reset_index().assign(period=period, valid=True)
        frames.append(frame)
    merged = pd.concat(frames, ignore_index=True)
    return merged[["station_id", "parameter", "period", "period_end", "value", "valid"]]


def _load(engine: Engine, stations: int) -> int:
    readings = _readings(stations)
    averages = _averages(readings)
    with transaction(engine) as session:
        session.execute(
            insert(Station),
            [
                {"id": f"ST{i:03d}", "name": f"Trạm tổng hợp {i:03d} (synthetic)", "synthetic": True,
                 "kind": "air" if i % 5 < 3 else "wastewater", "limit_profile": {} if i % 5 < 3 else PROFILE}
                for i in range(stations)
            ],
        )  # fmt: skip
        session.execute(insert(Reading), readings.to_dict("records"))
        session.execute(insert(Average), averages.to_dict("records"))
    refresh_aqi(engine)
    return len(readings)


def _latest_one_query_each(engine: Engine, now: dt.datetime) -> int:
    """Baseline: the latest status-00 reading of every station and parameter, one query per pair."""
    with engine.connect() as conn:
        pairs = conn.execute(select(Reading.station_id, Reading.parameter).distinct()).all()
        found = 0
        for station, parameter in pairs:
            query = (
                select(Reading.value)
                .where(Reading.station_id == station, Reading.parameter == parameter, Reading.status == "00")
                .where(Reading.observed_at <= now)
                .order_by(Reading.observed_at.desc())
                .limit(1)
            )
            found += conn.execute(query).first() is not None
    return found


def _load_cases(engine: Engine, count: int, now: dt.datetime, seed: int = 15) -> int:
    """``count`` cases over the year before ``now`` in the shipped wards; about a fifth open, some overdue."""
    load_shipped_sets(engine)
    seed_routing(engine)
    rng = np.random.default_rng(seed)
    wards = wards_frame(engine, "hanoi-2025")
    points = wards.geometry.representative_point()
    with engine.connect() as conn:
        units = [row[0] for row in conn.execute(select(ResponsibleUnit.id))]
    pick = rng.integers(0, len(wards), count)
    opened = (now - pd.to_timedelta(rng.exponential(60, count).clip(0, 364), unit="D")).floor("s")
    status = rng.choice(["received", "assigned", "in_progress", "resolved", "rejected"], count,
                        p=[0.05, 0.07, 0.08, 0.75, 0.05])  # fmt: skip
    accept_due = opened + pd.Timedelta(hours=24)
    due = opened + pd.to_timedelta(rng.choice([12, 72, 168], count), unit="h")
    categories = rng.choice(["waste", "smoke", "noise", "wastewater", "odour"], count)
    rows = [
        {"set_name": "hanoi-2025", "ward_code": str(wards["code"].iloc[w]), "ward_name": str(wards["name"].iloc[w]),
         "lat": float(points.y.iloc[w] + rng.normal(0, 0.002)), "lon": float(points.x.iloc[w] + rng.normal(0, 0.002)),
         "category_code": str(c), "status": str(st), "priority": "normal", "unit_id": int(units[w % len(units)]),
         "opened_at": o.to_pydatetime(), "last_report_at": o.to_pydatetime(), "accept_due_at": a.to_pydatetime(),
         "due_at": d.to_pydatetime(), "resolved_at": (o + pd.Timedelta(hours=30)).to_pydatetime()
         if st in ("resolved", "rejected") else None, "report_count": 1, "title": "synthetic"}
        for w, c, st, o, a, d in zip(pick, categories, status, opened, accept_due, due, strict=True)
    ]  # fmt: skip
    with transaction(engine) as session:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(ComplaintCase), rows[start : start + 20_000])
    return count


def _one_alert_per_case(engine: Engine, now: dt.datetime) -> list[Signal]:
    """Baseline SLA provider: one signal per overdue case (the per-case reminders the product used to send)."""
    with engine.connect() as conn:
        frame = pd.read_sql(
            select(ComplaintCase.id, ComplaintCase.status, ComplaintCase.accept_due_at, ComplaintCase.due_at)
            .where(ComplaintCase.status.not_in(("resolved", "rejected", "transferred"))), conn)  # fmt: skip
    late = frame[overdue_mask(frame["status"], frame["accept_due_at"], frame["due_at"], now)]
    return [Signal("complaint-case-overdue", f"case:{i}", True, 1.0, 0.0, now, "sla", {"case_id": str(i)})
            for i in late["id"]]  # fmt: skip


def _all_families(
    engine: Engine, now: dt.datetime, per_case: bool, repeat: int = 1
) -> tuple[float, dict[str, int], int]:
    providers = all_providers(load_settings())
    if per_case:
        providers = [*providers[:-1], _one_alert_per_case]
    seconds, summary = timed(lambda: evaluate_alerts(engine, now, providers), repeat=repeat)
    assert not summary.provider_errors, summary.provider_errors
    return seconds, summary.states, summary.signals


def _small_change(engine: Engine, now: dt.datetime, round_: int) -> None:
    """What happens between two poller rounds: two new cases next to an open one, three cases move on."""
    with transaction(engine) as session:
        moving = session.scalars(
            select(ComplaintCase).where(ComplaintCase.status == "received").order_by(ComplaintCase.id)
            .offset(3 * round_).limit(3)
        ).all()  # fmt: skip
        for case in moving:
            session.add(CaseStatusChange(case_id=case.id, from_status="received", to_status="assigned", at=now,
                                         actor="bench"))  # fmt: skip
            case.status = "assigned"
        near = moving[0]
        for k in range(2):
            session.add(ComplaintCase(
                category_code=near.category_code, lat=near.lat + 1e-4 * (k + 1), lon=near.lon, set_name=near.set_name,
                ward_code=near.ward_code, ward_name=near.ward_name, status="received", priority="normal",
                unit_id=near.unit_id, opened_at=now, last_report_at=now, accept_due_at=now + dt.timedelta(hours=24),
                due_at=now + dt.timedelta(hours=72), report_count=1, title="synthetic"))  # fmt: skip


def _forget_cases() -> None:
    """Drop what the complaint families keep between evaluations: the next one reads and searches everything."""
    hotspot_signals.recent_cases.clear()
    sla_signals.open_cases.clear()


def _evaluation_figures(engine: Engine, end: dt.datetime) -> dict[str, Any]:
    """Every family at the end of the day: cold, warm, after small changes, and their same-run alternatives."""
    at = iter(end + dt.timedelta(minutes=5 * (i + 1)) for i in range(100))
    _forget_cases()
    cold_s, states, signals = _all_families(engine, next(at), per_case=False)
    warm_s, _, _ = _all_families(engine, next(at), per_case=False, repeat=3)
    changed = []
    for round_ in range(3):
        now = next(at)
        _small_change(engine, now, round_)
        changed.append(_all_families(engine, now, per_case=False)[0])
    now = next(at)
    _small_change(engine, now, 3)
    _forget_cases()
    reread_s, _, _ = _all_families(engine, now, per_case=False)
    now = next(at)
    _all_families(engine, now, per_case=False)  # keep the memos current for the SLA comparison
    sla_memo_s, _ = timed(lambda: sla_signals.sla_signals(engine, now), repeat=3)
    everything = CaseFilter()
    sla_sql_s, _ = timed(
        lambda: (overdue_by_unit(engine, everything, now), oldest_overdue_cases(engine, everything, now)), repeat=3
    )
    per_case_s, per_case_states, _ = _all_families(engine, next(at), per_case=True)
    return {
        "all_families_cold_s": cold_s,
        "all_families_s": warm_s,
        "all_families_after_change_s": sorted(changed)[1],
        "all_families_reread_after_change_s": reread_s,
        "all_families_states": states,
        "all_families_signals": signals,
        "sla_memo_s": sla_memo_s,
        "sla_two_scans_s": sla_sql_s,
        "per_case_sla_s": per_case_s,
        "per_case_states": per_case_states,
    }


def _seed_history(engine: Engine, now: dt.datetime, count: int) -> None:
    """``count`` alerts changed within the last week: station, ward and unit alerts in every state."""
    rng = np.random.default_rng(5)
    kinds = ["threshold", "silence", "device", "aqi", "hotspot", "sla"]
    states = ["resolved"] * 6 + ["firing", "pending", "stale"]
    rows = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        since = now - dt.timedelta(minutes=int(rng.integers(1, 7 * 24 * 60)))
        rows.append({
            "rule_id": f"bench-{kind}", "subject": f"bench:{i}", "kind": kind, "state": states[i % len(states)],
            "severity": ["info", "warning", "critical"][i % 3], "value": float(rng.uniform(10, 300)),
            "threshold": 150.0, "message": "", "active_at": since, "state_since": since, "last_data_at": since,
            "labels": {"station_id": f"ST{i % 100:03d}", "station_name": f"Trạm tổng hợp {i % 100:03d}",
                       "parameter": "cod", "unit": "mg/L", "period": "raw", "basis": "QCVN 40:2011 B",
                       "ward_code": f"{i % 126:05d}", "ward_name": f"Phường {i % 126}", "unit_code": f"U{i % 30}",
                       "unit_name": f"Đơn vị {i % 30}", "open_cases": "12", "last_reading_at": since.isoformat()},
        })  # fmt: skip
    with transaction(engine) as session:
        session.execute(insert(Alert), rows)


def _page_seconds(url: str, repeat: int = 3) -> tuple[float, float]:
    """Server time of the Alerts page (AppTest: the script, every query, every element): the first run
    (nothing cached) and the median of the next runs (a second visitor, a filter change)."""
    import os

    from streamlit.testing.v1 import AppTest

    from dashboard import state
    from data import sessions
    from data.users import create_user

    os.environ["DATABASE_URL"] = url
    engine = make_engine(url)
    user_id = create_user(engine, "ops", "bench-operator-2025", "operator").id
    session_id, _code = sessions.start(engine, user_id, sessions.SessionPolicy())  # as after a login
    engine.dispose()
    app = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.run()
    at.session_state[state.SESSION_ID] = session_id
    at.switch_page("views/alerts.py")
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    assert not at.exception and len(at.dataframe) >= 3, "the Alerts page did not draw its groups"
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        runs.append(time.perf_counter() - start)
    return cold, sorted(runs)[len(runs) // 2]


def _listing(engine: Engine, now: dt.datetime, one_by_one: bool) -> int:
    """The page's listing in words: one query for the week's alerts, or (baseline) one query per alert."""
    if one_by_one:
        with engine.connect() as conn:
            ids = [row[0] for row in conn.execute(select(Alert.id))]
        records = [alert_frame(engine, alert_id=i).to_dict("records")[0] for i in ids]
        return len([describe(record, "vi", now=now) for record in records])
    frame = alert_frame(engine, states=("pending", "firing", "stale"), since=now - dt.timedelta(days=7))
    return len(describe_frame(frame, "vi", now=now))


def main(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark, print a summary with the baseline ratios, and return the measurements."""
    stations = 20 if quick else 100
    cases = 20_000 if quick else 200_000
    history = 1_000 if quick else 5_000
    step = dt.timedelta(hours=1) if quick else dt.timedelta(minutes=5)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        load_s, n_readings = timed(lambda: _load(engine, stations))
        times = [DAY + step * (i + 1) for i in range(int(dt.timedelta(days=1) / step))]
        start = time.perf_counter()
        summary = None
        for now in times:
            summary = evaluate_alerts(engine, now)
        evaluate_s = time.perf_counter() - start
        baseline_s, _ = timed(lambda: _latest_one_query_each(engine, times[-1]), repeat=3)
        grouped_s, _ = timed(lambda: latest_readings(engine, None, times[-1], measuring_only=True), repeat=3)
        end = times[-1]
        cases_s, _ = timed(lambda: _load_cases(engine, cases, end))
        figures = _evaluation_figures(engine, end)
        with transaction(engine) as session:  # the page shows the seeded week, not the baseline's per-case alerts
            session.query(Alert).filter(Alert.rule_id == "complaint-case-overdue").delete()
        _seed_history(engine, end, history)
        listing_s, listed = timed(lambda: _listing(engine, end, one_by_one=False), repeat=3)
        one_by_one_s, _ = timed(lambda: _listing(engine, end, one_by_one=True))
        page_cold_s, page_s = _page_seconds(f"sqlite:///{path}")
        engine.dispose()
    assert summary is not None
    per_eval = evaluate_s / len(times)
    result = {
        "stations": stations,
        "readings": n_readings,
        "evaluations": len(times),
        "load_s": load_s,
        "evaluate_total_s": evaluate_s,
        "evaluate_each_s": per_eval,
        "final_states": summary.states,
        "baseline_latest_one_query_each_s": baseline_s,
        "latest_grouped_query_s": grouped_s,
        "cases": cases,
        **figures,
        "history_alerts": history,
        "listing_s": listing_s,
        "listing_one_query_each_s": one_by_one_s,
        "alerts_page_s": page_s,
        "alerts_page_first_s": page_cold_s,
    }
    print(f"# Alert evaluation — {machine()}")
    print(
        f"{stations} stations × 8 parameters, {n_readings:,} 5-min readings (synthetic, seeded); data + AQI load "
        f"{load_s:.1f} s"
    )
    print(
        f"{len(times)} evaluations of the station rules over the day: {evaluate_s:.1f} s total, "
        f"{per_eval * 1000:.0f} ms each; alerts at the end: {summary.states}"
    )
    print(
        f"latest status-00 value of every station/parameter: one grouped query {grouped_s * 1000:.0f} ms vs. one "
        f"query per pair {baseline_s * 1000:.0f} ms (×{baseline_s / grouped_s:.1f})"
    )
    f = figures
    print(
        f"+ {cases:,} cases (loaded in {cases_s:.1f} s): every family incl. hotspots and SLA reminders grouped per "
        f"unit, {f['all_families_signals']:,} signals, alerts {f['all_families_states']}:\n"
        f"  warm (complaints unchanged, best of 3) {f['all_families_s'] * 1000:.0f} ms vs. one SLA alert per overdue "
        f"case {f['per_case_sla_s'] * 1000:.0f} ms (×{f['per_case_sla_s'] / f['all_families_s']:.1f}; alerts "
        f"{f['per_case_states']})\n"
        f"  after a small change (2 new cases, 3 status changes; median of 3) "
        f"{f['all_families_after_change_s'] * 1000:.0f} ms vs. reading everything again after it "
        f"{f['all_families_reread_after_change_s'] * 1000:.0f} ms "
        f"(×{f['all_families_reread_after_change_s'] / f['all_families_after_change_s']:.1f})\n"
        f"  cold (first evaluation, nothing kept) {f['all_families_cold_s'] * 1000:.0f} ms\n"
        f"  SLA family alone: open cases kept + data.sla.overdue_mask {f['sla_memo_s'] * 1000:.0f} ms vs. its two "
        f"grouped SQL scans {f['sla_two_scans_s'] * 1000:.0f} ms (×{f['sla_two_scans_s'] / f['sla_memo_s']:.1f})"
    )
    print(
        f"Alerts page with {history:,} alerts in the week: {page_s * 1000:.0f} ms server time per run (first run, "
        f"nothing cached: {page_cold_s * 1000:.0f} ms); its listing in "
        f"words ({listed:,} alerts) {listing_s * 1000:.0f} ms vs. one query per alert {one_by_one_s * 1000:.0f} ms "
        f"(×{one_by_one_s / listing_s:.1f})"
    )
    return {"alerts": result}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 stations, 20,000 cases, hourly evaluations")
    main(parser.parse_args().quick)
