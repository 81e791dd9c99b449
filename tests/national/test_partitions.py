"""Monthly partitions of readings and averages (PostgreSQL): the conversion migration keeps every row, readings land
in their month's partition, partitions are created ahead, retention drops whole months; SQLite stays plain."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select, text

from cli import main as envmon
from data import partitions, queries
from data.db import MIGRATIONS_DIR
from data.schema import Average, Reading
from monitoring.ingest import Batch, store_batch
from monitoring.schema import canonicalise

BEFORE_PARTITIONS = "0009"
NOW = dt.datetime(2026, 12, 4, 21, 0, tzinfo=dt.UTC)


def _alembic(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def _batch(station: str, times: pd.DatetimeIndex, parameter: str = "COD") -> Batch:
    raw = pd.DataFrame(
        {"station_id": station, "parameter": parameter, "value": range(len(times)), "unit": "mg/L",
         "observed_at": times, "status": "00"}
    )  # fmt: skip
    readings, rejects = canonicalise(raw, source="test")
    return Batch("test", "wastewater", readings, rejects, interval_minutes=5)


def _store(engine: Engine, *batches: Batch) -> None:
    with engine.begin() as conn:
        for batch in batches:
            store_batch(conn, batch)


def _fingerprints(engine: Engine) -> dict[str, tuple[int, int]]:
    with engine.connect() as conn:
        return {table: partitions._fingerprint(conn, table) for table in ("readings", "averages")}


def _partition_of(engine: Engine, moment: str) -> str:
    with engine.connect() as conn:
        where = {"at": pd.Timestamp(moment)}
        return conn.execute(
            text("SELECT DISTINCT tableoid::regclass::text FROM readings WHERE observed_at = :at"), where
        ).scalar_one()


# two months and a month boundary of 5-minute data, a second station and parameter, and one row years back
AUTUMN = pd.date_range("2026-10-30T00:05Z", "2026-11-02T00:00Z", freq="5min", tz="UTC")
OLD = pd.DatetimeIndex([pd.Timestamp("2019-05-17T08:05Z")])


def test_the_migration_keeps_every_row_and_puts_each_in_its_month(postgres_engine: Engine) -> None:
    _store(postgres_engine, _batch("ST1", AUTUMN), _batch("ST2", AUTUMN, "PH"), _batch("ST1", OLD))
    _alembic(postgres_engine, "downgrade", BEFORE_PARTITIONS)  # a populated database as before partitions
    with postgres_engine.connect() as conn:
        assert not partitions.is_partitioned(conn, "readings")
    before = _fingerprints(postgres_engine)
    series_before = queries.reading_series(postgres_engine, "ST2", "PH", AUTUMN[0].to_pydatetime())
    assert before["readings"][0] == 2 * len(AUTUMN) + 1 and before["averages"][0] > 0

    _alembic(postgres_engine, "upgrade", "head")

    assert _fingerprints(postgres_engine) == before
    with postgres_engine.connect() as conn:
        assert all(partitions.is_partitioned(conn, table.name) for table in partitions.PARTITIONED_TABLES)
        months = {found.start for found in partitions.partition_ranges(conn, "readings")}
    assert _partition_of(postgres_engine, "2026-10-31T23:55Z") == "readings_p202610"
    assert _partition_of(postgres_engine, "2026-11-01T00:00Z") == "readings_p202611"
    assert _partition_of(postgres_engine, "2019-05-17T08:05Z") == "readings_p201905"
    assert dt.datetime(2019, 6, 1, tzinfo=dt.UTC) not in months  # months between hold no data: no partition
    pd.testing.assert_frame_equal(
        queries.reading_series(postgres_engine, "ST2", "PH", AUTUMN[0].to_pydatetime()), series_before
    )

    _alembic(postgres_engine, "downgrade", BEFORE_PARTITIONS)
    assert _fingerprints(postgres_engine) == before
    with postgres_engine.connect() as conn:
        assert not partitions.is_partitioned(conn, "readings")
    _alembic(postgres_engine, "upgrade", "head")
    assert _fingerprints(postgres_engine) == before


def test_a_conversion_that_would_change_a_row_is_refused_and_nothing_changes(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(postgres_engine, _batch("ST1", AUTUMN))
    _alembic(postgres_engine, "downgrade", BEFORE_PARTITIONS)
    before = _fingerprints(postgres_engine)
    fingerprint = partitions._fingerprint
    calls = []

    def one_row_lost(conn, relation):  # noqa: ANN001, ANN202 - same signature as the spied function
        count, checksum = fingerprint(conn, relation)
        calls.append(relation)
        return (count - 1, checksum) if len(calls) % 2 == 0 else (count, checksum)  # the copy "lost" a row

    monkeypatch.setattr(partitions, "_fingerprint", one_row_lost)
    with pytest.raises(partitions.PartitionCheckError, match="rows"):
        _alembic(postgres_engine, "upgrade", "head")
    monkeypatch.undo()
    assert _fingerprints(postgres_engine) == before
    with postgres_engine.connect() as conn:
        assert not partitions.is_partitioned(conn, "readings")
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == BEFORE_PARTITIONS


def test_partitions_are_created_ahead_and_stray_rows_rehomed(postgres_engine: Engine) -> None:
    # the migration made the partitions of the current month and 3 ahead: 2019 and autumn 2026 go to the default
    _store(postgres_engine, _batch("ST1", AUTUMN), _batch("ST1", OLD))
    assert _partition_of(postgres_engine, "2019-05-17T08:05Z") == "readings_default"
    with postgres_engine.begin() as conn:
        strays = conn.execute(text("SELECT count(*) FROM readings_default")).scalar_one()
        done = partitions.maintain(conn, NOW, ahead_months=3, retention_months={})
        months = {found.start for found in partitions.partition_ranges(conn, "readings")}
        default_rows = conn.execute(text("SELECT count(*) FROM readings_default")).scalar_one()
    assert strays == len(AUTUMN) + 1 and done["readings"].rows_moved_from_default == strays
    assert {"readings_p201905", "readings_p202610", "readings_p202611"} <= set(done["readings"].created)
    assert default_rows == 0
    assert _partition_of(postgres_engine, "2019-05-17T08:05Z") == "readings_p201905"
    assert {dt.datetime(2027, m, 1, tzinfo=dt.UTC) for m in (1, 2, 3)} <= set(months)
    with postgres_engine.begin() as conn:  # nothing left to do
        again = partitions.maintain(conn, NOW, ahead_months=3, retention_months={})
    assert again["readings"].created == [] and again["averages"].created == []


def test_retention_drops_whole_expired_months(engine: Engine) -> None:
    november = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    _store(engine, _batch("ST1", AUTUMN), _batch("ST1", OLD))
    with engine.begin() as conn:  # PostgreSQL: each month in a partition of its own (out of the default one)
        partitions.maintain(conn, NOW, ahead_months=1, retention_months={})
    with engine.connect() as conn:
        expired = conn.execute(select(func.count()).where(Reading.observed_at < november)).scalar_one()
        total = conn.execute(select(func.count()).select_from(Reading)).scalar_one()
    # December 2026 with 1 month kept before it: November stays, October and 2019 go (raw readings only)
    with engine.begin() as conn:
        done = partitions.maintain(conn, NOW, ahead_months=1, retention_months={"readings": 1})
    with engine.connect() as conn:
        kept = conn.execute(select(func.count(), func.min(Reading.observed_at)).select_from(Reading)).one()
        old_averages = conn.execute(select(func.count()).where(Average.period_end < november)).scalar_one()
    assert expired == (12 * 24 * 2 - 1) + 1  # 30 Oct 00:05 … 31 Oct 23:55, and the 2019 reading
    assert done["readings"].rows_dropped == expired and kept[0] == total - expired
    assert kept[1] == november
    assert old_averages > 0 and done["averages"].rows_dropped == 0  # roll-ups have a retention of their own
    if engine.dialect.name == "postgresql":
        assert {"readings_p202610", "readings_p201905"} <= set(done["readings"].dropped)


def test_envmon_db_maintain_prints_what_it_did(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(sqlite_engine, _batch("ST1", OLD))
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENVMON_RETENTION_READINGS_MONTHS", "24")
    assert envmon(["db", "maintain"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["busy"] is False
    assert report["readings"]["rows_dropped"] == 1 and report["averages"]["rows_dropped"] == 0
