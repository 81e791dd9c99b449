"""Demo feeds: the shipped feeds.toml ingests air and wastewater; the synthetic stations show every alert path."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.config import PACKAGE_CONFIG_DIR
from data.schema import Reading, Station
from monitoring.demo import build_demo_monitoring
from monitoring.feeds.config import load_feed_config
from monitoring.feeds.replay import AirReplayFeed, real_series
from monitoring.feeds.simulator import DEMO_PLANTS, DataloggerSimulator

NOW = dt.datetime(2026, 11, 22, 20, 33, tzinfo=dt.UTC)


def _frame(engine: Engine, query: object) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


@pytest.mark.slow
def test_build_demo_monitoring_shows_every_alert_path(sqlite_engine: Engine, tmp_path: Path) -> None:
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(sqlite_engine)
    result = build_demo_monitoring(sqlite_engine, now=NOW, days=2, dropbox=tmp_path / "dropbox")
    feeds = result["feeds"]
    assert all(feed["ok"] for feed in feeds.values())
    assert feeds["demo-air"]["accepted"] > 0 and feeds["demo-wastewater"]["accepted"] > 0
    assert result["files_written"] == feeds["demo-wastewater"]["files"]
    assert feeds["demo-wastewater"]["quarantined"] == 0
    stations = _frame(sqlite_engine, select(Station.id, Station.synthetic, Station.ward_code, Station.kind))
    wastewater = stations[stations["kind"] == "wastewater"]
    assert len(wastewater) == 6 and wastewater["synthetic"].all() and wastewater["ward_code"].notna().all()
    readings = _frame(
        sqlite_engine, select(Reading.station_id, Reading.parameter, Reading.value, Reading.status, Reading.observed_at)
    )
    statuses = readings.groupby("station_id")["status"].agg(set)
    assert "01" in statuses["HN_KCNTHANGLONG_NT01"] and "01" in statuses["HN_KCNQUANGMINH_NT01"]
    assert "02" in statuses["HN_KCNNAMTHANGLONG_NT01"]
    cod = readings[(readings["station_id"] == "HN_KCNPHUNGHIA_NT01") & (readings["parameter"] == "cod")]
    assert cod["value"].max() > 100  # permit override cod=100
    nh4 = readings[(readings["station_id"] == "HN_XLNTBACTHANGLONG_NT01") & (readings["parameter"] == "nh4")]
    assert nh4["value"].max() > 10 * 0.9 * 0.9  # QCVN 40 column B × Kq × Kf
    yen_so = readings[readings["station_id"] == "HN_XLNTYENSO_NT01"]
    assert (
        yen_so["observed_at"].nunique()
        < readings[readings["station_id"] == "HN_KCNPHUNGHIA_NT01"]["observed_at"].nunique()
    )  # the outage left hours without files
    assert result["history"]["evaluations"] == 2 * 24 - 2 + 12 and result["history"]["transitions"] > 0
    again = build_demo_monitoring(sqlite_engine, now=NOW, days=2, dropbox=tmp_path / "dropbox")
    assert again["feeds"]["demo-air"]["accepted"] == 0 and again["feeds"]["demo-wastewater"]["accepted"] == 0


def _alert_states(engine: Engine) -> dict[tuple[str, str], str]:
    from data.schema import Alert

    with engine.connect() as conn:
        return {(row.rule_id, row.subject): row.state for row in conn.execute(select(Alert)).all()}


@pytest.mark.slow
def test_demo_shows_the_promised_alert_states_now_and_hours_later(sqlite_engine: Engine, tmp_path: Path) -> None:
    from data.boundary_store import load_shipped_sets
    from monitoring.alert_engine import BuiltinProvider, evaluate_alerts
    from monitoring.demo import demo_feeds
    from monitoring.pipeline import all_providers
    from monitoring.poller import run_once

    load_shipped_sets(sqlite_engine)
    build_demo_monitoring(sqlite_engine, now=NOW, days=2, dropbox=tmp_path / "dropbox")
    providers = [p for p in all_providers() if isinstance(p, BuiltinProvider)]
    later = NOW
    for hours in (0, 5, 29):
        moment = NOW + dt.timedelta(hours=hours)
        while later < moment:  # the poller: a poll and an evaluation every 5 minutes
            later += dt.timedelta(minutes=5)
            if later >= moment - dt.timedelta(minutes=30):
                run_once(sqlite_engine, demo_feeds(tmp_path / "dropbox", days=2), later)
                evaluate_alerts(sqlite_engine, later, providers)
        _assert_promised_states(sqlite_engine, moment)


def _assert_promised_states(engine: Engine, moment: dt.datetime) -> None:
    """The live states the demo promises at ``moment``: effluent and air exceedances firing, one pending, a
    stale station that went silent mid-exceedance, a device error, a calibrating station."""
    states = _alert_states(engine)
    assert states[("effluent-cmax", "station:HN_KCNPHUNGHIA_NT01/cod")] == "firing", moment
    assert "pending" in {
        states.get(("effluent-cmax", f"station:HN_XLNTBACTHANGLONG_NT01/{p}")) for p in ("cod", "tss")
    }, moment
    assert states[("effluent-cmax", "station:HN_XLNTYENSO_NT01/tss")] == "stale", moment
    assert states[("station-silent", "station:HN_XLNTYENSO_NT01")] == "firing", moment
    assert states[("device-error", "station:HN_KCNNAMTHANGLONG_NT01/nh4")] == "firing", moment
    assert any(rule == "pm25-24h-qcvn05" and state == "firing" for (rule, _), state in states.items()), moment
    readings = _frame(engine, select(Reading.status).where(
        Reading.station_id == "HN_KCNQUANGMINH_NT01", Reading.observed_at == moment.replace(minute=30)
    ))  # fmt: skip
    assert set(readings["status"]) == {"01"}, moment  # calibrating


@pytest.mark.slow
def test_a_demo_opened_days_later_replays_the_downtime(sqlite_engine: Engine, tmp_path: Path) -> None:
    from data.boundary_store import load_shipped_sets
    from data.schema import Alert, AlertEvent
    from monitoring.alert_engine import BuiltinProvider, evaluate_alerts
    from monitoring.demo import resume_demo_feeds
    from monitoring.pipeline import all_providers

    load_shipped_sets(sqlite_engine)
    build_demo_monitoring(sqlite_engine, now=NOW, days=2, dropbox=tmp_path / "dropbox")
    later = NOW + dt.timedelta(days=5, hours=7)  # the machine was off
    assert resume_demo_feeds(sqlite_engine, later, days=2)
    result = build_demo_monitoring(sqlite_engine, now=later, days=2, dropbox=tmp_path / "dropbox")
    assert result["files_written"] <= 6 * 2 * 24 * 12  # bounded: at most `days` of files per station
    assert result["history"]["evaluations"] == 2 * 24 - 2 + 12  # the last `days` replayed, not the five
    evaluate_alerts(sqlite_engine, later, [p for p in all_providers() if isinstance(p, BuiltinProvider)])
    _assert_promised_states(sqlite_engine, later)
    alerts = _frame(sqlite_engine, select(Alert.active_at, Alert.state_since))
    for column in ("active_at", "state_since"):  # no "active since" in the future
        assert (pd.to_datetime(alerts[column].dropna(), utc=True) <= pd.Timestamp(later)).all()
    events = _frame(sqlite_engine, select(AlertEvent.at))
    recent = pd.to_datetime(events["at"], utc=True) > pd.Timestamp(later - dt.timedelta(days=2))
    assert recent.sum() > 10  # alert history over the replayed days


def test_replay_ends_at_now_and_continues_without_gaps() -> None:
    feed = AirReplayFeed("demo-air", days=1)
    first = feed.fetch({}, NOW)
    assert first.readings["observed_at"].max() == pd.Timestamp("2026-11-22T20:00Z")
    assert first.readings["observed_at"].min() == pd.Timestamp("2026-11-21T21:00Z")
    assert set(first.readings["source"]) == {"demo-replay"}
    real = real_series()
    last_real = real[real["observed_at"] == real["observed_at"].max()].sort_values(["station_id", "parameter"])
    replayed_now = first.readings[first.readings["observed_at"] == pd.Timestamp("2026-11-22T20:00Z")]
    assert replayed_now.sort_values(["station_id", "parameter"])["value"].tolist() == last_real["value"].tolist()
    later = feed.fetch(first.checkpoint, NOW + dt.timedelta(hours=3))
    assert sorted(later.readings["observed_at"].unique()) == [
        pd.Timestamp("2026-11-22T21:00Z"), pd.Timestamp("2026-11-22T22:00Z"), pd.Timestamp("2026-11-22T23:00Z"),
    ]  # fmt: skip
    looped = later.readings[later.readings["observed_at"] == pd.Timestamp("2026-11-22T21:00Z")]
    first_real = real[real["observed_at"] == real["observed_at"].min()]
    assert sorted(looped["value"]) == sorted(first_real["value"])  # after the last real hour comes the first


def test_simulator_writes_genuine_tt10_files(tmp_path: Path) -> None:
    simulator = DataloggerSimulator("sim", tmp_path, backfill=dt.timedelta(minutes=30))
    batch = simulator.fetch({}, NOW)
    names = sorted(path.name for path in tmp_path.glob("*.txt"))
    assert batch.checkpoint["simulated_until"] == NOW.isoformat() and batch.checkpoint["written"] == len(names)
    assert sorted(f.name for f in batch.files) == names and len(batch.readings) == 7 * len(names)
    # 20:05 … 20:30 UTC, no recurring outage at 03:xx local; Yên Sở is silent since 3 h before the anchor (NOW)
    assert len(names) == 6 * (len(DEMO_PLANTS) - 1) and not any("YENSO" in name for name in names)
    content = (tmp_path / names[0]).read_bytes().decode("utf-8")
    lines = content.split("\r\n")
    assert lines[-1] == "" and len(lines) == 8
    assert [line.split("\t")[0] for line in lines[:-1]] == ["Temp", "pH", "Color", "COD", "TSS", "NH4", "Flow"]
    assert all(len(line.split("\t")) == 5 for line in lines[:-1])


def test_the_anchored_incidents_hold_whatever_the_hour_the_demo_is_built(tmp_path: Path) -> None:
    """From a station's first incident on, only its incidents shape it: no recurring afternoon outage hides Yên Sở's
    exceedance before its silence (the demo built at 18:46 local had no stale alert), whatever the build time."""
    simulator = DataloggerSimulator("sim", tmp_path)
    without_events = DataloggerSimulator("bare", tmp_path, plants=tuple(replace(p, events=()) for p in DEMO_PLANTS))
    yen_so = next(i for i, plant in enumerate(DEMO_PLANTS) if plant.station_id == "HN_XLNTYENSO_NT01")
    for anchor in pd.date_range("2026-12-05 00:00", periods=96, freq="30min", tz="UTC"):  # 2 days: both parities
        for index, plant in enumerate(DEMO_PLANTS):
            if not plant.incidents:
                continue
            start = anchor - max(incident.begins for incident in plant.incidents)
            times = pd.date_range(start, anchor, freq="5min")
            scripted = simulator.values(index, times, anchor.to_pydatetime())
            assert scripted.equals(without_events.values(index, times, anchor.to_pydatetime())), (plant, anchor)
        times = pd.date_range(anchor - pd.Timedelta(hours=5), anchor, freq="5min")
        frame = simulator.values(yen_so, times, anchor.to_pydatetime())
        exceeding = frame[frame.index < anchor - pd.Timedelta(hours=3)]
        assert not exceeding["outage"].any() and (exceeding["TSS"] > 100).all(), anchor  # then silent
        assert frame.loc[frame.index >= anchor - pd.Timedelta(hours=3), "outage"].all(), anchor


def test_shipped_feed_config_poll_once_ingests_air_and_wastewater(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "feeds.toml"
    shipped = (PACKAGE_CONFIG_DIR / "feeds.toml").read_text(encoding="utf-8")
    config.write_text(
        shipped.replace("days = 7", "days = 1")
        .replace("backfill_days = 7", "backfill_days = 0.25")
        .replace(
            'stations_file = "stations.csv"', f'stations_file = "{(PACKAGE_CONFIG_DIR / "stations.csv").as_posix()}"'
        ),
        encoding="utf-8",
    )
    specs = load_feed_config(config, var_dir=tmp_path / "var")
    assert [spec.name for spec in specs.feeds] == ["demo-air", "demo-wastewater"]
    from cli import main
    from data.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENVMON_VAR_DIR", str(tmp_path / "var"))
    assert main(["feeds", "poll", "--once", "--config", str(config)]) == 0
    polled = json.loads(capsys.readouterr().out)
    assert polled["demo-air"]["accepted"] > 0 and polled["demo-wastewater"]["accepted"] > 0
    assert polled["demo-air"]["status"] == "OK" and polled["demo-wastewater"]["status"] == "OK"
    assert main(["feeds", "status", "--config", str(config)]) == 0
    status = {row["feed"]: row for row in json.loads(capsys.readouterr().out)}
    assert status["demo-wastewater"]["consecutive_failures"] == 0
    assert status["demo-wastewater"]["last_success_at"] is not None


def test_feed_config_errors_name_the_feed(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[[feed]]\nname = "aq"\ntype = "openaq"\nlocation_ids = [1]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="feed 'aq': OpenAQ needs an API key"):
        load_feed_config(config, var_dir=tmp_path)
    config.write_text('after_poll = ["monitoring.poller:nothing_here"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="'nothing_here' is not a function"):
        load_feed_config(config, var_dir=tmp_path)


@pytest.mark.slow
def test_feeds_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from data.db import make_engine, migrate
    from monitoring.poller import read_health

    config = tmp_path / "feeds.toml"
    config.write_text('[[feed]]\nname = "demo-air"\ntype = "demo-air-replay"\ndays = 1\ninterval_minutes = 60\n')
    url = f"sqlite:///{tmp_path / 'run.db'}"
    engine = make_engine(url)
    migrate(engine)
    env = {**os.environ, "DATABASE_URL": url, "ENVMON_VAR_DIR": str(tmp_path / "var")}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "feeds", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while read_health(engine, "demo-air").last_success_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert json.loads(out) == {"stopped": True, "polls": 1}
    assert read_health(engine, "demo-air").consecutive_failures == 0
