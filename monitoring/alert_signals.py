"""Built-in signal providers: stored data → :class:`~monitoring.signals.Signal` for each configured rule.

Threshold rules read valid stored averages (which exclude calibrating and error records) or, for ``raw``
rules, status-00 readings only, so calibration (01) and error (02) values never raise an exceedance. The
device rule raises on status 02; the silence rule on stations whose last reading is too old.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from data.config import DEFAULT_TIMEZONE
from data.station_signal_queries import (
    LatestValue,
    feed_errors,
    last_reading_times,
    latest_aqi,
    latest_averages,
    latest_readings,
    stations_by_id,
)
from monitoring.alert_rules import RuleConfig
from monitoring.aqi_tables import CATEGORIES, SCALE_NAMES, Scale
from monitoring.signals import Signal
from monitoring.thresholds import EffectiveLimit, LimitProfile, ThresholdTable, period_date


def _station_labels(station: Any, **extra: str) -> dict[str, str]:
    labels = {"station_id": station.id, "station_name": station.name}
    labels.update({k: v for k, v in (("ward_code", station.ward_code), ("district", station.district)) if v})
    labels.update(extra)
    return labels


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
    engine: Engine,
    now: dt.datetime,
    rules: Sequence[RuleConfig],
    thresholds: ThresholdTable,
    timezone: str = DEFAULT_TIMEZONE,
) -> list[Signal]:
    """Per rule, one signal per station and parameter with data: ambient limits by date, or the station's Cmax.

    The stations are read once, and the latest averages once per period for the parameters of all its rules
    (the latest value of a station and parameter does not depend on which other parameters are asked for).
    """
    stations = stations_by_id(engine)
    wanted: dict[str, set[str]] = {}
    for rule in rules:
        if rule.period != "raw":
            wanted.setdefault(rule.period, set()).update(_parameters(rule))
    averages = {period: latest_averages(engine, period, sorted(names), now) for period, names in wanted.items()}
    signals = []
    for rule in rules:
        parameters = _parameters(rule)
        if rule.period == "raw":
            latest = latest_readings(engine, parameters, now, measuring_only=True, lookback=rule.timing.stale_after)
        else:
            latest = [item for item in averages[rule.period] if item.parameter in parameters]
        signals += _rule_threshold_signals(rule, latest, stations, thresholds, timezone)
    return signals


def _parameters(rule: RuleConfig) -> list[str]:
    return [rule.parameter] if rule.target == "ambient" else list(rule.parameters)


def _rule_threshold_signals(
    rule: RuleConfig, latest: list[LatestValue], stations: dict[str, Any], thresholds: ThresholdTable, timezone: str
) -> list[Signal]:
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
    stations = stations_by_id(engine)
    rows = latest_aqi(engine, rule.scale, rule.period, now)
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
    stations = stations_by_id(engine)
    last_seen = last_reading_times(engine, now)
    errors = feed_errors(engine)
    signals = []
    for station_id, last in last_seen:
        station = stations.get(station_id)
        if station is None:
            continue
        silent = now - last
        minutes = silent.total_seconds() / 60
        extra = {"feed_error": errors[station.source]} if errors.get(station.source) else {}
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
    stations = stations_by_id(engine)
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
