"""Aggregated read queries behind the dashboard; the ``public_*`` functions are the public page's only read path.

Every function takes an ``Engine`` and small, hashable arguments and returns a pandas frame or plain values,
aggregated in the database wherever the page shows an aggregate. No function here selects reporter names,
phone numbers or report descriptions (privacy by default, on protected pages too), except the refused input
rows of :func:`quarantine_rows`, which only the operators' import page shows. The ``public_*`` functions
read stations, readings and AQI values only, never complaints; complaint locations leave the database either
on protected pages or aggregated to grid cells of about 100 m or more (:func:`heat_cells`).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql import Select

from data.case_filter import CaseFilter
from data.dialect import driver_time_type, hours_between, is_postgresql, local_day
from data.frames import read_frame
from data.redact import redact_text
from data.schema import (
    AqiValue,
    Average,
    BoundarySet,
    BoundaryUnit,
    CaseStatusChange,
    ComplaintCase,
    ComplaintReport,
    FeedState,
    ImportBatch,
    LatestReading,
    QuarantineRow,
    Reading,
    ResponsibleUnit,
    Station,
)
from data.sla import is_open, is_overdue, missed_deadline
from data.station_signal_queries import newest_aqi_rows

PUBLIC_CELL_DEG = 0.001  # ≈ 111 m north-south, ≈ 104 m east-west at Hà Nội's latitude


# --- complaints: KPIs and aggregates ------------------------------------------------------------------------


def case_kpis(engine: Engine, flt: CaseFilter, now: dt.datetime) -> dict[str, float | int | None]:
    """Leaders' headline numbers: open, overdue, resolved, resolved on time (%), median hours to resolve."""
    resolved = ComplaintCase.status == "resolved"
    on_time = and_(resolved, ComplaintCase.due_at.is_not(None), ComplaintCase.resolved_at <= ComplaintCase.due_at)
    with_due = and_(resolved, ComplaintCase.due_at.is_not(None), ComplaintCase.resolved_at.is_not(None))
    timed_resolution = and_(resolved, ComplaintCase.resolved_at.is_not(None))
    stmt = flt.apply(
        select(
            func.count().label("total"),
            func.sum(case((is_open(), 1), else_=0)).label("open"),
            func.sum(case((is_overdue(now), 1), else_=0)).label("overdue"),
            func.sum(case((resolved, 1), else_=0)).label("resolved"),
            func.sum(case((on_time, 1), else_=0)).label("on_time"),
            func.sum(case((with_due, 1), else_=0)).label("with_due"),
            func.sum(case((timed_resolution, 1), else_=0)).label("timed"),
        ).select_from(ComplaintCase),
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
        median = _median_hours_to_resolve(engine, conn, flt, int(row.timed or 0))
    with_due_count = int(row.with_due or 0)
    return {
        "total": int(row.total or 0),
        "open": int(row.open or 0),
        "overdue": int(row.overdue or 0),
        "resolved": int(row.resolved or 0),
        "on_time_pct": round(100.0 * int(row.on_time or 0) / with_due_count, 1) if with_due_count else None,
        "median_hours_to_resolve": round(median, 1) if median is not None else None,
    }


def _median_hours_to_resolve(engine: Engine, conn: Connection, flt: CaseFilter, count: int) -> float | None:
    """Median hours from opening to resolution of the ``count`` resolved cases, computed in the database.

    PostgreSQL has ``percentile_cont``; SQLite sorts and reads the middle one or two rows (the mean of the two
    for an even count), so no per-case value is sent to Python either way.
    """
    if count == 0:
        return None
    hours = hours_between(engine, ComplaintCase.opened_at, ComplaintCase.resolved_at)
    resolved = and_(ComplaintCase.status == "resolved", ComplaintCase.resolved_at.is_not(None))
    if is_postgresql(engine):
        stmt = flt.apply(select(func.percentile_cont(0.5).within_group(hours)).where(resolved))
        return float(conn.execute(stmt).scalar_one())
    stmt = flt.apply(select(hours.label("hours")).where(resolved)).order_by(literal_column("hours"))
    middle = conn.execute(stmt.offset((count - 1) // 2).limit(2 - count % 2)).scalars().all()
    return float(sum(middle) / len(middle))


def case_count(engine: Engine, flt: CaseFilter) -> int:
    """Number of cases matching ``flt``."""
    with engine.connect() as conn:
        return int(conn.execute(flt.apply(select(func.count()).select_from(ComplaintCase))).scalar_one())


def ward_case_counts(engine: Engine, flt: CaseFilter, now: dt.datetime) -> pd.DataFrame:
    """Cases per ward code: ``ward_code, cases, open, overdue`` (wards without cases are absent)."""
    stmt = flt.apply(
        select(
            ComplaintCase.ward_code,
            func.count().label("cases"),
            func.sum(case((is_open(), 1), else_=0)).label("open"),
            func.sum(case((is_overdue(now), 1), else_=0)).label("overdue"),
        ).where(ComplaintCase.ward_code.is_not(None)),
    ).group_by(ComplaintCase.ward_code)
    return read_frame(engine, stmt)


def case_points(engine: Engine, flt: CaseFilter, limit: int) -> pd.DataFrame:
    """Located cases for map markers, newest first, at most ``limit`` rows (no personal data)."""
    stmt = flt.apply(
        select(
            ComplaintCase.id,
            ComplaintCase.lat,
            ComplaintCase.lon,
            ComplaintCase.category_code,
            ComplaintCase.status,
            ComplaintCase.ward_name,
            ResponsibleUnit.name.label("unit_name"),
            ComplaintCase.opened_at,
            ComplaintCase.due_at,
            ComplaintCase.report_count,
            ComplaintCase.title,
        )
        .outerjoin(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)
        .where(ComplaintCase.lat.is_not(None), ComplaintCase.lon.is_not(None)),
    )
    return read_frame(engine, stmt.order_by(ComplaintCase.opened_at.desc()).limit(limit))


def heat_cells(engine: Engine, flt: CaseFilter, cell_deg: float = PUBLIC_CELL_DEG) -> pd.DataFrame:
    """Case counts on a grid of ``cell_deg``-degree cells: ``lat, lon, cases`` (cell centres, for a heat layer)."""
    per_degree = literal(round(1 / cell_deg), literal_execute=True)  # inlined, so GROUP BY repeats one expression
    lat = (func.round(ComplaintCase.lat * per_degree) / per_degree).label("lat")
    lon = (func.round(ComplaintCase.lon * per_degree) / per_degree).label("lon")
    stmt = flt.apply(
        select(lat, lon, func.count().label("cases")).where(
            ComplaintCase.lat.is_not(None), ComplaintCase.lon.is_not(None)
        ),
    ).group_by(lat, lon)
    return read_frame(engine, stmt)


def complaint_data_version(engine: Engine) -> tuple[int, int, int]:
    """Highest case, report and status-change ids: changes whenever complaint data is added or a case moves on.

    Cases, reports and status changes are only ever added (a case's status changes with a history row), so
    this is a cheap cache key for results computed from complaints (three primary-key lookups).
    """
    stmt = select(
        select(func.max(ComplaintCase.id)).scalar_subquery(),
        select(func.max(ComplaintReport.id)).scalar_subquery(),
        select(func.max(CaseStatusChange.id)).scalar_subquery(),
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    return tuple(int(value or 0) for value in row)  # type: ignore[return-value]


def complaint_report_count(engine: Engine) -> int:
    """How many complaint reports are stored."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ComplaintReport)) or 0)


def located_cases_since(engine: Engine, since: dt.datetime, set_name: str) -> pd.DataFrame:
    """Located cases opened since ``since`` in ``set_name`` (or not yet in a ward), for the recurring-spot search.

    Columns ``id, lat, lon, ward_code, category_code, opened_at`` (tz-aware UTC), ``unit_id``. The times are
    read as the driver gives them and converted in one vectorised step, which at city scale is several times
    faster than a conversion per row (about 50,000 rows for 90 days at 200,000 cases a year).
    """
    raw_time = type_coerce(ComplaintCase.opened_at, driver_time_type(engine))
    stmt = select(
        ComplaintCase.id,
        ComplaintCase.lat,
        ComplaintCase.lon,
        ComplaintCase.ward_code,
        ComplaintCase.category_code,
        raw_time.label("opened_at"),
        ComplaintCase.unit_id,
    ).where(
        ComplaintCase.opened_at >= since,
        ComplaintCase.lat.is_not(None),
        ComplaintCase.lon.is_not(None),
        or_(ComplaintCase.set_name == set_name, ComplaintCase.set_name.is_(None)),
    )
    columns = ["id", "lat", "lon", "ward_code", "category_code", "opened_at", "unit_id"]
    with engine.connect() as conn:
        # plain columns and a raw time: the driver's tuples are final, so skip building Row objects
        rows = conn.execute(stmt).cursor.fetchall()
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    frame["opened_at"] = pd.to_datetime(frame["opened_at"], utc=True, format="ISO8601")
    for column in ("lat", "lon"):
        frame[column] = frame[column].astype(float)
    return frame


def overdue_by_unit(engine: Engine, flt: CaseFilter, now: dt.datetime) -> pd.DataFrame:
    """Open and overdue cases per responsible unit (units with open cases), most overdue first.

    Columns ``unit_id, unit_code, unit`` (code and name "" for cases without a unit), ``open_cases, overdue,
    oldest_due_at`` (the earliest deadline an overdue case missed, see :func:`data.sla.missed_deadline`) and
    ``oldest_days_overdue``.
    """
    overdue = is_overdue(now)
    oldest = type_coerce(func.min(case((overdue, missed_deadline(now)))), ComplaintCase.due_at.type)
    unit_code = func.coalesce(ResponsibleUnit.code, "").label("unit_code")
    unit_name = func.coalesce(ResponsibleUnit.name, "").label("unit")
    stmt = (
        flt.apply(
            select(
                ComplaintCase.unit_id,
                unit_code,
                unit_name,
                func.count().label("open_cases"),
                func.sum(case((overdue, 1), else_=0)).label("overdue"),
                oldest.label("oldest_due_at"),
            )
            .select_from(ComplaintCase)
            .outerjoin(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)
            .where(is_open())
        )
        .group_by(ComplaintCase.unit_id, unit_code, unit_name)
        .order_by(func.sum(case((overdue, 1), else_=0)).desc(), func.count().desc(), unit_name)
    )
    frame = read_frame(engine, stmt, ["unit_id", "unit_code", "unit", "open_cases", "overdue", "oldest_due_at"])
    frame["unit_id"] = frame["unit_id"].astype("Int64")
    frame["open_cases"] = frame["open_cases"].astype(int)
    frame["overdue"] = frame["overdue"].astype(int)
    frame["oldest_due_at"] = pd.to_datetime(frame["oldest_due_at"], utc=True)
    frame["oldest_days_overdue"] = [_days_since(value, now) for value in frame["oldest_due_at"]]
    return frame


def oldest_overdue_cases(engine: Engine, flt: CaseFilter, now: dt.datetime) -> pd.DataFrame:
    """Per unit, the overdue case that missed its deadline first: ``unit_id, case_id, missed_deadline``."""
    deadline = type_coerce(missed_deadline(now), ComplaintCase.due_at.type)
    rank = func.row_number().over(partition_by=ComplaintCase.unit_id, order_by=(deadline, ComplaintCase.id))
    ranked = flt.apply(
        select(ComplaintCase.unit_id, ComplaintCase.id.label("case_id"), deadline.label("missed_deadline"),
               rank.label("rank")).where(is_overdue(now))
    ).subquery()  # fmt: skip
    stmt = select(ranked.c.unit_id, ranked.c.case_id, ranked.c.missed_deadline).where(ranked.c["rank"] == 1)
    frame = read_frame(engine, stmt, ["unit_id", "case_id", "missed_deadline"])
    frame["unit_id"] = frame["unit_id"].astype("Int64")
    frame["missed_deadline"] = pd.to_datetime(frame["missed_deadline"], utc=True)
    return frame


def overdue_cases(engine: Engine, flt: CaseFilter, now: dt.datetime, limit: int = 500) -> pd.DataFrame:
    """The overdue open cases themselves, most overdue first, with unit, ward and days past the missed deadline."""
    stmt = flt.apply(
        select(
            ComplaintCase.id,
            func.coalesce(ResponsibleUnit.name, "").label("unit"),
            ComplaintCase.ward_name,
            ComplaintCase.category_code,
            ComplaintCase.status,
            ComplaintCase.opened_at,
            type_coerce(missed_deadline(now), ComplaintCase.due_at.type).label("due_at"),
            ComplaintCase.title,
        )
        .outerjoin(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)
        .where(is_overdue(now)),
    ).order_by(missed_deadline(now), ComplaintCase.id)
    frame = read_frame(engine, stmt.limit(limit))
    frame["days_overdue"] = [_days_since(value, now) for value in frame["due_at"]]
    frame["age_days"] = [_days_since(value, now) for value in frame["opened_at"]]
    return frame


def _days_since(moment: dt.datetime | None, now: dt.datetime) -> float | None:
    if moment is None or pd.isna(moment):
        return None
    if moment.tzinfo is None:  # aggregate results on SQLite come back without the column type
        moment = pd.Timestamp(moment).tz_localize("UTC").to_pydatetime()
    return round((now - moment).total_seconds() / 86400.0, 1)


def cases_per_day(engine: Engine, flt: CaseFilter) -> pd.DataFrame:
    """Cases opened per local calendar day: ``day, cases`` (days without cases are absent)."""
    day = local_day(engine, ComplaintCase.opened_at, flt.timezone).label("day")
    stmt = flt.apply(select(day, func.count().label("cases")).select_from(ComplaintCase)).group_by(day)
    frame = read_frame(engine, stmt.order_by(day))
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def category_breakdown(engine: Engine, flt: CaseFilter) -> pd.DataFrame:
    """Cases per category code, largest first."""
    stmt = flt.apply(select(ComplaintCase.category_code, func.count().label("cases")))
    return read_frame(engine, stmt.group_by(ComplaintCase.category_code).order_by(func.count().desc()))


def channel_breakdown(engine: Engine, flt: CaseFilter) -> pd.DataFrame:
    """Reports per channel for the filtered cases, largest first."""
    stmt = flt.apply(
        select(ComplaintReport.channel, func.count().label("reports")).join(
            ComplaintCase, ComplaintCase.id == ComplaintReport.case_id
        ),
    )
    if flt.channels:
        stmt = stmt.where(ComplaintReport.channel.in_(flt.channels))
    return read_frame(engine, stmt.group_by(ComplaintReport.channel).order_by(func.count().desc()))


CASE_TABLE_COLUMNS = (
    "id",
    "opened_at",
    "category_code",
    "status",
    "ward_code",
    "ward_name",
    "district",
    "unit",
    "due_at",
    "resolved_at",
    "report_count",
    "lat",
    "lon",
    "title",
)


def _case_table_select() -> Select:  # type: ignore[type-arg]
    return select(
        ComplaintCase.id,
        ComplaintCase.opened_at,
        ComplaintCase.category_code,
        ComplaintCase.status,
        ComplaintCase.ward_code,
        ComplaintCase.ward_name,
        ComplaintCase.district,
        func.coalesce(ResponsibleUnit.name, "").label("unit"),
        ComplaintCase.due_at,
        ComplaintCase.resolved_at,
        ComplaintCase.report_count,
        ComplaintCase.lat,
        ComplaintCase.lon,
        ComplaintCase.title,
    ).outerjoin(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)


def case_page(engine: Engine, flt: CaseFilter, page: int, page_size: int) -> pd.DataFrame:
    """One page (0-based) of filtered cases, newest first, without personal data."""
    stmt = flt.apply(_case_table_select()).order_by(ComplaintCase.opened_at.desc(), ComplaintCase.id.desc())
    return read_frame(engine, stmt.offset(page * page_size).limit(page_size), list(CASE_TABLE_COLUMNS))


def case_filter_choices(engine: Engine) -> dict[str, list[str]]:
    """Distinct categories, statuses, channels and former districts present in the data."""
    with engine.connect() as conn:

        def distinct(column: ColumnElement[str]) -> list[str]:
            return [v for v in conn.execute(select(column).distinct().order_by(column)).scalars() if v]

        return {
            "categories": distinct(ComplaintCase.category_code),
            "statuses": distinct(ComplaintCase.status),
            "channels": distinct(ComplaintReport.channel),
            "districts": distinct(ComplaintCase.district),
        }


def boundary_set_names(engine: Engine) -> list[str]:
    """Stored boundary sets, newest validity first."""
    with engine.connect() as conn:
        return list(conn.execute(select(BoundarySet.name).order_by(BoundarySet.valid_from.desc())).scalars())


def ward_choices(engine: Engine, set_name: str) -> pd.DataFrame:
    """``code, name, district, lat, lon`` (representative point) of every unit in ``set_name``, by name."""
    stmt = (
        select(BoundaryUnit.code, BoundaryUnit.name, BoundaryUnit.district, BoundaryUnit.display_geom)
        .join(BoundarySet, BoundarySet.id == BoundaryUnit.set_id)
        .where(BoundarySet.name == set_name)
        .order_by(BoundaryUnit.name)
    )
    frame = read_frame(engine, stmt, ["code", "name", "district", "geometry"])
    points = [geom.representative_point() if geom is not None else None for geom in frame.pop("geometry")]
    frame["lat"] = [p.y if p is not None else math.nan for p in points]
    frame["lon"] = [p.x if p is not None else math.nan for p in points]
    return frame


# --- stations, readings, AQI ---------------------------------------------------------------------------------


def public_stations(engine: Engine, kind: str | None = None) -> pd.DataFrame:
    """Stations with location, ward and last reading time (public: stations carry no personal data)."""
    last = (
        select(LatestReading.station_id, func.max(LatestReading.observed_at).label("last_reading_at"))
        .group_by(LatestReading.station_id)
        .subquery()
    )
    stmt = select(
        Station.id,
        Station.name,
        Station.kind,
        Station.operator,
        Station.lat,
        Station.lon,
        Station.ward_code,
        Station.ward_name,
        Station.district,
        Station.grade,
        Station.source,
        Station.synthetic,
        Station.limit_profile,
        last.c.last_reading_at,
    ).outerjoin(last, last.c.station_id == Station.id)
    if kind:
        stmt = stmt.where(Station.kind == kind)
    frame = read_frame(engine, stmt.order_by(Station.name))
    frame["last_reading_at"] = pd.to_datetime(frame["last_reading_at"], utc=True)
    return frame


def public_latest_aqi(engine: Engine, scale: str, period: str = "hourly") -> pd.DataFrame:
    """The newest AQI per station for ``scale`` ('vn'|'us'): ``station_id, aqi, category, dominant, …``.

    One probe of the primary key per station for its newest period (:func:`newest_aqi_rows`).
    """
    newest = newest_aqi_rows(engine, scale, period)
    columns = ("station_id", "aqi", "category", "dominant", "period_end", "beyond_scale", "sub_indices")
    return read_frame(engine, select(*(newest.c[name] for name in columns)))


def public_aqi_series(engine: Engine, station_id: str, scale: str, period: str, since: dt.datetime) -> pd.DataFrame:
    """AQI values of one station since ``since``: ``period_end, aqi, category, dominant``."""
    stmt = (
        select(AqiValue.period_end, AqiValue.aqi, AqiValue.category, AqiValue.dominant)
        .where(
            AqiValue.station_id == station_id,
            AqiValue.scale == scale,
            AqiValue.period == period,
            AqiValue.period_end >= since,
        )
        .order_by(AqiValue.period_end)
    )
    return read_frame(engine, stmt)


def public_latest_readings(engine: Engine, station_id: str) -> pd.DataFrame:
    """The newest reading of every parameter at one station: ``parameter, value, unit, observed_at, status``."""
    stmt = (
        select(LatestReading.parameter, LatestReading.value, LatestReading.unit, LatestReading.observed_at,
               LatestReading.status)
        .where(LatestReading.station_id == station_id)
        .order_by(LatestReading.parameter)
    )  # fmt: skip
    return read_frame(engine, stmt)


def reading_series(engine: Engine, station_id: str, parameter: str, since: dt.datetime) -> pd.DataFrame:
    """Readings of one station parameter since ``since``: ``observed_at, value, unit, status`` (pages read at most
    a day of them: :func:`data.station_hours.station_series`)."""
    stmt = (
        select(Reading.observed_at, Reading.value, Reading.unit, Reading.status)
        .where(Reading.station_id == station_id, Reading.parameter == parameter, Reading.observed_at >= since)
        .order_by(Reading.observed_at)
    )
    return read_frame(engine, stmt)


def station_parameters(engine: Engine, station_id: str, since: dt.datetime | None = None) -> list[str]:
    """Parameters with an hourly mean at the station (ending after ``since`` when given): read from the roll-ups
    (``averages``), never by scanning the station's raw readings."""
    stmt = select(Average.parameter).where(Average.station_id == station_id, Average.period == "1h")
    if since is not None:
        stmt = stmt.where(Average.period_end > since)
    stmt = stmt.distinct().order_by(Average.parameter)
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def station_device_status(engine: Engine) -> pd.DataFrame:
    """The worst device status (TT 10/2021: ``00`` measuring, ``01`` calibrating, ``02`` error) among each
    station's newest readings: ``station_id, status``."""
    newest = (
        select(LatestReading.station_id, func.max(LatestReading.observed_at).label("observed_at"))
        .group_by(LatestReading.station_id)
        .subquery()
    )
    stmt = (
        select(LatestReading.station_id, func.max(LatestReading.status).label("status"))
        .join(
            newest,
            and_(newest.c.station_id == LatestReading.station_id, newest.c.observed_at == LatestReading.observed_at),
        )
        .group_by(LatestReading.station_id)
    )
    return read_frame(engine, stmt)


def feed_health(engine: Engine) -> pd.DataFrame:
    """One row per configured feed with last attempt, success, data time, error and failure count."""
    stmt = select(
        FeedState.feed,
        FeedState.last_attempt_at,
        FeedState.last_success_at,
        FeedState.last_data_at,
        FeedState.last_error,
        FeedState.last_error_at,
        FeedState.consecutive_failures,
    ).order_by(FeedState.feed)
    frame = read_frame(engine, stmt)
    # Errors are masked when recorded; masking again on the way out covers rows stored before that.
    frame["last_error"] = frame["last_error"].map(lambda error: redact_text(error) if isinstance(error, str) else error)
    return frame


# --- imports -------------------------------------------------------------------------------------------------


def import_batches(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """Recent import batches with their summaries, newest first."""
    stmt = select(
        ImportBatch.id,
        ImportBatch.kind,
        ImportBatch.source,
        ImportBatch.filename,
        ImportBatch.started_at,
        ImportBatch.status,
        ImportBatch.summary,
    ).order_by(ImportBatch.started_at.desc())
    return read_frame(engine, stmt.limit(limit))


def quarantine_rows(engine: Engine, batch_id: str) -> pd.DataFrame:
    """Refused rows of one batch with row number, field, reason and the raw input row (operators only)."""
    stmt = (
        select(
            QuarantineRow.row_number,
            QuarantineRow.field,
            QuarantineRow.reason,
            QuarantineRow.reason_code,
            QuarantineRow.reason_params,
            QuarantineRow.raw,
        )
        .where(QuarantineRow.batch_id == batch_id)
        .order_by(QuarantineRow.row_number, QuarantineRow.id)
    )
    return read_frame(engine, stmt)
