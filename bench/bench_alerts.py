"""Alert evaluation benchmark: all shipped rules over one day of 5-minute data, 100 stations × 8 parameters.

Seeded synthetic data in a temporary SQLite file: 60 air and 40 wastewater stations, 288 readings per
parameter (status 01 calibration windows, 02 device errors, one station dying at 15:00), hourly / 8-h / 24-h
means and stored AQI. The rules are evaluated every 5 minutes of the day (every hour with ``--quick``).
Baseline: collecting the latest value per station and parameter with one query each (the obvious N+1 loop)
instead of one grouped query per rule.
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
from data.db import make_engine, migrate, transaction
from data.schema import Average, Reading, Station
from monitoring.alert_engine import evaluate_alerts
from monitoring.alert_signals import latest_readings
from monitoring.aqi_store import refresh_aqi

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


def main(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark, print a summary with the baseline ratio, and return the measurements."""
    stations = 20 if quick else 100
    step = dt.timedelta(hours=1) if quick else dt.timedelta(minutes=5)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
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
    }
    print(f"# Alert evaluation — {machine()}")
    print(
        f"{stations} stations × 8 parameters, {n_readings:,} 5-min readings (synthetic, seeded); data + AQI load "
        f"{load_s:.1f} s"
    )
    print(
        f"{len(times)} evaluations of all rules over the day: {evaluate_s:.1f} s total, {per_eval * 1000:.0f} ms each; "
        f"alerts at the end: {summary.states}"
    )
    print(
        f"latest status-00 value of every station/parameter: one grouped query {grouped_s * 1000:.0f} ms vs. one "
        f"query per pair {baseline_s * 1000:.0f} ms (×{baseline_s / grouped_s:.1f})"
    )
    return {"alerts": result}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 stations, hourly evaluations")
    main(parser.parse_args().quick)
