"""Built-in signal providers: stored data → :class:`~monitoring.signals.Signal` for each configured rule.

Threshold rules read valid stored averages (which exclude calibrating and error records) or, for ``raw``
rules, status-00 readings only, so calibration (01) and error (02) values never raise an exceedance. The
device rule raises on status 02; the silence rule on stations whose last reading is too old.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, func, literal, select

from data.config import DEFAULT_TIMEZONE
from data.redact import redact_text
from data.schema import AqiValue, Average, FeedState, Reading, Station
from monitoring.alert_rules import RuleConfig
from monitoring.aqi_tables import CATEGORIES, SCALE_NAMES, Scale
from monitoring.signals import Signal
from monitoring.thresholds import EffectiveLimit, LimitProfile, ThresholdTable, period_date

_RAW_LOOKBACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class LatestValue:
    """The latest value of one station and parameter."""

    station_id: str
    parameter: str
    observed_at: dt.datetime
    value: float | None
    status: str = "00"


def _stations(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {row.id: row for row in conn.execute(select(Station)).all()}


def _station_labels(station: Any, **extra: str) -> dict[str, str]:
    labels = {"station_id": station.id, "station_name": station.name}
    labels.update({k: v for k, v in (("ward_code", station.ward_code), ("district", station.district)) if v})
    labels.update(extra)
    return labels


def _latest_rows(engine: Engine, model: Any, time_column: Any, conditions: list[Any]) -> list[LatestValue]:
    """Per (station, parameter), the row of ``model`` with the largest ``time_column`` among ``conditions``."""
    last = (
        select(model.station_id, model.parameter, func.max(time_column).label("last"))
        .where(*conditions)
        .group_by(model.station_id, model.parameter)
        .subquery()
    )
    status = model.status if model is Reading else literal("00")
    query = (
        select(model.station_id, model.parameter, time_column.label("at"), model.value, status.label("status"))
        .join(
            last,
            and_(
                model.station_id == last.c.station_id,
                model.parameter == last.c.parameter,
                time_column == last.c["last"],
            ),
        )
        .where(*conditions)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [LatestValue(r.station_id, r.parameter, r.at, r.value, r.status) for r in rows]


def _latest_averages(engine: Engine, period: str, parameters: list[str], now: dt.datetime) -> list[LatestValue]:
    conditions = [
        Average.period == period,
        Average.valid.is_(True),
        Average.value.is_not(None),
        Average.parameter.in_(parameters),
        Average.period_end <= now,
    ]
    return _latest_rows(engine, Average, Average.period_end, conditions)


def latest_readings(
    engine: Engine,
    parameters: list[str] | None,
    now: dt.datetime,
    *,
    measuring_only: bool,
    lookback: dt.timedelta | None = None,
) -> list[LatestValue]:
    """The latest reading per station and parameter within ``lookback`` (default a day) before ``now``.

    Older readings would count as stale anyway, so rules pass their ``stale_after`` to keep the scan short.
    """
    conditions = [Reading.observed_at <= now, Reading.observed_at > now - (lookback or _RAW_LOOKBACK)]
    if parameters is not None:
        conditions.append(Reading.parameter.in_(parameters))
    if measuring_only:
        conditions += [Reading.status == "00", Reading.value.is_not(None)]
    return _latest_rows(engine, Reading, Reading.observed_at, conditions)


def _threshold_signal(rule: RuleConfig, station: Any, latest: LatestValue, limit: EffectiveLimit) -> Signal:
    value = float(latest.value)  # type: ignore[arg-type]
    breach = limit.exceeded_by(value)
    below = limit.low is not None and value < limit.low
    threshold = limit.low if below else limit.high
    comparison = "<" if below else (">" if breach else "≤")
    period = "5 phút" if rule.period == "raw" else rule.period
    message = (
        f"{station.name}: {latest.parameter.upper()} ({period}) = {value:g} {limit.unit} {comparison} "
        f"{threshold:g} — {limit.basis}"
    )
    labels = _station_labels(
        station,
        parameter=latest.parameter,
        period=rule.period,
        unit=limit.unit,
        basis=limit.basis,
        direction="below" if below else "above",
    )
    return Signal(
        rule.id,
        f"station:{station.id}/{latest.parameter}",
        breach,
        value=value,
        threshold=threshold,
        observed_at=latest.observed_at,
        kind="threshold",
        labels=labels,
        message=message,
    )


def threshold_signals(
    engine: Engine, now: dt.datetime, rule: RuleConfig, thresholds: ThresholdTable, timezone: str = DEFAULT_TIMEZONE
) -> list[Signal]:
    """One signal per station and parameter with data: ambient limits by date, or the station's Cmax."""
    stations = _stations(engine)
    parameters = [rule.parameter] if rule.target == "ambient" else list(rule.parameters)
    if rule.period == "raw":
        latest = latest_readings(engine, parameters, now, measuring_only=True, lookback=rule.timing.stale_after)
    else:
        latest = _latest_averages(engine, rule.period, parameters, now)
    signals = []
    for item in latest:
        station = stations.get(item.station_id)
        if station is None:
            continue
        day = period_date(item.observed_at, timezone)
        if rule.target == "ambient":
            limit = thresholds.ambient_limit(item.parameter, rule.period, day) if station.kind == "air" else None
        else:
            profile = LimitProfile.from_json(station.limit_profile) if station.limit_profile else None
            limit = thresholds.effluent_limit(profile, item.parameter, day) if profile else None
        if limit is not None:
            signals.append(_threshold_signal(rule, station, item, limit))
    return signals


