"""Time partitions of the big PostgreSQL tables (readings, stored averages): creation ahead, retention.

On PostgreSQL ``readings`` (by ``observed_at``) and ``averages`` (by ``period_end``) are declarative
``PARTITION BY RANGE`` tables with one partition per calendar month, per week (UTC, weeks from Monday 00:00) or
per day (UTC), chosen per table (``partition_readings_interval``, ``partition_averages_interval``; monthly by
default). A monthly partition is named ``<table>_pYYYYMM``, any other ``<table>_pYYYYMMDD`` after its first day. A
``<table>_default`` partition catches a row of a period with no partition yet (an old file imported, a clock far
ahead), so an insert is never refused. :func:`maintain` (run by ``envmon db maintain`` and after every poll round)
creates the partitions of the coming periods, moves rows out of the default partition into partitions of their
own, and applies each table's retention by dropping whole partitions. Each partition carries the table's primary
key (a b-tree a period long instead of one growing for ever) and a BRIN index on the time column.

Partitions are known by the ranges PostgreSQL stores, not by their names, so the interval can be changed at any
time: partitions that hold rows keep their range until retention drops them, empty ones of the coming periods are
replaced by ones of the new interval, and a period partly covered by an older partition gets a partition for the
rest (a week cut at a month's end).

SQLite keeps plain tables: retention there deletes the rows of the expired months. The schema is declared once
(:mod:`data.schema`); the partitioning is applied on PostgreSQL by migration 0010 with
:func:`convert_to_partitioned`, which verifies the row count and a checksum before it lets the change commit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, get_args

import psycopg
from sqlalchemy import Connection, Engine, delete, text
from sqlalchemy.exc import OperationalError

from data.config import PartitionInterval
from data.dialect import is_postgresql
from data.schema import Base

if TYPE_CHECKING:
    from data.config import Settings


Interval = PartitionInterval
INTERVALS: Final[tuple[Interval, ...]] = get_args(PartitionInterval)


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by time on PostgreSQL, its time column and the settings holding its retention and
    partition interval."""

    name: str
    time_column: str
    retention_setting: str
    interval_setting: str


PARTITIONED_TABLES: Final = (
    PartitionedTable("readings", "observed_at", "retention_readings_months", "partition_readings_interval"),
    PartitionedTable("averages", "period_end", "retention_averages_months", "partition_averages_interval"),
)
_BY_NAME: Final = {table.name: table for table in PARTITIONED_TABLES}
DEFAULT_SUFFIX: Final = "_default"
BRIN_PREFIX: Final = "brin_"
_BOUND: Final = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


class PartitionCheckError(RuntimeError):
    """A conversion would change the data: counts or checksums before and after differ (nothing is committed)."""


@dataclass(frozen=True)
class PartitionRange:
    """One time partition: its name and the instants [start, end) it holds."""

    name: str
    start: dt.datetime
    end: dt.datetime


@dataclass
class TableMaintenance:
    """What :func:`maintain` did to one table."""

    created: list[str] = field(default_factory=list)
    rows_moved_from_default: int = 0
    dropped: list[str] = field(default_factory=list)
    rows_dropped: int = 0
    replaced_empty: list[str] = field(default_factory=list)
    """Empty partitions of coming periods dropped because the table's interval changed."""
    partitions: int = 0


