"""Shared fixtures: database engines for both back ends, the shipped boundary sets, fixture paths.

Storage tests take the ``engine`` fixture and run twice, on SQLite and on PostgreSQL/PostGIS. The PostgreSQL
run needs ``TEST_DATABASE_URL`` (``.ci/run`` starts a throwaway cluster and sets it); without it those runs
skip with a reason, and with ``ENVMON_REQUIRE_POSTGRES=1`` (set by CI) they fail instead of skipping.
Each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bench._common import scratch_postgres_engine
from data.db import make_engine, migrate

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """Folder of small recorded payloads and sample files (see tests/fixtures/README.md)."""
    return FIXTURES


def _postgres_url_or_skip() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    reason = "PostgreSQL tests need TEST_DATABASE_URL (run .ci/run, which starts a throwaway PostGIS)"
    if os.environ.get("ENVMON_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a temporary file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated PostgreSQL/PostGIS database in a fresh schema of its own."""
    with scratch_postgres_engine(_postgres_url_or_skip(), "t") as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty database; the test runs once per back end."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def loaded_engine(engine: Engine) -> Engine:
    """``engine`` after ``envmon init``: schema plus the shipped Hà Nội boundary sets."""
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(engine)
    return engine


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Name resolution answers only for loopback hosts: code that would reach the Internet fails at once.

    Every test runs under it (tests never use the network; a replayed client request naming a real host, such as
    the Ruby Open311 client's flickr ``media_url``, must not leave the machine). Servers a test starts in other
    processes resolve names as usual: give them loopback addresses."""
    import socket

    resolve = socket.getaddrinfo
    loopback = {"localhost", "127.0.0.1", "::1"}

    def loopback_only(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in loopback:
            raise socket.gaierror(socket.EAI_NONAME, f"no network in tests: {name}")
        return resolve(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
