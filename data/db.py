"""Engine creation, schema migration and transactions for SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from data.redact import redact_text, redact_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailableError(RuntimeError):
    """The configured database cannot be reached; the message says which URL (without password)."""


def make_engine(url: str, *, sqlite_cache_mib: int = 64, sqlite_mmap_mib: int = 0) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder, foreign keys and WAL journaling.

    ``sqlite_cache_mib`` is each SQLite connection's own page cache (bulk batches into large indexes want a
    big one). ``sqlite_mmap_mib`` memory-maps that much of the database file: reads then come straight from
    the operating system's file cache, shared by every connection, instead of being copied into each
    connection's own cache first (the dashboard's many readers, each starting with an empty cache).

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
