"""Database schema (SQLAlchemy 2 declarative) shared by SQLite and PostgreSQL/PostGIS.

Times are stored as timezone-aware UTC (``UtcDateTime``). Geometries are shapely objects in Python; on
PostgreSQL they are PostGIS ``geometry`` columns with GiST indexes, on SQLite hex WKB text (joins then run
in Python, vectorised, see ``geo.join``). Point locations are plain ``lat``/``lon`` columns everywhere; on
PostGIS the migration adds a generated ``geom`` point column with a GiST index so the point-in-ward join can
run in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import shapely
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from data.dialect import is_postgresql

SRID = 4326


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A datetime that must be timezone-aware; stored and returned as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime {value!r} given where UTC is required"
            raise ValueError(msg)
        value = value.astimezone(dt.UTC)
        return value if is_postgresql(dialect) else value.replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class _PostgisGeometry(UserDefinedType[Any]):
    """The PostGIS ``geometry(<type>, 4326)`` column type (values travel as hex EWKB)."""

    cache_ok = True

    def __init__(self, geometry_type: str) -> None:
        self.geometry_type = geometry_type

    def get_col_spec(self, **_kw: Any) -> str:
        return f"geometry({self.geometry_type}, {SRID})"


class GeometryType(TypeDecorator[Any]):
    """Shapely geometry in EPSG:4326: PostGIS ``geometry`` on PostgreSQL, hex WKB text elsewhere."""

    impl = Text
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        super().__init__()
        self.geometry_type = geometry_type

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if is_postgresql(dialect):
            return dialect.type_descriptor(_PostgisGeometry(self.geometry_type))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        geom = shapely.set_srid(value, SRID)
        return shapely.to_wkb(geom, hex=True, include_srid=is_postgresql(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return shapely.from_wkb(value)


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is what Alembic migrates."""

    type_annotation_map = {dt.datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- boundaries -------------------------------------------------------------------------------------------


class BoundarySet(Base):
    """A versioned set of administrative units (e.g. Hà Nội wards after 1 July 2025)."""

    __tablename__ = "boundary_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    attribution: Mapped[str] = mapped_column(Text, default="")
    unit_count: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=_now)