def month_start(moment: dt.datetime) -> dt.datetime:
    """The first instant (UTC) of the calendar month holding ``moment``."""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(month: dt.datetime, count: int) -> dt.datetime:
    """The month ``count`` months after (or before, when negative) the month starting at ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return month.replace(year=index // 12, month=index % 12 + 1)


def period_start(moment: dt.datetime, interval: Interval) -> dt.datetime:
    """The first instant (UTC) of the month, the week (from Monday 00:00 UTC) or the day holding ``moment``."""
    if interval == "month":
        return month_start(moment)
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    day = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=day.weekday()) if interval == "week" else day


def next_period(start: dt.datetime, interval: Interval) -> dt.datetime:
    """The start of the period after the one starting at ``start``."""
    if interval == "month":
        return add_months(start, 1)
    return start + dt.timedelta(days=7 if interval == "week" else 1)


def partition_name(table: str, start: dt.datetime, end: dt.datetime) -> str:
    """``readings_p202612`` for the December 2026 partition of ``readings``, ``readings_p20261207`` for any other
    range (a week, a day) starting on 7 December 2026 (two partitions never start at the same instant)."""
    if start == month_start(start) and end == add_months(start, 1):
        return f"{table}_p{start:%Y%m}"
    return f"{table}_p{start:%Y%m%d}"


def is_partitioned(conn: Connection, table: str) -> bool:
    """Whether ``table`` (in the current schema search path) is a partitioned table; False on SQLite."""
    if not is_postgresql(conn):
        return False
    return bool(
        conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t))"), {"t": table}
        ).scalar()
    )


def _children(conn: Connection, table: str) -> list[tuple[str, str]]:
    """(name, bound expression) of every partition of ``table``."""
    return [
        (name, bound)
        for name, bound in conn.execute(
            text(
                "SELECT child.relname, pg_get_expr(child.relpartbound, child.oid) FROM pg_inherits "
                "JOIN pg_class child ON child.oid = pg_inherits.inhrelid WHERE pg_inherits.inhparent = to_regclass(:t)"
            ),
            {"t": table},
        ).all()
    ]


def partitions(conn: Connection, table: str) -> list[str]:
    """Names of the partitions of ``table`` (the time ranges oldest first, then the default one)."""
    return [r.name for r in partition_ranges(conn, table)] + [
        name for name, bound in _children(conn, table) if _BOUND.search(bound) is None
    ]


def partition_ranges(conn: Connection, table: str) -> list[PartitionRange]:
    """The time partitions of ``table`` with the range each holds (as PostgreSQL stores it), oldest first."""
    found = []
    for name, bound in _children(conn, table):
        limits = _BOUND.search(bound)
        if limits is not None:
            start, end = (dt.datetime.fromisoformat(value).astimezone(dt.UTC) for value in limits.groups())
            found.append(PartitionRange(name, start, end))
    return sorted(found, key=lambda r: r.start)


def pg_only_tables(conn: Connection) -> set[str]:
    """The partitions of every partitioned table: tables PostgreSQL has that the portable schema does not declare."""
    if not is_postgresql(conn):
        return set()
    return {name for table in PARTITIONED_TABLES for name in partitions(conn, table.name)}


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _literal(moment: dt.datetime) -> str:
    return f"'{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}+00'"


def create_partition(conn: Connection, table: str, start: dt.datetime, end: dt.datetime) -> tuple[str, int]:
    """Create the partition of ``table`` for [start, end), moving those rows out of the default partition into it;
    returns its name and the rows moved. The caller knows no partition overlaps the range."""
    spec = _BY_NAME[table]
    name = partition_name(table, start, end)
    default = _quote(conn, table + DEFAULT_SUFFIX)
    column = _quote(conn, spec.time_column)
    low, high = _literal(start), _literal(end)
    has_default = table + DEFAULT_SUFFIX in partitions(conn, table)
    if has_default:  # a new range must not overlap rows the default partition holds
        conn.execute(text(f"CREATE TEMPORARY TABLE rehomed (LIKE {_quote(conn, table)}) ON COMMIT DROP"))
        conn.execute(
            text(
                f"WITH gone AS (DELETE FROM {default} WHERE {column} >= {low} AND {column} < {high} RETURNING *) "
                "INSERT INTO rehomed SELECT * FROM gone"
            )
        )
    conn.execute(
        text(
            f"CREATE TABLE {_quote(conn, name)} PARTITION OF {_quote(conn, table)} FOR VALUES FROM ({low}) TO ({high})"
        )
    )
    moved = 0
    if has_default:
        moved = conn.execute(text(f"INSERT INTO {_quote(conn, table)} SELECT * FROM rehomed")).rowcount
        conn.execute(text("DROP TABLE rehomed"))
    return name, moved


def _periods_holding_data(conn: Connection, relation: str, time_column: str, interval: Interval) -> list[dt.datetime]:
    """The (UTC) months, weeks or days of the rows of ``relation``, oldest first."""
    column = _quote(conn, time_column)
    periods = conn.execute(
        text(f"SELECT DISTINCT date_trunc('{interval}', {column} AT TIME ZONE 'UTC') FROM {_quote(conn, relation)}")
    ).scalars()
    return sorted(period.replace(tzinfo=dt.UTC) for period in periods)


def _uncovered(
    start: dt.datetime, end: dt.datetime, ranges: list[PartitionRange]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) that no range of ``ranges`` (sorted by start) covers."""
    gaps, cursor = [], start
    for covered in ranges:
        if covered.end <= cursor or covered.start >= end:
            continue
        if covered.start > cursor:
            gaps.append((cursor, covered.start))
        cursor = max(cursor, covered.end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def ensure_periods(
    conn: Connection, table: str, first: dt.datetime, last: dt.datetime, interval: Interval = "month"
) -> list[tuple[str, int]]:
    """Create partitions of ``table`` for every month, week or day from the one holding ``first`` to the one holding
    ``last``, each for the part of its period no partition covers yet; (name, rows moved from the default) of each."""
    ranges = partition_ranges(conn, table)
    created = []
    start, stop = period_start(first, interval), period_start(last, interval)
    while start <= stop:
        end = next_period(start, interval)
        for low, high in _uncovered(start, end, ranges):
            name, moved = create_partition(conn, table, low, high)
            created.append((name, moved))
            ranges = sorted([*ranges, PartitionRange(name, low, high)], key=lambda r: r.start)
        start = end
    return created


def _is_empty(conn: Connection, relation: str) -> bool:
    return not conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {_quote(conn, relation)})")).scalar_one()


