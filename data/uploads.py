"""Checks on an uploaded file before it reaches an importer: size, type by extension and content, safe name.

A browser upload carries a client-chosen name and arbitrary bytes. :func:`check_upload` refuses anything
that is too large, not what its extension claims (CSV/TXT must be UTF-8 text, XLSX a genuine Office Open XML
zip of sane expanded size — zip bombs are refused —, JSON/GeoJSON must parse), and returns a sanitised base
name to store it under, so a name such as ``../../etc/passwd`` can never leave the upload folder. Every
refusal is an :class:`UploadRejected` whose message is Vietnamese first, then English.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd
from sqlalchemy import Engine

from data.config import Settings
from data.frames import plain_text, plain_value

DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
MAX_EXPANDED_BYTES: Final = 500 * 1024 * 1024
"""Largest total uncompressed size of an XLSX workbook."""
MAX_COMPRESSION_RATIO: Final = 100
"""Largest uncompressed/compressed ratio of an XLSX workbook (real workbooks stay well below 20)."""
MAX_ZIP_ENTRIES: Final = 10_000
MAX_NAME_LENGTH: Final = 120
KINDS: Final = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json", ".geojson": "geojson"}
_UNSAFE_CHARACTERS = re.compile(r"[^\w.\- ()]+")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class UploadRejected(ValueError):
    """An upload refused before import; the message is ``"<Vietnamese> / <English>"``."""

    def __init__(self, vietnamese: str, english: str) -> None:
        super().__init__(f"{vietnamese} / {english}")
        self.vietnamese = vietnamese
        self.english = english


@dataclass(frozen=True)
class UploadCheck:
    """An accepted upload: the sanitised base name to store it under, its kind and size in bytes."""

    stored_name: str
    kind: str
    size: int


def safe_name(filename: str) -> str:
    """The base name of ``filename`` with only letters, digits, spaces and ``. - _ ( )`` kept.

    Folder parts (``/`` or ``\\``) are dropped, the name is NFC-normalised, runs of other characters become
    ``_``, and leading dots are removed, so the result can never point outside the upload folder.

    Raises
    ------
    UploadRejected
        When the name contains NUL or other control characters, or nothing usable is left.
    """
    if _CONTROL_CHARACTERS.search(filename):
        raise UploadRejected("Tên tệp chứa ký tự điều khiển", "the file name contains control characters")
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", filename))[-1]
    cleaned = _UNSAFE_CHARACTERS.sub("_", base).strip().lstrip(".")
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > MAX_NAME_LENGTH:
        cleaned = stem[: MAX_NAME_LENGTH - len(suffix) - 1] + "." + suffix
    if not cleaned or cleaned.startswith("."):
        raise UploadRejected(f"Tên tệp không hợp lệ: {filename!r}", f"not a usable file name: {filename!r}")
    return cleaned


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_text(content: bytes) -> None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UploadRejected(
            f"Tệp không phải văn bản UTF-8 (byte {err.start}); hãy lưu dưới dạng 'CSV UTF-8'",
            f"not UTF-8 text (byte {err.start}); save the file as 'CSV UTF-8'",
        ) from None
    if "\x00" in text:
        raise UploadRejected("Tệp chứa dữ liệu nhị phân, không phải CSV", "the file holds binary data, not CSV")


def _check_xlsx(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise UploadRejected(
            "Tệp .xlsx không phải sổ tính Excel hợp lệ", "the .xlsx file is not a valid workbook"
        ) from None
    with archive:
        entries = archive.infolist()
        if "[Content_Types].xml" not in {entry.filename for entry in entries}:
            raise UploadRejected(
                "Tệp .xlsx thiếu [Content_Types].xml (không phải sổ tính Excel)",
                "the .xlsx file lacks [Content_Types].xml (not an Excel workbook)",
            )
        expanded = sum(entry.file_size for entry in entries)
        compressed = sum(entry.compress_size for entry in entries)
        if len(entries) > MAX_ZIP_ENTRIES or expanded > MAX_EXPANDED_BYTES:
            raise UploadRejected(
                f"Sổ tính giải nén quá lớn ({_megabytes(expanded)}, {len(entries)} phần)",
                f"the workbook expands too much ({_megabytes(expanded)}, {len(entries)} parts)",
            )
        if expanded > MAX_COMPRESSION_RATIO * max(compressed, 1):
            raise UploadRejected(
                f"Tỷ lệ nén bất thường ({expanded // max(compressed, 1)}:1) — nghi ngờ zip bomb",
                f"abnormal compression ratio ({expanded // max(compressed, 1)}:1) — suspected zip bomb",
            )


def _check_json(content: bytes, kind: str) -> None:
    _check_text(content)
    try:
        payload = json.loads(content.decode("utf-8-sig"))
    except json.JSONDecodeError as err:
        raise UploadRejected(
            f"JSON không hợp lệ (dòng {err.lineno}, cột {err.colno})",
            f"invalid JSON (line {err.lineno}, column {err.colno})",
        ) from None
    if kind == "geojson" and not (isinstance(payload, dict) and "type" in payload):
        raise UploadRejected("Tệp GeoJSON không có trường 'type'", "the GeoJSON file has no 'type' member")


def check_upload(filename: str, content: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> UploadCheck:
    """Check an uploaded file and return the name to store it under.

    Parameters
    ----------
    filename
        The name the client sent (untrusted).
    content
        The uploaded bytes.
    max_bytes
        Largest accepted upload.

    Raises
    ------
    UploadRejected
        With a Vietnamese and English reason: empty or too large, unsupported extension, content not matching
        the extension, a zip bomb, or an unusable name.
    """
    stored_name = safe_name(filename)
    suffix = ("." + stored_name.rpartition(".")[2].lower()) if "." in stored_name else ""
    kind = KINDS.get(suffix)
    if kind is None:
        allowed = ", ".join(KINDS)
        raise UploadRejected(
            f"Loại tệp không được hỗ trợ ({suffix or 'không có phần mở rộng'}); chấp nhận {allowed}",
            f"unsupported file type ({suffix or 'no extension'}); accepted: {allowed}",
        )
    if not content:
        raise UploadRejected("Tệp rỗng", "the file is empty")
    if len(content) > max_bytes:
        raise UploadRejected(
            f"Tệp quá lớn ({_megabytes(len(content))}, tối đa {_megabytes(max_bytes)})",
            f"file too large ({_megabytes(len(content))}, limit {_megabytes(max_bytes)})",
        )
    if kind == "csv":
        _check_text(content)
    elif kind == "xlsx":
        _check_xlsx(content)
    else:
        _check_json(content, kind)
    return UploadCheck(stored_name, kind, len(content))


def import_complaint_upload(
    engine: Engine, settings: Settings, filename: str, content: bytes, now: dt.datetime
) -> dict[str, object]:
    """Import an uploaded complaint file (already passed :func:`check_upload`) and return its summary.

    Errors name the user's file (``filename``'s base name), never the temporary path it is read from.

    Raises
    ------
    data.importers.readers.ExplainedError
        The file cannot be read, or the database cannot store it (one sentence in either language).
    """
    from data.importers.pipeline import ImportContext, import_table
    from data.importers.readers import read_table

    name = re.split(r"[\\/]", filename)[-1]  # the base name, also of a Windows path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / safe_name(filename)
        path.write_bytes(content)
        table = read_table(path, name)
    summary = import_table(
        engine,
        table,
        ImportContext.from_settings(engine, settings),
        filename=name,
        content_hash=hashlib.sha256(content).hexdigest(),
        now=now,
    )
    return summary.as_dict()


def mask_personal(value: object) -> str:
    """A reporter's name or phone masked for display: ``Nguyễn Văn An`` → ``N••• V•• A••``, ``0912345678`` →
    ``••••••••78``."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if any(character.isdigit() for character in text):
        return "•" * max(len(text) - 2, 1) + text[-2:]
    return " ".join(word[0] + "•" * max(len(word) - 1, 2) for word in text.split())


