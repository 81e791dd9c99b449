"""PostgreSQL's binary ``COPY`` format, written from data frames with numpy (no Python loop per row).

The server stores binary rows faster than CSV ones: it copies numbers and times as they are instead of parsing
their text (times most of all). :func:`binary_columns` says whether a frame can be sent this way to a table whose
column types it is given, and prepares it; :func:`encode_rows` writes the rows at some positions as one piece of
the stream, :data:`HEADER` and :data:`TRAILER` open and close it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
"""Signature, flags and header-extension length of a binary ``COPY`` stream."""
TRAILER = struct.pack("!h", -1)

_EPOCH_2000 = np.datetime64("2000-01-01T00:00:00", "us")
_TEXT_TYPES = frozenset({"text", "varchar"})
_FIXED_TYPES = {"float8": ">f8", "int8": ">i8", "int4": ">i4", "int2": ">i2", "bool": "?"}
_TIME_TYPES = frozenset({"timestamptz", "timestamp"})
_MAX_PADDED_BYTES = 1 << 26
"""Largest padded dictionary of one text column (entries × longest entry) sent as binary; CSV beyond it."""
_SHORT_RUNS = 8
"""Rows of one layout in a row, on average, below which rows are written byte by byte instead of in blocks."""
_SOURCE_KINDS = {"f": "iuf", "i": "iu", "b": "b"}
"""numpy kinds of the frame columns each kind of fixed-width column is written from (nullable pandas included)."""


@dataclass(frozen=True)
class _Text:
    """A text column as dictionary codes (-1: NULL) into its UTF-8 entries, one zero-padded row per entry.

    ``padded`` and ``lengths`` have one more row than there are entries, empty, which code -1 reads.
    """

    codes: np.ndarray
    padded: np.ndarray
    lengths: np.ndarray


@dataclass(frozen=True)
class _Fixed:
    """A fixed-width column already in the server's byte order, with the rows that are NULL."""

    values: np.ndarray
    null: np.ndarray


Column = _Text | _Fixed


def binary_columns(frame: pd.DataFrame, types: Mapping[str, str], constants: Mapping[str, str]) -> list[Column] | None:
    """``frame``'s columns then ``constants`` prepared for :func:`encode_rows`, or None when one cannot be sent.

    ``types`` maps the table's column names to PostgreSQL type names (``pg_type.typname``). Text goes to text
    and varchar columns; numbers to float8, int2/4/8 and bool (NaN and None are NULL, as in the CSV path); tz-aware
    times to timestamptz and timestamp (as UTC), naive ones to timestamp; constants only to text columns. Anything
    else (JSON, numeric, geometry, text meant for a number column…) returns None so the caller falls back to CSV.
    """
    columns: list[Column] = []
    for name in frame.columns:
        column = _column(frame[name], types.get(name))
        if column is None:
            return None
        columns.append(column)
    for name, value in constants.items():
        if types.get(name) not in _TEXT_TYPES:
            return None
        column = _text_of(np.zeros(len(frame), dtype=np.int64), [value.encode()])
        if column is None:
            return None
        columns.append(column)
    return columns or None