def aqi_signals(engine: Engine, now: dt.datetime, rule: RuleConfig) -> list[Signal]:
    """One signal per station with a stored AQI: breaching when the latest AQI is in ``category`` or above."""
    stations = _stations(engine)
    conditions = (AqiValue.scale == rule.scale, AqiValue.period == rule.period, AqiValue.period_end <= now)
    last = (
        select(AqiValue.station_id, func.max(AqiValue.period_end).label("period_end"))
        .where(*conditions)
        .group_by(AqiValue.station_id)
        .subquery()
    )
    query = (
        select(AqiValue)
        .join(last, and_(AqiValue.station_id == last.c.station_id, AqiValue.period_end == last.c.period_end))
        .where(*conditions)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    scale: Scale = "us" if rule.scale == "us" else "vn"
    floor = CATEGORIES[scale][rule.category - 1]
    signals = []
    for row in rows:
        station = stations.get(row.station_id)
        if station is None:
            continue
        category = CATEGORIES[scale][row.category - 1]
        label = f"{SCALE_NAMES[scale]} {row.aqi}{'+' if row.beyond_scale else ''}"
        signals.append(
            Signal(
                rule.id,
                f"station:{row.station_id}",
                row.category >= rule.category,
                value=float(row.aqi),
                threshold=float(floor.low),
                observed_at=row.period_end,
                kind="aqi",
                labels=_station_labels(
                    station,
                    scale=scale,
                    category=str(row.category),
                    category_vi=category.label_vi,
                    category_en=category.label_en,
                    dominant=row.dominant,
                ),
                message=f"{station.name}: {label} ({category.label_vi}), chủ yếu {row.dominant.upper()}",
            )
        )
    return signals


def silence_signals(engine: Engine, now: dt.datetime, rule: RuleConfig) -> list[Signal]:
    """One signal per station that has ever reported: breaching when its last reading is too old."""
    stations = _stations(engine)
    query = (
        select(Reading.station_id, func.max(Reading.observed_at).label("last"))
        .where(Reading.observed_at <= now)
        .group_by(Reading.station_id)
    )
    with engine.connect() as conn:
        last_seen = conn.execute(query).all()
        feed_errors = {
            f.feed: redact_text(f.last_error)  # alert labels reach pages and webhooks: no secret, even from old rows
            for f in conn.execute(select(FeedState.feed, FeedState.last_error)).all()
            if f.last_error
        }
    signals = []
    for station_id, last in last_seen:
        station = stations.get(station_id)
        if station is None:
            continue
        silent = now - last
        minutes = silent.total_seconds() / 60
        extra = {"feed_error": feed_errors[station.source]} if feed_errors.get(station.source) else {}
        signals.append(
            Signal(
                rule.id,
                f"station:{station_id}",
                silent > rule.silent_after,
                value=round(minutes, 1),
                threshold=rule.silent_after.total_seconds() / 60,
                observed_at=now,
                kind="silence",
                labels=_station_labels(station, last_reading_at=last.isoformat(), **extra),
                message=f"{station.name}: không có dữ liệu từ {last.isoformat()} ({minutes:.0f} phút)",
            )
        )
    return signals


def device_signals(engine: Engine, now: dt.datetime, rule: RuleConfig) -> list[Signal]:
    """One signal per station and parameter: breaching when the latest reading has status 02 (device error)."""
    stations = _stations(engine)
    signals = []
    for item in latest_readings(engine, None, now, measuring_only=False, lookback=rule.timing.stale_after):
        station = stations.get(item.station_id)
        if station is None:
            continue
        error = item.status == "02"
        state = {"00": "đang đo", "01": "đang hiệu chuẩn", "02": "báo lỗi thiết bị"}.get(item.status, item.status)
        signals.append(
            Signal(
                rule.id,
                f"station:{item.station_id}/{item.parameter}",
                error,
                observed_at=item.observed_at,
                kind="device",
                labels=_station_labels(station, parameter=item.parameter, status=item.status),
                message=f"{station.name}: {item.parameter.upper()} — {state}",
            )
        )
    return signals
