"""Validate and normalise canonical complaint rows; every refused row gets a reason naming its row and field.

Times may be ISO 8601 (with or without offset) or day-first Vietnamese (``dd/mm/yyyy HH:MM``); naive times
are in the profile's zone. Checks (vectorised over the whole file): the time parses and is not in the future,
coordinates are numbers in range (after fixing swapped pairs) and come in pairs, the report says something
(description or category), and a reused report id carries the same content as its first use. Free text is
kept verbatim as text (control characters removed); it is never interpreted as HTML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.i18n import translate
from data.importers.profiles import Profile
from geo.address import fold
from geo.join import swapped_candidates

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FUTURE_TOLERANCE = pd.Timedelta(hours=1)
_HASH_FIELDS = ("reported_at", "description", "address", "lat", "lon", "category_raw", "channel")
CLOSED_SOURCE_STATUSES = frozenset({"closed", "resolved", "da xu ly", "da giai quyet", "hoan thanh", "da hoan thanh"})
_CHANNELS = {
    "zalo": "Zalo OA",
    "zalo oa": "Zalo OA",
    "facebook": "Facebook",
    "fanpage": "Facebook",
    "hotline": "Hotline",
    "duong day nong": "Hotline",
    "ihanoi": "iHanoi",
    "viber": "Viber",
}


_WIDTHS = {"d": 2, "m": 2, "Y": 4, "H": 2, "M": 2, "S": 2}  # digits of a full-width field
_HAS_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"
_ISO_START = r"^\d{4}-\d{2}-\d{2}"


def parse_times(values: pd.Series, timezone: str, formats: tuple[str, ...]) -> pd.Series:
    """Parse ``values`` to UTC timestamps; NaT where no format fits.

    Parameters
    ----------
    values
        Text values (None or empty for missing).
    timezone
        Zone of naive times (the profile's, e.g. ``Asia/Ho_Chi_Minh``).
    formats
        ``strptime`` formats tried, in order, on values that are not ISO 8601.
    """
    text = values.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    is_iso = text.str.match(_ISO_START, na=False)
    with_offset = is_iso & text.str.contains(_HAS_OFFSET, regex=True, na=False)
    if with_offset.any():
        parsed = pd.to_datetime(text[with_offset], format="ISO8601", utc=True, errors="coerce")
        result[with_offset] = parsed.dt.as_unit("us")
    naive_iso = is_iso & ~with_offset
    if naive_iso.any():
        parsed = pd.to_datetime(text[naive_iso], format="ISO8601", errors="coerce")
        result[naive_iso] = _localise(parsed, timezone)
    for fmt in formats:
        pending = result.isna() & text.notna() & ~is_iso
        if not pending.any():
            break
        parsed = _strptime(text[pending], fmt)
        hit = parsed.notna()
        if hit.any():
            result[pending[pending].index[hit.to_numpy()]] = _localise(parsed[hit], timezone)
    return result


def _strptime(text: pd.Series, fmt: str) -> pd.Series:
    """Naive times of ``text`` (no missing values) in ``fmt``: ``pd.to_datetime(text, format=fmt, errors="coerce")``.

    Texts that write every field of a ``%d %m %Y [%H %M %S]`` format with its full width (``05/03/2025 07:30``)
    and name a real time between 1700 and 2199 are read vectorised (pandas reads them one by one, the same
    way); pandas reads the rest.
    """
    layout = _fixed_width_layout(fmt)
    if layout is None:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    pattern, starts = layout
    values = pa.array(text)
    fixed = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    candidates = values.filter(fixed)
    field = {
        code: np.asarray(pc.cast(pc.utf8_slice_codeunits(candidates, start, start + _WIDTHS[code]), pa.int64()))
        for code, start in starts.items()
    }
    hour, minute, second = (field.get(code, np.zeros(len(candidates), np.int64)) for code in "HMS")
    months = ((field["Y"] - 1970) * 12 + field["m"] - 1).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (field["d"] - 1)
    real = (field["Y"] >= 1700) & (field["Y"] <= 2199) & (field["m"] >= 1) & (field["m"] <= 12) & (field["d"] >= 1)
    real &= (days.astype("datetime64[M]") == months) & (hour < 24) & (minute < 60) & (second < 60)
    stamps = days.astype("datetime64[us]") + ((hour * 60 + minute) * 60 + second) * 1_000_000
    parsed = pd.Series(np.full(len(text), np.datetime64("NaT", "us")), index=text.index)
    exact = fixed.copy()
    exact[fixed] = real
    parsed[exact] = stamps[real]
    if not exact.all():
        parsed[~exact] = pd.to_datetime(text[~exact], format=fmt, errors="coerce")
    return parsed


def _fixed_width_layout(fmt: str) -> tuple[str, dict[str, int]] | None:
    """A regular expression of ``fmt`` written with full-width fields, and where each field starts; None when
    the format has other directives or lacks day, month or year."""
    if not re.fullmatch(r"(?:%[dmYHMS]|[!-$&-~])*(?: (?:%[dmYHMS]|[!-$&-~])*)?", fmt):  # ASCII, one space at most
        return None
    pattern, starts, position = "", {}, 0
    for directive, literal in re.findall(r"%([dmYHMS])|(.)", fmt):
        if directive:
            pattern += r"\d" * _WIDTHS[directive]
            starts[directive] = position
            position += _WIDTHS[directive]
        else:
            pattern += re.escape(literal)
            position += 1
    if not {"d", "m", "Y"} <= set(starts) or len(starts) != len(re.findall("%", fmt)):
        return None
    return f"^{pattern}$", starts


def _localise(naive: pd.Series, timezone: str) -> pd.Series:
    """Local wall-clock times to UTC; DST gaps shift forward, repeated hours take standard time."""
    ambiguous = np.zeros(len(naive), dtype=bool)
    local = naive.dt.tz_localize(timezone, ambiguous=ambiguous, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.as_unit("us")


@dataclass
class Quarantine:
    """Refused rows collected while normalising: row number, field, reason and the raw cells."""

    raw: pd.DataFrame
    rows: list[dict[str, object]] = field(default_factory=list)

    def add(
        self, frame: pd.DataFrame, mask: pd.Series, header: str, code: str, values: pd.Series | None = None
    ) -> None:
        """Quarantine the rows of ``frame`` where ``mask`` holds (each row once; the first reason wins).

        ``code`` names the reason (``quarantine.<code>`` in :mod:`data.i18n.strings_intake`); the row's entry of
        ``values`` is its ``value`` (or, as a dict, all its parameters). The stored ``reason`` is the English
        sentence (CLI, older readers); pages render ``reason_code`` and ``reason_params`` in their language.
        Only refused rows are built.
        """
        mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index) & ~frame["_refused"]
        if not mask.any():
            return
        refused = frame.index[mask.to_numpy()]
        filled = values[refused] if values is not None else pd.Series(None, index=refused, dtype=object)
        raw = self.raw.loc[refused].astype(object)
        raw_rows = raw.where(raw.notna(), None).to_dict("records")
        numbers = frame.loc[refused, "row_number"].tolist()
        for number, value, cells in zip(numbers, filled, raw_rows, strict=True):
            params = value if isinstance(value, dict) else {"value": _plain(value)}
            self.rows.append(
                {
                    "row_number": number,
                    "field": header,
                    "reason": quarantine_reason(code, params, "en", row=number, field=header),
                    "reason_code": code,
                    "reason_params": params,
                    "raw": cells,
                }
            )
        frame.loc[mask, "_refused"] = True


def quarantine_reason(code: str, params: dict[str, object], language: str, *, row: object, field: str) -> str:
    """A refused row's reason as one sentence in ``language``: ``row 5, field 'Thời gian': unparseable date …``.

    ``several`` lists more than one reason (``{"reasons": [{"reason_code": …, "reason_params": …}, …]}``); a
    whole refused file (no row) is its reason alone.
    """
    if code == "several":
        parts = params.get("reasons")
        reason = "; ".join(
            translate(f"quarantine.{part['reason_code']}", language, **part["reason_params"])
            for part in (parts if isinstance(parts, list) else [])
        )
    else:
        reason = translate(f"quarantine.{code}", language, **params)
    if not field or row in (None, ""):
        return reason
    return translate("quarantine.where", language, row=row, field=field, reason=reason)


def _plain(value: object) -> object:
    """A JSON-safe value (NaN and NA become None, numpy numbers Python numbers)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _clean_cell(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return _CONTROL_CHARS.sub("", str(value)).strip() or None


def clean_text(values: pd.Series) -> pd.Series:
    """Trimmed text without control characters; None stays None. Markup is kept literally."""
    cleaned = [
        None
        if value is None
        else (value.strip() or None)
        if type(value) is str and value.isprintable()
        else _clean_cell(value)
        for value in values
    ]
    return pd.Series(cleaned, index=values.index, dtype=object)


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Floats (decimal comma accepted) and a mask of cells that were present but not numbers."""
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    return numbers, text.notna() & numbers.isna()


def _channel(values: pd.Series, default: str) -> pd.Series:
    text = clean_text(values)
    names = {value: _CHANNELS.get(fold(value), value) for value in text.dropna().unique()}
    return pd.Series([default if value is None else names[value] for value in text], index=text.index, dtype=object)


def normalise(
    canonical: pd.DataFrame,
    headers: dict[str, str],
    raw: pd.DataFrame,
    row_numbers: list[int],
    profile: Profile,
    now: dt.datetime,
    wards: object,
) -> tuple[pd.DataFrame, Quarantine]:
    """Valid rows as typed canonical columns, plus the quarantine of refused rows.

    A lat/lon pair that lies outside every ward of ``wards`` but inside one when swapped is swapped back and
    flagged ``swapped_latlon`` before the range checks.

    The result has ``row_number``, ``external_id`` (None when the source has none), ``content_hash`` (for
    rows without an id or with a repeated one),
    ``reported_at`` (UTC), ``description``, ``address``, ``lat``, ``lon``, ``channel``, ``category_raw``,
    ``reporter_name``, ``reporter_phone``, ``source_status``, ``media`` (references, fetched by the pipeline),
    ``closed_at_source`` (the source says it is
    closed), ``closed_at`` (its closing time, when usable) and ``flags`` (list per row).
    """
    frame = pd.DataFrame(index=canonical.index)
    frame["row_number"] = row_numbers
    frame["_refused"] = False
    quarantine = Quarantine(raw.set_axis(frame.index))

    frame["external_id"] = clean_text(canonical["external_id"])
    for column in ("description", "address", "reporter_name", "reporter_phone", "source_status", "media"):
        frame[column] = clean_text(canonical[column])
    frame["category_raw"] = clean_text(canonical["category"])
    frame["channel"] = _channel(canonical["channel"], profile.default_channel)
    frame["flags"] = [[] for _ in range(len(frame))]

    time_text = clean_text(canonical["reported_at"])
    frame["reported_at"] = parse_times(time_text, profile.timezone, profile.date_formats)
    header = headers["reported_at"]
    quarantine.add(frame, time_text.isna(), header, "missing_time")
    quarantine.add(frame, frame["reported_at"].isna(), header, "unparseable_date", time_text)
    future = frame["reported_at"] > pd.Timestamp(now).tz_convert("UTC") + _FUTURE_TOLERANCE
    quarantine.add(frame, future, header, "future_time", time_text)

    lat, bad_lat = _numbers(canonical["lat"])
    lon, bad_lon = _numbers(canonical["lon"])
    both = (lat.notna() & lon.notna()).to_numpy()
    swapped = np.zeros(len(frame), dtype=bool)
    if both.any():
        swapped[both] = swapped_candidates(lon[both].to_numpy(), lat[both].to_numpy(), wards)
    lat, lon = lat.mask(swapped, lon), lon.mask(swapped, lat)
    for index in frame.index[swapped]:
        frame.at[index, "flags"].append("swapped_latlon")
    quarantine.add(frame, bad_lat, headers["lat"], "not_a_number", canonical["lat"])
    quarantine.add(frame, bad_lon, headers["lon"], "not_a_number", canonical["lon"])
    quarantine.add(frame, lat.abs() > 90, headers["lat"], "latitude_range", lat)
    quarantine.add(frame, lon.abs() > 180, headers["lon"], "longitude_range", lon)
    quarantine.add(frame, lat.notna() & lon.isna(), headers["lon"], "longitude_missing")
    quarantine.add(frame, lon.notna() & lat.isna(), headers["lat"], "latitude_missing")
    null_island = (lat == 0) & (lon == 0)
    lat, lon = lat.mask(null_island), lon.mask(null_island)
    for index in frame.index[null_island.to_numpy()]:
        frame.at[index, "flags"].append("zero_coordinates")
    frame["lat"], frame["lon"] = lat, lon

    _closing(frame, canonical["closed_at"], profile)

    empty = frame["description"].isna() & frame["category_raw"].isna()
    quarantine.add(frame, empty, headers["description"], "no_content")

    ids = frame["external_id"]
    needs_hash = (ids.isna() | ids.duplicated(keep=False)).to_numpy()
    frame["content_hash"] = None
    frame.loc[needs_hash, "content_hash"] = _content_hashes(frame[needs_hash])
    _refuse_conflicting_ids(frame, quarantine, headers["external_id"])
    kept = frame[~frame["_refused"]].drop(columns=["_refused"])
    return kept, quarantine


def _closing(frame: pd.DataFrame, closed_text: pd.Series, profile: Profile) -> None:
    """Add ``closed_at``: when the source says the report is closed, its closing time (UTC), else NaT.

    A closing time that does not parse or precedes the report is not used; the row is flagged instead.
    """
    statuses = frame["source_status"]
    closing_words = {value for value in statuses.dropna().unique() if fold(value) in CLOSED_SOURCE_STATUSES}
    closed = statuses.isin(closing_words).to_numpy()
    closed_at = parse_times(clean_text(closed_text), profile.timezone, profile.date_formats)
    unusable = closed & (closed_at.isna() | (closed_at < frame["reported_at"])).to_numpy()
    for index in frame.index[unusable]:
        frame.at[index, "flags"].append("closed_time_unusable")
    frame["closed_at"] = closed_at.where(closed & ~unusable)
    frame["closed_at_source"] = closed


def _content_hashes(frame: pd.DataFrame) -> pd.Series:
    """SHA-1 of the fields that identify a report: its id when the source has none, and the test of whether
    two rows sharing an id say the same thing (only computed for such rows)."""
    columns = [frame[name].astype(object).where(frame[name].notna(), None).tolist() for name in _HASH_FIELDS]
    digests = [
        hashlib.sha1("\x1f".join("" if value is None else str(value) for value in values).encode()).hexdigest()
        for values in zip(*columns, strict=True)
    ]
    return pd.Series(digests, index=frame.index, dtype=object)


def _refuse_conflicting_ids(frame: pd.DataFrame, quarantine: Quarantine, header: str) -> None:
    """A report id reused inside the file with different content is refused (same content is a duplicate)."""
    reused = frame[frame["external_id"].notna() & frame["external_id"].duplicated(keep=False)]
    first = reused[~reused["_refused"]].drop_duplicates("external_id")
    first_hash = dict(zip(first["external_id"], first["content_hash"], strict=True))
    first_row = dict(zip(first["external_id"], first["row_number"], strict=True))
    expected = reused["external_id"].map(first_hash)
    conflict = pd.Series(False, index=frame.index)
    conflict[reused.index] = expected.notna() & (expected != reused["content_hash"])
    labels = pd.Series(
        {
            index: {
                "value": frame.at[index, "external_id"],
                "first_row": int(first_row[frame.at[index, "external_id"]]),
            }
            for index in frame.index[conflict.to_numpy(dtype=bool)]
        },
        dtype=object,
    )
    quarantine.add(frame, conflict, header, "conflicting_id", labels)