def quarantine_view(rows: pd.DataFrame, language: str) -> pd.DataFrame:
    """Refused rows as an operator reads them: row, field, refused value, reason in ``language``, the input row.

    ``rows`` are :func:`data.queries.quarantine_rows`. Reasons stored as a code render in ``language`` (older
    rows keep their stored text); the reporter's name and phone are masked in the value and the input row.
    """
    from data.importers.normalise import quarantine_reason
    from data.importers.profiles import is_personal_header

    numbers, fields, values, reasons, inputs = [], [], [], [], []
    for row in rows.itertuples(index=False):
        params = row.reason_params if isinstance(row.reason_params, dict) else {}
        field, value = plain_text(row.field), plain_text(params.get("value"))
        number = plain_value(row.row_number)
        code = plain_text(row.reason_code)
        numbers.append(None if number is None else int(number))
        fields.append(field)
        values.append(mask_personal(value) if is_personal_header(field) else value)
        reason = quarantine_reason(code, params, language, row=plain_text(number), field=field) if code else None
        reasons.append(reason or plain_text(row.reason))
        inputs.append(_input_text(row.raw, is_personal_header))
    return pd.DataFrame(
        {
            "row_number": pd.Series(numbers, dtype="Int64"),
            "field": fields,
            "value": values,
            "reason": reasons,
            "raw": inputs,
        }
    )


def _input_text(raw: object, is_personal: Callable[[str], bool]) -> str:
    """The refused input row as ``header: value · header: value`` with personal values masked."""
    if not isinstance(raw, dict):
        return ""
    parts = []
    for header, cell in raw.items():
        value = json.dumps(plain_value(cell), ensure_ascii=False) if isinstance(cell, list | dict) else plain_text(cell)
        if not value:
            continue
        shown = mask_personal(value) if is_personal(str(header)) else value
        parts.append(f"{header}: {shown}")
    return " · ".join(parts)
