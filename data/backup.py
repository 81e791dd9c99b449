"""Consistent backup and restore of the SQLite database (PostgreSQL uses pg_dump / pg_restore)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

POSTGRES_HINT = (
    "backup/restore here covers the SQLite default; for PostgreSQL use "
    '`pg_dump -Fc -f envmon.dump "$DATABASE_URL"` and `pg_restore --clean -d "$DATABASE_URL" envmon.dump`'
)


class BackupError(ValueError):
    """A backup or restore that cannot be done as asked; the message says why."""


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL.

    Raises
    ------
    BackupError
        The URL is not a SQLite file URL.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(POSTGRES_HINT)
    if not url.database or url.database == ":memory:":
        msg = "an in-memory SQLite database cannot be backed up"
        raise BackupError(msg)
    return Path(url.database)


def backup(database_url: str, target: Path) -> dict[str, object]:
    """Copy the live database into ``target`` as one consistent snapshot, even while others write.

    SQLite's online backup API copies every page in one step under a read transaction, so writers that commit
    meanwhile are either wholly in the copy or wholly absent from it.
    """
    source_path = sqlite_path(database_url)
    if not source_path.is_file():
        msg = f"no database at {source_path}"
        raise BackupError(msg)
    if target.exists():
        msg = f"{target} exists; choose a new file name"
        raise BackupError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination, pages=-1)
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()
        source.close()
    return {"backup": str(target), "bytes": target.stat().st_size, **_describe(target)}


def restore(database_url: str, backup_file: Path) -> dict[str, object]:
    """Replace the configured database's content with ``backup_file`` (stop the poller first).

    Raises
    ------
    BackupError
        The file is missing, is not a SQLite database, fails its integrity check, or is not an envmon backup.
    """
    target_path = sqlite_path(database_url)
    if not backup_file.is_file():
        msg = f"backup file not found: {backup_file}"
        raise BackupError(msg)
    description = _describe(backup_file)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    destination = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(destination, pages=-1)
    finally:
        destination.close()
        source.close()
    return {"restored": str(target_path), **description}


def _describe(path: Path) -> dict[str, object]:
    """Schema revision and row counts of an envmon SQLite file, after an integrity check."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                msg = f"{path} fails SQLite's integrity check"
                raise BackupError(msg)
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            counts = {
                table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - fixed names
                for table in ("complaint_reports", "readings", "alerts", "boundary_units")
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        msg = f"{path} is not an envmon SQLite database ({err})"
        raise BackupError(msg) from err
    return {"revision": revision, "rows": counts}
