"""Parameter names and units: normalisation of station symbols and conversion to the standard's units."""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

MOLAR_VOLUME_25C: Final = 24.45
"""Litres per mole of an ideal gas at 25 °C and 760 mmHg (QCVN 05:2023 §1.3.10 normal conditions)."""

MOLAR_MASS: Final[dict[str, float]] = {
    "no2": 46.01,
    "so2": 64.07,
    "o3": 48.00,
    "co": 28.01,
    "no": 30.01,
    "nh3": 17.03,
    "h2s": 34.08,
}
"""Molar masses (g/mol) of the gases whose ppb/ppm values are converted (standards §1.15)."""

AIR_PARAMETERS: Final = frozenset({"pm25", "pm10", "pm", "no2", "so2", "o3", "co", "no", "nh3", "h2s", "vhg"})

_ALIASES: Final[dict[str, str]] = {
    "pm2,5": "pm25",
    "pm2.5": "pm25",
    "pm25": "pm25",
    "pm2_5": "pm25",
    "nh4+": "nh4",
    "nh4": "nh4",
    "nh4-n": "nh4",
    "temperature": "temp",
    "humidity": "rh",
    "relativehumidity": "rh",
    "colour": "color",
}
# Bảng 34 of Circular 10/2021 (standards §5.5), lower-cased, plus the weather names some feeds use.
KNOWN_PARAMETERS: Final = frozenset(
    {
        "flow", "temp", "color", "ph", "tss", "cod", "bod", "nh4", "tp", "tn", "toc", "cl", "rh", "p",
        "no", "no2", "co", "so2", "o2", "h2s", "nh3", "vhg", "pm", "o3", "pm10", "pm25",
    }
)  # fmt: skip

_UNIT_SPELLINGS: Final[dict[str, str]] = {
    "µg/m3": "µg/m³",
    "μg/m3": "µg/m³",
    "μg/m³": "µg/m³",
    "ug/m3": "µg/m³",
    "ug/m³": "µg/m³",
    "µg/nm3": "µg/m³",
    "mg/m3": "mg/m³",
    "mg/m³": "mg/m³",
    "mg/l": "mg/L",
    "oc": "°C",
    "°c": "°C",
    "c": "°C",
    "m3/h": "m³/h",
    "m³/h": "m³/h",
    "pt-co": "Pt-Co",
    "ppb": "ppb",
    "ppm": "ppm",
    "%": "%",
    "-": "",
    "": "",
}


def normalise_parameter(symbol: str) -> str | None:
    """The canonical parameter key for a station symbol, or None when it is not a known parameter.

    Matching is case-insensitive and ignores spaces; ``PM2,5``, ``PM2.5`` and ``PM25`` give ``pm25``,
    ``NH4+`` gives ``nh4`` (standards §5.5).
    """
    key = re.sub(r"\s+", "", str(symbol)).lower()
    key = _ALIASES.get(key, key)
    return key if key in KNOWN_PARAMETERS else None


def normalise_unit(unit: str) -> str:
    """One spelling per unit (``ug/m3`` → ``µg/m³``, ``oC`` → ``°C``); unknown units pass as given."""
    text = str(unit).strip()
    return _UNIT_SPELLINGS.get(text.lower(), text)


def to_standard_units(parameter: pd.Series, value: pd.Series, unit: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert air-gas values to µg/m³ at 25 °C; other values keep their (normalised) unit.

    ``µg/m³ = ppb × M / 24.45`` and ``ppm = 1000 ppb`` (standards §1.15); ``mg/m³ × 1000``.

    Returns
    -------
    The converted values and units, aligned with the inputs.
    """
    units = unit.map(normalise_unit)
    values = value.astype("float64").copy()
    molar = parameter.map(MOLAR_MASS).astype("float64")
    per_ppb = molar / MOLAR_VOLUME_25C
    is_ppb = (units == "ppb") & molar.notna()
    is_ppm = (units == "ppm") & molar.notna()
    is_mg = (units == "mg/m³") & parameter.isin(AIR_PARAMETERS)
    values = values.mask(is_ppb, values * per_ppb)
    values = values.mask(is_ppm, values * per_ppb * 1000.0)
    values = values.mask(is_mg, values * 1000.0)
    units = units.mask(is_ppb | is_ppm | is_mg, "µg/m³")
    return values.astype("float64"), units
