"""Pure VN_AQI (Decision 1459/QĐ-TCMT) and US EPA AQI (2024) computation over the tables in ``aqi_tables``.

Concentrations enter in µg/m³ (the VN unit for every parameter, CO included). Sub-indices are computed with
exact fractions and rounded half-up after a pre-round to 6 decimals (standards §1.10); Python's ``round()``
is never used. Both scales cap at 500 and flag ``beyond_scale`` above the top breakpoint (PROJECT CONVENTION,
standards §1.10 and §2.4: the US display is "500+ / beyond the AQI", not an extrapolated number).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from monitoring.aqi_tables import (
    CATEGORIES,
    MOLAR_MASS,
    MOLAR_VOLUME_L,
    POLLUTANTS,
    SCALE_NAMES,
    US_TABLES,
    US_TRUNCATION,
    VN_HEALTH,
    VN_TABLES,
    BreakpointTable,
    Category,
    HealthMessage,
    Scale,
)

Period = Literal["hourly", "daily"]

NOWCAST_HOURS = 12
EIGHT_HOURS = 8
#: PROJECT CONVENTION (standards §1.11): a 24-h statistic needs ≥ 18 of its 24 hours (75 %)
MIN_HOURS_PER_DAY = 18
#: PROJECT CONVENTION (standards §1.8): an 8-h mean needs all 8 hours
MIN_HOURS_PER_8H = 8
_MILLION = 10**6


def exact(value: float | int | str | Fraction) -> Fraction:
    """The decimal a float prints as, as an exact fraction (``20.3`` → 203/10, not the binary neighbour)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(Decimal(repr(value) if isinstance(value, float) else str(value)))


def half_up(value: Fraction | float) -> int:
    """Round half-up to an integer after pre-rounding to 6 decimals (109.4999999 → 110, 22.5 → 23).

    Integer arithmetic on the exact fraction: no step of it rounds (halves go away from zero, as Decimal's
    ROUND_HALF_UP).
    """
    micro = _millionths(exact(value))
    units = _round_half_up(abs(micro), _MILLION)
    return units if micro >= 0 else -units


