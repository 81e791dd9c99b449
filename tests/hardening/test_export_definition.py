"""One complaint export for the dashboard download and ``envmon complaints export``: same rows, columns, labels.

Checked on the dashboard seed: the analysts' CSV equals the CLI's, headers and labels follow the language with the
codes in a second column, times are local with their offset, every filter has its column, no cell reads ``nan`` or
``None``, and reporter identity appears only with ``--include-personal``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py
from sqlalchemy import Engine

from cli import main
from data.case_filter import CaseFilter
from data.exports import EXPORT_COLUMNS, export_table, reports_frame
from data.i18n import translate

clean_caches = ui.clean_caches
SEED = ui.dashboard_seed
FILTER_COLUMNS = ("set_name", "former_district", "ward_code", "category_code", "channel", "status", "opened_at")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url, engine = ui.seeded_database(tmp_path_factory.mktemp("export-definition"), hostile=False)
    yield url, engine
    engine.dispose()


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["complaints", "export", *argv]) == 0
    return capsys.readouterr().out


@pytest.fixture
def cli_env(db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db[0])
    monkeypatch.delenv("ENVMON_LANGUAGE", raising=False)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_dashboard_download_is_the_cli_export(
    language: str,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clean_caches: None,
) -> None:
    from dashboard import i18n

    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    # AppTest formats widget options in the test process, which has no session: give it the page's language
    monkeypatch.setattr(i18n, "current_language", lambda: language)
    downloads = ui.Downloads(monkeypatch)
    at = ui.run_page("analysis", user="ana", language=language)
    at.toggle[0].set_value(True).run()
    assert not at.exception
    page_csv, page_geojson = (data.decode("utf-8-sig") for _label, data in downloads.offered)
    assert page_csv == _cli(["--lang", language], capsys)
    assert json.loads(page_geojson) == json.loads(_cli(["--lang", language, "--format", "geojson"], capsys))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_headers_labels_codes_and_local_times(
    db: tuple[str, Engine], cli_env: None, language: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import func, select

    from data.schema import ComplaintReport

    header, *rows = _rows(_cli(["--lang", language], capsys))
    other = "en" if language == "vi" else "vi"
    expected = [translate(f"export.{column.source}", language) for column in EXPORT_COLUMNS]
    assert [name for name in header if not name.endswith(("(mã)", "(code)"))] == expected
    assert not {translate(f"export.{column.source}", other) for column in EXPORT_COLUMNS} - set(expected) & set(header)
    with db[1].connect() as conn:
        assert len(rows) == conn.scalar(select(func.count()).select_from(ComplaintReport))  # every report
    table = [dict(zip(header, row, strict=True)) for row in rows]
    status, status_code = (
        translate("export.status", language),
        translate("export.code_of", language, column=translate("export.status", language)),
    )
    assert {(row[status], row[status_code]) for row in table} >= {
        (translate("status.resolved", language), "resolved"),
        (translate("status.in_progress", language), "in_progress"),
    }
    opened = translate("export.opened_at", language)
    assert all(row[opened].endswith("+07:00") for row in table)
    for row in table:
        assert not {"nan", "None", "NaT", "<NA>"} & set(row.values())


def test_every_filter_has_its_column(db: tuple[str, Engine]) -> None:
    sources = {column.source for column in EXPORT_COLUMNS}
    assert set(FILTER_COLUMNS) <= sources
    assert {"channel", "description", "priority", "reported_at"} <= sources
    frame = reports_frame(db[1], CaseFilter(statuses=("resolved",), channels=("hotline",)))
    assert len(frame) > 0 and set(frame["status"]) == {"resolved"} and set(frame["channel"]) == {"hotline"}
    table = export_table(frame, "en", "Asia/Ho_Chi_Minh")
    assert set(table["Status (code)"]) == {"resolved"} and set(table["Channel"]) == {"hotline"}


def test_reporter_identity_only_with_include_personal(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    plain = _cli([], capsys)
    assert SEED.REPORTER_NAME not in plain and SEED.REPORTER_PHONE not in plain
    personal = _cli(["--include-personal"], capsys)
    assert SEED.REPORTER_NAME in personal and SEED.REPORTER_PHONE in personal
    assert translate("export.reporter_phone", "vi") in _rows(personal)[0]
