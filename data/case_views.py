"""Read paths over complaint cases: staff export (CSV/GeoJSON), the public view, overdue counts, SLA signals.

The public view never selects personal columns or free text and shows each location as the centre of its
0.001° grid cell (about 100 m). The staff export leaves personal data out unless explicitly asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, select

from data.categories import Taxonomy, load_taxonomy
from data.config import DEFAULT_TIMEZONE
from data.exports import csv_text
from data.schema import ComplaintCase, ComplaintReport, ResponsibleUnit
from data.sla import FINAL_STATUSES, overdue_mask
from geo.address import fold

PUBLIC_GRID_DEGREES = 0.001
PERSONAL_COLUMNS = ("reporter_name", "reporter_phone")


@dataclass(frozen=True)
class CaseFilter:
    """Filters shared by the export and the views (all optional; names match without accents)."""

    district: str | None = None
    ward: str | None = None
    category: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self, query: Select[Any], category: ColumnElement[Any], time: ColumnElement[Any]) -> Select[Any]:
        """``query`` restricted by category and the ``since`` (inclusive) .. ``until`` (exclusive) window."""
        if self.category:
            query = query.where(category == self.category)
        if self.since:
            query = query.where(time >= self.since)
        if self.until:
            query = query.where(time < self.until)
        return query

    def by_place(self, frame: pd.DataFrame, district_column: str) -> pd.DataFrame:
        """Rows of ``frame`` in the requested former district and ward (code or name)."""
        if self.district:
            frame = frame[_name_matches(frame[district_column], self.district)]
        if self.ward:
            frame = frame[(frame["ward_code"] == self.ward) | _name_matches(frame["ward_name"], self.ward)]
        return frame.reset_index(drop=True)


def _name_matches(values: pd.Series, wanted: str) -> pd.Series:
    """Folded equality, ignoring a leading unit word (quận, huyện, thị xã, phường, xã)."""
    target = _strip_unit(fold(wanted))
    return values.fillna("").map(lambda value: _strip_unit(fold(str(value))) == target).astype(bool)


def _strip_unit(folded: str) -> str:
    for prefix in ("quan ", "huyen ", "thi xa ", "phuong ", "xa ", "thi tran "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def reports_frame(engine: Engine, filters: CaseFilter, *, include_personal: bool = False) -> pd.DataFrame:
    """One row per report with its case, ward, former district, unit and status (staff view)."""
    report, case, unit = ComplaintReport.__table__, ComplaintCase.__table__, ResponsibleUnit.__table__
    columns = [
        report.c.source,
        report.c.external_id.label("source_report_id"),
        case.c.id.label("case_id"),
        report.c.reported_at,
        report.c.channel,
        report.c.category_code,
        report.c.category_raw,
        report.c.description,
        report.c.address,
        report.c.lat,
        report.c.lon,
        report.c.location_method,
        report.c.flags,
        case.c.ward_code,
        case.c.ward_name,
        case.c.district.label("former_district"),
        case.c.status,
        case.c.priority,
        unit.c.code.label("unit_code"),
        unit.c.name.label("unit_name"),
        case.c.report_count,
        case.c.due_at,
        case.c.resolved_at,
    ]
    if include_personal:
        columns += [report.c.reporter_name, report.c.reporter_phone]
    query = select(*columns).select_from(
        report.join(case, report.c.case_id == case.c.id).outerjoin(unit, case.c.unit_id == unit.c.id)
    )
    query = filters.where(query, report.c.category_code, report.c.reported_at)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(report.c.reported_at, report.c.id)).all()
    frame = pd.DataFrame(rows, columns=[column.name for column in columns])
    return filters.by_place(frame, "former_district")


def _with_local_times(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Copy of ``frame`` with every timestamp column as ISO 8601 text in local time (``+07:00``)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            local = values.dt.tz_convert(timezone)
            out[column] = [None if pd.isna(moment) else moment.isoformat() for moment in local]
    return out


def export_csv(frame: pd.DataFrame, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The reports as CSV text (UTF-8, local ISO times); free text kept literally, formula-like cells neutralised."""
    out = _with_local_times(frame, timezone)
    out["flags"] = out["flags"].map(lambda flags: ";".join(flags or []))
    return csv_text(out)


def export_geojson(frame: pd.DataFrame, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The reports as a GeoJSON FeatureCollection (null geometry where a report has no coordinates)."""
    features = []
    out = _with_local_times(frame, timezone)
    for row in out.astype(object).where(out.notna(), None).to_dict("records"):
        lon, lat = row.pop("lon"), row.pop("lat")
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lon is not None and lat is not None else None
        features.append({"type": "Feature", "geometry": geometry, "properties": row})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def public_cases(engine: Engine, filters: CaseFilter | None = None, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Cases for public pages: category, ward, status, counts, dates, location as its 0.001° cell centre.

    No reporter data and no free text (title, description, address) are selected.
    """
    filters = filters or CaseFilter()
    taxonomy = taxonomy or load_taxonomy()
    case = ComplaintCase.__table__
    columns = [
        case.c.id,
        case.c.category_code,
        case.c.ward_code,
        case.c.ward_name,
        case.c.district,
        case.c.status,
        case.c.opened_at,
        case.c.resolved_at,
        case.c.report_count,
        case.c.lat,
        case.c.lon,
    ]
    query = filters.where(select(*columns).where(case.c.is_public.is_(True)), case.c.category_code, case.c.opened_at)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(case.c.id)).all()
    frame = filters.by_place(pd.DataFrame(rows, columns=[column.name for column in columns]), "district")
    frame["category"] = frame["category_code"].map(taxonomy.name)
    for column in ("lat", "lon"):
        cell = np.floor(frame[column].astype(float) / PUBLIC_GRID_DEGREES)
        frame[column] = ((cell + 0.5) * PUBLIC_GRID_DEGREES).round(4)
    return frame.reset_index(drop=True)


def open_cases(engine: Engine) -> pd.DataFrame:
    """Open cases with their deadlines and responsible unit (one row per case)."""
    case, unit = ComplaintCase.__table__, ResponsibleUnit.__table__
    query = (
        select(
            case.c.id,
            case.c.status,
            case.c.priority,
            case.c.category_code,
            case.c.ward_code,
            case.c.ward_name,
            case.c.accept_due_at,
            case.c.due_at,
            unit.c.code.label("unit_code"),
            unit.c.name.label("unit_name"),
        )
        .select_from(case.outerjoin(unit, case.c.unit_id == unit.c.id))
        .where(case.c.status.not_in(sorted(FINAL_STATUSES)))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    columns = [
        "id",
        "status",
        "priority",
        "category_code",
        "ward_code",
        "ward_name",
        "accept_due_at",
        "due_at",
        "unit_code",
        "unit_name",
    ]
    return pd.DataFrame(rows, columns=columns)


def overdue_by_unit(engine: Engine, now: dt.datetime) -> pd.DataFrame:
    """Open and overdue case counts per responsible unit, most overdue first."""
    frame = open_cases(engine)
    frame["overdue"] = overdue_mask(frame["status"], frame["accept_due_at"], frame["due_at"], now)
    frame["unit_code"] = frame["unit_code"].fillna("")
    frame["unit_name"] = frame["unit_name"].fillna("(chưa có đơn vị)")
    counts = frame.groupby(["unit_code", "unit_name"], as_index=False).agg(
        open_cases=("id", "size"), overdue=("overdue", "sum")
    )
    counts["overdue"] = counts["overdue"].astype(int)
    return counts.sort_values(["overdue", "open_cases"], ascending=False).reset_index(drop=True)
