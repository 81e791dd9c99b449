"""Read complaint files (CSV, XLSX, GeoJSON, Open311 JSON) into a frame of text cells plus source row numbers.

Row numbers are what a person sees when opening the file: for CSV and XLSX the spreadsheet row (header = row
1, first data row = row 2); for JSON the 1-based position of the record or feature.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from data.i18n import translate
from data.importers.profiles import GEOMETRY_LAT, GEOMETRY_LON

MAX_COLUMNS: Final = 1000
"""Most columns a complaint file may have (real exports have a few dozen); wider files are refused unread."""


class ExplainedError(Exception):
    """An import failure told as one sentence naming the file, in either language.

    ``code`` and ``params`` render it (``import.error.<code>`` in :mod:`data.i18n.strings_intake`); ``str()`` is
    the English sentence the CLI prints.
    """

    def __init__(self, name: str, code: str, **params: object) -> None:
        self.name, self.code, self.params = name, code, params
        super().__init__(self.sentence("en"))

    def sentence(self, language: str) -> str:
        """The error as one sentence in ``language``."""
        return translate(f"import.error.{self.code}", language, file=self.name, **self.params)


class UnreadableFileError(ExplainedError, ValueError):
    """A file that cannot be read as a table: not what its extension says, damaged, or far too wide."""


@dataclass(frozen=True)
class RawTable:
    """Cells as text (None when empty), one row per input record, and each record's source row number.

    ``bad_rows`` are records that could not even be split into the header's cells (quarantine entries).
    """

    frame: pd.DataFrame
    row_numbers: list[int]
    file_format: str
    bad_rows: list[dict[str, object]] = field(default_factory=list)


def read_table(path: Path, name: str | None = None) -> RawTable:
    """Read ``path`` by its extension (.csv/.txt, .xlsx, .geojson/.json); errors name the file as ``name``.

    Raises
    ------
    UnreadableFileError
        When the file is not what its extension says, is damaged, or has more than :data:`MAX_COLUMNS` columns.
    """
    name = name or str(path)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return read_csv_bytes(path.read_bytes(), name)
    if suffix == ".xlsx":
        return read_xlsx(path, name)
    if suffix in {".json", ".geojson"}:
        try:
            payload = json.loads(path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as err:
            raise UnreadableFileError(name, "not_utf8", byte=err.start) from None
        except json.JSONDecodeError as err:
            raise UnreadableFileError(name, "bad_json", line=err.lineno, column=err.colno) from None
        return read_json_payload(payload, name)
    raise UnreadableFileError(name, "unsupported_type", suffix=suffix or "-")


def bad_row(number: int, code: str, params: dict[str, object], raw: dict[str, object]) -> dict[str, object]:
    """A quarantine entry for a record refused whole: English ``reason`` plus ``reason_code``/``reason_params``."""
    reason = translate(f"quarantine.{code}", "en", **params)
    return {
        "row_number": number,
        "field": "",
        "reason": reason,
        "reason_code": code,
        "reason_params": params,
        "raw": raw,
    }


def _refuse_wide(name: str, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise UnreadableFileError(name, "too_many_columns", columns=f"{columns:,}", limit=f"{MAX_COLUMNS:,}")


def read_csv_bytes(content: bytes, name: str) -> RawTable:
    """CSV in UTF-8 (an Excel BOM is dropped), comma- or semicolon-separated (sniffed from the header)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnreadableFileError(name, "not_utf8", byte=err.start) from None
    header_line = next(_lines(text), "")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    if header_line.count(delimiter) >= MAX_COLUMNS:  # counted exactly only when it may be too wide
        _refuse_wide(name, len(next(csv.reader([header_line], delimiter=delimiter), [])))
    data = content.removeprefix(codecs.BOM_UTF8)  # the text's UTF-8: parsers read it without another copy
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8",
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError:
        return _read_csv_rows(text, delimiter, data)
    frame.columns = [str(column).strip() for column in frame.columns]
    frame = frame.replace({"": None}).astype(object)
    return RawTable(frame.reset_index(drop=True), list(range(2, len(frame) + 2)), "csv")