class BoundaryUnit(Base):
    """One ward/commune of a boundary set, with its former (pre-2025) district."""

    __tablename__ = "boundary_units"
    __table_args__ = (UniqueConstraint("set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    unit_type: Mapped[str] = mapped_column(String(50), default="")
    district: Mapped[str | None] = mapped_column(String(200))
    districts: Mapped[list[Any]] = mapped_column(default=list)
    population: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(GeometryType("MULTIPOLYGON"))
    display_geom: Mapped[Any] = mapped_column(GeometryType("MULTIPOLYGON"))


# --- responsible units and routing ------------------------------------------------------------------------


class ResponsibleUnit(Base):
    """A body that handles cases (ward People's Committee, urban-environment company, inspectorate…)."""

    __tablename__ = "responsible_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(50), default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    # the supervising body a case escalates to when the unit lets it run overdue
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("responsible_units.id"))


class RoutingRule(Base):
    """ward + category → responsible unit; NULL ward or category means "any"; most specific rule wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str | None] = mapped_column(String(20))
    category_code: Mapped[str | None] = mapped_column(String(50))
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id"))


# --- imports and quarantine -------------------------------------------------------------------------------


class ImportBatch(Base):
    """One import run (a complaint file, a readings file or folder, a feed poll)."""

    __tablename__ = "import_batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[dt.datetime] = mapped_column(default=_now)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class QuarantineRow(Base):
    """An input row or file that was refused, with the reason naming the row and field."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(40))  # quarantine.<code> in data.i18n; None: older rows
    reason_params: Mapped[dict[str, Any] | None]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class IngestedFile(Base):
    """A station file already ingested (file name + content hash), so no file is ingested twice."""

    __tablename__ = "ingested_files"
    __table_args__ = (UniqueConstraint("filename", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str] = mapped_column(ForeignKey("import_batches.id"))
    status: Mapped[str] = mapped_column(String(20))


# --- complaints -------------------------------------------------------------------------------------------


class ComplaintCase(Base):
    """One incident; several reports from different channels may link to it."""

    __tablename__ = "complaint_cases"
    __table_args__ = (
        Index("ix_cases_ward_category", "ward_code", "category_code"),
        # covers the per-ward counts of the leaders' map (an index-only scan instead of a lookup per case)
        Index("ix_cases_ward_status", "ward_code", "set_name", "status", "due_at"),
        Index("ix_cases_opened", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(String(50))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    set_name: Mapped[str | None] = mapped_column(String(100))
    ward_code: Mapped[str | None] = mapped_column(String(20))
    ward_name: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(200))
    # no index on unit_id: no query selects cases by unit (units are joined to cases), and units are never deleted
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("responsible_units.id"))
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    title: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[dt.datetime]
    accept_due_at: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    last_report_at: Mapped[dt.datetime]
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    # case work: every action checks and bumps ``version`` (two people acting at once: the second is refused)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    assignee: Mapped[str | None] = mapped_column(String(100))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    result_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the result note may appear on the public results page only once an operator or the unit marked it so
    result_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_cases.id"))


class ComplaintReport(Base):
    """One report as received from a channel. Personal data sits in its own columns."""

    __tablename__ = "complaint_reports"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_cases.id"), index=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("import_batches.id"))  # no index: batches are never deleted
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(50), default="")
    category_raw: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[dt.datetime] = mapped_column(index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_method: Mapped[str] = mapped_column(String(20), default="none")
    flags: Mapped[list[Any]] = mapped_column(default=list)
    set_name: Mapped[str | None] = mapped_column(String(100))
    ward_code: Mapped[str | None] = mapped_column(String(20))  # ward filters go through the case
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(String(50))
    source_status: Mapped[str] = mapped_column(String(50), default="")
    # placed from the GPS position in the photo's EXIF because the report itself had no coordinates
    location_from_photo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CaseStatusChange(Base):
    """Every status change of a case, with time, actor and note (the written record)."""

    __tablename__ = "case_status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_cases.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("responsible_units.id"))


# --- case work: media, attachments, urges ----------------------------------------------------------------


class MediaObject(Base):
    """A stored photo, video or audio file, content-addressed by the SHA-256 of what is served (metadata stripped)."""

    __tablename__ = "media_objects"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # photo | video | audio
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]


class CaseAttachment(Base):
    """A media object attached to a case: with a report, or as evidence of an action (a history entry)."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_cases.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_reports.id"))
    history_id: Mapped[int | None] = mapped_column(ForeignKey("case_status_history.id"))
    sha256: Mapped[str] = mapped_column(ForeignKey("media_objects.sha256"))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    purpose: Mapped[str] = mapped_column(String(20))  # report | before | after | evidence
    # shown on the public results page only once reviewed and marked public by an operator or the unit
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[dt.datetime]


class CaseUrge(Base):
    """A leader's urge ("đôn đốc") or an automatic escalation, on one case or on a unit's overdue list."""

    __tablename__ = "case_urges"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # urge | escalation
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime]
    delivered_via: Mapped[str | None] = mapped_column(String(50))
    delivered_at: Mapped[dt.datetime | None]


# --- monitoring -------------------------------------------------------------------------------------------


class Station(Base):
    """An air or wastewater monitoring station, joined to a ward when its location is known."""

    __tablename__ = "stations"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # air | wastewater
    operator: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    located: Mapped[bool] = mapped_column(Boolean, default=False)
    set_name: Mapped[str | None] = mapped_column(String(100))
    ward_code: Mapped[str | None] = mapped_column(String(20))
    ward_name: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(200))
    grade: Mapped[str] = mapped_column(String(20), default="reference")  # reference | lowcost
    parameters: Mapped[list[Any]] = mapped_column(default=list)
    limit_profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(100), default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class Reading(Base):
    """One canonical reading, keyed by its natural key (station, parameter, observed_at).

    The natural key is the primary key (one b-tree, no surrogate id); SQLite stores it WITHOUT ROWID. There is
    deliberately no foreign key to ``stations``: the per-row check capped bulk ingest on PostgreSQL at a third of
    its speed, and the one write path (``monitoring.ingest.store_batch``) registers unknown stations in the same
    transaction before inserting.
    """

    __tablename__ = "readings"
    # PostgreSQL: monthly partitions, created and retired by data.partitions (SQLite: one plain table)
    __table_args__ = {"sqlite_with_rowid": False, "postgresql_partition_by": "RANGE (observed_at)"}

    station_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    observed_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(2), default="00")
    source: Mapped[str] = mapped_column(String(100), default="")
    batch_id: Mapped[str | None] = mapped_column(String(40))


class Average(Base):
    """Stored averages per station and parameter: period '1h', '8h', '24h' or '1d' (local day, the daily
    roll-up), labelled by the END time.

    Like ``readings`` it has no foreign key to ``stations`` (the per-row check made bulk writes 2–3× slower):
    its writers, ``store_batch`` (which registers unknown stations first) and the drain of ``monitoring.rollups``
    (stations already registered), keep to known stations.
    """

    __tablename__ = "averages"
    __table_args__ = {"postgresql_partition_by": "RANGE (period_end)"}  # monthly partitions, see data.partitions

    station_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    period_end: Mapped[dt.datetime] = mapped_column(primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    n_valid: Mapped[int] = mapped_column(Integer, default=0)
    n_expected: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[bool] = mapped_column(Boolean, default=False)


class WardAverage(Base):
    """Ward roll-ups: per boundary set, ward, station kind and parameter, the mean of the valid station means of
    an hour ('1h') or local day ('1d'), labelled by the period's END.

    ``n_valid`` counts the stations with a valid mean, ``n_expected`` those with any mean of the period. Written
    only by the pending-window drain (``monitoring.rollups``), from ``averages``.
    """

    __tablename__ = "ward_averages"

    set_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    period_end: Mapped[dt.datetime] = mapped_column(primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    n_valid: Mapped[int] = mapped_column(Integer, default=0)
    n_expected: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[bool] = mapped_column(Boolean, default=False)


class PendingWindow(Base):
    """Hours (after_hour, last_hour] of one station parameter whose readings changed and whose derived values (deferred
    rolling means, daily and ward roll-ups, AQI) are still to be recomputed.

    Written in the ingest transaction, deleted by the drain that recomputed them (``monitoring.rollups``), so a
    crash in between loses nothing. ``deferred``: the 8-h and 24-h means after ``last_hour`` were left out too.
    """

    __tablename__ = "pending_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[str] = mapped_column(String(100))
    parameter: Mapped[str] = mapped_column(String(30))
    after_hour: Mapped[dt.datetime]
    last_hour: Mapped[dt.datetime]
    deferred: Mapped[bool] = mapped_column(Boolean, default=False)
    queued_at: Mapped[dt.datetime]


class LatestReading(Base):
    """The newest stored reading of each station parameter (kept by ``store_batch``): the map's "latest value of
    every station" without scanning ``readings``."""

    __tablename__ = "latest_readings"

    station_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(30), primary_key=True)
    observed_at: Mapped[dt.datetime]
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(2))


