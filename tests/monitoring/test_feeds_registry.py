"""The feed contract and registry: parsing needs no database driver; each feed type builds itself from config."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from data.config import PACKAGE_CONFIG_DIR
from monitoring.feeds import base
from monitoring.feeds.base import FEED_TYPES, Batch, FeedContext, register_feed
from monitoring.feeds.config import build_feed, load_feed_config
from monitoring.feeds.generic_http import HttpFeed
from monitoring.feeds.openaq import OpenAQFeed
from monitoring.feeds.replay import AirReplayFeed
from monitoring.feeds.simulator import DataloggerSimulator
from monitoring.feeds.stationfiles import DropFolderFeed, FtpFeed

ROOT = Path(__file__).resolve().parents[2]


def _modules_loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_parsing_an_openaq_payload_needs_no_database_driver(fixtures_dir: Path) -> None:
    payload = fixtures_dir / "openaq" / "hours_7772024.json"
    loaded = _modules_loaded_by(
        "import json\nfrom monitoring.feeds.openaq import parse_hours\n"
        f"frame = parse_hours(json.loads(open({str(payload)!r}).read()), 'openaq-1')\nassert len(frame) > 0"
    )
    assert "monitoring.feeds.openaq" in loaded
    assert not {name for name in loaded if name.split(".")[0] == "psycopg"}
    assert "monitoring.ingest" not in loaded


def test_the_feed_config_imports_neither_the_poller_nor_the_demo() -> None:
    loaded = _modules_loaded_by("import monitoring.feeds.config")
    assert not loaded & {"monitoring.poller", "monitoring.demo", "monitoring.ingest"}
    assert not {name for name in loaded if name.split(".")[0] == "psycopg"}


def _context(tmp_path: Path, api_key: str | None = "k") -> FeedContext:
    return FeedContext(var_dir=tmp_path, session_factory=requests.Session, openaq_api_key=api_key)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"type": "openaq", "location_ids": [1]}, OpenAQFeed),
        ({"type": "http", "url": "https://x.vn/a", "mapping": {}}, HttpFeed),
        ({"type": "tt10-dropbox", "folder": "in"}, DropFolderFeed),
        ({"type": "tt10-ftp", "host": "ftp.x.vn"}, FtpFeed),
        ({"type": "demo-air-replay", "days": 2}, AirReplayFeed),
        ({"type": "demo-dataloggers", "seed": 3}, DataloggerSimulator),
    ],
    ids=lambda value: value.get("type") if isinstance(value, dict) else "",
)
def test_every_shipped_type_builds_itself_from_its_table(tmp_path: Path, entry: dict, expected: type) -> None:
    feed = build_feed({"name": "f", **entry}, _context(tmp_path))
    assert type(feed) is expected and feed.name == "f"
    assert FEED_TYPES[entry["type"]] is expected


def test_relative_folders_resolve_under_var_dir(tmp_path: Path) -> None:
    feed = build_feed({"name": "f", "type": "tt10-dropbox", "folder": "in"}, _context(tmp_path))
    assert isinstance(feed, DropFolderFeed) and feed.folder == tmp_path / "in"
    absolute = build_feed({"name": "g", "type": "tt10-dropbox", "folder": str(tmp_path / "x")}, _context(tmp_path))
    assert isinstance(absolute, DropFolderFeed) and absolute.folder == tmp_path / "x"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": "nope"}, "unknown type 'nope' (known: demo-air-replay, demo-dataloggers, http, openaq"),
        ({"type": "http", "mapping": {}}, "feed 'f' (type 'http') needs the key 'url'"),
        ({"type": "tt10-ftp", "host": "h", "port": "abc"}, "feed 'f' (type 'tt10-ftp'): invalid literal"),
        ({"type": "openaq", "location_ids": [1]}, "OpenAQ needs an API key"),
    ],
)
def test_configuration_errors_name_the_feed_and_the_key(tmp_path: Path, entry: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_feed({"name": "f", **entry}, _context(tmp_path, api_key=None))


def test_a_new_feed_type_is_one_class_and_one_decorator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "FEED_TYPES", dict(FEED_TYPES))
    monkeypatch.setattr("monitoring.feeds.config.FEED_TYPES", base.FEED_TYPES)

    @register_feed("toy")
    class ToyFeed:
        kind = "air"

        def __init__(self, name: str, level: float) -> None:
            self.name, self.level = name, level

        @classmethod
        def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> ToyFeed:
            return cls(name, float(entry.get("level", 1)))

        def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
            return Batch(self.name, self.kind)

        def acknowledge(self, batch: Batch) -> None:
            """Nothing to do."""

    config = tmp_path / "feeds.toml"
    config.write_text('[[feed]]\nname = "t"\ntype = "toy"\nlevel = 2.5\ninterval_minutes = 10\n', encoding="utf-8")
    [spec] = load_feed_config(config, var_dir=tmp_path).feeds
    assert isinstance(spec.feed, ToyFeed) and spec.feed.level == 2.5
    assert spec.interval == dt.timedelta(minutes=10)
    with pytest.raises(ValueError, match="registered twice"):
        register_feed("toy")(type("OtherToy", (), {}))


def test_the_shipped_feeds_file_builds_every_feed(tmp_path: Path) -> None:
    config = PACKAGE_CONFIG_DIR / "feeds.toml"
    names = {"demo-air", "demo-wastewater", "wastewater-dropbox", "openaq-hanoi", "portal-example", "donre-ftp"}
    loaded = load_feed_config(config, var_dir=tmp_path, openaq_api_key="k", only=names)
    assert {spec.name for spec in loaded.feeds} == names
    enabled = load_feed_config(config, var_dir=tmp_path)
    assert [spec.name for spec in enabled.feeds] == ["demo-air", "demo-wastewater"]
