"""Engine creation, schema migration and transactions for SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from data.dialect import is_postgresql
from data.read_routing import READ_POOL_RECYCLE_SECONDS, ReadRouter, attach
from data.redact import redact_text, redact_url

if TYPE_CHECKING:
    from data.config import Settings

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailableError(RuntimeError):
    """The configured database cannot be reached; the message says which URL (without password)."""


def make_url_or_raise(url: str) -> URL:
    """``url`` parsed; :class:`DatabaseUnavailableError` (password masked) when it is malformed."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as err:  # ValueError: a port that is not a number
        msg = f"database URL {redact_url(url)} is not valid: {redact_text(str(err), [url])}"
        raise DatabaseUnavailableError(msg) from None


def make_engine(
    url: str, *, sqlite_cache_mib: int = 64, sqlite_mmap_mib: int = 0, router: ReadRouter | None = None
) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder, foreign keys and WAL journaling.

    ``sqlite_cache_mib`` is each SQLite connection's own page cache (bulk batches into large indexes want a
    big one). ``sqlite_mmap_mib`` memory-maps that much of the database file: reads then come straight from
    the operating system's file cache, shared by every connection, instead of being copied into each
    connection's own cache first (the dashboard's many readers, each starting with an empty cache).
    ``router`` (a server database): new connections are opened by it, on the replica ``url`` or the primary
    (see :func:`read_engine`).

    Raises
    ------
    DatabaseUnavailableError
        When the URL is malformed, names an unsupported driver, or the SQLite folder cannot be created.
    """
    safe_url = redact_url(url)
    parsed = make_url_or_raise(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                msg = f"database unavailable at {safe_url}: cannot create its folder ({err.strerror})"
                raise DatabaseUnavailableError(msg) from err
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        if router is not None:
            kwargs["creator"] = router
            kwargs["pool_recycle"] = READ_POOL_RECYCLE_SECONDS
    try:
        engine = create_engine(parsed, **kwargs)
    except (ImportError, ArgumentError) as err:
        reason = redact_text(f"{err.__class__.__name__}: {err}", [url])
        msg = f"database unavailable at {safe_url}: unsupported driver ({reason})"
        raise DatabaseUnavailableError(msg) from err
    if parsed.get_backend_name() == "sqlite":

        def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size={-1024 * int(sqlite_cache_mib)}")  # negative: KiB, not pages
            cursor.execute(f"PRAGMA mmap_size={1024 * 1024 * int(sqlite_mmap_mib)}")
            cursor.close()

        event.listen(engine, "connect", sqlite_pragmas)
    elif router is not None:
        attach(engine, router)
    return engine


def engine(settings: Settings, **options: Any) -> Engine:
    """The engine of the primary database: every write, and reads that must see the caller's own writes
    (logins, sessions, acknowledgements, case actions). ``options`` go to :func:`make_engine`."""
    return make_engine(settings.resolved_database_url, **options)


def read_engine(settings: Settings, *, primary: Engine | None = None, **options: Any) -> Engine:
    """The engine for reads that tolerate replica lag (pages, the API's public answers, the published site).

    Without a separate ``database_read_url`` this is ``primary`` itself (or a new primary engine). Otherwise
    connections go to the replica, and to the primary while the replica cannot be reached or lags more than
    ``read_max_lag_seconds`` (checked every ``read_lag_check_seconds``, :mod:`data.read_routing`), so a page
    never fails because the replica is down and never shows data older than the allowed lag for longer than a
    check interval.
    """
    if settings.resolved_read_url == settings.resolved_database_url:
        return primary if primary is not None else engine(settings, **options)
    read_url = make_url_or_raise(settings.resolved_read_url)
    if read_url.get_backend_name() != "postgresql":
        return make_engine(settings.resolved_read_url, **options)
    max_lag = settings.read_max_lag_seconds
    router = ReadRouter(
        read_url,
        make_url_or_raise(settings.resolved_database_url),
        max_lag=dt.timedelta(seconds=max_lag) if max_lag > 0 else None,
        check_every=dt.timedelta(seconds=settings.read_lag_check_seconds),
    )
    server_options = {k: v for k, v in options.items() if not k.startswith("sqlite_")}
    return make_engine(settings.resolved_read_url, router=router, **server_options)


def replica_lag(bind: Engine | Connection) -> dt.timedelta | None:
    """How far a streaming replica's data is behind its primary; None on a primary or on SQLite.

    Zero when the replica has replayed everything it received (an idle primary is not lag).
    """
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return replica_lag(conn)
    if not is_postgresql(bind):
        return None
    return bind.execute(
        text(
            "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL"
            " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN interval '0'"
            " ELSE now() - pg_last_xact_replay_timestamp() END"
        )
    ).scalar()


def check_connection(engine: Engine) -> None:
    """Raise :class:`DatabaseUnavailableError` with a clear message if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:
        url = engine.url.render_as_string(hide_password=False)
        reason = redact_text(f"{err.__class__.__name__}: {str(err).splitlines()[0]}", [url])
        msg = f"database unavailable at {redact_url(url)}: {reason}"
        raise DatabaseUnavailableError(msg) from err


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision (idempotent)."""
    from alembic import command  # imported here: alembic is slow to import and only needed to migrate
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str | None:
    """The current Alembic revision, or None for an empty database (one statement when there is a schema: the
    dashboard asks on every page run)."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            conn.rollback()
            if inspect(conn).has_table("alembic_version"):
                raise
            return None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction (for the bulk writers of ``data/``): committed on success, else rolled back."""
    with engine.begin() as conn:
        yield conn