def _replace_empty_future(conn: Connection, table: str, interval: Interval, after: dt.datetime) -> list[str]:
    """Drop the empty partitions of ``table`` starting at or after ``after`` whose range is not one ``interval``
    (made before the interval was changed), so that those periods are partitioned by the new interval."""
    dropped = []
    for found in partition_ranges(conn, table):
        regular = period_start(found.start, interval) == found.start and next_period(found.start, interval) == found.end
        if found.start >= after and not regular and _is_empty(conn, found.name):
            conn.execute(text(f"DROP TABLE {_quote(conn, found.name)}"))
            dropped.append(found.name)
    return dropped


def _row_count(conn: Connection, relation: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {_quote(conn, relation)}")).scalar_one())


def maintain(
    conn: Connection,
    now: dt.datetime,
    *,
    ahead_months: int,
    retention_months: dict[str, int],
    intervals: dict[str, Interval] | None = None,
) -> dict[str, TableMaintenance]:
    """Partitions ahead, default partition emptied into partitions of their own, retention applied; what was done
    per table.

    ``intervals`` maps a table name to its partition interval (``month``, the default, ``week`` or ``day``); partitions
    are kept created for the periods up to ``ahead_months`` months after the current month. ``retention_months``
    maps a table name to how many whole months before the current one are kept (0 or missing: kept for ever);
    partitions wholly older are dropped on PostgreSQL, older rows deleted on SQLite.
    """
    report = {}
    current = month_start(now)
    for spec in PARTITIONED_TABLES:
        done = TableMaintenance()
        interval = (intervals or {}).get(spec.name, "month")
        keep = retention_months.get(spec.name, 0)
        cutoff = add_months(current, -keep) if keep > 0 else None
        if is_partitioned(conn, spec.name):
            upcoming = next_period(period_start(now, interval), interval)
            done.replaced_empty = _replace_empty_future(conn, spec.name, interval, upcoming)
            for period in _periods_holding_data(conn, spec.name + DEFAULT_SUFFIX, spec.time_column, interval):
                if cutoff is None or next_period(period, interval) > cutoff:
                    for name, moved in ensure_periods(conn, spec.name, period, period, interval):
                        done.created.append(name)
                        done.rows_moved_from_default += moved
            done.created += [
                name for name, _ in ensure_periods(conn, spec.name, now, add_months(current, ahead_months), interval)
            ]
            if cutoff is not None:
                _drop_before(conn, spec, cutoff, done)
            done.partitions = len(partitions(conn, spec.name))
        elif cutoff is not None:
            table = Base.metadata.tables[spec.name]
            done.rows_dropped = conn.execute(delete(table).where(table.c[spec.time_column] < cutoff)).rowcount
        report[spec.name] = done
    return report


def maintain_configured(
    engine: Engine, settings: Settings, now: dt.datetime, *, lock_wait_s: float = 5
) -> dict[str, Any]:
    """:func:`maintain` with the configured months ahead, intervals and retentions, in a transaction of its own.

    Creating or dropping a partition must lock the whole table; should a long write (a datalogger's buffer
    flush) hold it for more than ``lock_wait_s``, nothing is changed this time (``{"busy": true}``) rather than
    making the live stream queue behind the wait.
    """
    retention = {spec.name: int(getattr(settings, spec.retention_setting)) for spec in PARTITIONED_TABLES}
    intervals = {spec.name: getattr(settings, spec.interval_setting) for spec in PARTITIONED_TABLES}
    try:
        with engine.begin() as conn:
            if is_postgresql(conn):
                conn.execute(text(f"SET LOCAL lock_timeout = '{int(lock_wait_s * 1000)}ms'"))
            done = maintain(
                conn,
                now,
                ahead_months=settings.partitions_ahead_months,
                retention_months=retention,
                intervals=intervals,
            )
    except OperationalError as err:
        if isinstance(err.orig, psycopg.errors.LockNotAvailable):
            return {"busy": True}
        raise
    return {"busy": False, **{name: vars(table) for name, table in done.items()}}


def _drop_before(conn: Connection, spec: PartitionedTable, cutoff: dt.datetime, done: TableMaintenance) -> None:
    """Drop the partitions of ``spec`` ending at or before ``cutoff``, and delete older default rows."""
    for found in partition_ranges(conn, spec.name):
        if found.end <= cutoff:
            done.rows_dropped += _row_count(conn, found.name)
            conn.execute(text(f"DROP TABLE {_quote(conn, found.name)}"))
            done.dropped.append(found.name)
    column = _quote(conn, spec.time_column)
    done.rows_dropped += conn.execute(
        text(f"DELETE FROM {_quote(conn, spec.name + DEFAULT_SUFFIX)} WHERE {column} < :cutoff"), {"cutoff": cutoff}
    ).rowcount


# --- re-partitioning rows already stored --------------------------------------------------------------------


@dataclass
class Repartition:
    """What :func:`repartition` did to one table: the partitions replaced, the ones made, the rows moved."""

    table: str
    interval: Interval
    replaced: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    rows: int = 0
    busy: bool = False

    def message(self) -> str:
        """One line for the user saying what changed and that nothing was lost."""
        if self.busy:
            return f"{self.table}: a long write holds the table; nothing changed, run it again in a quiet hour"
        if not self.replaced:
            return f"{self.table}: every partition is already one {self.interval}; nothing to do"
        return (
            f"{self.table}: {len(self.replaced)} partitions split into {len(self.created)} of one {self.interval} "
            f"each; {self.rows:,} rows moved, row count and checksum equal before and after"
        )


def _regular(found: PartitionRange, interval: Interval) -> bool:
    return period_start(found.start, interval) == found.start and next_period(found.start, interval) == found.end


def repartition(conn: Connection, table: str, interval: Interval) -> Repartition:
    """Re-cut the time partitions of ``table`` that are not one ``interval`` long (monthly ones when changing to
    weeks, and back) into partitions of ``interval``, rows included, in the caller's transaction.

    Those partitions are detached, partitions of ``interval`` are made for the time they covered (a period
    partly covered by a partition kept gets the rest), their rows are inserted again through the parent table
    and the old tables dropped. The row count and a checksum of every row of ``table`` are compared before and
    after; a difference raises :class:`PartitionCheckError`, so nothing is committed. Every row is rewritten
    under a lock of the whole table: run it in a quiet hour.
    """
    done = Repartition(table, interval)
    if not is_partitioned(conn, table):
        return done
    odd = [found for found in partition_ranges(conn, table) if not _regular(found, interval)]
    if not odd:
        return done
    before = _fingerprint(conn, table)
    parent = _quote(conn, table)
    for found in odd:
        conn.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {_quote(conn, found.name)}"))
        conn.execute(text(f"ALTER TABLE {_quote(conn, found.name)} RENAME TO {_quote(conn, found.name + '_old')}"))
        done.replaced.append(found.name)
    for found in odd:
        for name, _ in ensure_periods(conn, table, found.start, found.end - dt.timedelta(microseconds=1), interval):
            done.created.append(name)
    for found in odd:
        old = _quote(conn, found.name + "_old")
        done.rows += conn.execute(text(f"INSERT INTO {parent} SELECT * FROM {old}")).rowcount
        conn.execute(text(f"DROP TABLE {old}"))
    _verify(table, before, _fingerprint(conn, table))
    return done


def repartition_configured(engine: Engine, settings: Settings, *, lock_wait_s: float = 10) -> list[Repartition]:
    """:func:`repartition` of every partitioned table to its configured interval, a transaction per table; a table
    a write holds for more than ``lock_wait_s`` is left as it is (``busy``)."""
    done = []
    for spec in PARTITIONED_TABLES:
        interval = getattr(settings, spec.interval_setting)
        try:
            with engine.begin() as conn:
                if is_postgresql(conn):
                    conn.execute(text(f"SET LOCAL lock_timeout = '{int(lock_wait_s * 1000)}ms'"))
                done.append(repartition(conn, spec.name, interval))
        except OperationalError as err:
            if not isinstance(err.orig, psycopg.errors.LockNotAvailable):
                raise
            done.append(Repartition(spec.name, interval, busy=True))
    return done


def _verify(table: str, before: tuple[int, int], after: tuple[int, int]) -> None:
    """Raise :class:`PartitionCheckError` when the row count or checksum of ``table`` changed."""
    if after != before:
        msg = (
            f"{table}: {before[0]:,} rows (checksum {before[1]}) before, {after[0]:,} rows "
            f"(checksum {after[1]}) after; nothing changed"
        )
        raise PartitionCheckError(msg)


# --- conversion (migration 0010) ----------------------------------------------------------------------------


def _fingerprint(conn: Connection, relation: str) -> tuple[int, int]:
    """Row count and an order-independent checksum of every column of every row of ``relation``."""
    count, checksum = conn.execute(
        text(
            f"SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM {_quote(conn, relation)} t"
        )
    ).one()
    return int(count), int(checksum)


def _index_definitions(conn: Connection, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(constraint name, definition) of ``table``'s primary key and unique constraints, and the definitions of
    its other indexes, BRIN ones excepted (they are made per time column by the conversion)."""
    constraints = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(:t) AND contype IN ('p', 'u') ORDER BY conname"
        ),
        {"t": table},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(:t) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AND c.relname NOT LIKE :brin"
        ),
        {"t": table, "brin": BRIN_PREFIX + "%"},
    ).scalars()
    return [(name, definition) for name, definition in constraints], list(indexes)


def _set_aside(conn: Connection, table: str) -> str:
    """Rename ``table`` and its indexes out of the way (``<name>_old``); returns the table's new name."""
    old = f"{table}_old"
    conn.execute(text(f"ALTER TABLE {_quote(conn, table)} RENAME TO {_quote(conn, old)}"))
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(:t)"
        ),
        {"t": old},
    ).scalars()
    for name in list(names):
        conn.execute(text(f"ALTER INDEX {_quote(conn, name)} RENAME TO {_quote(conn, name + '_old')}"))
    return old