def _read_csv_rows(text: str, delimiter: str, data: bytes) -> RawTable:
    """Record-by-record reading for a CSV with malformed records: those become ``bad_rows``.

    ``data`` is ``text`` as UTF-8. Arrow's parser splits the records when each record is one line (see
    :func:`_arrow_records`); otherwise the stdlib ``csv`` module does. Both give the same cells, row numbers and
    bad rows.
    """
    header = [cell.strip() for cell in next(csv.reader(_lines(text), delimiter=delimiter))]
    width = len(header)
    split = _arrow_records(text, data, delimiter, header)
    columns, numbers, bad = split if split is not None else _stdlib_records(text, delimiter, width)
    for values in columns:
        values[values == ""] = None
    frame = pd.DataFrame(dict(enumerate(columns)), columns=range(width), dtype=object).set_axis(header, axis=1)
    return RawTable(frame, numbers, "csv", bad)


def _lines(text: str) -> Iterator[str]:
    """Lines of ``text`` with their ``\\n``, lazily (what ``io.StringIO(text)`` yields, without copying it all)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


_Records = tuple[list[np.ndarray], list[int], list[dict[str, object]]]


def _sort_record(number: int, cells: list[str], width: int, delimiter: str) -> list[str] | dict[str, object] | None:
    """A record's cells padded to ``width``, a bad row when it has too many cells, or None when it is blank."""
    if not "".join(cells).strip():
        return None
    if len(cells) > width:
        params = {"row": number, "cells": len(cells), "width": width, "delimiter": delimiter}
        return bad_row(number, "extra_cells", params, {"cells": cells})
    return cells + [""] * (width - len(cells))


def _stdlib_records(text: str, delimiter: str, width: int) -> _Records:
    """Good records as text columns, their row numbers (record index, header = 1) and the bad rows."""
    records = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(records)
    good: list[list[str]] = []
    numbers: list[int] = []
    bad: list[dict[str, object]] = []
    for number, cells in enumerate(records, start=2):
        sorted_record = _sort_record(number, cells, width, delimiter)
        if isinstance(sorted_record, list):
            good.append(sorted_record)
            numbers.append(number)
        elif sorted_record is not None:
            bad.append(sorted_record)
    columns = [np.array(values, dtype=object) for values in zip(*good, strict=True)]
    return columns or [np.array([], dtype=object) for _ in range(width)], numbers, bad


def _arrow_records(text: str, data: bytes, delimiter: str, header: list[str]) -> _Records | None:
    """The same as :func:`_stdlib_records`, split by Arrow's CSV parser; None where the two could differ.

    Both parsers quote the same way (a quote opens a quoted value only at the start of a cell, ``""`` is a
    literal quote), but they number records differently when a record spans lines: Arrow's split is used only
    when every record is one line (see :func:`_one_record_per_line`). Records Arrow cannot fit to the header
    are set aside with their line number and split by the ``csv`` module: padded, refused or skipped as blank.
    """
    width = len(header)
    lone_carriage_return = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    if not width or b"\x00" in data or lone_carriage_return:
        return None
    parsed = _arrow_parse(data, delimiter, width)
    if parsed is None or not _one_record_per_line(text, data, delimiter, header, *parsed):
        return None
    table, set_aside = parsed
    count = table.num_rows + len(set_aside)
    aside_numbers = np.array([number for number, _ in set_aside], dtype=np.int64)
    if len(np.unique(aside_numbers)) != len(aside_numbers) or not np.isin(aside_numbers, np.arange(2, count + 2)).all():
        return None
    numbers = np.setdiff1d(np.arange(2, count + 2), aside_numbers)
    columns = [column.to_numpy(zero_copy_only=False) for column in table.columns]
    padded: list[list[str]] = []
    padded_numbers: list[int] = []
    bad: list[dict[str, object]] = []
    for number, row_text in set_aside:
        sorted_record = _sort_record(number, next(csv.reader([row_text], delimiter=delimiter), []), width, delimiter)
        if isinstance(sorted_record, list):
            padded.append(sorted_record)
            padded_numbers.append(number)
        elif sorted_record is not None:
            bad.append(sorted_record)
    if padded:
        numbers = np.concatenate([numbers, padded_numbers])
        order = np.argsort(numbers, kind="stable")
        extra = [np.array(values, dtype=object) for values in zip(*padded, strict=True)]
        columns = [np.concatenate([values, more])[order] for values, more in zip(columns, extra, strict=True)]
        numbers = numbers[order]
    blank = _blank_records(columns)
    return [values[~blank] for values in columns], numbers[~blank].tolist(), bad


