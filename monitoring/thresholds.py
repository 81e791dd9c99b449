"""Limit values as date-effective rows: QCVN 05 ambient air; QCVN 40 / 14 effluent with factors and permits.

The rows come from ``data/config/thresholds.toml`` (see its header for the format); nothing here hard-codes a
number. Ambient limits are looked up by parameter, averaging period and the date of the averaging period;
effluent limits by a station's :class:`LimitProfile` (standard, column/class, factors, permit overrides).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data.config import DEFAULT_TIMEZONE

AMBIENT_PERIODS = ("1h", "8h", "24h", "year")
EFFLUENT_PERIOD = "sample"
SEWER_WITHOUT_WWTP = "sewer"


@dataclass(frozen=True)
class Limit:
    """One limit row: a maximum (``high``) and, for ranges such as pH, a minimum (``low``)."""

    standard: str
    kind: str
    column: str
    parameter: str
    period: str
    low: float | None
    high: float | None
    unit: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    flow_min: float | None = None
    flow_max: float | None = None
    exempt: bool = False

    def applies_on(self, day: dt.date) -> bool:
        """Whether the row is in force on ``day`` (both bounds inclusive)."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def fits_flow(self, flow: float | None) -> bool:
        """Whether a discharge flow (m³/24 h) is in the row's flow band; rows without a band fit any flow."""
        if self.flow_min is None and self.flow_max is None:
            return True
        if flow is None:
            return False
        above_min = self.flow_min is None or flow > self.flow_min
        return above_min and (self.flow_max is None or flow <= self.flow_max)


@dataclass(frozen=True)
class EffectiveLimit:
    """The limit that applies to one value, after factors and permit overrides, with where it came from."""

    parameter: str
    period: str
    low: float | None
    high: float | None
    unit: str
    basis: str

    def exceeded_by(self, value: float) -> bool:
        """``value > high`` or ``value < low``: a value equal to the limit is compliant (standards §3.5)."""
        return (self.high is not None and value > self.high) or (self.low is not None and value < self.low)

    def exceedance_percent(self, value: float) -> float:
        """How far above the maximum ``value`` is, in percent (0 when compliant or for a range minimum)."""
        if self.high is None or value <= self.high or self.high == 0:
            return 0.0
        return float((Decimal(repr(value)) / Decimal(repr(self.high)) - 1) * 100)


@dataclass(frozen=True)
class LimitProfile:
    """A station's effluent limit profile (``Station.limit_profile``).

    ``{"standard": "QCVN 40:2011", "column": "B", "kq": 1.0, "kf": 1.0, "overrides": {"cod": 100}}``;
    QCVN 14:2008 uses ``"k"``; ``"receiving": "sewer"`` (urban drainage without a central WWTP) means column B
    without factors; ``"flow"`` (m³/24 h) selects flow-banded classes. Overrides are permit limits: a number
    (maximum) or ``[low, high]``, replacing the QCVN-derived value.
    """

    standard: str
    column: str
    factors: Mapping[str, float] = field(default_factory=dict)
    overrides: Mapping[str, float | list[float]] = field(default_factory=dict)
    receiving: str = ""
    flow: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LimitProfile:
        """Read the JSON stored on a station; raises ValueError naming the bad key."""
        if not data.get("standard"):
            msg = "limit_profile: 'standard' is required"
            raise ValueError(msg)
        reserved = {"standard", "column", "overrides", "receiving", "flow"}
        try:
            factors = {k: float(v) for k, v in data.items() if k not in reserved}
            flow = float(data["flow"]) if data.get("flow") is not None else None
        except (TypeError, ValueError) as err:
            msg = f"limit_profile: factors and flow must be numbers ({err})"
            raise ValueError(msg) from err
        return cls(
            standard=str(data["standard"]),
            column=str(data.get("column") or "B"),
            factors=factors,
            overrides=dict(data.get("overrides") or {}),
            receiving=str(data.get("receiving") or ""),
            flow=flow,
        )


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class ThresholdTable:
    """All limit rows plus, per standard, its kind and the factors its Cmax formula multiplies."""

    limits: tuple[Limit, ...]
    factors: Mapping[str, tuple[str, ...]]

    def ambient_limit(self, parameter: str, period: str, day: dt.date) -> EffectiveLimit | None:
        """The ambient limit of ``parameter`` averaged over ``period`` on ``day`` (None if there is none)."""
        for row in self.limits:
            if row.kind == "ambient" and (row.parameter, row.period) == (parameter, period) and row.applies_on(day):
                return EffectiveLimit(parameter, period, row.low, row.high, row.unit, f"{row.standard} ({period})")
        return None

    def effluent_limit(self, profile: LimitProfile, parameter: str, day: dt.date) -> EffectiveLimit | None:
        """Cmax for one parameter of an effluent station: permit override (in the unit the station's standard
        gives the parameter), else C × factors (exempt: C)."""
        override = profile.overrides.get(parameter)
        if override is not None:
            low, high = (
                (float(override[0]), float(override[1])) if isinstance(override, list) else (None, float(override))
            )
            unit = next((r.unit for r in self.limits if (r.standard, r.parameter) == (profile.standard, parameter)), "")
            return EffectiveLimit(parameter, EFFLUENT_PERIOD, low, high, unit, "giấy phép (permit)")
        column = "B" if profile.receiving == SEWER_WITHOUT_WWTP else profile.column
        row = next(
            (
                r
                for r in self.limits
                if r.kind == "effluent"
                and (r.standard, r.column, r.parameter) == (profile.standard, column, parameter)
                and r.applies_on(day)
                and r.fits_flow(profile.flow)
            ),
            None,
        )
        if row is None:
            return None
        names = () if row.exempt or profile.receiving == SEWER_WITHOUT_WWTP else self.factors.get(row.standard, ())
        multiplier = Decimal(1)
        for name in names:
            multiplier *= _decimal(profile.factors.get(name, 1.0))
        high = float(_decimal(row.high) * multiplier) if row.high is not None else None
        low = float(_decimal(row.low) * multiplier) if row.low is not None else None
        factors_text = "".join(f" × {n.capitalize()} {profile.factors.get(n, 1.0):g}" for n in names)
        return EffectiveLimit(parameter, EFFLUENT_PERIOD, low, high, row.unit, f"{row.standard} {column}{factors_text}")


