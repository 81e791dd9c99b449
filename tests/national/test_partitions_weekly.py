"""Weekly and daily partitions (PostgreSQL), chosen per table: rows land in their week's (day's) partition, periods
are created ahead without gaps or overlaps, retention drops whole weeks, a change of interval keeps every row and the
partitions that hold rows, and the conversion into weekly partitions loses nothing. SQLite ignores the interval."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, text

from cli import main as envmon
from data import partitions
from data.schema import Reading
from tests.national.test_partitions import AUTUMN, OLD, _batch, _fingerprints, _partition_of, _store

NOW = dt.datetime(2026, 12, 4, 21, 0, tzinfo=dt.UTC)  # a Friday
WEEKLY: dict[str, partitions.Interval] = {"readings": "week"}
WEEK = dt.timedelta(days=7)
DAY = dt.timedelta(days=1)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _maintain(engine: Engine, now: dt.datetime = NOW, **options: object) -> dict[str, partitions.TableMaintenance]:
    with engine.begin() as conn:
        return partitions.maintain(conn, now, ahead_months=options.pop("ahead_months", 1),  # type: ignore[arg-type]
                                   retention_months=options.pop("retention", {}),  # type: ignore[arg-type]
                                   intervals=options.pop("intervals", WEEKLY))  # type: ignore[arg-type]  # fmt: skip


def _ranges(engine: Engine, table: str = "readings") -> list[partitions.PartitionRange]:
    with engine.connect() as conn:
        return partitions.partition_ranges(conn, table)


@pytest.fixture
def postgres_engine(postgres_engine: Engine) -> Engine:
    """The migrated database without the empty partitions its migration made around the real date, so that what
    maintenance at :data:`NOW` creates does not depend on the day the test runs."""
    with postgres_engine.begin() as conn:
        for table in partitions.PARTITIONED_TABLES:
            for found in partitions.partition_ranges(conn, table.name):
                conn.execute(text(f"DROP TABLE {found.name}"))
    return postgres_engine


def _default_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM readings_default")).scalar_one()


def test_weekly_partitions_hold_each_row_in_its_week_and_cover_the_weeks_ahead(postgres_engine: Engine) -> None:
    _store(postgres_engine, _batch("ST1", AUTUMN), _batch("ST2", AUTUMN, "PH"), _batch("ST1", OLD))
    before = _fingerprints(postgres_engine)
    done = _maintain(postgres_engine)["readings"]
    assert _fingerprints(postgres_engine) == before and _default_rows(postgres_engine) == 0
    assert done.rows_moved_from_default == 2 * len(AUTUMN) + 1
    assert _partition_of(postgres_engine, "2026-11-01T23:55Z") == "readings_p20261026"  # Sunday: Monday 26 Oct's week
    assert _partition_of(postgres_engine, "2026-11-02T00:00Z") == "readings_p20261102"
    assert _partition_of(postgres_engine, "2019-05-17T08:05Z") == "readings_p20190513"
    ranges = _ranges(postgres_engine)
    ahead = [r for r in ranges if r.end > _utc(2026, 11, 30)]  # from the current week to one month ahead
    assert ahead[0].start == _utc(2026, 11, 30) and ahead[-1].end >= _utc(2027, 1, 1)
    assert all(r.end - r.start == WEEK and r.start.weekday() == 0 for r in ahead)  # weeks, from Monday
    assert all(a.end == b.start for a, b in zip(ahead, ahead[1:], strict=False))  # no gap, no overlap
    averages = {r.end - r.start for r in _ranges(postgres_engine, "averages")}
    assert WEEK not in averages  # the other table keeps its monthly interval
    again = _maintain(postgres_engine)["readings"]
    assert again.created == [] and again.replaced_empty == []


def test_retention_drops_only_whole_expired_weeks(postgres_engine: Engine) -> None:
    _store(postgres_engine, _batch("ST1", AUTUMN), _batch("ST1", OLD))
    _maintain(postgres_engine)
    done = _maintain(postgres_engine, retention={"readings": 1})["readings"]  # cutoff 1 November 2026
    assert done.dropped == ["readings_p20190513"] and done.rows_dropped == 1
    with postgres_engine.connect() as conn:  # the week of 26 Oct reaches past the cutoff: kept whole
        assert conn.execute(select(func.min(Reading.observed_at))).scalar_one() == AUTUMN[0]
    done = _maintain(postgres_engine, _utc(2027, 1, 5), retention={"readings": 1})["readings"]  # cutoff 1 Dec
    assert done.dropped == ["readings_p20261026", "readings_p20261102"]
    assert done.rows_dropped == len(AUTUMN)
    with postgres_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 0


def test_changing_the_interval_keeps_rows_and_cuts_the_straddling_week(postgres_engine: Engine) -> None:
    december = partitions.PartitionRange("readings_p202612", _utc(2026, 12, 1), _utc(2027, 1, 1))
    with postgres_engine.begin() as conn:  # monthly so far, December holding a row
        partitions.ensure_periods(conn, "readings", NOW, _utc(2027, 2, 1), "month")
    _store(postgres_engine, _batch("ST1", pd.DatetimeIndex([pd.Timestamp("2026-12-04T20:05Z")])))
    before = _fingerprints(postgres_engine)
    done = _maintain(postgres_engine)["readings"]
    ranges = _ranges(postgres_engine)
    assert december in ranges  # holds a row: kept monthly until retention drops it
    assert partitions.PartitionRange("readings_p20270101", _utc(2027, 1, 1), _utc(2027, 1, 4)) in ranges
    assert all(not name.startswith("readings_p2027") or len(name) == 18 for name in done.created)
    assert all(a.end <= b.start for a, b in zip(ranges, ranges[1:], strict=False))
    assert _fingerprints(postgres_engine) == before
    back = _maintain(postgres_engine, intervals={"readings": "month"})["readings"]  # and back to months
    assert back.replaced_empty and all(r.end - r.start > WEEK for r in _ranges(postgres_engine) if r.start > NOW)
    assert _fingerprints(postgres_engine) == before


def test_converting_into_weekly_partitions_keeps_every_row(postgres_engine: Engine) -> None:
    _store(postgres_engine, _batch("ST1", AUTUMN), _batch("ST2", AUTUMN, "PH"), _batch("ST1", OLD))
    with postgres_engine.begin() as conn:
        partitions.convert_to_plain(conn, "readings")
    before = _fingerprints(postgres_engine)
    with postgres_engine.begin() as conn:
        partitions.convert_to_partitioned(conn, "readings", now=NOW, ahead_months=1, interval="week")
    assert _fingerprints(postgres_engine) == before and _default_rows(postgres_engine) == 0
    assert _partition_of(postgres_engine, "2026-10-31T23:55Z") == "readings_p20261026"
    assert _partition_of(postgres_engine, "2019-05-17T08:05Z") == "readings_p20190513"


def test_envmon_db_maintain_makes_weekly_partitions_when_configured(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with postgres_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = postgres_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", f"{url}?options={quote(f'-csearch_path={schema},public')}")
    monkeypatch.setenv("ENVMON_PARTITION_READINGS_INTERVAL", "week")
    assert envmon(["db", "maintain"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["busy"] is False and report["readings"]["created"]
    assert all(len(name) == len("readings_p20261207") for name in report["readings"]["created"])
    assert all(len(name) == len("averages_p202612") for name in report["averages"]["created"])


def test_sqlite_ignores_the_interval(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(sqlite_engine, _batch("ST1", OLD), _batch("ST1", AUTUMN))
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENVMON_PARTITION_READINGS_INTERVAL", "week")
    monkeypatch.setenv("ENVMON_RETENTION_READINGS_MONTHS", "24")
    assert envmon(["db", "maintain"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["readings"]["rows_dropped"] == 1 and report["readings"]["created"] == []


def test_daily_partitions_after_weekly_ones_keep_the_week_holding_rows_and_repartition_into_days(
    postgres_engine: Engine,
) -> None:
    _store(postgres_engine, _batch("ST1", AUTUMN), _batch("ST1", OLD))
    _maintain(postgres_engine)  # weekly so far; the current week (from Monday 30 November) holds a row
    _store(postgres_engine, _batch("ST1", pd.DatetimeIndex([pd.Timestamp("2026-12-04T20:05Z")])))
    before = _fingerprints(postgres_engine)
    done = _maintain(postgres_engine, intervals={"readings": "day"})["readings"]
    ranges = _ranges(postgres_engine)
    assert partitions.PartitionRange("readings_p20261130", _utc(2026, 11, 30), _utc(2026, 12, 7)) in ranges
    assert done.replaced_empty  # the empty weeks ahead, now days
    ahead = [r for r in ranges if r.start >= _utc(2026, 12, 7)]
    assert ahead[0].start == _utc(2026, 12, 7) and ahead[-1].end >= _utc(2027, 1, 1)
    assert all(r.end - r.start == DAY for r in ahead)
    assert all(a.end == b.start for a, b in zip(ranges, ranges[1:], strict=False) if a.start >= _utc(2026, 11, 30))
    assert _fingerprints(postgres_engine) == before
    with postgres_engine.begin() as conn:  # the weeks holding rows re-cut into days, every row kept
        partitions.repartition(conn, "readings", "day")
    assert _fingerprints(postgres_engine) == before and _default_rows(postgres_engine) == 0
    assert all(r.end - r.start == DAY for r in _ranges(postgres_engine))
    assert _partition_of(postgres_engine, "2026-11-01T23:55Z") == "readings_p20261101"
    assert _partition_of(postgres_engine, "2026-11-02T00:00Z") == "readings_p20261102"
    assert _partition_of(postgres_engine, "2026-12-04T20:05Z") == "readings_p20261204"
