"""Monthly time partitions of the big PostgreSQL tables (readings, stored averages): creation ahead, retention.

On PostgreSQL ``readings`` (by ``observed_at``) and ``averages`` (by ``period_end``) are declarative
``PARTITION BY RANGE`` tables with one partition per calendar month (UTC), named ``<table>_pYYYYMM``, plus a
``<table>_default`` partition that catches a row of a month with no partition yet (an old file imported, a clock
far ahead), so an insert is never refused. :func:`maintain` (run by ``envmon db maintain`` and after every poll
round) creates the partitions of the coming months, moves rows out of the default partition into partitions of
their own, and applies each table's retention by dropping whole partitions. Each partition carries the table's
primary key (a b-tree a month long instead of one growing for ever) and a BRIN index on the time column.

SQLite keeps plain tables: retention there deletes the rows of the expired months. The schema is declared once
(:mod:`data.schema`); the partitioning is applied on PostgreSQL by migration 0010 with
:func:`convert_to_partitioned`, which verifies the row count and a checksum before it lets the change commit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import psycopg
from sqlalchemy import Connection, Engine, delete, text
from sqlalchemy.exc import OperationalError

from data.dialect import is_postgresql
from data.schema import Base

if TYPE_CHECKING:
    from data.config import Settings


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by month on PostgreSQL, its time column and the setting holding its retention."""

    name: str
    time_column: str
    retention_setting: str


PARTITIONED_TABLES: Final = (
    PartitionedTable("readings", "observed_at", "retention_readings_months"),
    PartitionedTable("averages", "period_end", "retention_averages_months"),
)
_BY_NAME: Final = {table.name: table for table in PARTITIONED_TABLES}
DEFAULT_SUFFIX: Final = "_default"
BRIN_PREFIX: Final = "brin_"


class PartitionCheckError(RuntimeError):
    """A conversion would change the data: counts or checksums before and after differ (nothing is committed)."""


@dataclass
class TableMaintenance:
    """What :func:`maintain` did to one table."""

    created: list[str] = field(default_factory=list)
    rows_moved_from_default: int = 0
    dropped: list[str] = field(default_factory=list)
    rows_dropped: int = 0
    partitions: int = 0


