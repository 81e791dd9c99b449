"""One case as its page and ``envmon complaints show`` present it: reports, files, record, urges, SLA clock.

:func:`load_case` applies the actor's unit scope on the server: a case outside it is :class:`CaseNotFoundError`,
the same answer as an id that does not exist. Reporters' names and phones are included only for the roles that
handle cases (operator, unit); the free-text and photos are staff-only anyway (the public results page reads
its own reviewed selection).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from data.case_actions import Actor, CaseNotFoundError, default_policy
from data.corroboration_report import load_air_stations, load_observations
from data.i18n.formats import is_missing
from data.schema import (
    CaseAttachment,
    CaseStatusChange,
    CaseUrge,
    ComplaintCase,
    ComplaintReport,
    MediaObject,
    ResponsibleUnit,
)
from data.sla import SlaPolicy, accept_late_mask, is_open, open_mask, overdue_mask
from data.unit_queue import with_clock
from data.workflow import NOT_ACCEPTED, TRANSFERRED, allowed_actions
from geo.corroboration import CORROBORABLE_CATEGORIES, WINDOW, corroborate_complaints

PERSONAL_DATA_ROLES = ("operator", "unit")
NEARBY_RADIUS_M = 300.0
NEARBY_LIMIT = 10
_M_PER_DEG_LAT = 110_574.0


@dataclass(frozen=True)
class UnitRef:
    """A responsible unit by id, code and name."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Attachment:
    """A file on the case: with a report (``report_id``) or as evidence of a record entry (``history_id``)."""

    id: int
    sha256: str
    mime: str
    kind: str
    original_name: str
    purpose: str
    is_public: bool
    has_thumbnail: bool
    report_id: int | None
    history_id: int | None
    uploaded_by: str
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class Report:
    """One linked report (reporter fields None unless the actor's role handles cases)."""

    id: int
    channel: str
    source: str
    external_id: str
    reported_at: dt.datetime
    category_raw: str
    description: str
    address: str
    lat: float | None
    lon: float | None
    location_method: str
    location_from_photo: bool
    reporter_name: str | None
    reporter_phone: str | None


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of the record: who, when, from which status to which, the note, the unit, the files."""

    id: int
    from_status: str
    to_status: str
    at: dt.datetime
    actor: str
    note: str
    unit: UnitRef | None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Urge:
    """An urge or escalation shown on the case (``case_id`` None: it was on the unit's whole overdue list)."""

    id: int
    case_id: int | None
    unit: UnitRef | None
    kind: str
    actor: str
    note: str
    at: dt.datetime
    delivered_via: str | None
    delivered_at: dt.datetime | None


@dataclass(frozen=True)
class SlaClock:
    """Deadlines and where the case stands at ``now``: working hours to the next deadline (negative: overdue by)."""

    accept_due_at: dt.datetime | None
    due_at: dt.datetime | None
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    open: bool
    overdue: bool
    accept_late: bool
    deadline: str | None  # "accept" | "resolve": the deadline the hours count to (None when closed)
    working_hours_left: float | None


@dataclass(frozen=True)
class NearbyCase:
    """An open case within :data:`NEARBY_RADIUS_M` of this one."""

    id: int
    category_code: str
    status: str
    distance_m: float


@dataclass(frozen=True)
class Corroboration:
    """Station evidence for a smoke/dust/odour case: the nearest air station within reach and, when it exceeded
    a limit or a poor AQI within the window around the case's opening, that exceedance
    (:mod:`geo.corroboration`)."""

    station_id: str | None
    distance_m: float | None
    corroborated: bool
    parameter: str | None
    value: float | None
    limit: float | None
    aqi_category: int | None
    observed_at: dt.datetime | None


@dataclass(frozen=True)
class CaseDetail:
    """Everything the case page shows (see the module docstring)."""

    id: int
    version: int
    status: str
    category_code: str
    priority: str
    title: str
    lat: float | None
    lon: float | None
    set_name: str | None
    ward_code: str | None
    ward_name: str | None
    district: str | None
    unit: UnitRef | None
    assignee: str | None
    reopen_count: int
    result_note: str
    result_public: bool
    merged_into_id: int | None
    opened_at: dt.datetime
    last_report_at: dt.datetime
    report_count: int
    clock: SlaClock
    reports: tuple[Report, ...]
    attachments: tuple[Attachment, ...]
    history: tuple[HistoryEntry, ...]
    urges: tuple[Urge, ...]
    nearby: tuple[NearbyCase, ...]
    corroboration: Corroboration | None  # None: not a category stations can corroborate, or not located
    last_transfer: HistoryEntry | None  # None: routed by the routing table (ward + category) and never moved
    allowed_actions: tuple[str, ...] = field(default=())


def load_case(
    engine: Engine,
    case_id: int,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    policy: SlaPolicy | None = None,
    include_personal: bool | None = None,
) -> CaseDetail:
    """Case ``case_id`` as ``actor`` may see it; :class:`CaseNotFoundError` when missing or out of scope.

    Reporters' names and phones come with it when ``include_personal`` says so (None: when the actor's role
    handles cases, :data:`PERSONAL_DATA_ROLES`).
    """
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        case = conn.execute(select(ComplaintCase.__table__).where(ComplaintCase.id == case_id)).first()
        if case is None or not actor.sees(case.unit_id):
            raise CaseNotFoundError(case_id)
        units = _units(conn)
        attachments = _attachments(conn, case_id)
        by_entry: dict[int, list[Attachment]] = {}
        for attachment in attachments:
            if attachment.history_id is not None:
                by_entry.setdefault(attachment.history_id, []).append(attachment)
        history = tuple(
            HistoryEntry(
                row.id,
                row.from_status or "",
                row.to_status,
                row.at,
                row.actor,
                row.note,
                units.get(row.unit_id),
                tuple(by_entry.get(row.id, ())),
            )
            for row in conn.execute(
                select(CaseStatusChange.__table__)
                .where(CaseStatusChange.case_id == case_id)
                .order_by(CaseStatusChange.at, CaseStatusChange.id)
            )
        )
        urges = tuple(
            Urge(
                row.id,
                row.case_id,
                units.get(row.unit_id),
                row.kind,
                row.actor,
                row.note,
                row.at,
                row.delivered_via,
                row.delivered_at,
            )
            for row in conn.execute(
                select(CaseUrge.__table__).where(CaseUrge.case_id == case_id).order_by(CaseUrge.at, CaseUrge.id)
            )
        )
        personal = actor.role in PERSONAL_DATA_ROLES if include_personal is None else include_personal
        reports = _reports(conn, case_id, personal)
        nearby = _nearby(conn, case, actor)
    transfers = [entry for entry in history if entry.to_status == TRANSFERRED]
    return CaseDetail(
        id=case.id,
        version=case.version,
        status=case.status,
        category_code=case.category_code,
        priority=case.priority,
        title=case.title,
        lat=case.lat,
        lon=case.lon,
        set_name=case.set_name,
        ward_code=case.ward_code,
        ward_name=case.ward_name,
        district=case.district,
        unit=units.get(case.unit_id),
        assignee=case.assignee,
        reopen_count=case.reopen_count,
        result_note=case.result_note,
        result_public=case.result_public,
        merged_into_id=case.merged_into_id,
        opened_at=case.opened_at,
        last_report_at=case.last_report_at,
        report_count=case.report_count,
        clock=sla_clock(case, now, policy or default_policy()),
        reports=reports,
        attachments=attachments,
        history=history,
        urges=urges,
        nearby=nearby,
        corroboration=corroboration(engine, case),
        last_transfer=transfers[-1] if transfers else None,
        allowed_actions=allowed_actions(case.status, actor.role),
    )


def sla_clock(case: Any, now: dt.datetime, policy: SlaPolicy) -> SlaClock:
    """The SLA clock of one case row at ``now``: the one overdue rule of :mod:`data.sla`, and the deadline and
    working hours left the unit queue shows (:func:`data.unit_queue.with_clock`)."""
    status, accept_due, due = case.status, case.accept_due_at, case.due_at
    overdue = bool(overdue_mask([status], [accept_due], [due], now)[0])
    accept_late = bool(accept_late_mask([status], [accept_due], now)[0])
    is_open = bool(open_mask([status])[0])
    deadline, hours = None, None
    if is_open:
        row = with_clock(
            pd.DataFrame({"status": [status], "accept_due_at": [accept_due], "due_at": [due]}), now, policy
        )
        target, left = row["deadline"].iloc[0], row["hours_left"].iloc[0]
        if not pd.isna(target):
            deadline = "accept" if status == NOT_ACCEPTED and target == pd.Timestamp(accept_due) else "resolve"
            hours = round(float(left), 1)
    return SlaClock(accept_due, due, case.accepted_at, case.resolved_at, is_open, overdue, accept_late, deadline, hours)


def corroboration(engine: Engine, case: Any) -> Corroboration | None:
    """Station evidence for one located case of a corroborable category (None otherwise)."""
    if case.category_code not in CORROBORABLE_CATEGORIES or case.lat is None or case.lon is None:
        return None
    complaint = pd.DataFrame(
        {"id": [case.id], "lat": [case.lat], "lon": [case.lon], "category_code": [case.category_code],
         "reported_at": pd.to_datetime([case.opened_at], utc=True)}
    )  # fmt: skip
    observations = load_observations(engine, case.opened_at - WINDOW, case.opened_at + WINDOW)
    row = corroborate_complaints(complaint, observations, stations=load_air_stations(engine)).iloc[0]
    plain = {key: None if is_missing(value) else value for key, value in row.items()}
    return Corroboration(
        plain["station_id"],
        None if plain["distance_m"] is None else float(plain["distance_m"]),
        bool(plain["corroborated"]),
        plain["parameter"],
        None if plain["value"] is None else float(plain["value"]),
        None if plain["limit"] is None else float(plain["limit"]),
        None if plain["aqi_category"] is None else int(plain["aqi_category"]),
        None if plain["observed_at"] is None else pd.Timestamp(plain["observed_at"]).to_pydatetime(),
    )


def _units(conn: Connection) -> dict[int, UnitRef]:
    rows = conn.execute(select(ResponsibleUnit.id, ResponsibleUnit.code, ResponsibleUnit.name))
    return {row.id: UnitRef(row.id, row.code, row.name) for row in rows}


def _attachments(conn: Connection, case_id: int) -> tuple[Attachment, ...]:
    rows = conn.execute(
        select(CaseAttachment.__table__, MediaObject.mime, MediaObject.kind, MediaObject.has_thumbnail)
        .join(MediaObject, MediaObject.sha256 == CaseAttachment.sha256)
        .where(CaseAttachment.case_id == case_id)
        .order_by(CaseAttachment.uploaded_at, CaseAttachment.id)
    )
    return tuple(
        Attachment(
            row.id,
            row.sha256,
            row.mime,
            row.kind,
            row.original_name,
            row.purpose,
            bool(row.is_public),
            bool(row.has_thumbnail),
            row.report_id,
            row.history_id,
            row.uploaded_by,
            row.uploaded_at,
        )
        for row in rows
    )


def _reports(conn: Connection, case_id: int, personal: bool) -> tuple[Report, ...]:
    rows = conn.execute(
        select(ComplaintReport.__table__)
        .where(ComplaintReport.case_id == case_id)
        .order_by(ComplaintReport.reported_at, ComplaintReport.id)
    )
    return tuple(
        Report(
            row.id,
            row.channel,
            row.source,
            row.external_id,
            row.reported_at,
            row.category_raw,
            row.description,
            row.address,
            row.lat,
            row.lon,
            row.location_method,
            bool(row.location_from_photo),
            row.reporter_name if personal else None,
            row.reporter_phone if personal else None,
        )
        for row in rows
    )


def _nearby(conn: Connection, case: Any, actor: Actor) -> tuple[NearbyCase, ...]:
    """Open cases within :data:`NEARBY_RADIUS_M` in the actor's scope, nearest first (a bounding box in SQL)."""
    lat, lon = case.lat, case.lon
    if lat is None or lon is None:
        return ()
    dlat = NEARBY_RADIUS_M / _M_PER_DEG_LAT
    dlon = NEARBY_RADIUS_M / (111_320.0 * math.cos(math.radians(lat)))
    query = select(
        ComplaintCase.id, ComplaintCase.category_code, ComplaintCase.status, ComplaintCase.lat, ComplaintCase.lon
    ).where(
        is_open(),
        ComplaintCase.id != case.id,
        ComplaintCase.lat.between(lat - dlat, lat + dlat),
        ComplaintCase.lon.between(lon - dlon, lon + dlon),
    )
    if actor.unit_ids is not None:
        query = query.where(ComplaintCase.unit_id.in_(sorted(actor.unit_ids)))
    rows = conn.execute(query).all()
    if not rows:
        return ()
    north = (np.array([row.lat for row in rows]) - lat) * _M_PER_DEG_LAT
    east = (np.array([row.lon for row in rows]) - lon) * 111_320.0 * math.cos(math.radians(lat))
    distance = np.hypot(north, east)
    order = [index for index in np.argsort(distance) if distance[index] <= NEARBY_RADIUS_M][:NEARBY_LIMIT]
    return tuple(
        NearbyCase(rows[i].id, rows[i].category_code, rows[i].status, round(float(distance[i]), 0)) for i in order
    )
