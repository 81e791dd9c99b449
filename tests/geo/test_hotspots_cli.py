"""Tests for ``envmon hotspots``: wards, spots, emerging and corroboration on a seeded SQLite database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cli import main
from data.boundary_store import load_shipped_sets, wards_frame
from data.db import make_engine, migrate, transaction
from data.schema import ComplaintCase

UTC = dt.UTC
CLASSES = {"hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90", "none"}
HOT_WARDS = {"00070": 40, "00082": 30, "00097": 30, "00004": 25}  # Hoàn Kiếm and its neighbours


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    wards = wards_frame(engine).to_crs(32648)
    centres = wards.set_index("code").geometry.representative_point().to_crs(4326)
    when = dt.datetime(2026, 3, 10, 3, tzinfo=UTC)
    with transaction(engine) as session:
        for code in wards["code"]:
            count = HOT_WARDS.get(code, 1 if int(code) % 3 == 0 else 0)
            for i in range(count):
                session.add(
                    ComplaintCase(
                        category_code="waste",
                        lat=centres[code].y,
                        lon=centres[code].x,
                        ward_code=code,
                        set_name="hanoi-2025",
                        opened_at=when + dt.timedelta(hours=i),
                        last_report_at=when + dt.timedelta(hours=i),
                    )
                )
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    assert main(["hotspots", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.usefixtures("database")
def test_wards_json_has_one_object_per_ward(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, "wards", "--since", "2026-03-01", "--until", "2026-03-31")
    assert len(rows) == 126
    assert all({"ward_code", "value", "z", "p", "significant", "class"} <= set(row) for row in rows)
    by_code = {row["ward_code"]: row for row in rows}
    assert by_code["00070"]["value"] == 40
    assert by_code["00070"]["class"].startswith("hot_") and by_code["00070"]["significant"] is True
    assert {row["class"] for row in rows} <= CLASSES
    assert all(row["significant"] == (row["class"] != "none") for row in rows)
    outside = _json(capsys, "wards", "--since", "2026-04-01", "--until", "2026-04-30")
    assert {row["value"] for row in outside} == {0.0} and {row["class"] for row in outside} == {"none"}


@pytest.mark.usefixtures("database")
def test_wards_rate_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, "wards", "--since", "2026-03-01", "--until", "2026-03-31", "--rate")
    hoan_kiem = next(row for row in rows if row["ward_code"] == "00070")
    assert 0 < hoan_kiem["value"] < 40
    assert main(["hotspots", "wards", "--since", "2026-03-01", "--until", "2026-03-31", "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert "Phân loại" in out and "Hoàn Kiếm" in out


@pytest.mark.usefixtures("database")
def test_spots_json(capsys: pytest.CaptureFixture[str]) -> None:
    spots = _json(capsys, "spots", "--since", "2026-03-01", "--until", "2026-03-31")
    assert sorted(spot["count"] for spot in spots) == sorted(HOT_WARDS.values())
    top = max(spots, key=lambda spot: spot["count"])
    assert top["ward_code"] == "00070" and top["categories"] == {"waste": 40} and top["active"] is True


@pytest.mark.usefixtures("database")
def test_emerging_and_corroboration_run(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, "emerging", "--weeks", "10")
    assert len(rows) == 126 and {row["pattern"] for row in rows} == {"no_pattern"}
    assert _json(capsys, "corroboration", "--since", "2026-03-01", "--until", "2026-03-31") == []


@pytest.mark.usefixtures("database")
def test_inverted_window_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotspots", "wards", "--since", "2026-03-31", "--until", "2026-03-01"]) == 2
    assert "--since" in capsys.readouterr().err


@pytest.mark.usefixtures("database")
def test_single_district_drill_down_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["hotspots", "wards", "--since", "2026-03-01", "--until", "2026-03-31", "--district", "Quận Hoàn Kiếm"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "at least 30 units" in err and "got " in err
    assert main([*argv[:-1], "Quận Không Có"]) == 2
    assert "Quận Không Có" in capsys.readouterr().err