def month_start(moment: dt.datetime) -> dt.datetime:
    """The first instant (UTC) of the calendar month holding ``moment``."""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(month: dt.datetime, count: int) -> dt.datetime:
    """The month ``count`` months after (or before, when negative) the month starting at ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return month.replace(year=index // 12, month=index % 12 + 1)


def partition_name(table: str, month: dt.datetime) -> str:
    """``readings_p202612`` for the December 2026 partition of ``readings``."""
    return f"{table}_p{month:%Y%m}"


def _month_of(table: str, partition: str) -> dt.datetime | None:
    found = re.fullmatch(rf"{re.escape(table)}_p(\d{{4}})(\d{{2}})", partition)
    return dt.datetime(int(found[1]), int(found[2]), 1, tzinfo=dt.UTC) if found else None


def is_partitioned(conn: Connection, table: str) -> bool:
    """Whether ``table`` (in the current schema search path) is a partitioned table; False on SQLite."""
    if not is_postgresql(conn):
        return False
    return bool(
        conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t))"), {"t": table}
        ).scalar()
    )


def partitions(conn: Connection, table: str) -> list[str]:
    """Names of the partitions of ``table`` (monthly ones oldest first, then the default one)."""
    names = conn.execute(
        text(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(:t)"
        ),
        {"t": table},
    ).scalars()
    return sorted(names, key=lambda name: (name.endswith(DEFAULT_SUFFIX), name))


def monthly_partitions(conn: Connection, table: str) -> dict[dt.datetime, str]:
    """The monthly partitions of ``table`` by the first instant of their month."""
    found = {}
    for name in partitions(conn, table):
        month = _month_of(table, name)
        if month is not None:
            found[month] = name
    return found


def pg_only_tables(conn: Connection) -> set[str]:
    """The partitions of every partitioned table: tables PostgreSQL has that the portable schema does not declare."""
    if not is_postgresql(conn):
        return set()
    return {name for table in PARTITIONED_TABLES for name in partitions(conn, table.name)}


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _literal(month: dt.datetime) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


def create_month(conn: Connection, table: str, month: dt.datetime) -> tuple[str, int]:
    """Create the partition of ``table`` for ``month`` (first instant, UTC), moving that month's rows out of the
    default partition into it; returns its name and the rows moved. The caller knows it does not exist yet."""
    spec = _BY_NAME[table]
    name = partition_name(table, month)
    default = _quote(conn, table + DEFAULT_SUFFIX)
    column = _quote(conn, spec.time_column)
    start, end = _literal(month), _literal(add_months(month, 1))
    has_default = table + DEFAULT_SUFFIX in partitions(conn, table)
    if has_default:  # a new range must not overlap rows the default partition holds
        conn.execute(text(f"CREATE TEMPORARY TABLE rehomed (LIKE {_quote(conn, table)}) ON COMMIT DROP"))
        conn.execute(
            text(
                f"WITH gone AS (DELETE FROM {default} WHERE {column} >= {start} AND {column} < {end} RETURNING *) "
                "INSERT INTO rehomed SELECT * FROM gone"
            )
        )
    conn.execute(
        text(
            f"CREATE TABLE {_quote(conn, name)} PARTITION OF {_quote(conn, table)} FOR VALUES FROM ({start}) TO ({end})"
        )
    )
    moved = 0
    if has_default:
        moved = conn.execute(text(f"INSERT INTO {_quote(conn, table)} SELECT * FROM rehomed")).rowcount
        conn.execute(text("DROP TABLE rehomed"))
    return name, moved


def _months_holding_data(conn: Connection, relation: str, time_column: str) -> list[dt.datetime]:
    """The (UTC) months of the rows of ``relation``, oldest first."""
    column = _quote(conn, time_column)
    months = conn.execute(
        text(f"SELECT DISTINCT date_trunc('month', {column} AT TIME ZONE 'UTC') FROM {_quote(conn, relation)}")
    ).scalars()
    return sorted(month.replace(tzinfo=dt.UTC) for month in months)


def ensure_months(conn: Connection, table: str, first: dt.datetime, last: dt.datetime) -> list[str]:
    """Create the missing partitions of ``table`` for every month from ``first`` to ``last``; their names."""
    existing = monthly_partitions(conn, table)
    created = []
    month = month_start(first)
    while month <= month_start(last):
        if month not in existing:
            created.append(create_month(conn, table, month)[0])
        month = add_months(month, 1)
    return created


def _row_count(conn: Connection, relation: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {_quote(conn, relation)}")).scalar_one())


def maintain(
    conn: Connection, now: dt.datetime, *, ahead_months: int, retention_months: dict[str, int]
) -> dict[str, TableMaintenance]:
    """Partitions ahead, default partition emptied into monthly ones, retention applied; what was done per table.

    ``retention_months`` maps a table name to how many whole months before the current one are kept (0 or
    missing: kept for ever); older months are dropped whole on PostgreSQL, deleted on SQLite.
    """
    report = {}
    current = month_start(now)
    for spec in PARTITIONED_TABLES:
        done = TableMaintenance()
        keep = retention_months.get(spec.name, 0)
        cutoff = add_months(current, -keep) if keep > 0 else None
        if is_partitioned(conn, spec.name):
            for month in _months_holding_data(conn, spec.name + DEFAULT_SUFFIX, spec.time_column):
                if cutoff is None or month >= cutoff:
                    name, moved = create_month(conn, spec.name, month)
                    done.created.append(name)
                    done.rows_moved_from_default += moved
            done.created += ensure_months(conn, spec.name, current, add_months(current, ahead_months))
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
    """:func:`maintain` with the configured months ahead and retentions, in a transaction of its own.

    Creating or dropping a partition must lock the whole table; should a long write (a datalogger's buffer
    flush) hold it for more than ``lock_wait_s``, nothing is changed this time (``{"busy": true}``) rather than
    making the live stream queue behind the wait.
    """
    retention = {spec.name: int(getattr(settings, spec.retention_setting)) for spec in PARTITIONED_TABLES}
    try:
        with engine.begin() as conn:
            if is_postgresql(conn):
                conn.execute(text(f"SET LOCAL lock_timeout = '{int(lock_wait_s * 1000)}ms'"))
            done = maintain(conn, now, ahead_months=settings.partitions_ahead_months, retention_months=retention)
    except OperationalError as err:
        if isinstance(err.orig, psycopg.errors.LockNotAvailable):
            return {"busy": True}
        raise
    return {"busy": False, **{name: vars(table) for name, table in done.items()}}


def _drop_before(conn: Connection, spec: PartitionedTable, cutoff: dt.datetime, done: TableMaintenance) -> None:
    """Drop the monthly partitions of ``spec`` ending at or before ``cutoff``, and delete older default rows."""
    for month, name in monthly_partitions(conn, spec.name).items():
        if add_months(month, 1) <= cutoff:
            done.rows_dropped += _row_count(conn, name)
            conn.execute(text(f"DROP TABLE {_quote(conn, name)}"))
            done.dropped.append(name)
    column = _quote(conn, spec.time_column)
    done.rows_dropped += conn.execute(
        text(f"DELETE FROM {_quote(conn, spec.name + DEFAULT_SUFFIX)} WHERE {column} < :cutoff"), {"cutoff": cutoff}
    ).rowcount


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


def _rebuild(conn: Connection, table: str, *, partitioned: bool, now: dt.datetime, ahead_months: int) -> None:
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
        for month in _months_holding_data(conn, old, spec.time_column):
            create_month(conn, table, month)
        ensure_months(conn, table, now, add_months(month_start(now), ahead_months))
    conn.execute(text(f"INSERT INTO {_quote(conn, table)} SELECT * FROM {_quote(conn, old)}"))
    after = _fingerprint(conn, table)
    if after != before:
        msg = (
            f"{table}: {before[0]:,} rows (checksum {before[1]}) before, {after[0]:,} rows "
            f"(checksum {after[1]}) after; nothing changed"
        )
        raise PartitionCheckError(msg)
    conn.execute(text(f"DROP TABLE {_quote(conn, old)}"))


def convert_to_partitioned(conn: Connection, table: str, *, now: dt.datetime, ahead_months: int = 3) -> None:
    """Make PostgreSQL ``table`` (one of :data:`PARTITIONED_TABLES`) monthly-partitioned, keeping every row.

    Partitions cover every month holding data and the months up to ``ahead_months`` after ``now``. The row
    count and a checksum of every row are compared before and after; a difference raises
    :class:`PartitionCheckError`, so the caller's transaction (the migration's) is rolled back.
    """
    if not is_partitioned(conn, table):
        _rebuild(conn, table, partitioned=True, now=now, ahead_months=ahead_months)


def convert_to_plain(conn: Connection, table: str) -> None:
    """The reverse of :func:`convert_to_partitioned`: one plain table again, every row copied and verified."""
    if is_partitioned(conn, table):
        _rebuild(conn, table, partitioned=False, now=dt.datetime.now(dt.UTC), ahead_months=0)
