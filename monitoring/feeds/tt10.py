"""Circular 10/2021 (and 24/2017) station files: names, parsing, and writing (standards §5).

A file ``<TINH>_<COSO>_<TRAM>_<yyyyMMddHHmmss>.txt`` holds one TAB-separated line per parameter:
symbol, value, unit, time ``yyyyMMddHHmmss`` (local time, UTC+7) and a 2-digit device status. Decimal point
or comma, CRLF or LF, UTF-8. A file with an unparsable line, a bad name, or a time more than 10 minutes in
the future is refused whole; a line with an unknown symbol or status code is refused alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final
from zoneinfo import ZoneInfo

import pandas as pd

from monitoring.feeds.base import Reason, SourceFile
from monitoring.schema import canonicalise

LOCAL_TZ: Final = ZoneInfo("Asia/Ho_Chi_Minh")
FUTURE_TOLERANCE: Final = dt.timedelta(minutes=10)
TIME_FORMAT: Final = "%Y%m%d%H%M%S"
FILENAME_PATTERN: Final = re.compile(
    r"^(?P<province>[A-Za-z0-9]+)_(?P<facility>[A-Za-z0-9-]+)_(?P<station>[A-Za-z0-9-]+)_(?P<stamp>\d{14})\.txt$",
    re.IGNORECASE,
)
SOURCE: Final = "tt10"


@dataclass(frozen=True)
class Tt10Name:
    """The parts of a station file name; ``station_id`` is ``<TINH>_<COSO>_<TRAM>``."""

    province: str
    facility: str
    station: str
    sent_at: dt.datetime

    @property
    def station_id(self) -> str:
        return f"{self.province}_{self.facility}_{self.station}"

    def filename(self) -> str:
        """The file name these parts make."""
        return f"{self.station_id}_{self.sent_at.astimezone(LOCAL_TZ).strftime(TIME_FORMAT)}.txt"


class Tt10FormatError(ValueError):
    """A station file that cannot be read; its :class:`Reason` names the file, line and field."""

    def __init__(self, code: str, **params: object) -> None:
        self.reason = Reason(f"tt10_{code}", params)
        super().__init__(self.reason.text())


def parse_local_time(stamp: str) -> dt.datetime:
    """A 14-digit local (UTC+7) time as an aware UTC datetime."""
    if not re.fullmatch(r"\d{14}", stamp):
        msg = f"time {stamp!r} is not yyyyMMddHHmmss"
        raise ValueError(msg)
    local = dt.datetime.strptime(stamp, TIME_FORMAT).replace(tzinfo=LOCAL_TZ)
    return local.astimezone(dt.UTC)


def parse_filename(name: str, *, shown_as: str | None = None) -> Tt10Name:
    """Split ``HN_CTYDETMAYABC_NT01_20250315103000.txt`` into its parts; ``shown_as`` is what messages call the
    file (its path when it lies in a folder).

    Raises
    ------
    Tt10FormatError
        When the name does not follow ``<TINH>_<COSO>_<TRAM>_<yyyyMMddHHmmss>.txt``.
    """
    match = FILENAME_PATTERN.match(name)
    if match is None:
        raise Tt10FormatError("bad_name", name=shown_as or name)
    try:
        sent_at = parse_local_time(match["stamp"])
    except ValueError as err:
        raise Tt10FormatError("bad_name_time", name=shown_as or name, value=match["stamp"]) from err
    return Tt10Name(match["province"], match["facility"], match["station"], sent_at)


def _parse_lines(name: str, text: str) -> list[tuple[int, str, float, str, dt.datetime, str]]:
    records = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise Tt10FormatError("field_count", file=name, line=line_number, count=len(fields))
        symbol, value_text, unit, stamp, status = (field.strip() for field in fields)
        try:
            value = float(value_text.replace(",", "."))
        except ValueError as err:
            raise Tt10FormatError("value", file=name, line=line_number, value=value_text) from err
        try:
            observed_at = parse_local_time(stamp)
        except ValueError as err:
            raise Tt10FormatError("time", file=name, line=line_number, value=stamp) from err
        if not re.fullmatch(r"\d{2}", status):
            raise Tt10FormatError("status", file=name, line=line_number, value=status)
        records.append((line_number, symbol, value, unit, observed_at, status))
    if not records:
        raise Tt10FormatError("no_lines", file=name)
    return records


def _read_file(name: str, content: bytes, now: dt.datetime) -> tuple[str, list[tuple[Any, ...]]]:
    """The station id and parsed lines of one file (``name`` may carry folders; messages name the whole path).

    Raises :class:`Tt10FormatError` when it is malformed.
    """
    parts = parse_filename(name.replace("\\", "/").rsplit("/", 1)[-1], shown_as=name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Tt10FormatError("not_utf8", file=name, byte=err.start) from err
    records = _parse_lines(name, text)
    latest = max(parts.sent_at, *(record[4] for record in records))
    if latest > now + FUTURE_TOLERANCE:
        raise Tt10FormatError("future", file=name, value=f"{latest.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}")
    return parts.station_id, records


def parse_tt10_files(files: Sequence[tuple[str, bytes]], *, now: dt.datetime) -> tuple[list[SourceFile], pd.DataFrame]:
    """Parse station files given as (name, content); ``name`` may be a path (its last part is the file name).

    Never raises for bad content: a malformed file comes back with ``error`` set (the reason names the file,
    line and field) so it can be quarantined whole; lines with an unknown symbol or status code come back as
    that file's row rejects. All lines are validated together, so thousands of files parse quickly.

    Returns
    -------
    One :class:`~monitoring.ingest.SourceFile` per input, and the accepted readings of all files (canonical
    columns plus ``file``, the file name).
    """
    results: list[SourceFile] = []
    rows: list[tuple[Any, ...]] = []
    for name, content in files:
        content_hash = hashlib.sha256(content).hexdigest()
        try:
            station_id, records = _read_file(name, content, now)
        except Tt10FormatError as err:
            line_count = sum(1 for line in content.splitlines() if line.strip())
            results.append(SourceFile(name, content_hash, max(line_count, 1), error=err.reason))
            continue
        results.append(SourceFile(name, content_hash, len(records)))
        rows.extend((len(results) - 1, name, station_id, *record) for record in records)
    columns = ["file_index", "file", "station_id", "row_number", "parameter", "value", "unit", "observed_at", "status"]
    raw = pd.DataFrame(rows, columns=columns)
    raw["observed_at"] = pd.to_datetime(raw["observed_at"], utc=True)
    raw["source"] = SOURCE
    readings, rejects = canonicalise(raw, source=SOURCE, keep=("file",))
    for reject in rejects:
        index = int(reject.raw.pop("file_index"))
        reject.raw.pop("file")
        results[index].rejects.append(replace(reject, source=results[index].name))
    return results, readings


def parse_tt10(name: str, content: bytes, *, now: dt.datetime) -> tuple[SourceFile, pd.DataFrame]:
    """Parse one station file (see :func:`parse_tt10_files`)."""
    files, readings = parse_tt10_files([(name, content)], now=now)
    return files[0], readings
