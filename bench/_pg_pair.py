"""A throwaway PostgreSQL 15 primary and its streaming replica on loopback, for the replica test and bench.

Both run from Debian's server binaries in one temporary folder: ``initdb`` for the primary (trust authentication,
``fsync=off``), a database ``envmon`` with PostGIS and the migrated schema, then ``pg_basebackup -R -X stream``
for the replica, started on a second free port. As root the tools run as the ``postgres`` user (``initdb``
refuses root), as ``.ci/pg.sh`` does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PGBIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class PostgresPair:
    """The primary and replica servers of one temporary folder."""

    folder: Path
    primary_port: int
    replica_port: int

    def url(self, port: int, *, password: str = "") -> str:
        """The SQLAlchemy URL of database ``envmon`` on ``port`` (``password`` is ignored by trust auth)."""
        secret = f":{password}" if password else ""
        return f"postgresql+psycopg://postgres{secret}@127.0.0.1:{port}/envmon"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def tool(self, name: str, *args: str) -> None:
        """Run a PostgreSQL server tool from ``PGBIN``."""
        subprocess.run(_as_postgres([str(PGBIN / name), *args]), check=True, capture_output=True, timeout=300)

    def start(self, name: str, *, cpus: str | None = None) -> None:
        """Start the server ``primary`` or ``replica``; ``cpus`` (``taskset -c`` list) pins all its processes."""
        port = self.primary_port if name == "primary" else self.replica_port
        options = f"-p {port} -k {self.folder / name} -c listen_addresses=127.0.0.1 -c fsync=off"
        argv = [str(PGBIN / "pg_ctl"), "-D", str(self.folder / name), "-l", str(self.folder / f"{name}.log"), "-w",
                "-o", options, "start"]  # fmt: skip
        pinned = ["taskset", "-c", cpus, *_as_postgres(argv)] if cpus else _as_postgres(argv)
        subprocess.run(pinned, check=True, capture_output=True, timeout=300)

    def cpu_seconds(self, name: str) -> float:
        """CPU time the server ``name`` has used so far: its postmaster, its live processes and those it reaped."""
        postmaster = int((self.folder / name / "postmaster.pid").read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            pid, parent = int(stat.parent.name), int(fields[1])
            if pid == postmaster:
                total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
            elif parent == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def stop(self, name: str) -> None:
        """Stop the server ``primary`` or ``replica`` (quietly when it is not running)."""
        argv = _as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.folder / name), "-m", "fast", "stop"])
        subprocess.run(argv, capture_output=True, timeout=60, check=False)


def server_binaries_present() -> bool:
    """True when the PostgreSQL 15 server tools are installed."""
    return (PGBIN / "initdb").exists() and (PGBIN / "pg_basebackup").exists()


@contextmanager
def postgres_pair(*, primary_cpus: str | None = None, replica_cpus: str | None = None) -> Iterator[PostgresPair]:
    """Start a migrated primary and its streaming replica (each pinned to ``*_cpus`` if given, as if on machines of
    their own); stop both and remove their folder afterwards."""
    from sqlalchemy import create_engine, text

    from data.db import make_engine, migrate

    folder = Path(tempfile.mkdtemp(prefix="envmon-replica-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    pair = PostgresPair(folder, _free_port(), _free_port())
    try:
        pair.tool("initdb", "-D", str(folder / "primary"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        pair.start("primary", cpus=primary_cpus)
        admin = create_engine(pair.primary_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE envmon"))
        admin.dispose()
        primary = make_engine(pair.primary_url)
        with primary.begin() as conn:
            conn.execute(text("CREATE EXTENSION postgis"))
        migrate(primary)
        primary.dispose()
        pair.tool("pg_basebackup", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres",
                  "-D", str(folder / "replica"), "-R", "-X", "stream", "--checkpoint=fast")  # fmt: skip
        pair.start("replica", cpus=replica_cpus)
        yield pair
    finally:
        pair.stop("replica")
        pair.stop("primary")
        shutil.rmtree(folder, ignore_errors=True)