def period_date(period_end: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """The local date an averaging period belongs to (hour-ending: a period ending at 24:00 is that day)."""
    return (period_end.astimezone(ZoneInfo(timezone)) - dt.timedelta(microseconds=1)).date()


def _limit_values(entry: Mapping[str, Any], key: str, where: str) -> tuple[float | None, float | None]:
    value = entry[key]
    if isinstance(value, list):
        if len(value) != 2 or not all(isinstance(v, int | float) for v in value) or value[0] > value[1]:
            msg = f"{where}: {key} must be a number or [low, high], got {value!r}"
            raise ValueError(msg)
        return float(value[0]), float(value[1])
    if not isinstance(value, int | float) or isinstance(value, bool):
        msg = f"{where}: {key} must be a number or [low, high], got {value!r}"
        raise ValueError(msg)
    return None, float(value)


def _rows_of(standard: Mapping[str, Any], index: int, source: str) -> list[Limit]:
    name, kind = standard.get("name"), standard.get("kind")
    where = f"{source}: standard #{index + 1} ({name})"
    if not name or kind not in ("ambient", "effluent") or "effective_from" not in standard:
        msg = f"{where}: needs name, kind (ambient|effluent) and effective_from"
        raise ValueError(msg)
    rows = []
    for position, entry in enumerate(standard.get("limits", []), start=1):
        entry_where = f"{where}, limit #{position} ({entry.get('parameter')})"
        if not entry.get("parameter"):
            msg = f"{entry_where}: parameter is required"
            raise ValueError(msg)
        keys = AMBIENT_PERIODS if kind == "ambient" else [k for k in entry if len(k) == 1 and k.isupper()]
        for key in (k for k in keys if k in entry):
            low, high = _limit_values(entry, key, entry_where)
            rows.append(
                Limit(
                    standard=str(name),
                    kind=str(kind),
                    column="" if kind == "ambient" else key,
                    parameter=str(entry["parameter"]),
                    period=key if kind == "ambient" else EFFLUENT_PERIOD,
                    low=low,
                    high=high,
                    unit=str(entry.get("unit", "")),
                    effective_from=entry.get("effective_from", standard["effective_from"]),
                    effective_to=entry.get("effective_to", standard.get("effective_to")),
                    flow_min=entry.get("flow_min"),
                    flow_max=entry.get("flow_max"),
                    exempt=bool(entry.get("exempt", False)),
                )
            )
    return rows


def load_thresholds(path: Path) -> ThresholdTable:
    """Read a thresholds TOML file; raises ValueError naming the file, standard and entry that is wrong."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    standards = document.get("standard", [])
    limits: list[Limit] = []
    factors: dict[str, tuple[str, ...]] = {}
    for index, standard in enumerate(standards):
        limits.extend(_rows_of(standard, index, str(path)))
        factors[standard["name"]] = tuple(standard.get("factors", ()))
    return ThresholdTable(tuple(limits), factors)
