"""Every export the product writes for people: one complaint export definition, CSV with formulas neutralised.

:func:`reports_frame` selects the reports an analyst's filter (:class:`data.case_filter.CaseFilter`) covers and
:func:`export_table` shows them as people read them; the dashboard download and ``envmon complaints export`` both
use them, so both files have the same rows, columns, labels and local times.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``). Following OWASP's
"CSV Injection" advice such a cell gets a leading apostrophe, whatever the column's dtype (``object``, pandas 3
``str``, ``string``, ``category``); numeric, boolean and time columns hold no text and are written as they are.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Final

import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import Engine, select
from sqlalchemy import case as sql_case

from data.case_filter import CaseFilter
from data.categories import Taxonomy, load_taxonomy
from data.corroboration_report import corroboration_report
from data.i18n import label_in, translate
from data.schema import ComplaintCase, ComplaintReport, ResponsibleUnit
from data.sla import is_overdue

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


# --- the complaint export: one definition for the dashboard download and `envmon complaints export` ----------


@dataclass(frozen=True)
class _Column:
    """One exported column: its source column in :func:`reports_frame` and how its cells are shown."""

    source: str
    kind: str = "text"  # text | number | time | category | status | priority | method | flags | yes_no
    with_code: bool = False  # a second column with the raw code follows the label


EXPORT_COLUMNS: Final = (
    _Column("case_id", "number"),
    _Column("title"),
    _Column("source"),
    _Column("source_report_id"),
    _Column("reported_at", "time"),
    _Column("channel"),
    _Column("category_code", "category", with_code=True),
    _Column("category_raw"),
    _Column("description"),
    _Column("address"),
    _Column("lat", "number"),
    _Column("lon", "number"),
    _Column("location_method", "method", with_code=True),
    _Column("flags", "flags", with_code=True),
    _Column("set_name"),
    _Column("ward_name"),
    _Column("ward_code"),
    _Column("former_district"),
    _Column("status", "status", with_code=True),
    _Column("priority", "priority", with_code=True),
    _Column("unit_name"),
    _Column("unit_code"),
    _Column("report_count", "number"),
    _Column("opened_at", "time"),
    _Column("due_at", "time"),
    _Column("overdue", "yes_no"),
    _Column("resolved_at", "time"),
    _Column("corroborated", "yes_no"),
    _Column("corroborating_station"),
)
PERSONAL_EXPORT_COLUMNS: Final = (_Column("reporter_name"), _Column("reporter_phone"))


def reports_frame(
    engine: Engine,
    flt: CaseFilter,
    *,
    reported_since: dt.datetime | None = None,
    reported_until: dt.datetime | None = None,
    include_personal: bool = False,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """One row per report of the cases ``flt`` selects (codes, UTC times), with case, ward, unit and corroboration.

    A channel filter keeps only the reports that came in by those channels. ``reported_since`` (inclusive) and
    ``reported_until`` (exclusive) bound the report time. Reporter name and phone only with ``include_personal``.
    ``overdue`` is the case's state at ``now`` (default the current time) by :func:`data.sla.is_overdue`.
    """
    report, case, unit = ComplaintReport.__table__, ComplaintCase.__table__, ResponsibleUnit.__table__
    columns = [
        report.c.source,
        report.c.external_id.label("source_report_id"),
        case.c.id.label("case_id"),
        case.c.title,
        report.c.reported_at,
        report.c.channel,
        case.c.category_code,  # a case gathers reports of one category; the filters and corroboration use it
        report.c.category_raw,
        report.c.description,
        report.c.address,
        report.c.lat,
        report.c.lon,
        report.c.location_method,
        report.c.flags,
        case.c.set_name,
        case.c.ward_code,
        case.c.ward_name,
        case.c.district.label("former_district"),
        case.c.status,
        case.c.priority,
        unit.c.code.label("unit_code"),
        unit.c.name.label("unit_name"),
        case.c.report_count,
        case.c.opened_at,
        case.c.due_at,
        case.c.resolved_at,
        sql_case((is_overdue(now or dt.datetime.now(dt.UTC)), True), else_=False).label("overdue"),
    ]
    if include_personal:
        columns += [report.c.reporter_name, report.c.reporter_phone]
    query = select(*columns).select_from(
        report.join(case, report.c.case_id == case.c.id).outerjoin(unit, case.c.unit_id == unit.c.id)
    )
    conditions = flt.conditions()
    if flt.channels:
        conditions.append(report.c.channel.in_(flt.channels))
    if reported_since is not None:
        conditions.append(report.c.reported_at >= reported_since)
    if reported_until is not None:
        conditions.append(report.c.reported_at < reported_until)
    with engine.connect() as conn:
        rows = conn.execute(query.where(*conditions).order_by(report.c.reported_at, report.c.id)).all()
    frame = pd.DataFrame(rows, columns=[column.name for column in columns])
    frame["overdue"] = frame["overdue"].astype(bool)
    for name in ("reported_at", "opened_at", "due_at", "resolved_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return with_corroboration(engine, frame)


def with_corroboration(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``corroborated`` (True/False, None where sensors cannot confirm the category) and the station that did.

    A smoke, dust or odour case is corroborated when its nearest air station within 3 km exceeded its AQI
    category threshold within ±3 h of the case (see :mod:`geo.corroboration`, :mod:`data.corroboration_report`).
    """
    if frame.empty:
        return frame.assign(corroborated=None, corroborating_station=None)
    times = pd.to_datetime(frame["reported_at"], utc=True)
    since = times.min().to_pydatetime() - dt.timedelta(days=3)  # a case opens at its first report
    until = times.max().to_pydatetime() + dt.timedelta(seconds=1)
    evidence = corroboration_report(engine, since, until).set_index("id")
    applicable = frame["case_id"].map(evidence["applicable"]).eq(True)
    corroborated = frame["case_id"].map(evidence["corroborated"]).eq(True)
    return frame.assign(
        corroborated=corroborated.astype(object).where(applicable, None),
        corroborating_station=frame["case_id"].map(evidence["station_id"]).where(corroborated, None),
    )


