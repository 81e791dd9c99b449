"""Read complaint files (CSV, XLSX, GeoJSON, Open311 JSON) into a frame of text cells plus source row numbers.

Row numbers are what a person sees when opening the file: for CSV and XLSX the spreadsheet row (header = row
1, first data row = row 2); for JSON the 1-based position of the record or feature.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.importers.profiles import GEOMETRY_LAT, GEOMETRY_LON


@dataclass(frozen=True)
class RawTable:
    """Cells as text (None when empty), one row per input record, and each record's source row number.

    ``bad_rows`` are records that could not even be split into the header's cells (quarantine entries).
    """

    frame: pd.DataFrame
    row_numbers: list[int]
    file_format: str
    bad_rows: list[dict[str, object]] = field(default_factory=list)


def read_table(path: Path) -> RawTable:
    """Read ``path`` by its extension (.csv/.txt, .xlsx, .geojson/.json)."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return read_csv_bytes(path.read_bytes(), str(path))
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix in {".json", ".geojson"}:
        try:
            payload = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            msg = f"{path}: not valid UTF-8 JSON: {err}"
            raise ValueError(msg) from err
        return read_json_payload(payload, str(path))
    msg = f"{path}: unsupported file type {suffix!r} (use .csv, .xlsx, .geojson or Open311 .json)"
    raise ValueError(msg)


def read_csv_bytes(content: bytes, name: str) -> RawTable:
    """CSV in UTF-8 (an Excel BOM is dropped), comma- or semicolon-separated (sniffed from the header)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        msg = f"{name}: not UTF-8 text (byte {err.start}); save the file as 'CSV UTF-8'"
        raise ValueError(msg) from err
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL
        )
    except pd.errors.ParserError:
        return _read_csv_rows(text, delimiter)
    frame.columns = [str(column).strip() for column in frame.columns]
    frame = frame.replace({"": None}).astype(object)
    return RawTable(frame.reset_index(drop=True), list(range(2, len(frame) + 2)), "csv")


def _read_csv_rows(text: str, delimiter: str) -> RawTable:
    """Record-by-record reading for a CSV with malformed records: those become ``bad_rows``."""
    records = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip() for cell in next(records)]
    width = len(header)
    good: list[list[str]] = []
    numbers: list[int] = []
    bad: list[dict[str, object]] = []
    for number, cells in enumerate(records, start=2):
        if len(cells) == width and "".join(cells).strip():
            good.append(cells)
        elif not "".join(cells).strip():
            continue
        elif len(cells) > width:
            reason = (
                f"row {number}: {len(cells)} cells where the header has {width} "
                f"(a '{delimiter}' inside an unquoted value?)"
            )
            bad.append({"row_number": number, "field": "", "reason": reason, "raw": {"cells": cells}})
            continue
        else:
            good.append(cells + [""] * (width - len(cells)))
        numbers.append(number)
    columns = [np.array(values, dtype=object) for values in zip(*good, strict=True)]
    for values in columns:
        values[values == ""] = None
    frame = pd.DataFrame(dict(enumerate(columns)), columns=range(width), dtype=object).set_axis(header, axis=1)
    return RawTable(frame, numbers, "csv", bad)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) > 1e6:
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_xlsx(path: Path) -> RawTable:
    """First worksheet of an XLSX workbook; the first non-empty row is the header."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header: list[str] | None = None
        records: list[list[str | None]] = []
        row_numbers: list[int] = []
        for number, row in enumerate(rows, start=1):
            cells = [_cell_text(value) for value in row]
            if header is None:
                if any(cells):
                    header = [cell or f"column_{index + 1}" for index, cell in enumerate(cells)]
                continue
            if any(cells):
                records.append((cells + [None] * len(header))[: len(header)])
                row_numbers.append(number)
    finally:
        workbook.close()
    if header is None:
        msg = f"{path}: the first worksheet is empty"
        raise ValueError(msg)
    return RawTable(pd.DataFrame(records, columns=header, dtype=object), row_numbers, "xlsx")


def _json_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def read_json_payload(payload: Any, name: str) -> RawTable:
    """A GeoJSON FeatureCollection (point geometry -> geometry_lat/lon) or an Open311 ``requests`` list."""
    if isinstance(payload, dict) and payload.get("type") == "FeatureCollection":
        records = []
        for feature in payload.get("features") or []:
            properties = dict(feature.get("properties") or {})
            geometry = feature.get("geometry") or {}
            coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
            if isinstance(coordinates, list) and len(coordinates) >= 2:
                properties[GEOMETRY_LON], properties[GEOMETRY_LAT] = coordinates[0], coordinates[1]
            records.append(properties)
        file_format = "geojson"
    elif isinstance(payload, list) and all(isinstance(record, dict) for record in payload):
        records = payload
        file_format = "open311"
    else:
        msg = f"{name}: JSON is neither a GeoJSON FeatureCollection nor an Open311 list of requests"
        raise ValueError(msg)
    flat = pd.json_normalize(records, max_level=1) if records else pd.DataFrame()
    frame = flat.map(_json_text).astype(object) if len(flat.columns) else flat
    return RawTable(frame.reset_index(drop=True), list(range(1, len(frame) + 1)), file_format)