def _arrow_parse(data: bytes, delimiter: str, width: int) -> tuple[pa.Table, list[tuple[int, str]]] | None:
    """Records with ``width`` cells as a table of strings, plus (line number, text) of every other record."""
    set_aside: list[tuple[int, str]] = []

    def set_row_aside(row: pa_csv.InvalidRow) -> str:
        set_aside.append((row.number if row.number is not None else -1, row.text))
        return "skip"

    names = [f"c{index}" for index in range(width)]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=set_row_aside,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    return table, set_aside


def _one_record_per_line(
    text: str, data: bytes, delimiter: str, header: list[str], table: pa.Table, set_aside: list[tuple[int, str]]
) -> bool:
    """No record spans lines (then a line number is a record number) and no cell is over the ``csv`` size limit.

    A line break can only sit in a quoted value: in a cell, in a set-aside record, in the header, or at the
    end of a last line that opens a quote and never closes it (the ``csv`` module keeps the break in the cell).
    """
    limit = csv.field_size_limit()
    if table.num_rows and any(pc.max(pc.binary_length(column)).as_py() > limit for column in table.columns):
        return False
    if b'"' not in data:
        return True
    last_line = text[text.rstrip("\r\n").rfind("\n") + 1 :]
    last_cells = next(csv.reader(io.StringIO(last_line), delimiter=delimiter), [])
    return not (
        any("\n" in cell or "\r" in cell for cell in header + last_cells)
        or any("\n" in row_text for _, row_text in set_aside)
        or any(
            table.num_rows and pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py() for column in table.columns
        )
    )


def _blank_records(columns: list[np.ndarray]) -> np.ndarray:
    """Records whose cells are all whitespace (the ``csv`` path skips them)."""
    candidates = np.flatnonzero([not value.strip() for value in columns[0]])
    blank = np.zeros(len(columns[0]), dtype=bool)
    blank[candidates] = [not "".join(values[row] for values in columns).strip() for row in candidates]
    return blank


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) > 1e6:
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_xlsx(path: Path, name: str | None = None) -> RawTable:
    """First worksheet of an XLSX workbook; the first non-empty row is the header.

    A row with a value beyond the header's last column is refused like a CSV record with too many cells. A
    workbook that is not a zip, lacks parts, or holds damaged or unsafe XML (external entities, entity
    expansion) is refused with one sentence: the XML parser resolves no external entity and stops expansions.
    """
    from openpyxl import load_workbook

    name = name or str(path)
    header: list[str] | None = None
    records: list[list[str | None]] = []
    row_numbers: list[int] = []
    bad: list[dict[str, object]] = []
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                if header is None:
                    header = _xlsx_header(row, name)
                    continue
                cells = [_cell_text(value) for value in row]
                if not any(cells):
                    continue
                if any(cells[len(header) :]):
                    bad.append(_extra_cells_row(number, cells, len(header)))
                    continue
                records.append((cells + [None] * len(header))[: len(header)])
                row_numbers.append(number)
        finally:
            workbook.close()
    except UnreadableFileError:
        raise
    except MemoryError:
        raise
    except Exception as err:  # openpyxl raises whatever its zip, XML and cell parsers raise on a damaged file
        code, params = _xlsx_problem(err)
        raise UnreadableFileError(name, code, **params) from None
    if not header:
        raise UnreadableFileError(name, "empty_sheet")
    return RawTable(pd.DataFrame(records, columns=header, dtype=object), row_numbers, "xlsx", bad)


