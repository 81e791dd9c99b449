"""Canonical reading schema: parameter names, unit conversion (standards §1.15) and row validation."""

from __future__ import annotations

import pandas as pd
import pytest

from monitoring.errors import ReadingsSchemaError
from monitoring.schema import canonicalise, validate_readings
from monitoring.units import normalise_parameter, to_standard_units


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [("PM2,5", "pm25"), ("PM2.5", "pm25"), ("pm25", "pm25"), ("NH4+", "nh4"), ("NH4", "nh4"), ("COD", "cod"),
     ("TSS", "tss"), ("pH", "ph"), ("Temp", "temp"), ("Flow", "flow"), ("Color", "color"), (" co ", "co"),
     ("Lead", None)],
)  # fmt: skip
def test_parameter_symbols_normalise(symbol: str, expected: str | None) -> None:
    assert normalise_parameter(symbol) == expected


def test_gas_units_convert_at_25_degrees() -> None:
    parameter = pd.Series(["no2", "so2", "o3", "co", "co", "pm25", "cod"])
    value = pd.Series([1.0, 1.0, 1.0, 1.0, 1.25, 0.05, 45.2])
    unit = pd.Series(["ppb", "ppb", "ppb", "ppm", "mg/m3", "mg/m³", "mg/L"])
    converted, units = to_standard_units(parameter, value, unit)
    # standards.md §1.15 table: 1 ppb NO2 = 1.882, SO2 = 2.620, O3 = 1.963; 1 ppm CO = 1 146 µg/m³
    assert converted.round(3).tolist()[:3] == [1.882, 2.620, 1.963]
    assert converted[3] == pytest.approx(1145.6, abs=0.1)
    assert converted[4] == pytest.approx(1250.0) and converted[5] == pytest.approx(50.0)
    assert converted[6] == 45.2 and units.tolist() == ["µg/m³"] * 6 + ["mg/L"]


def test_rows_with_problems_are_rejected_with_every_reason() -> None:
    raw = pd.DataFrame(
        {
            "station_id": ["A", ""],
            "parameter": ["NO2", "XX"],
            "value": [10, "n/a"],
            "unit": ["ppb", "mg/L"],
            "observed_at": pd.to_datetime(["2025-01-01T00:00:00Z"] * 2),
            "status": ["00", "9"],
        }
    )
    accepted, rejects = canonicalise(raw, source="test.csv")
    assert len(accepted) == 1 and accepted.loc[0, "value"] == pytest.approx(18.818, abs=1e-3)
    [reject] = rejects
    assert reject.row_number == 2 and reject.field == "station_id, parameter, value, status"
    assert "unknown parameter symbol 'XX'" in reject.reason and "'n/a'" in reject.reason
    assert reject.raw["value"] == "n/a"


def test_air_value_in_an_unconvertible_unit_is_rejected() -> None:
    raw = pd.DataFrame(
        {"station_id": ["A"], "parameter": ["pm10"], "value": [3.0], "unit": ["ppb"],
         "observed_at": pd.to_datetime(["2025-01-01T00:00:00Z"]), "status": ["00"]}
    )  # fmt: skip
    accepted, [reject] = canonicalise(raw, source="t")
    assert accepted.empty and reject.field == "unit"


def test_naive_times_and_missing_columns_are_schema_errors() -> None:
    naive = pd.DataFrame(
        {"station_id": ["A"], "parameter": ["co"], "value": [1.0], "unit": ["µg/m³"],
         "observed_at": pd.to_datetime(["2025-01-01"]), "status": ["00"]}
    )  # fmt: skip
    with pytest.raises(ReadingsSchemaError, match="tz-aware"):
        canonicalise(naive, source="t")
    with pytest.raises(ReadingsSchemaError, match="lack column"):
        canonicalise(naive.drop(columns="status"), source="t")
    with pytest.raises(ReadingsSchemaError, match="missing column 'source'"):
        validate_readings(naive)
