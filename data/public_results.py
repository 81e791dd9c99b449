"""What the public may see of case handling: the one query behind the public results page, the published
results pages of the static site and the Open311 ``requests`` output.

Per case: category, status, received and resolved dates, the responsible unit, the ward, the location moved to the
centre of its ~100 m cell (:data:`data.queries.PUBLIC_CELL_DEG`, the cells of the public heat layer), the result
note only when an operator or the unit marked it public (``complaint_cases.result_public``) and the first "after"
photo marked public (``case_attachments.is_public``). Never published: a reporter's name or phone, a report's
text or address, the title (written from the citizen's text), history notes, or any photo not reviewed.
Cases hidden from the public (``complaint_cases.is_public`` false) and merged duplicates are left out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Final

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Integer, and_, cast, func, select, type_coerce
from sqlalchemy.sql import Select

from data.dialect import driver_time_type
from data.frames import read_frame
from data.queries import PUBLIC_CELL_DEG
from data.schema import CaseAttachment, CaseStatusChange, ComplaintCase, MediaObject, ResponsibleUnit
from data.workflow import CLOSED_STATUSES

PUBLIC_COLUMNS: Final = (
    "id",
    "category_code",
    "status",
    "opened_at",
    "resolved_at",
    "due_at",
    "updated_at",
    "ward_code",
    "ward_name",
    "district",
    "unit",
    "result_note",
    "photo",
    "lat",
    "lon",
)
"""Every column a public surface may show; nothing else leaves this module."""

PHOTO_FOLDER: Final = "results/photos"
"""Where the published site keeps the thumbnails of public photos (``<sha256>.jpg``), from the site root."""

MAX_RESULTS: Final = 1000
"""At most this many cases per answer (newest first)."""


@dataclass(frozen=True)
class PublicFilter:
    """Which public cases: by id (wins over every other filter), ward, category, opening time, open/closed."""

    ids: tuple[int, ...] = ()
    ward_code: str | None = None
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: str | None = None  # "open" | "closed"
    limit: int = MAX_RESULTS


def coarsen(degrees: pd.Series) -> pd.Series:
    """Latitudes or longitudes moved to the centre of their public ``PUBLIC_CELL_DEG`` cell (as the heat layer)."""
    per_degree = round(1 / PUBLIC_CELL_DEG)
    return (pd.to_numeric(degrees, errors="coerce").astype(float) * per_degree).round() / per_degree


def _listed() -> ColumnElement[bool]:
    """The cases public surfaces list: not hidden from the public, not merged into another case."""
    return and_(ComplaintCase.is_public.is_(True), ComplaintCase.merged_into_id.is_(None))


def _public_photo() -> Select:  # type: ignore[type-arg]
    """Per case, the first reviewed-public "after" photo (with its thumbnail) — never an un-reviewed file."""
    first = (
        select(CaseAttachment.case_id, func.min(CaseAttachment.id).label("attachment_id"))
        .join(MediaObject, MediaObject.sha256 == CaseAttachment.sha256)
        .where(
            CaseAttachment.purpose == "after",
            CaseAttachment.is_public.is_(True),
            MediaObject.kind == "photo",
            MediaObject.has_thumbnail.is_(True),
        )
        .group_by(CaseAttachment.case_id)
        .subquery()
    )
    chosen = CaseAttachment.id == first.c.attachment_id
    return select(first.c.case_id, CaseAttachment.sha256).join(CaseAttachment, chosen)


def _query(engine: Engine, flt: PublicFilter) -> Select:  # type: ignore[type-arg]
    case = ComplaintCase
    raw = driver_time_type(engine)
    photo = _public_photo().subquery()
    changed = (
        select(CaseStatusChange.case_id, func.max(CaseStatusChange.at).label("changed_at"))
        .group_by(CaseStatusChange.case_id)
        .subquery()
    )
    stmt = (
        select(
            case.id,
            case.category_code,
            case.status,
            type_coerce(case.opened_at, raw).label("opened_at"),
            type_coerce(case.resolved_at, raw).label("resolved_at"),
            type_coerce(case.due_at, raw).label("due_at"),
            type_coerce(changed.c.changed_at, raw).label("changed_at"),
            case.ward_code,
            case.ward_name,
            case.district,
            ResponsibleUnit.name.label("unit"),
            case.result_note,
            case.result_public,
            photo.c.sha256.label("photo"),
            case.lat,
            case.lon,
        )
        .outerjoin(ResponsibleUnit, ResponsibleUnit.id == case.unit_id)
        .outerjoin(photo, photo.c.case_id == case.id)
        .outerjoin(changed, changed.c.case_id == case.id)
        .where(_listed())
    )
    if flt.ids:
        return stmt.where(case.id.in_(flt.ids))
    if flt.ward_code is not None:
        stmt = stmt.where(case.ward_code == flt.ward_code)
    if flt.service_codes:
        stmt = stmt.where(case.category_code.in_(flt.service_codes))
    if flt.start:
        stmt = stmt.where(case.opened_at >= flt.start)
    if flt.end:
        stmt = stmt.where(case.opened_at <= flt.end)
    if flt.status == "open":
        stmt = stmt.where(case.status.not_in(CLOSED_STATUSES))
    elif flt.status == "closed":
        stmt = stmt.where(case.status.in_(CLOSED_STATUSES))
    return stmt


def public_results(engine: Engine, flt: PublicFilter) -> pd.DataFrame:
    """The public cases of ``flt``, newest first, in :data:`PUBLIC_COLUMNS` (times UTC, text never NaN)."""
    stmt = _query(engine, flt).order_by(ComplaintCase.opened_at.desc(), ComplaintCase.id.desc()).limit(flt.limit)
    frame = read_frame(engine, stmt)
    if frame.empty:
        return pd.DataFrame({column: [] for column in PUBLIC_COLUMNS})
    for column in ("opened_at", "resolved_at", "due_at", "changed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame["updated_at"] = frame[["opened_at", "changed_at", "resolved_at"]].max(axis=1)
    public_note = frame["result_public"].astype(bool)
    frame["result_note"] = frame["result_note"].where(public_note, "").fillna("").astype(str)
    frame["photo"] = frame["photo"].astype(object).where(frame["photo"].notna(), None)
    for column in ("ward_code", "ward_name", "district", "unit"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame["lat"], frame["lon"] = coarsen(frame["lat"]), coarsen(frame["lon"])
    return frame[list(PUBLIC_COLUMNS)].reset_index(drop=True)


def public_wards(engine: Engine) -> pd.DataFrame:
    """Wards with public cases: ``ward_code``, ``ward_name``, ``district``, ``cases`` (by name)."""
    case = ComplaintCase
    stmt = (
        select(
            case.ward_code,
            func.max(case.ward_name).label("ward_name"),
            func.max(case.district).label("district"),
            func.count().label("cases"),
        )
        .where(_listed(), case.ward_code.is_not(None))
        .group_by(case.ward_code)
    )
    frame = read_frame(engine, stmt)
    if frame.empty:
        return pd.DataFrame({"ward_code": [], "ward_name": [], "district": [], "cases": []})
    frame["ward_name"] = frame["ward_name"].fillna(frame["ward_code"]).astype(str)
    frame["district"] = frame["district"].astype(object).where(frame["district"].notna(), None)
    return frame.sort_values(["ward_name", "ward_code"]).reset_index(drop=True)


def public_results_version(engine: Engine) -> str:
    """A fingerprint of the public results data, to rebuild the published site only after a change of them.

    Three cheap aggregate queries (0.2 s over 200,000 cases on SQLite, rather than hashing every row), each
    following how the product changes what :func:`public_results` and :func:`public_wards` answer:
    the listed cases' count and id sum (a case added, hidden or merged away), their version sum (every case action
    moves a version up: accept, resolve, transfer, reopen, merge…), the count and id sum of those whose note is
    marked public, the count and attachment-id sum of each case's first public "after" photo (the review marks),
    and every unit's name (a rename shows on its cases). Two review changes cancelling each other in every sum
    within one publisher round would go unseen until the publisher's periodic rebuild.
    """
    listed = select(
        func.count(),
        func.sum(ComplaintCase.id),
        func.sum(ComplaintCase.version),
        func.sum(cast(ComplaintCase.result_public, Integer)),
        func.sum(cast(ComplaintCase.result_public, Integer) * ComplaintCase.id),
    ).where(_listed())
    first_photos = _public_photo().with_only_columns(CaseAttachment.id).subquery()
    photos = select(func.count(), func.sum(first_photos.c.id))
    units = select(ResponsibleUnit.id, ResponsibleUnit.name).order_by(ResponsibleUnit.id)
    with engine.connect() as conn:
        parts = [tuple(conn.execute(listed).one()), tuple(conn.execute(photos).one()), *conn.execute(units).all()]
    return hashlib.sha256(repr([tuple(part) for part in parts]).encode("utf-8")).hexdigest()