def _xlsx_header(row: tuple[Any, ...], name: str) -> list[str] | None:
    """The header of a first non-empty row (up to its last non-empty cell), or None for an empty row."""
    cells = [_cell_text(value) for value in row]
    width = max((index + 1 for index, cell in enumerate(cells) if cell), default=0)
    _refuse_wide(name, width)
    return [cell or f"column_{index + 1}" for index, cell in enumerate(cells[:width])] or None


def _extra_cells_row(number: int, cells: list[str | None], width: int) -> dict[str, object]:
    """The quarantine entry of a spreadsheet row with values beyond the header's ``width`` columns."""
    used = max(index + 1 for index, cell in enumerate(cells) if cell)
    params = {"row": number, "cells": used, "width": width}
    return bad_row(number, "extra_sheet_cells", params, {"cells": cells[:used]})


def _xlsx_problem(err: Exception) -> tuple[str, dict[str, object]]:
    """The error code (and parameters) of why a workbook could not be read: path-free, in either language."""
    if isinstance(err, zipfile.BadZipFile | zipfile.LargeZipFile):
        return "xlsx_not_zip", {}
    if isinstance(err, KeyError):
        return "xlsx_missing_parts", {}
    if isinstance(err, ParseError):
        return "xlsx_bad_xml", {"detail": str(err).split(":")[0]}
    return "xlsx_damaged", {"detail": err.__class__.__name__}


def _json_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def read_json_payload(payload: Any, name: str) -> RawTable:
    """A GeoJSON FeatureCollection (point geometry -> geometry_lat/lon) or an Open311 ``requests`` list.

    A feature that is not an object, or whose ``properties`` or ``geometry`` is not an object, is refused with
    its position (a quarantine entry); the other features are read.
    """
    bad: list[dict[str, object]] = []
    if isinstance(payload, dict) and payload.get("type") == "FeatureCollection":
        features = payload.get("features") or []
        if not isinstance(features, list):
            raise UnreadableFileError(name, "bad_features")
        records, numbers = [], []
        for number, feature in enumerate(features, start=1):
            record = _feature_properties(feature)
            if isinstance(record, str):
                bad.append(bad_row(number, record, {"row": number}, {"feature": feature}))

            else:
                records.append(record)
                numbers.append(number)
        file_format = "geojson"
    elif isinstance(payload, list) and all(isinstance(record, dict) for record in payload):
        records, numbers = payload, list(range(1, len(payload) + 1))
        file_format = "open311"
    else:
        raise UnreadableFileError(name, "bad_json_shape")
    _refuse_wide(name, len({key for record in records for key in record}))
    flat = pd.json_normalize(records, max_level=1) if records else pd.DataFrame()
    frame = flat.map(_json_text).astype(object) if len(flat.columns) else flat
    return RawTable(frame.reset_index(drop=True), numbers, file_format, bad)


def _feature_properties(feature: Any) -> dict[str, Any] | str:
    """A feature's properties plus its point coordinates, or the code of the reason it is refused."""
    if not isinstance(feature, dict):
        return "bad_feature"
    properties, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
    if not isinstance(properties, dict):
        return "bad_properties"
    if not isinstance(geometry, dict):
        return "bad_geometry"
    record = dict(properties)
    coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
    if isinstance(coordinates, list) and len(coordinates) >= 2:
        record[GEOMETRY_LON], record[GEOMETRY_LAT] = coordinates[0], coordinates[1]
    return record
