"""Read paths over complaint cases: the place filter of the CLI, the public view, overdue counts.

The public view never selects personal columns or free text and shows each location as the centre of its
0.001° grid cell (about 100 m). The staff export is :mod:`data.exports`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, select

from data.categories import Taxonomy, load_taxonomy
from data.schema import ComplaintCase, ResponsibleUnit
from data.sla import FINAL_STATUSES, overdue_mask
from geo.address import fold

PUBLIC_GRID_DEGREES = 0.001


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
