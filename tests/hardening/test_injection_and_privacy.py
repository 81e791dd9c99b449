"""SQL-injection strings in every filter and CLI argument that reaches SQL are harmless; no personal data
(reporter name, phone, exact location) leaks into public reads, exports without --include-personal, or logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, inspect, select

from cli import main
from data import alert_queries, exports, queries
from data.case_filter import CaseFilter, place_filter
from data.config import load_settings
from data.importers.pipeline import ImportContext, import_complaints
from data.routing import seed_routing
from data.schema import ComplaintCase, ComplaintReport

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
SINCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
INJECTIONS = [
    "'; DROP TABLE complaint_cases; --",
    '" OR 1=1 --',
    "%' OR '1'='1",
    "x') UNION SELECT reporter_name, reporter_phone FROM complaint_reports --",
]
# Personal data of vn_channel_broken.csv (names, phones, and the exact coordinates given with them).
PERSONAL = ["Nguyễn Văn An", "0912345678", "Trần Thị Bình", "0987654321", "Lê Văn Cường", "0901111222",
            "Phạm Thị Dung", "0977000111"]  # fmt: skip
EXACT_LOCATIONS = ["21.0312", "21,0312", "21.0150", "105.8150", "21.03125", "105.79055"]


def _import_fixture(engine: Engine, fixtures_dir: Path) -> None:
    seed_routing(engine)
    context = ImportContext.from_settings(engine, load_settings())
    import_complaints(engine, fixtures_dir / "complaints" / "vn_channel_broken.csv", context, now=NOW)


@pytest.fixture(scope="module")
def populated(module_engine: Engine) -> Engine:
    """The module database with the broken vn-channel fixture (personal data included) imported."""
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    _import_fixture(module_engine, fixtures)
    return module_engine


def _table_state(engine: Engine) -> tuple[list[str], int, int]:
    with engine.connect() as conn:
        cases = conn.scalar(select(func.count()).select_from(ComplaintCase))
        reports = conn.scalar(select(func.count()).select_from(ComplaintReport))
    return sorted(inspect(engine).get_table_names()), cases or 0, reports or 0


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refusing a value outside its choices
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


CLI_CASES = [
    (["complaints", "export", "--district"], 0),
    (["complaints", "export", "--ward"], 0),
    (["complaints", "export", "--category"], 0),
    (["complaints", "export", "--format", "geojson", "--category"], 0),
    (["hotspots", "wards", "--json", "--permutations", "99", "--category"], 0),
    (["hotspots", "wards", "--json", "--district"], 2),
    (["locate", "21.0288", "105.8523", "--set"], 2),
    (["alerts", "list", "--state"], 2),
]


@pytest.mark.parametrize("payload", INJECTIONS[:3])
@pytest.mark.parametrize(
    ("argv", "expected_code"), CLI_CASES, ids=lambda v: "-".join(v[:3]) if isinstance(v, list) else str(v)
)
def test_injection_strings_in_cli_arguments_are_harmless(
    populated: Engine,
    argv: list[str],
    expected_code: int,
    payload: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", populated.url.render_as_string(hide_password=False))
    before = _table_state(populated)
    code, out, err = _run([*argv, payload], capsys)
    assert code == expected_code, err
    assert "Traceback" not in err
    if code == 0 and argv[:2] == ["complaints", "export"]:
        if "geojson" in argv:
            assert json.loads(out)["features"] == []
        else:
            assert len(out.strip().splitlines()) == 1  # the header only: nothing matched
    if code == 2:
        assert err.startswith(("envmon: error:", "usage:"))
    assert _table_state(populated) == before


def test_injection_strings_in_query_functions_match_nothing_and_change_nothing(
    loaded_engine: Engine, fixtures_dir: Path
) -> None:
    _import_fixture(loaded_engine, fixtures_dir)
    before = _table_state(loaded_engine)
    assert before[1] > 0
    for payload in INJECTIONS:
        analyst = CaseFilter(
            set_name=payload,
            districts=(payload,),
            ward_codes=(payload,),
            categories=(payload,),
            channels=(payload,),
            statuses=(payload,),
        )
        assert queries.case_count(loaded_engine, analyst) == 0
        assert queries.case_kpis(loaded_engine, analyst, NOW)["total"] in (0, None)
        for frame in (
            queries.ward_case_counts(loaded_engine, analyst, NOW),
            queries.case_points(loaded_engine, analyst, 100),
            queries.heat_cells(loaded_engine, analyst),
            queries.overdue_by_unit(loaded_engine, analyst, NOW),
            queries.overdue_cases(loaded_engine, analyst, NOW),
            queries.cases_per_day(loaded_engine, analyst),
            queries.category_breakdown(loaded_engine, analyst),
            queries.channel_breakdown(loaded_engine, analyst),
            queries.case_page(loaded_engine, analyst, 0, 50),
            exports.reports_frame(loaded_engine, analyst),
            queries.ward_choices(loaded_engine, payload),
            queries.public_stations(loaded_engine, kind=payload),
            queries.public_latest_aqi(loaded_engine, payload, payload),
            queries.public_aqi_series(loaded_engine, payload, payload, payload, SINCE),
            queries.public_latest_readings(loaded_engine, payload),
            queries.reading_series(loaded_engine, payload, payload, SINCE),
            alert_queries.alert_frame(loaded_engine, states=(payload,)),
            queries.quarantine_rows(loaded_engine, payload),
            exports.reports_frame(
                loaded_engine,
                CaseFilter(categories=(payload,), **place_filter(loaded_engine, district=payload, ward=payload)),
            ),
        ):
            assert len(frame) == 0 or frame.get("cases", pd.Series(dtype=int)).sum() == 0, frame
        assert queries.station_parameters(loaded_engine, payload) == []
    assert _table_state(loaded_engine) == before


def _text_of(frame: pd.DataFrame) -> str:
    return frame.astype(str).to_csv(index=False)


def test_public_reads_carry_no_personal_data_and_only_grid_locations(populated: Engine) -> None:
    heat = queries.heat_cells(populated, CaseFilter())
    assert len(heat) > 0
    assert np.allclose(heat["lat"] * 1000, np.round(heat["lat"] * 1000), atol=1e-6)
    texts = [_text_of(heat)]
    texts += [_text_of(queries.public_stations(populated)), _text_of(queries.public_latest_aqi(populated, "vn"))]
    for text in texts:
        for secret in PERSONAL + EXACT_LOCATIONS:
            assert secret not in text


@pytest.mark.parametrize("export_format", ["csv", "geojson"])
def test_exports_carry_personal_data_only_with_include_personal(
    populated: Engine, export_format: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", populated.url.render_as_string(hide_password=False))
    code, plain, _err = _run(["complaints", "export", "--format", export_format], capsys)
    assert code == 0 and "PA-001" in plain
    assert not [secret for secret in PERSONAL if secret in plain]
    code, personal, _err = _run(["complaints", "export", "--format", export_format, "--include-personal"], capsys)
    assert code == 0
    assert "Nguyễn Văn An" in personal and "0912345678" in personal


def test_no_personal_data_in_log_lines_of_an_import(
    module_context: ImportContext,
    populated: Engine,
    fixtures_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    source = (fixtures_dir / "complaints" / "vn_channel_broken.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "again_with_new_ids.csv"
    path.write_text(source.replace("PA-0", "LOG-0"), encoding="utf-8")
    summary = import_complaints(populated, path, module_context, now=NOW)
    assert summary.accepted > 0
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    for secret in PERSONAL + EXACT_LOCATIONS:
        assert secret not in logged
