"""Every CSV the product writes for people goes through here, with spreadsheet formulas neutralised.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``). Following OWASP's
"CSV Injection" advice such a cell gets a leading apostrophe, whatever the column's dtype (``object``, pandas 3
``str``, ``string``, ``category``); numeric, boolean and time columns hold no text and are written as they are.
"""

from __future__ import annotations

import io
from typing import Final

import pandas as pd
from pandas.api import types as ptypes

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _holds_text(values: pd.Series) -> bool:
    dtype = values.dtype
    return not (
        ptypes.is_bool_dtype(dtype)
        or ptypes.is_numeric_dtype(dtype)
        or ptypes.is_datetime64_any_dtype(dtype)
        or ptypes.is_timedelta64_dtype(dtype)
    )


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which every formula-like text cell of every text-holding column is neutralised."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if _holds_text(values):
            out[column] = values.astype(object).map(safe_cell)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as RFC 4180 CSV text (CRLF, header row, no index, missing values empty), formulas neutralised.

    CRLF line ends make the writer quote every cell holding a CR or LF, so no text can start a new row.
    """
    buffer = io.StringIO()
    neutralise(frame).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """:func:`csv_text` as UTF-8 with a byte-order mark, so spreadsheets read Vietnamese text correctly."""
    return csv_text(frame).encode("utf-8-sig")
