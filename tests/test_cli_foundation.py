"""``envmon init``, ``envmon locate`` and ``envmon boundaries`` through the real command."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys

import geopandas as gpd
import pytest
import shapely
from alembic.script import ScriptDirectory

from cli import main
from data.db import MIGRATIONS_DIR

HEAD_REVISION = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ENVMON_CONFIG", str(tmp_path / "absent.toml"))
    return tmp_path


def _run(capsys, *argv: str) -> tuple[int, object]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_init_is_idempotent(database, capsys):
    code, first = _run(capsys, "init")
    assert code == 0 and first["boundary_sets_loaded"] == ["hanoi-2025"] and first["revision"] == HEAD_REVISION
    code, second = _run(capsys, "init")
    assert code == 0 and second["boundary_sets_loaded"] == []


def test_locate(database, capsys):
    _run(capsys, "init")
    assert _run(capsys, "locate", "21.0288", "105.8523")[1] == {
        "ward_code": "00070",
        "ward_name": "Hoàn Kiếm",
        "district": "Quận Hoàn Kiếm",
        "set": "hanoi-2025",
    }
    assert _run(capsys, "locate", "20.8449", "106.6881")[1]["ward_code"] is None  # Hải Phòng
    swapped = _run(capsys, "locate", "105.8523", "21.0288")[1]
    assert swapped["ward_code"] is None and swapped["swapped"]["ward_code"] == "00070"


def test_boundaries_load_and_list(database, capsys):
    _run(capsys, "init")
    frame = gpd.GeoDataFrame(
        {"ma": ["A"], "ten": ["Thử"], "quan": ["Q"]},
        geometry=[shapely.box(105.8, 21.0, 105.9, 21.1)],
        crs=4326,
    ).to_crs(32648)
    path = database / "units.gpkg"
    frame.to_file(path, driver="GPKG")
    code, report = _run(
        capsys,
        "boundaries",
        "load",
        str(path),
        "--set",
        "test",
        "--valid-from",
        "2020-01-01",
        "--code-field",
        "ma",
        "--name-field",
        "ten",
        "--district-field",
        "quan",
    )
    assert code == 0 and report["units"] == 1 and report["set"] == "test"
    assert _run(capsys, "locate", "21.05", "105.85", "--set", "test")[1]["district"] == "Q"
    names = [s["name"] for s in _run(capsys, "boundaries", "list")[1]]
    assert names == ["test", "hanoi-2025"]


def test_errors_are_clear_and_exit_non_zero(database, capsys):
    _run(capsys, "init")
    frame = gpd.GeoDataFrame({"ma": ["A"], "ten": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    path = database / "u.shp"
    frame.to_file(path)
    path.with_suffix(".prj").unlink()
    assert (
        main(
            [
                "boundaries",
                "load",
                str(path),
                "--set",
                "s",
                "--valid-from",
                "2020-01-01",
                "--code-field",
                "ma",
                "--name-field",
                "ten",
            ]
        )
        == 2
    )
    assert "declares no CRS" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "envmon: error: Mật khẩu không được chứa tên đăng nhập.\n"),
     ("en", "envmon: error: the password must not contain the username\n")],
)  # fmt: skip
def test_an_error_that_can_say_itself_reads_in_the_configured_language(
    database, capsys, monkeypatch, language, expected
):
    _run(capsys, "init")
    monkeypatch.setenv("ENVMON_LANGUAGE", language)
    monkeypatch.setattr("sys.stdin", io.StringIO("chief-Pass-2026\n"))
    assert main(["users", "add", "chief", "--role", "operator"]) == 2
    assert capsys.readouterr().err == expected


def test_a_setting_that_cannot_be_used_is_named_in_one_line(database, capsys, monkeypatch):
    monkeypatch.setenv("ENVMON_PARTITION_READINGS_INTERVAL", "hour")
    monkeypatch.setenv("ENVMON_API_WORKERS", "two")
    assert main(["db", "maintain"]) == 2
    assert capsys.readouterr().err == (
        "envmon: error: setting partition_readings_interval (ENVMON_PARTITION_READINGS_INTERVAL): Input should be "
        "'month', 'week' or 'day'; setting api_workers (ENVMON_API_WORKERS): Input should be a valid integer, "
        "unable to parse string as an integer\n"
    )


def test_unreachable_database_exits_with_a_message(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/none")
    assert main(["locate", "21", "105"]) == 3
    err = capsys.readouterr().err
    assert "database unavailable" in err and "pw" not in err


def test_console_script_is_installed(database):
    envmon = shutil.which("envmon") or str(__import__("pathlib").Path(sys.executable).with_name("envmon"))
    result = subprocess.run([envmon, "--help"], capture_output=True, text=True, check=True)
    assert "locate" in result.stdout and "init" in result.stdout


@pytest.mark.slow
def test_demo_fills_every_layer_once(database, capsys, monkeypatch):
    monkeypatch.setenv("ENVMON_VAR_DIR", str(database / "var"))
    code, report = _run(capsys, "demo", "--reports", "400", "--days", "2")
    assert code == 0
    assert report["complaints"]["synthetic"] is True
    assert report["complaints"]["accepted"] + report["complaints"]["duplicates"] == 400
    feeds = report["monitoring"]["feeds"]
    assert feeds["demo-air"]["accepted"] > 0 and feeds["demo-wastewater"]["accepted"] > 0
    assert report["pipeline"]["aqi_rows"] > 0 and report["pipeline"]["alerts"]["provider_errors"] == []
    code, again = _run(capsys, "demo", "--if-missing")
    assert code == 0 and again["demo"].startswith("skipped")
    monkeypatch.setattr("cli.setup.STALE_AFTER", dt.timedelta(0))  # as if the machine had been off
    code, replayed = _run(capsys, "demo", "--if-missing", "--days", "2")
    assert code == 0 and replayed["demo"] == "replayed"
    assert replayed["pipeline"]["alerts"]["provider_errors"] == [] and "demo_city" in replayed["pipeline"]