def truncate(value: Fraction, step: Fraction) -> Fraction:
    """Truncate down to a multiple of ``step`` after pre-rounding to 6 decimals (US AQI, standards §2.4)."""
    steps = (_millionths(value) * step.denominator) // (_MILLION * step.numerator)
    return Fraction(steps * step.numerator, step.denominator)


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (both ≥ 0) rounded half-up to an integer, exactly."""
    return (2 * numerator + denominator) // (2 * denominator)


def _millionths(value: Fraction) -> int:
    """``value`` pre-rounded half-up (halves away from zero) to 6 decimals, as a count of millionths."""
    micro = _round_half_up(abs(value.numerator) * _MILLION, value.denominator)
    return micro if value.numerator >= 0 else -micro


def nowcast(hours: Sequence[float | None]) -> float | None:
    """PM NowCast over hourly averages ``c1, c2, …`` with ``c1`` the current hour (standards §1.7, §2.5).

    Uses the normalised weighted mean for every weight, including 1/2 (PROJECT CONVENTION); a missing hour
    (or NaN/Infinity) gets weight 0; Cmin and Cmax come from the present values; Cmax = 0 gives 0. Needs at least
    2 of c1–c3.
    """
    window = [_measured(c) for c in hours[:NOWCAST_HOURS]]
    if sum(c is not None for c in window[:3]) < 2:
        return None
    present = [(i, float(c)) for i, c in enumerate(window) if c is not None]
    c_max, c_min = max(c for _, c in present), min(c for _, c in present)
    if c_max == 0:
        return 0.0
    weight = max(c_min / c_max, 0.5)
    numerator = math.fsum(weight**i * c for i, c in present)
    denominator = math.fsum(weight**i for i, _ in present)
    return numerator / denominator


@dataclass(frozen=True)
class SubIndex:
    """One pollutant's sub-index: table used, concentration in the table's unit, exact and rounded AQI."""

    parameter: str
    table: str
    concentration: Fraction
    unit: str
    exact: Fraction
    aqi: int
    beyond_scale: bool


def sub_index(table: BreakpointTable, parameter: str, concentration: Fraction) -> SubIndex | None:
    """Linear interpolation inside the first band with ``C ≤ BP_hi`` (Công thức 1); None if off the table.

    Negative concentrations are invalid data and give no sub-index. Above the top breakpoint an open table
    gives 500 with ``beyond_scale``; a closed one (O3 8-h, US SO2 1-h) gives nothing.
    """
    # integer arithmetic on numerators and denominators: the same exact values as Fraction operators, at a
    # fraction of their cost (every stored AQI of a national network passes through here)
    n, d = concentration.numerator, concentration.denominator
    if n < 0:
        return None
    top = table.top
    if n * top.denominator > top.numerator * d:
        if not table.open_top:
            return None
        return SubIndex(parameter, table.key, concentration, table.unit, Fraction(500), 500, True)
    band = next(b for b in table.bands if n * b.c_high.denominator <= b.c_high.numerator * d)
    low_n, low_d = band.c_low.numerator, band.c_low.denominator
    high_n, high_d = band.c_high.numerator, band.c_high.denominator
    if n * low_d < low_n * d:
        return None
    # I = I_low + (I_high − I_low) · (C − BP_low) / (BP_high − BP_low), over the common denominator d · width
    width = high_n * low_d - low_n * high_d
    numerator = (band.i_high - band.i_low) * (n * low_d - low_n * d) * high_d + band.i_low * d * width
    value = Fraction(numerator, d * width)
    return SubIndex(parameter, table.key, concentration, table.unit, value, half_up(value), False)


def to_us_unit(parameter: str, ug_m3: float | Fraction) -> Fraction:
    """Convert µg/m³ to the US table unit: ppb for NO2/SO2, ppm for O3/CO, unchanged for PM (§1.15)."""
    if parameter not in MOLAR_MASS:
        return exact(ug_m3)
    ppb = exact(ug_m3) * MOLAR_VOLUME_L / MOLAR_MASS[parameter]
    return ppb / 1000 if parameter in ("o3", "co") else ppb


@dataclass(frozen=True)
class PeriodInputs:
    """Concentrations (µg/m³) behind one hourly or daily AQI.

    Hourly: ``nowcast`` of PM, ``one_hour`` the current 1-h average, ``eight_hour`` the 8-h mean ending this
    hour, ``day_mean`` the 24-h mean ending this hour. Daily: ``one_hour`` and ``eight_hour`` are the day's
    maxima, ``day_mean`` the 24-h means over 01:00–24:00 local.
    """

    period: Period
    nowcast: Mapping[str, float] = field(default_factory=dict)
    one_hour: Mapping[str, float] = field(default_factory=dict)
    eight_hour: Mapping[str, float] = field(default_factory=dict)
    day_mean: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AqiResult:
    """An AQI with everything a page must show: scale, category, colour, dominant pollutant, sub-indices."""

    scale: Scale
    period: Period
    aqi: int
    category: Category
    dominant: str
    beyond_scale: bool
    sub_indices: Mapping[str, SubIndex]

    @property
    def label(self) -> str:
        """The number with its scale, e.g. ``VN_AQI 59`` or ``US AQI 500+``."""
        return f"{SCALE_NAMES[self.scale]} {self.aqi}{'+' if self.beyond_scale else ''}"

    @property
    def health(self) -> HealthMessage | None:
        """Official health effect and advice (VN_AQI only; None for the US scale)."""
        return VN_HEALTH[self.category.level] if self.scale == "vn" else None


def category_for(scale: Scale, aqi: int) -> Category:
    """The category of a rounded AQI on a scale (values above 500 fall in the top category)."""
    return next((c for c in CATEGORIES[scale] if aqi <= c.high), CATEGORIES[scale][-1])


def _combine(scale: Scale, period: Period, subs: dict[str, SubIndex]) -> AqiResult | None:
    if not subs:
        return None
    ordered = [subs[p] for p in POLLUTANTS if p in subs]
    dominant = max(ordered, key=lambda s: s.aqi)  # max() keeps the first of equals: the tie order
    beyond = any(s.beyond_scale for s in ordered)
    return AqiResult(scale, period, dominant.aqi, category_for(scale, dominant.aqi), dominant.parameter, beyond, subs)


def _larger(*candidates: SubIndex | None) -> SubIndex | None:
    present = [c for c in candidates if c is not None]
    return max(present, key=lambda s: s.exact) if present else None


def _measured(value: float | None) -> float | None:
    """``value`` when it is a finite number; NaN and ±Infinity are not measurements and give no sub-index."""
    return value if value is not None and math.isfinite(value) else None


def _vn(table: str, parameter: str, value: float | None) -> SubIndex | None:
    value = _measured(value)
    return None if value is None else sub_index(VN_TABLES[table], parameter, exact(value))


def vn_aqi(inputs: PeriodInputs) -> AqiResult | None:
    """VN_AQI (hourly or daily) per 1459/QĐ-TCMT; None without a PM2.5 or PM10 sub-index (§1.4)."""
    subs: dict[str, SubIndex | None] = {}
    pm_source = inputs.nowcast if inputs.period == "hourly" else inputs.day_mean
    for pm in ("pm25", "pm10"):
        subs[pm] = _vn(pm, pm, pm_source.get(pm))
    for gas in ("no2", "so2", "co"):
        subs[gas] = _vn(gas, gas, inputs.one_hour.get(gas))
    o3_one_hour = _vn("o3_1h", "o3", inputs.one_hour.get("o3"))
    if inputs.period == "hourly":
        subs["o3"] = o3_one_hour
    else:  # the larger of AQI(8-h max) and AQI(1-h max); 8-h dropped above 400 µg/m³ (closed table)
        subs["o3"] = _larger(_vn("o3_8h", "o3", inputs.eight_hour.get("o3")), o3_one_hour)
    present = {p: s for p, s in subs.items() if s is not None}
    if "pm25" not in present and "pm10" not in present:
        return None
    return _combine("vn", inputs.period, present)


def _us(table: str, parameter: str, value: float | None) -> SubIndex | None:
    value = _measured(value)
    if value is None:
        return None
    concentration = truncate(to_us_unit(parameter, value), US_TRUNCATION[table])
    return sub_index(US_TABLES[table], parameter, concentration)


def _us_so2(one_hour: float | None, day_mean: float | None) -> SubIndex | None:
    """1-h SO2 defines AQI ≤ 200; above 304 ppb the 24-h mean decides, and AQI is at least 200 (§2.3)."""
    one_hour = _measured(one_hour)
    from_one_hour = _us("so2", "so2", one_hour)
    if one_hour is None or one_hour < 0 or from_one_hour is not None:
        return from_one_hour
    from_day = _us("so2_24h", "so2", day_mean)
    if from_day is not None:
        return from_day
    concentration = truncate(to_us_unit("so2", one_hour), US_TRUNCATION["so2"])
    return SubIndex("so2", "so2", concentration, "ppb", Fraction(200), 200, False)


def us_aqi(inputs: PeriodInputs) -> AqiResult | None:
    """US EPA AQI: PM from NowCast (hourly) or 24-h mean, O3 the larger of 8-h and (≥ 0.125 ppm) 1-h, CO 8-h.

    Gas concentrations are converted to ppm/ppb at 25 °C and truncated to the table precision before the
    lookup (standards §2.4). Any available sub-index gives an AQI (the VN PM requirement is not applied).
    """
    pm_source = inputs.nowcast if inputs.period == "hourly" else inputs.day_mean
    subs: dict[str, SubIndex | None] = {
        "pm25": _us("pm25", "pm25", pm_source.get("pm25")),
        "pm10": _us("pm10", "pm10", pm_source.get("pm10")),
        "o3": _larger(_us("o3_8h", "o3", inputs.eight_hour.get("o3")), _us("o3_1h", "o3", inputs.one_hour.get("o3"))),
        "no2": _us("no2", "no2", inputs.one_hour.get("no2")),
        "so2": _us_so2(inputs.one_hour.get("so2"), inputs.day_mean.get("so2")),
        "co": _us("co", "co", inputs.eight_hour.get("co")),
    }
    return _combine("us", inputs.period, {p: s for p, s in subs.items() if s is not None})


def compute_aqi(scale: Scale, inputs: PeriodInputs) -> AqiResult | None:
    """The AQI of ``inputs`` on ``scale`` (``vn`` or ``us``)."""
    return vn_aqi(inputs) if scale == "vn" else us_aqi(inputs)


# --- from hourly series to period inputs ------------------------------------------------------------------


def _mean(values: Sequence[float | None], minimum: int) -> float | None:
    present = [v for v in values if v is not None]
    return math.fsum(present) / len(present) if len(present) >= minimum else None


def eight_hour_means(hours: Sequence[float | None]) -> list[float | None]:
    """8-h means labelled by their last hour: element k averages ``hours[k-7 … k]`` (None if incomplete)."""
    return [
        _mean(hours[k - EIGHT_HOURS + 1 : k + 1], MIN_HOURS_PER_8H) if k >= EIGHT_HOURS - 1 else None
        for k in range(len(hours))
    ]


def hourly_inputs(series: Mapping[str, Sequence[float | None]]) -> PeriodInputs:
    """Inputs of the hourly AQI from chronological hourly averages ending at the current hour (≥ 24 long)."""
    nowcasts, one_hour, eight_hour, day_mean = {}, {}, {}, {}
    for parameter, hours in series.items():
        if parameter in ("pm25", "pm10"):
            value = nowcast(list(reversed(hours[-NOWCAST_HOURS:])))
            if value is not None:
                nowcasts[parameter] = value
        if hours and hours[-1] is not None:
            one_hour[parameter] = hours[-1]
        eight = _mean(hours[-EIGHT_HOURS:], MIN_HOURS_PER_8H) if len(hours) >= EIGHT_HOURS else None
        if eight is not None:
            eight_hour[parameter] = eight
        day = _mean(hours[-24:], MIN_HOURS_PER_DAY)
        if day is not None:
            day_mean[parameter] = day
    return PeriodInputs("hourly", nowcasts, one_hour, eight_hour, day_mean)


def daily_inputs(series: Mapping[str, Sequence[float | None]]) -> PeriodInputs:
    """Inputs of the daily AQI from chronological hourly averages whose last 24 are 01:00 … 24:00 local.

    Up to 7 hours before the day may precede them so that the early 8-h windows are complete (§1.8). A day
    statistic needs ≥ 18 of the 24 hours (PROJECT CONVENTION).
    """
    one_hour, eight_hour, day_mean = {}, {}, {}
    for parameter, hours in series.items():
        day = list(hours[-24:])
        if sum(v is not None for v in day) < MIN_HOURS_PER_DAY:
            continue
        day_mean[parameter] = _mean(day, MIN_HOURS_PER_DAY)
        one_hour[parameter] = max(v for v in day if v is not None)
        windows = [m for m in eight_hour_means(list(hours))[-24:] if m is not None]
        if windows:
            eight_hour[parameter] = max(windows)
    return PeriodInputs("daily", {}, one_hour, eight_hour, day_mean)


# --- explaining a result ("trình bày chi tiết cách tính", Bảng 3) -----------------------------------------

_NAMES = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O3", "no2": "NO2", "so2": "SO2", "co": "CO"}
_MEAN_1H, _MAX_1H = ("TB 1 giờ", "1-hour mean"), ("TB 1 giờ lớn nhất", "maximum 1-hour mean")
_MEAN_8H, _MAX_8H = ("TB 8 giờ", "8-hour mean"), ("TB 8 giờ lớn nhất", "maximum 8-hour mean")
_MEAN_24H, _NOWCAST = ("TB 24 giờ", "24-hour mean"), ("NowCast 12 giờ", "12-hour NowCast")
#: averaging basis by (scale or "*", period, table); anything else is the (maximum) 1-hour mean
_BASIS: dict[tuple[str, Period, str], tuple[str, str]] = {
    ("*", "hourly", "pm25"): _NOWCAST,
    ("*", "hourly", "pm10"): _NOWCAST,
    ("*", "hourly", "o3_8h"): _MEAN_8H,
    ("*", "daily", "pm25"): _MEAN_24H,
    ("*", "daily", "pm10"): _MEAN_24H,
    ("*", "daily", "o3_8h"): _MAX_8H,
    ("*", "hourly", "so2_24h"): _MEAN_24H,
    ("*", "daily", "so2_24h"): _MEAN_24H,
    ("us", "hourly", "co"): _MEAN_8H,
    ("us", "daily", "co"): _MAX_8H,
}


def explain(
    scale: Scale, period: Period, sub_indices: Mapping[str, Mapping[str, object]], lang: str = "vi"
) -> list[str]:
    """One line per sub-index: parameter, averaging basis, concentration with unit, sub-index on its scale.

    ``sub_indices`` is the stored form (``monitoring.aqi_store.sub_index_record``): per parameter ``aqi``,
    ``table``, ``concentration``, ``unit`` and ``beyond_scale``. Vietnamese uses the decimal comma.
    """
    english = lang == "en"
    lines = []
    for parameter in (p for p in POLLUTANTS if p in sub_indices):
        sub = sub_indices[parameter]
        table = str(sub["table"])
        fallback = _MEAN_1H if period == "hourly" else _MAX_1H
        vi_en = _BASIS.get((scale, period, table)) or _BASIS.get(("*", period, table)) or fallback
        basis = vi_en[1] if english else vi_en[0]
        number = f"{float(sub['concentration']):.3f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
        if not english:
            number = number.replace(".", ",")
        beyond = (" (beyond the scale)" if english else " (vượt thang)") if sub["beyond_scale"] else ""
        lines.append(
            f"{_NAMES[parameter]} — {basis}: {number} {sub['unit']} → {SCALE_NAMES[scale]} {sub['aqi']}{beyond}"
        )
    return lines
