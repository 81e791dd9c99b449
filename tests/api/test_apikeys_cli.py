"""``envmon apikeys``: the key is printed once and stored only as a hash; list never shows it; revoke stops it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cli import main
from data.api_keys import client_of
from data.db import make_engine, migrate
from data.schema import ApiKey


def test_add_list_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENVMON_CONFIG", str(tmp_path / "absent.toml"))
    engine = make_engine(url)
    migrate(engine)
    assert main(["apikeys", "add", "ward-app"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("em_") and len(key) > 40
    with engine.connect() as conn:
        stored = conn.execute(select(ApiKey.key_hash, ApiKey.prefix)).one()
    assert key not in stored.key_hash and stored.prefix == key[:8]
    assert client_of(engine, key) == "ward-app"
    assert main(["apikeys", "add", "ward-app"]) == 2  # a name is taken once
    assert "exists already" in capsys.readouterr().err
    assert main(["apikeys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ward-app" in listing and "active" in listing and key not in listing
    assert main(["apikeys", "revoke", "ward-app"]) == 0
    assert client_of(engine, key) is None
    assert main(["apikeys", "list"]) == 0 and "revoked" in capsys.readouterr().out
    assert main(["apikeys", "revoke", "nobody"]) == 2