def _rebuild(
    conn: Connection, table: str, *, partitioned: bool, now: dt.datetime, ahead_months: int, interval: Interval
) -> None:
    """Replace ``table`` by a copy that is partitioned (or plain), every row copied and verified."""
    spec = _BY_NAME[table]
    constraints, indexes = _index_definitions(conn, table)
    before = _fingerprint(conn, table)
    old = _set_aside(conn, table)
    partition_by = f" PARTITION BY RANGE ({_quote(conn, spec.time_column)})" if partitioned else ""
    conn.execute(
        text(
            f"CREATE TABLE {_quote(conn, table)} (LIKE {_quote(conn, old)} INCLUDING DEFAULTS "
            f"INCLUDING GENERATED INCLUDING STORAGE){partition_by}"
        )
    )
    for name, definition in constraints:
        conn.execute(text(f"ALTER TABLE {_quote(conn, table)} ADD CONSTRAINT {_quote(conn, name)} {definition}"))
    for definition in indexes:
        conn.execute(text(definition))
    if partitioned:
        column = _quote(conn, spec.time_column)
        conn.execute(
            text(f"CREATE TABLE {_quote(conn, table + DEFAULT_SUFFIX)} PARTITION OF {_quote(conn, table)} DEFAULT")
        )
        conn.execute(
            text(f"CREATE INDEX {_quote(conn, BRIN_PREFIX + table)} ON {_quote(conn, table)} USING brin ({column})")
        )
        for period in _periods_holding_data(conn, old, spec.time_column, interval):
            ensure_periods(conn, table, period, period, interval)
        ensure_periods(conn, table, now, add_months(month_start(now), ahead_months), interval)
    conn.execute(text(f"INSERT INTO {_quote(conn, table)} SELECT * FROM {_quote(conn, old)}"))
    _verify(table, before, _fingerprint(conn, table))
    conn.execute(text(f"DROP TABLE {_quote(conn, old)}"))


def convert_to_partitioned(
    conn: Connection, table: str, *, now: dt.datetime, ahead_months: int = 3, interval: Interval = "month"
) -> None:
    """Make PostgreSQL ``table`` (one of :data:`PARTITIONED_TABLES`) partitioned by ``interval``, keeping every row.

    Partitions cover every month (or week, or day) holding data and the periods up to ``ahead_months`` months after
    ``now``. The row
    count and a checksum of every row are compared before and after; a difference raises
    :class:`PartitionCheckError`, so the caller's transaction (the migration's) is rolled back.
    """
    if not is_partitioned(conn, table):
        _rebuild(conn, table, partitioned=True, now=now, ahead_months=ahead_months, interval=interval)


def convert_to_plain(conn: Connection, table: str) -> None:
    """The reverse of :func:`convert_to_partitioned`: one plain table again, every row copied and verified."""
    if is_partitioned(conn, table):
        _rebuild(conn, table, partitioned=False, now=dt.datetime.now(dt.UTC), ahead_months=0, interval="month")
