"""Engine creation, schema migration and transactions for SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from data.dialect import is_postgresql
from data.redact import redact_text, redact_url

if TYPE_CHECKING:
    from data.config import Settings

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
REPLICA_CONNECT_TIMEOUT_SECONDS = 3  # a replica that does not answer this fast is skipped for the primary
READ_POOL_RECYCLE_SECONDS = 60  # a read connection opened on the primary is replaced by a replica one after this


class DatabaseUnavailableError(RuntimeError):
    """The configured database cannot be reached; the message says which URL (without password)."""


def make_engine(
    url: str, *, sqlite_cache_mib: int = 64, sqlite_mmap_mib: int = 0, fallback_url: str | None = None
) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder, foreign keys and WAL journaling.

    ``sqlite_cache_mib`` is each SQLite connection's own page cache (bulk batches into large indexes want a
    big one). ``sqlite_mmap_mib`` memory-maps that much of the database file: reads then come straight from
    the operating system's file cache, shared by every connection, instead of being copied into each
    connection's own cache first (the dashboard's many readers, each starting with an empty cache).
    ``fallback_url`` (a server database): each new connection goes to ``url`` and, when that server cannot be
    reached, to ``fallback_url`` instead (see :func:`read_engine`).

    Raises
    ------
    DatabaseUnavailableError
        When the URL is malformed, names an unsupported driver, or the SQLite folder cannot be created.
    """
    safe_url = redact_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as err:  # ValueError: a port that is not a number
        msg = f"database URL {safe_url} is not valid: {redact_text(str(err), [url])}"
        raise DatabaseUnavailableError(msg) from None
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
        if fallback_url is not None and fallback_url != url:
            kwargs["creator"] = _FallbackConnector(parsed, fallback_url)
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
    return engine


class _FallbackConnector:
    """Opens DBAPI connections to a replica, or to the primary while the replica cannot be reached.

    The switch is logged once each way (not once per connection). Passwords never reach the log.
    """

    def __init__(self, replica: URL, primary_url: str) -> None:
        self.replica = replica
        self.primary = make_url(primary_url)
        self.dialect = create_engine(replica).dialect  # no connection is made here
        self.on_primary = False
        self.lock = threading.Lock()

    def _connect(self, url: URL, **extra: Any) -> Any:
        cargs, cparams = self.dialect.create_connect_args(url)
        return self.dialect.connect(*cargs, **{**cparams, **extra})

    def __call__(self) -> Any:
        try:
            connection = self._connect(self.replica, connect_timeout=REPLICA_CONNECT_TIMEOUT_SECONDS)
        except Exception as err:
            with self.lock:
                if not self.on_primary:
                    reason = redact_text(f"{err.__class__.__name__}: {str(err).splitlines()[0] if str(err) else ''}")
                    logger.warning("read replica %s unavailable (%s); reading from the primary %s",
                                   redact_url(self.replica.render_as_string(hide_password=False)), reason,
                                   redact_url(self.primary.render_as_string(hide_password=False)))  # fmt: skip
                self.on_primary = True
            return self._connect(self.primary)
        with self.lock:
            if self.on_primary:
                logger.info("read replica %s reachable again; reading from it",
                            redact_url(self.replica.render_as_string(hide_password=False)))  # fmt: skip
            self.on_primary = False
        return connection


def engine(settings: Settings, **options: Any) -> Engine:
    """The engine of the primary database: every write, and reads that must see the caller's own writes
    (logins, sessions, acknowledgements, case actions). ``options`` go to :func:`make_engine`."""
    return make_engine(settings.resolved_database_url, **options)


def read_engine(settings: Settings, *, primary: Engine | None = None, **options: Any) -> Engine:
    """The engine for reads that tolerate replica lag (pages, the API's public answers, the published site).

    Without a separate ``database_read_url`` this is ``primary`` itself (or a new primary engine). Otherwise
    every new connection goes to the replica and, while the replica cannot be reached, to the primary, so a
    page never fails because the replica is down; connections are recycled every
    ``READ_POOL_RECYCLE_SECONDS``, so reads return to the replica once it is back.
    """
    if settings.resolved_read_url == settings.resolved_database_url:
        return primary if primary is not None else engine(settings, **options)
    return make_engine(settings.resolved_read_url, fallback_url=settings.resolved_database_url, **options)


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
    """The current Alembic revision, or None for an empty database."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


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
