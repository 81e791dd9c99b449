"""A scorecard on its surfaces: the period a user picks, a formatted table (terminal, page) and the XLSX report.

Every surface shows the rounded figures of :meth:`data.scorecard.Scorecard.records`: the table formats them in
the user's language, the XLSX stores them as numbers (rates as fractions with a percent format) so a cell holds
exactly the figure the page and the JSON show.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Final
from zoneinfo import ZoneInfo

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from data.exports import safe_cell
from data.i18n import translate
from data.i18n.formats import MISSING, local_date, number, percent
from data.scorecard import FIGURES, Scorecard, method_lines

RATE_FIGURES: Final = ("accepted_on_time_pct", "resolved_on_time_pct", "reopen_rate_pct", "photo_proof_pct")
HOUR_FIGURES: Final = ("median_hours", "p90_hours", "score")
#: table columns in display order (rank first, then who, then the figures)
TABLE_COLUMNS: Final = ("rank", "code", "name", *[figure for figure in FIGURES if figure != "rank"])


def period_bounds(since: dt.date, until: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """``[since 00:00, the day after until 00:00)`` in local time, as UTC (``until`` is the last day, inclusive)."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(since, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start, end


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve calendar months up to ``today``: the first day of the month eleven months back → today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1), today


def last_day(card: Scorecard, timezone: str) -> dt.date:
    """The last day of the card's period (``until`` is exclusive)."""
    return (pd.Timestamp(card.until).tz_convert(timezone) - pd.Timedelta(microseconds=1)).date()


def header(column: str, by: str, language: str) -> str:
    """The column header of a scorecard table in ``language``."""
    key = f"score.col.name_{by}" if column == "name" else f"score.col.{column}"
    return translate(key, language)


def cell_text(column: str, value: object, language: str) -> str:
    """One figure as the table shows it (``33,3 %``, ``57,0``, ``—`` when not defined)."""
    if value is None:
        return MISSING
    if column in RATE_FIGURES:
        return percent(value, language)
    if column in HOUR_FIGURES:
        return number(value, language, 1)
    if column in ("code", "name"):
        return str(value)
    return number(value, language)


def display_table(card: Scorecard, language: str) -> pd.DataFrame:
    """The scorecard rows as text in ``language`` under translated headers (terminal and page)."""
    records = card.records()
    return pd.DataFrame(
        {
            header(column, card.by, language): [cell_text(column, row[column], language) for row in records]
            for column in TABLE_COLUMNS
        },
        dtype=object,
    )


def period_text(card: Scorecard, language: str, timezone: str) -> str:
    """``Kỳ: 01/03/2025 – 31/03/2025``."""
    since = local_date(card.since, language, timezone)
    return translate("score.period", language, since=since, until=local_date(last_day(card, timezone), language))


_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _write_card(sheet: Worksheet, card: Scorecard, language: str, timezone: str) -> None:
    group = translate(f"score.xlsx.group_{card.by}", language)
    since = pd.Timestamp(card.since).tz_convert(timezone).strftime("%d/%m/%Y")
    until = last_day(card, timezone).strftime("%d/%m/%Y")
    sheet.append([translate("score.xlsx.title", language, group=group, since=since, until=until)])
    made = pd.Timestamp(card.now).tz_convert(timezone).strftime("%d/%m/%Y %H:%M")
    sheet.append([translate("score.xlsx.made", language, at=made)])
    sheet.append([])
    sheet.append([header(column, card.by, language) for column in TABLE_COLUMNS])
    for row in card.records():
        cells: list[object] = []
        for column in TABLE_COLUMNS:
            value = row[column]
            if value is not None and column in RATE_FIGURES:
                value = round(float(value) / 100, 4)
            cells.append(safe_cell(value))
        sheet.append(cells)
    width = len(TABLE_COLUMNS)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"].font = Font(italic=True)
    for index, column in enumerate(TABLE_COLUMNS, 1):
        head = sheet.cell(row=4, column=index)
        head.font, head.fill = _BOLD, _HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        fmt = "0.0%" if column in RATE_FIGURES else "0.0" if column in HOUR_FIGURES else None
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 40 if column == "name" else 14
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=5, min_col=index, max_col=index):
                cell.number_format = fmt
    sheet.freeze_panes = "D5"


def _write_trend(sheet: Worksheet, card: Scorecard, language: str) -> None:
    sheet.append(
        [
            translate("score.col.month", language),
            translate("score.col.received", language),
            translate("score.col.resolved_on_time_pct", language),
        ]
    )
    for row in card.trend_records():
        rate = row["resolved_on_time_pct"]
        month = dt.date.fromisoformat(f"{row['month']}-01")
        sheet.append([month, row["received"], None if rate is None else round(rate / 100, 4)])
    for cell in sheet[1]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    for month_cell, _received, rate_cell in sheet.iter_rows(min_row=2):
        month_cell.number_format = "mm/yyyy"
        rate_cell.number_format = "0.0%"
    for letter in "ABC":
        sheet.column_dimensions[letter].width = 22


def scorecard_xlsx(cards: Sequence[Scorecard], language: str, timezone: str) -> bytes:
    """The monthly-report workbook: a sheet per card (title row with the period), the method, the monthly trend."""
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook always has one sheet
    book.remove(first)
    for card in cards:
        name = translate("score.xlsx.sheet", language)
        group = translate(f"score.by_{card.by}", language)
        title = _SHEET_UNSAFE.sub("-", f"{name} – {group}")[:31]  # Excel forbids []:*?/\\ in sheet names
        _write_card(book.create_sheet(title), card, language, timezone)
    method = book.create_sheet(translate("score.xlsx.sheet_method", language))
    method.append([translate("score.method", language)])
    method["A1"].font = _BOLD
    for line in method_lines(language):
        method.append([line])
    method.column_dimensions["A"].width = 120
    if cards:
        _write_trend(book.create_sheet(translate("score.xlsx.sheet_trend", language)), cards[0], language)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