class AqiValue(Base):
    """A computed AQI for a station, scale ('vn'|'us') and period ('hourly'|'daily')."""

    __tablename__ = "aqi_values"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    scale: Mapped[str] = mapped_column(String(5), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    period_end: Mapped[dt.datetime] = mapped_column(primary_key=True)
    aqi: Mapped[int] = mapped_column(Integer)
    category: Mapped[int] = mapped_column(Integer)
    dominant: Mapped[str] = mapped_column(String(30))
    beyond_scale: Mapped[bool] = mapped_column(Boolean, default=False)
    sub_indices: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FeedState(Base):
    """Checkpoint and health of one configured feed."""

    __tablename__ = "feed_state"

    feed: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_attempt_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    last_data_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class PollerLease(Base):
    """Which poller process holds a named job (a feed, the post-poll round) and until when (``data.leases``)."""

    __tablename__ = "poller_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime]
    acquired_at: Mapped[dt.datetime]


class ApiRateBucket(Base):
    """One API client's rate-limit bucket, shared by every API worker (``data.rate_limits``): the time (epoch
    seconds) at which its token bucket is full again."""

    __tablename__ = "api_rate_buckets"

    client: Mapped[str] = mapped_column(String(40), primary_key=True)
    full_at: Mapped[float] = mapped_column(Float)


# --- alerts -----------------------------------------------------------------------------------------------


class Alert(Base):
    """One alert instance, identified by (rule, subject)."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("rule_id", "subject", name="uq_alert_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="")
    severity: Mapped[str] = mapped_column(String(20), default="warning")
    state: Mapped[str] = mapped_column(String(20), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active_at: Mapped[dt.datetime | None]
    fired_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    last_condition_at: Mapped[dt.datetime | None]
    last_data_at: Mapped[dt.datetime | None]
    last_eval_at: Mapped[dt.datetime | None]
    state_since: Mapped[dt.datetime | None]
    ack_by: Mapped[str | None] = mapped_column(String(200))
    ack_note: Mapped[str | None] = mapped_column(Text)
    ack_at: Mapped[dt.datetime | None]
    ack_until: Mapped[dt.datetime | None]
    last_notified_at: Mapped[dt.datetime | None]
    last_notified_state: Mapped[str | None] = mapped_column(String(20))


class AlertSilence(Base):
    """No notifications, until ``ends_at``, for alerts matching every matcher (``rule_id``, ``kind``, ``subject``
    or a label such as ``station_id``, ``ward_code``, ``unit_code``); evaluation and history continue."""

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")


class AlertEvent(Base):
    """Alert history: state changes, acknowledgements, silences and notifications."""

    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    event: Mapped[str] = mapped_column(String(30))  # transition | ack | silence | notify
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(200), default="system")
    note: Mapped[str] = mapped_column(Text, default="")


# --- users ------------------------------------------------------------------------------------------------


class User(Base):
    """A dashboard user with a role (leader, analyst, operator, unit); password stored as an Argon2 hash.

    ``username`` is NFKC-normalised and case-folded; ``username_skeleton`` (unique) is its confusable skeleton, so
    ``Lead2`` or a Cyrillic ``lеad2`` cannot sit beside ``lead2``. ``failed_logins`` counts password checks not yet
    known to have succeeded (reserved before each check); enough of them set ``locked_until`` (see ``data.users``).
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    username_skeleton: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]


