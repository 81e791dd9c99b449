"""Bulk ingest on SQLite and PostgreSQL: exact counts on the real Hà Nội files, station files, late data."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, select

from data.config import REFERENCE_DIR
from data.schema import Average, IngestedFile, QuarantineRow, Reading, Station
from monitoring import ingest
from monitoring.ingest import Batch, store_batch
from monitoring.readings_import import import_readings
from monitoring.schema import canonicalise

AIR = REFERENCE_DIR / "air_quality"
OPENAQ = AIR / "openaq_hanoi_4stations_2025-04_hourly.csv"
MOITRUONGTHUDO = AIR / "moitruongthudo_hanoi_5stations_2025-03-07_2025-05-11_hourly_merged.csv"
LATER = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _count(engine: Engine, model: type, *where: object) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.mark.slow
def test_real_hanoi_folder_exact_counts_and_idempotence(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "air"
    shutil.copytree(AIR, folder)
    first = import_readings(engine, folder, now=LATER).as_dict()
    # moitruongthudo: 7 920 rows × 6 pollutants minus empty/zero cells = 30 628 readings; the OpenAQ export
    # repeats 8 511 of them (same station, parameter and hour end) and adds 138; the stations list is not
    # a readings file and is quarantined whole (4 rows).
    assert first == {"files": 3, "rows": 39281, "accepted": 30766, "duplicates": 8511, "quarantined": 4}
    again = import_readings(engine, folder, now=LATER).as_dict()
    assert again == {"files": 3, "rows": 39281, "accepted": 0, "duplicates": 39281, "quarantined": 0}
    assert _count(engine, Reading) == 30766
    assert _count(engine, Average, Average.period == "1h") == 30766
    [reason] = _scalars(engine, select(QuarantineRow.reason))
    assert "openaq_hanoi_stations.csv" in reason and "unrecognised readings CSV" in reason


def _scalars(engine: Engine, query: object) -> list:
    with engine.connect() as conn:
        return list(conn.scalars(query))


def test_real_openaq_export_exact_counts(sqlite_engine: Engine) -> None:
    summary = import_readings(sqlite_engine, OPENAQ, now=LATER).as_dict()
    assert summary == {"files": 1, "rows": 8649, "accepted": 8649, "duplicates": 0, "quarantined": 0}
    with sqlite_engine.connect() as conn:
        stations = {row.id: row for row in conn.execute(select(Station))}
        first = conn.execute(
            select(Reading.value, Reading.unit, Reading.observed_at)
            .where(Reading.station_id == "openaq-2161292", Reading.parameter == "co")
            .order_by(Reading.observed_at)
        ).first()
    assert set(stations) == {"openaq-2161292", "openaq-2161296", "openaq-2161306", "openaq-2161290"}
    assert stations["openaq-2161296"].located and stations["openaq-2161296"].lat == pytest.approx(21.0354)
    assert first is not None and first.unit == "µg/m³"
    assert first.observed_at.tzinfo is not None


def test_moitruongthudo_zeros_are_missing(sqlite_engine: Engine) -> None:
    summary = import_readings(sqlite_engine, MOITRUONGTHUDO, now=LATER).as_dict()
    raw = pd.read_csv(MOITRUONGTHUDO)
    pollutants = raw[["avg_pm25", "avg_pm10", "avg_o3", "avg_no2", "avg_so2", "avg_co"]]
    present = int((pollutants.notna() & pollutants.ne(0.0)).sum().sum())
    assert present == 30628
    assert summary == {"files": 1, "rows": present, "accepted": present, "duplicates": 0, "quarantined": 0}
    assert _count(sqlite_engine, Reading, Reading.value == 0.0) == 0
    # Vân Hà has no coordinates in the source files: kept, and registered as unlocated.
    with sqlite_engine.connect() as conn:
        van_ha = conn.execute(select(Station).where(Station.id == "openaq-2161320")).one()
    assert van_ha.name == "Vân Hà" and not van_ha.located


def test_station_file_folder_counts_quarantine_and_ledger(engine: Engine, fixtures_dir: Path) -> None:
    folder = fixtures_dir / "tt10"
    now = dt.datetime(2025, 3, 16, tzinfo=dt.UTC)
    first = import_readings(engine, folder, now=now).as_dict()
    assert first == {"files": 6, "rows": 22, "accepted": 18, "duplicates": 0, "quarantined": 4}
    second = import_readings(engine, folder, now=now).as_dict()
    assert second == {"files": 6, "rows": 22, "accepted": 0, "duplicates": 22, "quarantined": 0}
    assert _count(engine, IngestedFile) == 6
    assert _count(engine, IngestedFile, IngestedFile.status == "quarantined") == 2
    reasons = _scalars(engine, select(QuarantineRow.reason).order_by(QuarantineRow.reason))
    assert any("line 2: expected 5 TAB-separated fields, got 4" in reason for reason in reasons)
    assert any("device status '03'" in reason for reason in reasons)
    with engine.connect() as conn:
        stations = {row.id: row.located for row in conn.execute(select(Station.id, Station.located))}
    assert stations == {"HN_CTYDETMAYABC_NT01": False, "HN_STNMTHN_KK05": False}


def test_same_name_new_content_is_a_new_file_but_duplicate_readings(sqlite_engine: Engine, tmp_path: Path) -> None:
    name = "HN_CTYDETMAYABC_NT01_20250315103000.txt"
    now = dt.datetime(2025, 3, 16, tzinfo=dt.UTC)
    (tmp_path / name).write_bytes(b"COD\t45.2\tmg/L\t20250315103000\t00\r\n")
    assert import_readings(sqlite_engine, tmp_path, now=now).accepted == 1
    (tmp_path / name).write_bytes(b"COD\t45.2\tmg/L\t20250315103000\t00\n")
    summary = import_readings(sqlite_engine, tmp_path, now=now).as_dict()
    assert summary == {"files": 1, "rows": 1, "accepted": 0, "duplicates": 1, "quarantined": 0}
    assert _count(sqlite_engine, IngestedFile) == 2


def _five_minute_batch(times: pd.DatetimeIndex, value: float) -> Batch:
    raw = pd.DataFrame(
        {"station_id": "ST1", "parameter": "COD", "value": value, "unit": "mg/L", "observed_at": times, "status": "00"}
    )
    readings, rejects = canonicalise(raw, source="test")
    return Batch("test", "wastewater", readings, rejects, interval_minutes=5)


def _averages(engine: Engine, period: str) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Average.period_end, Average.value, Average.n_valid, Average.valid)
            .where(Average.period == period)
            .order_by(Average.period_end)
        ).all()
    return pd.DataFrame(rows, columns=["period_end", "value", "n_valid", "valid"]).set_index("period_end")


def test_late_readings_update_stored_hourly_and_rolling_means(engine: Engine) -> None:
    on_time = pd.date_range("2025-03-15T00:05Z", "2025-03-15T08:00Z", freq="5min", tz="UTC")
    late = on_time[(on_time > pd.Timestamp("2025-03-15T03:00Z")) & (on_time <= pd.Timestamp("2025-03-15T04:00Z"))]
    with engine.begin() as conn:
        store_batch(conn, _five_minute_batch(on_time.difference(late[:4]), 10.0))
    hour_four = dt.datetime(2025, 3, 15, 4, tzinfo=dt.UTC)
    assert _averages(engine, "1h").loc[hour_four, "n_valid"] == 8
    assert not _averages(engine, "1h").loc[hour_four, "valid"]
    assert not _averages(engine, "8h").loc[dt.datetime(2025, 3, 15, 8, tzinfo=dt.UTC), "valid"]
    with engine.begin() as conn:
        summary = store_batch(conn, _five_minute_batch(late, 10.0))
    assert (summary.accepted, summary.duplicates) == (4, 8)
    hourly = _averages(engine, "1h")
    assert hourly.loc[hour_four, "n_valid"] == 12 and hourly.loc[hour_four, "valid"]
    eight = _averages(engine, "8h").loc[dt.datetime(2025, 3, 15, 8, tzinfo=dt.UTC)]
    assert eight["valid"] and eight["n_valid"] == 8 and eight["value"] == pytest.approx(10.0)


def test_keys_stored_concurrently_after_the_range_read_are_still_duplicates(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = pd.date_range("2025-03-15T00:05Z", periods=24, freq="5min", tz="UTC")
    with engine.begin() as conn:
        store_batch(conn, _five_minute_batch(times[:12], 10.0))
    read_readings = ingest.read_readings
    calls: list[object] = []

    def stale_first_read(*args: object) -> pd.DataFrame:
        # as if another transaction stored the first hour between the range read and the insert
        calls.append(args)
        stored = read_readings(*args)
        return stored.iloc[:0] if len(calls) == 1 else stored

    monkeypatch.setattr(ingest, "read_readings", stale_first_read)
    with engine.begin() as conn:
        summary = store_batch(conn, _five_minute_batch(times, 20.0))
    assert (summary.accepted, summary.duplicates, len(calls)) == (12, 12, 2)
    assert _count(engine, Reading) == 24 and _count(engine, Reading, Reading.value == 10.0) == 12
    hourly = _averages(engine, "1h")
    assert hourly["value"].tolist() == [10.0, 20.0] and hourly["n_valid"].tolist() == [12, 12]


def test_canonical_csv_rows_are_validated_and_quarantined(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "station_id,parameter,value,unit,observed_at,status\n"
        "ST1,NO2,10,ppb,2025-03-15T10:00:00+07:00,00\n"
        "ST1,PM2.5,abc,µg/m3,2025-03-15T10:00:00+07:00,00\n"
        "ST1,Lead,1,µg/m3,2025-03-15T10:00:00+07:00,00\n"
        "ST1,CO,1,ppm,2025-03-15T10:00:00+07:00,07\n"
        "ST1,NO2,10,ppb,2025-03-15T10:00:00+07:00,00\n",
        encoding="utf-8",
    )
    summary = import_readings(engine, path, now=LATER).as_dict()
    assert summary == {"files": 1, "rows": 5, "accepted": 1, "duplicates": 1, "quarantined": 3}
    with engine.connect() as conn:
        reading = conn.execute(select(Reading)).one()
        quarantined = conn.execute(select(QuarantineRow.row_number, QuarantineRow.field).order_by("row_number")).all()
    assert reading.value == pytest.approx(18.818, abs=1e-3)  # 10 ppb × 46.01 / 24.45
    assert reading.observed_at == dt.datetime(2025, 3, 15, 3, tzinfo=dt.UTC)
    assert [tuple(row) for row in quarantined] == [(3, "value"), (4, "parameter"), (5, "status")]


def test_cli_import_prints_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, fixtures_dir) -> None:
    from cli import main
    from data.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    code = main(["readings", "import", str(fixtures_dir / "tt10"), "--now", "2025-03-16T00:00:00+00:00"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "files": 6, "rows": 22, "accepted": 18, "duplicates": 0, "quarantined": 4,
    }  # fmt: skip


def test_range_read_returns_the_stored_readings_alike_on_both_engines(engine: Engine) -> None:
    times = pd.date_range("2025-03-15T00:05Z", periods=6, freq="5min", tz="UTC").to_pydatetime()
    values, statuses = [1.5, None, 3.0, 4.0, 5.0, 6.0], ["00", "01", "00", "02", "00", "00"]
    rows = [
        {"station_id": "ST1", "parameter": "cod", "value": value, "unit": "mg/L", "observed_at": at, "status": status}
        for at, value, status in zip(times, values, statuses, strict=True)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Reading), rows)
        stored = ingest.read_readings(conn, ["ST1", "ST9"], ["cod"], times[0], times[4])
    assert list(stored.columns) == ["station_id", "parameter", "observed_at", "value", "status"]
    assert str(stored["observed_at"].dtype) == "datetime64[us, UTC]" and str(stored["value"].dtype) == "float64"
    stored = stored.sort_values("observed_at")
    assert stored["observed_at"].tolist() == list(pd.DatetimeIndex(times[1:5]))  # (after, until]
    assert stored["value"].isna().tolist() == [True, False, False, False]
    assert stored["value"].iloc[1:].tolist() == [3.0, 4.0, 5.0]
    assert stored["status"].tolist() == ["01", "00", "02", "00"] and set(stored["station_id"]) == {"ST1"}
