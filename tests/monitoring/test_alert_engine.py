"""Alert evaluation against a real database (SQLite and PostgreSQL): built-in rules, STALE, calibration, ack."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cli import main
from data.alert_queries import active_silences, alert_events, alert_frame
from data.boundary_store import load_shipped_sets
from data.db import transaction
from data.frames import plain_records
from data.readings_store import rebuild_latest
from data.schema import Alert as AlertRow
from data.schema import AlertEvent, AqiValue, Average, Reading, Station
from monitoring.alert_engine import DEFAULT_THRESHOLDS_PATH, configured_providers, evaluate_alerts
from monitoring.alert_rules import AlertRules, load_alert_rules
from monitoring.alert_store import AlertNotFoundError, acknowledge, silence
from monitoring.signals import Signal

T = dt.datetime(2025, 3, 8, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)

RULES = """
[defaults]
stale_after = "3h"

[notify]
group_interval = "5m"
repeat_interval = "1h"

[[rule]]
id = "pm25-24h"
kind = "threshold"
parameter = "pm25"
period = "24h"
clear_ratio = 0.9

[[rule]]
id = "effluent"
kind = "threshold"
target = "effluent"
parameters = ["cod", "ph"]
period = "raw"
stale_after = "1h"

[[rule]]
id = "aqi-bad"
kind = "aqi"
scale = "vn"
period = "hourly"
category = 4

[[rule]]
id = "silent"
kind = "silence"
silent_after = "60m"
stale_after = "0"

