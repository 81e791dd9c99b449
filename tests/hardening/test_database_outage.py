"""Database unavailable: the CLI exits 3 with a clear message; the poller survives an outage and resumes."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from cli import main
from data.db import make_engine, migrate
from data.schema import Reading
from monitoring.feeds.base import Batch
from monitoring.poller import FeedSpec, read_health, run_forever
from monitoring.schema import canonicalise

T0 = dt.datetime(2025, 4, 20, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)

UNREACHABLE = {
    "postgres-closed-port": "postgresql+psycopg://envmon:s3cret-pw@127.0.0.1:1/envmon",
    "sqlite-folder-is-a-file": "sqlite:////dev/null/envmon.db",
    "sqlite-unwritable": "sqlite:////proc/envmon.db",
    "unknown-driver": "mysql://envmon:s3cret-pw@localhost/envmon",
}


@pytest.mark.parametrize("url", list(UNREACHABLE.values()), ids=list(UNREACHABLE))
@pytest.mark.parametrize(
    "argv",
    [
        ["alerts", "list"],
        ["complaints", "export"],
        ["feeds", "status"],
        ["locate", "21.0288", "105.8523"],
        ["hotspots", "wards", "--json"],
        ["readings", "stations"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_cli_with_the_database_down_exits_3_with_a_clear_message(
    url: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(argv) == 3
    error = capsys.readouterr().err
    assert error.startswith("envmon: database")
    assert "Traceback" not in error and "s3cret-pw" not in error  # the password is never printed


class HourlySource:
    """A fake hourly air API: every hour end since the checkpoint (or 6 h before T0) up to ``now``."""

    name = "hourly"
    kind = "air"

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        last = dt.datetime.fromisoformat(checkpoint["last"]) if "last" in checkpoint else T0 - 6 * HOUR
        ends = pd.date_range(last - HOUR, now.replace(minute=0), freq="h", tz="UTC", inclusive="right")
        raw = pd.DataFrame({"observed_at": ends, "parameter": "PM2.5", "value": [float(e.hour) for e in ends]})
        raw["station_id"], raw["unit"], raw["status"] = "OUTAGE1", "µg/m³", "00"
        readings, rejects = canonicalise(raw, source=self.name)
        return Batch(self.name, "air", readings, rejects, checkpoint={"last": ends.max().isoformat()})

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to acknowledge."""


@pytest.fixture
def scratch_postgres() -> Iterator[tuple[Engine, Engine, str]]:
    """A migrated PostgreSQL database of its own, with an admin engine able to shut it off and on."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("needs TEST_DATABASE_URL (a PostgreSQL server)")
    name = f"outage_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    yield admin, engine, name
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"))
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _set_available(admin: Engine, name: str, available: bool) -> None:
    with admin.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {'true' if available else 'false'}"))
        if not available:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )


def test_poller_survives_a_database_outage_mid_run_and_resumes_by_itself(
    scratch_postgres: tuple[Engine, Engine, str],
) -> None:
    admin, engine, name = scratch_postgres
    rounds = iter(range(100))
    now = [T0]
    stop = threading.Event()
    polls_seen: list[int] = []

    def clock() -> dt.datetime:
        return now[0]

    def wait(_seconds: float) -> None:
        """Between rounds: advance one hour; the database is down for rounds 2 and 3, back for 4 and 5."""
        round_number = next(rounds) + 2
        polls_seen.append(round_number)
        _set_available(admin, name, available=round_number not in (2, 3))
        if round_number == 6:
            stop.set()
        now[0] += HOUR

    spec = FeedSpec(HourlySource(), interval=HOUR, stale_after=3 * HOUR, retries=0)
    polls = run_forever(engine, [spec], stop, clock=clock, wait=wait)
    assert polls == 5  # rounds 1-5 all ran: the outage did not end the loop
    with engine.connect() as conn:
        hours = conn.execute(select(Reading.observed_at).where(Reading.station_id == "OUTAGE1")).scalars().all()
        stored = conn.scalar(select(func.count()).select_from(Reading))
    expected = [T0 - 6 * HOUR + n * HOUR for n in range(11)]  # 06:00 … 16:00 each once: outage hours caught up
    assert sorted(hours) == expected and stored == len(expected)
    health = read_health(engine, "hourly")
    assert health.checkpoint == {"last": (T0 + 4 * HOUR).isoformat()}
    assert health.consecutive_failures == 0 and health.last_success_at == T0 + 4 * HOUR