def export_table(frame: pd.DataFrame, language: str, timezone: str) -> pd.DataFrame:
    """The export of :func:`reports_frame` rows as people read it: headers and labels in ``language``, local times.

    Coded columns (category, location method, flags, status, priority) show a label followed by a column with the
    code; times are ISO 8601 in ``timezone`` with their offset; missing values are empty cells, never ``nan``.
    """
    taxonomy = load_taxonomy()
    columns = EXPORT_COLUMNS + (PERSONAL_EXPORT_COLUMNS if "reporter_name" in frame.columns else ())
    out: dict[str, list[object]] = {}
    for column in columns:
        values = frame[column.source] if column.source in frame.columns else pd.Series([None] * len(frame))
        header = translate(f"export.{column.source}", language)
        out[header] = _cells(values, column.kind, language, timezone, taxonomy)
        if column.with_code:
            out[translate("export.code_of", language, column=header)] = [_code_text(v) for v in values]
    return pd.DataFrame(out)


def _cells(values: pd.Series, kind: str, language: str, timezone: str, taxonomy: Taxonomy) -> list[object]:
    if kind == "time":
        local = pd.to_datetime(values, utc=True).dt.tz_convert(timezone)
        return [None if pd.isna(moment) else moment.isoformat() for moment in local]
    if kind == "number":
        return [None if _missing(value) else round(value, 6) for value in values]  # 6 decimals: 0.1 m
    if kind == "flags":
        return [", ".join(label_in("export.flag", flag, language) for flag in flags or []) for flags in values]
    labels = {
        "category": lambda code: taxonomy.name(code, language) if code in taxonomy.categories else code,
        "status": lambda code: label_in("status", code, language),
        "priority": lambda code: label_in("export.priority", code, language),
        "method": lambda code: label_in("export.method", code, language),
        "yes_no": lambda flag: translate("export.yes" if flag else "export.no", language),
        "text": str,
    }[kind]
    return [None if _missing(value) else labels(value) for value in values]


def _code_text(value: object) -> object:
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return None if _missing(value) else value


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, list | tuple | str) and bool(pd.isna(value)))


def export_csv(frame: pd.DataFrame, language: str, timezone: str) -> str:
    """The reports of :func:`reports_frame` as CSV text in ``language`` (see :func:`export_table`)."""
    return csv_text(export_table(frame, language, timezone))


def export_geojson(frame: pd.DataFrame, language: str, timezone: str) -> str:
    """The same export as a GeoJSON FeatureCollection (null geometry where a report has no coordinates)."""
    table = export_table(frame, language, timezone)
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    features = []
    for lat, lon, properties in zip(frame["lat"], frame["lon"], records, strict=True):
        located = not (_missing(lat) or _missing(lon))
        geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]} if located else None
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, allow_nan=False)