[[rule]]
id = "device"
kind = "device"
for = "10m"
stale_after = "1h"
"""


def _events(engine: Engine, alert_id: int) -> list[dict]:
    return plain_records(alert_events(engine, alert_id, limit=None, newest_first=False))


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    path = tmp_path / "alert_rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
def run(engine: Engine, rules_path: Path) -> Callable[[dt.datetime], dict]:
    rules = load_alert_rules(rules_path)
    providers = configured_providers(rules_path, DEFAULT_THRESHOLDS_PATH)

    def evaluate(now: dt.datetime) -> dict:
        evaluate_alerts(engine, now, providers, rules=rules)
        return {(a["rule_id"], a["subject"]): a for a in plain_records(alert_frame(engine))}

    return evaluate


def add_station(engine: Engine, station_id: str, kind: str = "air", profile: dict | None = None) -> None:
    with transaction(engine) as session:
        session.add(Station(id=station_id, name=f"Trạm {station_id}", kind=kind, limit_profile=profile or {}))


def add_average(engine: Engine, station: str, parameter: str, period: str, end: dt.datetime, value: float) -> None:
    with transaction(engine) as session:
        session.add(
            Average(station_id=station, parameter=parameter, period=period, period_end=end, value=value, valid=True)
        )


def add_readings(
    engine: Engine, station: str, parameter: str, start: dt.datetime, values: list[float], status: str = "00"
) -> None:
    with transaction(engine) as session:
        for i, value in enumerate(values):
            session.add(
                Reading(station_id=station, parameter=parameter, value=value, unit="mg/L",
                        observed_at=start + i * 5 * MIN, status=status)
            )  # fmt: skip
    with engine.begin() as conn:
        rebuild_latest(conn)  # readings inserted directly, not through store_batch


def history_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AlertEvent)).scalar_one()


def test_station_dying_mid_exceedance_goes_stale_then_resolves_on_data(engine: Engine, run: Callable) -> None:
    add_station(engine, "A")
    add_average(engine, "A", "pm25", "24h", T, 60.0)
    alert = run(T + 5 * MIN)[("pm25-24h", "station:A/pm25")]
    assert (alert["state"], alert["value"], alert["threshold"]) == ("firing", 60.0, 50.0)
    assert "QCVN 05:2023" in alert["message"]
    assert run(T + 2 * HOUR)[("pm25-24h", "station:A/pm25")]["state"] == "firing"
    assert run(T + 4 * HOUR)[("pm25-24h", "station:A/pm25")]["state"] == "stale"  # data older than 3 h
    assert run(T + 30 * HOUR)[("pm25-24h", "station:A/pm25")]["state"] == "stale"  # never resolved by silence
    add_average(engine, "A", "pm25", "24h", T + 31 * HOUR, 47.0)  # inside the hysteresis band (45–50)
    assert run(T + 31 * HOUR + MIN)[("pm25-24h", "station:A/pm25")]["state"] == "firing"
    add_average(engine, "A", "pm25", "24h", T + 32 * HOUR, 30.0)
    final = run(T + 32 * HOUR + MIN)[("pm25-24h", "station:A/pm25")]
    assert final["state"] == "resolved"
    transitions = [(e["from_state"], e["to_state"]) for e in _events(engine, final["id"])]
    assert transitions == [(None, "firing"), ("firing", "stale"), ("stale", "firing"), ("firing", "resolved")]


def test_pm25_limit_follows_the_date_of_the_period(engine: Engine, run: Callable) -> None:
    add_station(engine, "OLD")
    add_station(engine, "NEW")
    end_of_2025 = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)  # 24:00 local on 31 Dec 2025
    add_average(engine, "OLD", "pm25", "24h", end_of_2025, 48.0)
    add_average(engine, "NEW", "pm25", "24h", end_of_2025 + 2 * 24 * HOUR, 48.0)
    alerts = run(end_of_2025 + 2 * 24 * HOUR)
    assert ("pm25-24h", "station:OLD/pm25") not in alerts  # 48 ≤ 50 (compliant; no alert created)
    assert alerts[("pm25-24h", "station:NEW/pm25")]["threshold"] == 45.0
    assert alerts[("pm25-24h", "station:NEW/pm25")]["state"] == "firing"


def test_calibration_window_never_raises_an_exceedance(engine: Engine, run: Callable) -> None:
    add_station(engine, "W", "wastewater", {"standard": "QCVN 40:2011", "column": "B", "kq": 1.0, "kf": 1.0})
    add_readings(engine, "W", "cod", T - 60 * MIN, [90.0] * 8)  # T−60 … T−25 min, compliant
    add_readings(engine, "W", "cod", T - 20 * MIN, [900.0] * 5, status="01")  # span gas during calibration
    alerts = run(T)
    assert not any(a["state"] in ("pending", "firing") for a in alerts.values())
    alerts = run(T + 10 * MIN)
    assert ("effluent", "station:W/cod") not in alerts
    assert ("device", "station:W/cod") not in alerts  # calibrating is not a device error
    add_readings(engine, "W", "cod", T + 15 * MIN, [163.0])  # measuring again and above Cmax 150
    alert = run(T + 16 * MIN)[("effluent", "station:W/cod")]
    assert (alert["state"], alert["value"], alert["threshold"], alert["severity"]) == (
        "firing",
        163.0,
        150.0,
        "warning",
    )


def test_device_error_raises_a_device_alert_not_an_exceedance(engine: Engine, run: Callable) -> None:
    add_station(engine, "W", "wastewater", {"standard": "QCVN 40:2011", "column": "B"})
    add_readings(engine, "W", "ph", T - 30 * MIN, [7.0] * 3)
    add_readings(engine, "W", "ph", T - 15 * MIN, [13.5] * 4, status="02")
    assert run(T)[("device", "station:W/ph")]["state"] == "pending"
    alerts = run(T + 10 * MIN)
    assert alerts[("device", "station:W/ph")]["state"] == "firing"
    assert alerts[("device", "station:W/ph")]["labels"]["status"] == "02"
    assert ("effluent", "station:W/ph") not in alerts  # the error value 13.5 is never compared with 5.5–9


def test_silent_station_and_aqi_category(engine: Engine, run: Callable) -> None:
    add_station(engine, "A")
    add_readings(engine, "A", "pm25", T - 2 * HOUR, [20.0])
    with transaction(engine) as session:
        session.add(AqiValue(station_id="A", scale="vn", period="hourly", period_end=T, aqi=165, category=4,
                             dominant="pm25", sub_indices={}))  # fmt: skip
    alerts = run(T)
    silent = alerts[("silent", "station:A")]
    assert silent["state"] == "firing" and silent["value"] == 120.0
    aqi = alerts[("aqi-bad", "station:A")]
    assert (aqi["state"], aqi["value"], aqi["threshold"]) == ("firing", 165.0, 151.0)
    assert "VN_AQI 165 (Xấu)" in aqi["message"]


def test_evaluation_is_idempotent(engine: Engine, run: Callable) -> None:
    add_station(engine, "A")
    add_average(engine, "A", "pm25", "24h", T, 60.0)
    run(T)
    before = history_count(engine)
    run(T)
    assert history_count(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AlertRow)).scalar_one() == 1


def test_ack_is_cleared_by_resolution_and_silence_is_recorded(engine: Engine, run: Callable) -> None:
    add_station(engine, "A")
    add_average(engine, "A", "pm25", "24h", T, 60.0)
    alert_id = run(T)[("pm25-24h", "station:A/pm25")]["id"]
    acknowledge(engine, alert_id, by="Nguyễn Văn A", note="Đã cử cán bộ kiểm tra", now=T + MIN, until=T + 5 * HOUR)
    silence(engine, alert_id, until=T + 2 * HOUR, by="Trần B", now=T + 2 * MIN)
    alert = run(T + 3 * MIN)[("pm25-24h", "station:A/pm25")]
    assert (alert["state"], alert["ack_by"], alert["ack_until"]) == ("firing", "Nguyễn Văn A", T + 5 * HOUR)
    assert [s["matchers"] for s in active_silences(engine, T + 3 * MIN)] == [
        {"rule_id": "pm25-24h", "subject": "station:A/pm25"}
    ]
    events = [(e["event"], e["actor"]) for e in _events(engine, alert_id)]
    assert events[1:] == [("ack", "Nguyễn Văn A"), ("silence", "Trần B")]
    add_average(engine, "A", "pm25", "24h", T + HOUR, 20.0)
    resolved = run(T + HOUR)[("pm25-24h", "station:A/pm25")]
    assert (resolved["state"], resolved["ack_by"]) == ("resolved", None)
    with pytest.raises(AlertNotFoundError):
        acknowledge(engine, 9999, by="x", note="", now=T)


def test_plugged_in_provider_and_failing_provider(engine: Engine, rules_path: Path) -> None:
    def hotspot(_engine: Engine, now: dt.datetime) -> list[Signal]:
        return [Signal("complaint-hotspot", "ward:00070", True, value=2.4, observed_at=now, kind="hotspot")]

    def broken(_engine: Engine, _now: dt.datetime) -> list[Signal]:
        raise RuntimeError("boom")

    rules: AlertRules = load_alert_rules(rules_path)
    summary = evaluate_alerts(engine, T, [broken, hotspot], rules=rules)
    assert summary.provider_errors and "boom" in summary.provider_errors[0]
    assert summary.states == {"firing": 1}
    (alert,) = plain_records(alert_frame(engine, states=("firing",)))
    assert (alert["rule_id"], alert["kind"]) == ("complaint-hotspot", "hotspot")


def test_cli_evaluate_list_ack(
    sqlite_engine: Engine, rules_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENVMON_ALERT_RULES_FILE", str(rules_path))
    monkeypatch.delenv("ENVMON_WEBHOOK_URLS", raising=False)
    load_shipped_sets(sqlite_engine)  # `envmon init`: the hotspot rules need the ward boundaries
    add_station(sqlite_engine, "A")
    add_average(sqlite_engine, "A", "pm25", "24h", T, 60.0)
    assert main(["alerts", "evaluate", "--at", "2025-03-08T17:05:00+07:00", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["states"] == {"firing": 1} and summary["transitions"] == 1
    assert main(["alerts", "list", "--state", "firing", "--json"]) == 0
    (alert,) = json.loads(capsys.readouterr().out)
    assert alert["subject"] == "station:A/pm25"
    assert main(["alerts", "ack", str(alert["id"]), "--by", "Lê C", "--note", "đang xử lý"]) == 0
    assert main(["alerts", "silence", str(alert["id"]), "--until", "2025-03-09T08:00", "--by", "Lê C"]) == 0
    capsys.readouterr()
    assert main(["alerts", "list"]) == 0
    assert "[ack: Lê C]" in capsys.readouterr().out
    assert main(["alerts", "ack", "999", "--by", "x", "--note", "y"]) == 2
    assert "no alert with id 999" in capsys.readouterr().err


def test_missing_values_never_reach_stored_labels_or_values(engine: Engine) -> None:
    """pandas 3 gives NaN for missing text: the store keeps labels JSON-safe (PostgreSQL refused NaN before)."""
    nan = float("nan")
    signal = Signal(
        "sla", "unit:X", True, value=nan, threshold=float("inf"), observed_at=T, kind="sla",
        labels={"ward_code": nan, "unit_code": None, "unit_name": "URENCO", "count": 3},  # type: ignore[dict-item]
    )  # fmt: skip
    evaluate_alerts(engine, T, [lambda _engine, _now: [signal]], rules=load_alert_rules())
    (alert,) = plain_records(alert_frame(engine))
    assert alert["labels"] == {"unit_name": "URENCO", "count": "3"}
    assert (alert["value"], alert["threshold"]) == (None, None)
    assert json.dumps(alert, default=str, allow_nan=False)