class UserUnit(Base):
    """Binds a ``unit`` account to a responsible unit whose cases it may see and act on (one row per unit)."""

    __tablename__ = "user_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id", ondelete="CASCADE"), primary_key=True)


class UserSession(Base):
    """A signed-in browser: only the SHA-256 of its cookie token is stored (see ``data.sessions``).

    The row is created at login with a one-time ``handoff_hash``; the browser exchanges that code for the cookie
    token (``token_hash`` set, handoff cleared). Idle expiry is ``last_seen_at`` + the idle timeout; ``expires_at``
    is the absolute end. ``revoked_at`` ends it at once (logout, deactivation, role or password change).
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=_now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(30))


class AuditEntry(Base):
    """One administrative change: who did what to which target, when (see ``data.audit``)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiKey(Base):
    """A client key of the HTTP API (``envmon apikeys``): only its SHA-256 is stored; revoking keeps the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the key's first characters, to recognise it in a list
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    revoked_at: Mapped[dt.datetime | None]


class IntakeMessage(Base):
    """One message received from a chat channel (Zalo OA, Facebook Page): kept until grouped into a report.

    ``(channel, message_id)`` is unique, so a replayed event stores nothing. ``sender`` is the channel's follower
    id (personal data: never published). ``report_external_id`` is set once the message went into a report.
    """

    __tablename__ = "intake_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(200), index=True)
    received_at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    report_external_id: Mapped[str | None] = mapped_column(String(200), index=True)


class Open311Queued(Base):
    """A service request posted to the Open311 API, stored durably before the answer and imported afterwards.

    ``token`` is what the client gets back (``GET tokens/{token}.json``); a worker claims rows (``claim``,
    ``claimed_at``: a claim older than the lease may be taken over) and imports them in batches, then sets
    ``done_at`` and either ``service_request_id`` (the case) or ``refused_reason`` (the quarantine reason). The
    contact fields are personal data: copied onto the report, then cleared here.
    """

    __tablename__ = "open311_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(36), unique=True)
    client: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[dt.datetime]
    service_code: Mapped[str] = mapped_column(String(50))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    service_request_id: Mapped[int | None]
    refused_reason: Mapped[str | None] = mapped_column(Text)