def _column(values: pd.Series, pg_type: str | None) -> Column | None:
    dtype = values.dtype
    if pg_type in _TEXT_TYPES:
        if not (pd.api.types.is_string_dtype(dtype) or dtype.kind == "O"):
            return None
        try:
            array = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            return None
        encoded = pc.dictionary_encode(array)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return _text_of(codes, [value.encode() for value in encoded.dictionary.to_pylist()])
    if pg_type in _TIME_TYPES:
        if isinstance(dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif not (pd.api.types.is_datetime64_dtype(dtype) and pg_type == "timestamp"):
            return None  # naive times for timestamptz: CSV, read in the session's time zone as before
        moments = values.to_numpy("datetime64[us]")
        null = np.isnat(moments)
        micros = (moments - _EPOCH_2000).astype(np.int64)
        return _Fixed(np.where(null, 0, micros).astype(">i8"), null)
    if pg_type in _FIXED_TYPES:
        target = np.dtype(_FIXED_TYPES[pg_type])
        if dtype.kind not in _SOURCE_KINDS[target.kind]:
            return None  # e.g. booleans for a number column: the CSV path lets the server say what it accepts
        null = values.isna().to_numpy()
        if target.kind == "i" and not null.all():
            limits = np.iinfo(target)
            if int(values.min()) < limits.min or int(values.max()) > limits.max:
                return None  # out of the column's range: the CSV path lets the server say so
        wide = {"f": np.float64, "i": np.int64, "b": np.bool_}[target.kind]
        numbers = values.to_numpy(dtype=wide, na_value=wide(0))
        return _Fixed(numbers.astype(target), null)
    return None


def _text_of(codes: np.ndarray, entries: list[bytes]) -> _Text | None:
    lengths = np.array([len(entry) for entry in entries] + [0], dtype=np.int64)
    if len(lengths) * int(lengths.max()) > _MAX_PADDED_BYTES:
        return None
    padded = np.zeros((len(lengths), int(lengths.max())), dtype=np.uint8)
    for row, entry in enumerate(entries):
        padded[row, : len(entry)] = np.frombuffer(entry, dtype=np.uint8)
    return _Text(codes, padded, lengths)


def encode_rows(columns: list[Column], positions: np.ndarray) -> memoryview:
    """The tuples of the rows at ``positions`` (in that order), in binary ``COPY`` format.

    Rows whose fields all have the same sizes ("a layout": the same text lengths and NULLs) are built together
    as one byte matrix. Rows in key order come in long runs of one layout (a station parameter's readings), so
    each run is copied into place as one slice; short runs (a reading per series) are scattered byte by byte.
    """
    count = len(positions)
    sizes = np.column_stack([_payload_sizes(column, positions) for column in columns])  # -1: NULL
    widths = 2 + (4 + np.maximum(sizes, 0)).sum(axis=1)
    byte_starts = np.cumsum(widths) - widths
    buffer = np.empty(int(widths.sum()), dtype=np.uint8)
    run_starts = np.concatenate(([0], np.flatnonzero((sizes[1:] != sizes[:-1]).any(axis=1)) + 1))
    if count == 0 or len(run_starts) * _SHORT_RUNS > count:
        _scatter(buffer, byte_starts, columns, positions, sizes)
        return memoryview(buffer)
    run_lengths = np.diff(np.append(run_starts, count))
    layouts, run_layout = np.unique(sizes[run_starts], axis=0, return_inverse=True)
    run_layout = run_layout.reshape(-1)
    row_layout = np.repeat(run_layout, run_lengths)
    for number, layout in enumerate(layouts):
        block = _layout_block(columns, positions[row_layout == number], layout)
        width, flat = block.shape[1], block.reshape(-1)
        taken = 0
        for run in np.flatnonzero(run_layout == number).tolist():
            start, length = int(byte_starts[run_starts[run]]), int(run_lengths[run]) * width
            buffer[start : start + length] = flat[taken : taken + length]
            taken += length
    return memoryview(buffer)


def _payload_sizes(column: Column, positions: np.ndarray) -> np.ndarray:
    if isinstance(column, _Fixed):
        return np.where(column.null[positions], -1, column.values.itemsize).astype(np.int64)
    codes = column.codes[positions]
    return np.where(codes < 0, -1, column.lengths[codes])


def _layout_block(columns: list[Column], positions: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """The tuples of rows that share ``layout`` (their fields' sizes), one row of bytes each."""
    block = np.empty((len(positions), 2 + int((4 + np.maximum(layout, 0)).sum())), dtype=np.uint8)
    block[:, :2] = np.frombuffer(struct.pack("!h", len(columns)), dtype=np.uint8)
    at = 2
    for column, size in zip(columns, layout.tolist(), strict=True):
        block[:, at : at + 4] = np.frombuffer(struct.pack("!i", size), dtype=np.uint8)
        at += 4
        if size <= 0:
            continue
        if isinstance(column, _Fixed):
            block[:, at : at + size] = column.values[positions].view(np.uint8).reshape(-1, size)
        else:
            block[:, at : at + size] = np.take(column.padded[:, :size], column.codes[positions], axis=0)
        at += size
    return block


def _scatter(
    buffer: np.ndarray, byte_starts: np.ndarray, columns: list[Column], positions: np.ndarray, sizes: np.ndarray
) -> None:
    """Write each field of each row at its offset (any mix of layouts)."""
    _put(buffer, byte_starts, np.full(len(positions), len(columns), dtype=">i2"))
    at = byte_starts + 2
    for index, column in enumerate(columns):
        size = sizes[:, index]
        _put(buffer, at, size.astype(">i4"))
        at = at + 4
        present = size >= 0
        if isinstance(column, _Fixed):
            _put(buffer, at[present], column.values[positions][present])
        else:
            lengths = size[present]
            within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            rows = np.repeat(column.codes[positions][present], lengths)
            buffer[np.repeat(at[present], lengths) + within] = column.padded[rows, within]
        at = at + np.maximum(size, 0)


def _put(buffer: np.ndarray, at: np.ndarray, values: np.ndarray) -> None:
    """Write each of ``values`` (as raw bytes) at the matching offset of ``at``."""
    width = values.dtype.itemsize
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(len(values), width)
    buffer[at[:, None] + np.arange(width)] = raw
