"""Re-cutting partitions that already hold rows (PostgreSQL): monthly partitions become weekly ones when the
interval is changed to weeks (and back), every row kept — counts, sums and a checksum of every row equal — each
row in its week's partition across a month boundary; a failed check commits nothing; ``envmon db repartition``
says in one line per table what it did."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from cli import main as envmon
from data import partitions
from tests.national.test_partitions import AUTUMN, OLD, _batch, _fingerprints, _partition_of, _store
from tests.national.test_partitions_weekly import NOW, WEEK, _default_rows, _ranges, _utc
from tests.national.test_partitions_weekly import postgres_engine as postgres_engine  # noqa: F401 - the fixture


def _monthly_with_rows(engine: Engine) -> None:
    """Two stations' readings across the October/November boundary and one row of 2019, in monthly partitions."""
    _store(engine, _batch("ST1", AUTUMN), _batch("ST2", AUTUMN, "PH"), _batch("ST1", OLD))
    with engine.begin() as conn:
        partitions.maintain(conn, NOW, ahead_months=1, retention_months={}, intervals={"readings": "month"})


def _count_and_sum(engine: Engine) -> tuple[int, float]:
    with engine.connect() as conn:
        count, total = conn.execute(text("SELECT count(*), sum(value) FROM readings")).one()
    return int(count), float(total)


def _repartition(engine: Engine, interval: partitions.Interval) -> partitions.Repartition:
    with engine.begin() as conn:
        return partitions.repartition(conn, "readings", interval)


def test_monthly_partitions_holding_rows_become_weekly_ones_without_losing_a_row(postgres_engine: Engine) -> None:
    _monthly_with_rows(postgres_engine)
    assert _partition_of(postgres_engine, "2026-10-31T23:55Z") == "readings_p202610"
    before, totals = _fingerprints(postgres_engine), _count_and_sum(postgres_engine)
    done = _repartition(postgres_engine, "week")
    assert _fingerprints(postgres_engine) == before and _count_and_sum(postgres_engine) == totals
    assert totals[0] == 2 * len(AUTUMN) + 1 and done.rows == totals[0] and _default_rows(postgres_engine) == 0
    assert {"readings_p201905", "readings_p202610", "readings_p202611", "readings_p202612"} <= set(done.replaced)
    assert _partition_of(postgres_engine, "2026-10-31T23:55Z") == "readings_p20261026"  # the week across the month
    assert _partition_of(postgres_engine, "2026-11-01T23:55Z") == "readings_p20261026"  # boundary holds both sides
    assert _partition_of(postgres_engine, "2026-11-02T00:00Z") == "readings_p20261102"
    assert _partition_of(postgres_engine, "2019-05-17T08:05Z") == "readings_p20190513"
    ranges = _ranges(postgres_engine)
    assert all(r.end - r.start == WEEK and r.start.weekday() == 0 for r in ranges)  # only weeks, from Monday
    assert all(a.end <= b.start for a, b in zip(ranges, ranges[1:], strict=False))  # no overlap
    assert ranges[-1].end >= _utc(2027, 1, 1)  # the weeks ahead still there
    assert done.message() == (
        f"readings: {len(done.replaced)} partitions split into {len(done.created)} of one week each; "
        f"{totals[0]:,} rows moved, row count and checksum equal before and after"
    )
    again = _repartition(postgres_engine, "week")
    assert again.replaced == [] and again.message() == "readings: every partition is already one week; nothing to do"

    back = _repartition(postgres_engine, "month")  # and back to months
    assert _fingerprints(postgres_engine) == before and _count_and_sum(postgres_engine) == totals
    assert _partition_of(postgres_engine, "2026-10-31T23:55Z") == "readings_p202610"
    assert _partition_of(postgres_engine, "2026-11-01T23:55Z") == "readings_p202611"
    assert back.rows == totals[0] and all(r.end - r.start > WEEK for r in _ranges(postgres_engine))


def test_retention_after_the_change_drops_only_whole_expired_weeks(postgres_engine: Engine) -> None:
    _monthly_with_rows(postgres_engine)
    _repartition(postgres_engine, "week")
    with postgres_engine.begin() as conn:  # keep one month before December: cutoff 1 November 2026, a Sunday
        done = partitions.maintain(
            conn, NOW, ahead_months=1, retention_months={"readings": 1}, intervals={"readings": "week"}
        )["readings"]
    assert "readings_p20190513" in done.dropped and done.rows_dropped == 1
    assert "readings_p20261026" not in done.dropped  # 26 Oct - 2 Nov straddles the cutoff: kept whole
    assert _count_and_sum(postgres_engine)[0] == 2 * len(AUTUMN)


def test_a_failed_check_commits_nothing(postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _monthly_with_rows(postgres_engine)
    ranges, before = _ranges(postgres_engine), _fingerprints(postgres_engine)
    checks = iter([(1, 1), (0, 0)])
    monkeypatch.setattr(partitions, "_fingerprint", lambda _conn, _relation: next(checks))
    with pytest.raises(partitions.PartitionCheckError, match="nothing changed"):
        _repartition(postgres_engine, "week")
    monkeypatch.undo()
    assert _ranges(postgres_engine) == ranges and _fingerprints(postgres_engine) == before


def _database_url(engine: Engine) -> str:
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = engine.url.render_as_string(hide_password=False)
    return f"{url}?options={quote(f'-csearch_path={schema},public')}"


def test_envmon_db_repartition_says_what_it_did_in_one_line_per_table(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _monthly_with_rows(postgres_engine)
    before = _fingerprints(postgres_engine)
    monkeypatch.setenv("DATABASE_URL", _database_url(postgres_engine))
    monkeypatch.setenv("ENVMON_PARTITION_READINGS_INTERVAL", "week")
    assert envmon(["db", "repartition"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert (
        lines[0].startswith("readings: ") and "split into" in lines[0] and f"{2 * len(AUTUMN) + 1:,} rows" in lines[0]
    )
    assert lines[1] == "averages: every partition is already one month; nothing to do"
    assert _fingerprints(postgres_engine) == before
    assert _partition_of(postgres_engine, "2026-11-01T23:55Z") == "readings_p20261026"


def test_a_table_held_by_a_long_write_is_left_as_it_is(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _monthly_with_rows(postgres_engine)
    ranges = _ranges(postgres_engine)
    settings = type("Configured", (), {"partition_readings_interval": "week", "partition_averages_interval": "month"})
    with postgres_engine.connect() as writer:  # a buffer flush in progress on the readings table
        writer.execute(text("LOCK TABLE readings IN ROW EXCLUSIVE MODE"))
        done = partitions.repartition_configured(postgres_engine, settings(), lock_wait_s=0.2)  # type: ignore[arg-type]
        writer.rollback()
    assert done[0].busy and done[0].message().startswith("readings: a long write holds the table; nothing changed")
    assert _ranges(postgres_engine) == ranges


def test_sqlite_has_nothing_to_recut(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    assert envmon(["db", "repartition"]) == 0
    assert capsys.readouterr().out == "SQLite keeps plain tables: there are no partitions to re-cut\n"
