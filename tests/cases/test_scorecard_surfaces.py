"""``envmon units scorecard``: the terminal table, JSON and XLSX carry the same figures as the data layer."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from cli import main
from data.scorecard import build_scorecard
from data.scorecard_export import TABLE_COLUMNS, header

from .scorecard_seed import NOW, POLICY, SINCE, UNTIL, seed_scorecard

PERIOD = ("--since", "2025-03-01", "--until", "2025-03-31")


@pytest.fixture
def cli_db(sqlite_engine: Engine, monkeypatch) -> Engine:
    seed_scorecard(sqlite_engine)
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENVMON_CONFIG", "/nonexistent/envmon.toml")
    return sqlite_engine


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["units", "scorecard", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _without_now(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "overdue_now"} for row in rows]


@pytest.mark.parametrize("by", ["unit", "ward"])
def test_json_and_xlsx_equal_the_data_layer(cli_db, capsys, tmp_path, by):
    expected = build_scorecard(cli_db, since=SINCE, until=UNTIL, policy=POLICY, by=by, now=NOW).records()
    code, out, _ = _cli(capsys, *PERIOD, "--by", by, "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["since"].startswith("2025-02-28T17:00") and answer["until"].startswith("2025-03-31T17:00")
    # "overdue now" is measured at the moment of each run (the CLI's now is today): every other figure is equal
    assert _without_now(answer["rows"]) == _without_now(expected)
    assert any("×" in line for line in answer["method"])

    path = tmp_path / "bao-cao.xlsx"
    code, out, _ = _cli(capsys, *PERIOD, "--by", by, "--xlsx", str(path), "--lang", "vi")
    assert code == 0 and str(path) in out
    book = load_workbook(path)
    sheet = book.worksheets[0]
    assert "01/03/2025" in sheet["A1"].value and "31/03/2025" in sheet["A1"].value
    headers = [cell.value for cell in sheet[4]]
    assert headers == [header(column, by, "vi") for column in TABLE_COLUMNS]
    for row, record in zip(sheet.iter_rows(min_row=5, values_only=True), answer["rows"], strict=True):
        for column, value in zip(TABLE_COLUMNS, row, strict=True):
            want = record[column]
            if column.endswith("_pct") and want is not None:
                assert value == pytest.approx(want / 100)
            else:
                assert value == want, column
    rate_column = TABLE_COLUMNS.index("resolved_on_time_pct") + 1
    assert sheet.cell(5, rate_column).number_format == "0.0%"
    method = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert book.worksheets[1].title == "Cách tính" and any(line.startswith("Điểm = 0,4 ×") for line in method)


def test_table_in_the_terminal(cli_db, capsys):
    code, out, _ = _cli(capsys, *PERIOD, "--lang", "vi")
    assert code == 0
    assert "Kỳ: 01/03/2025 – 31/03/2025" in out and "Tiếp nhận đúng hạn" in out and "33,3 %" in out
    assert "nan" not in out.lower() and "None" not in out
    code, out, _ = _cli(capsys, *PERIOD, "--lang", "en", "--by", "ward")
    assert "Hoàn Kiếm" in out and "33.3 %" in out


def test_period_ending_before_it_starts_is_one_line(cli_db, capsys):
    code, out, err = _cli(capsys, "--since", "2025-03-31", "--until", "2025-03-01")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "before it starts" in err
