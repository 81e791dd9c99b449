"""QCVN limits from the shipped config: the PM2.5 date switch, QCVN 40 Cmax = C × Kq × Kf (W1–W5), permits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from data.config import PACKAGE_CONFIG_DIR
from monitoring.thresholds import LimitProfile, ThresholdTable, load_thresholds, period_date

HANOI = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def table() -> ThresholdTable:
    return load_thresholds(PACKAGE_CONFIG_DIR / "thresholds.toml")


def test_pm25_24h_limit_switches_on_2026_01_01(table: ThresholdTable) -> None:
    before = table.ambient_limit("pm25", "24h", dt.date(2025, 12, 31))
    after = table.ambient_limit("pm25", "24h", dt.date(2026, 1, 2))
    assert before is not None and after is not None
    assert (before.high, after.high) == (50, 45)
    assert not before.exceeded_by(48)  # compliant on 2025-12-31
    assert after.exceeded_by(48)  # exceeds on 2026-01-02
    first_day = table.ambient_limit("pm25", "24h", dt.date(2026, 1, 1))
    assert first_day is not None and first_day.high == 45
    assert table.ambient_limit("pm25", "year", dt.date(2026, 6, 1)).high == 25  # type: ignore[union-attr]


def test_pm10_tightened_in_2023(table: ThresholdTable) -> None:
    limit_2023 = table.ambient_limit("pm10", "24h", dt.date(2024, 5, 1))
    limit_2013 = table.ambient_limit("pm10", "24h", dt.date(2020, 5, 1))
    assert limit_2023 is not None and limit_2013 is not None
    assert limit_2023.exceeded_by(120)
    assert not limit_2013.exceeded_by(120)
    assert limit_2023.basis == "QCVN 05:2023 (24h)"


def test_no2_one_hour_equal_to_limit_is_compliant(table: ThresholdTable) -> None:
    limit = table.ambient_limit("no2", "1h", dt.date(2025, 6, 1))
    assert limit is not None
    assert not limit.exceeded_by(200)
    assert limit.exceeded_by(201)


def test_never_compares_with_another_period(table: ThresholdTable) -> None:
    assert table.ambient_limit("pm25", "1h", dt.date(2025, 6, 1)) is None


def test_period_date_is_hour_ending_local() -> None:
    # the 24-h mean over 01:00–24:00 of 31 Dec 2025 ends at 00:00 on 1 Jan 2026 local: it belongs to 31 Dec
    assert period_date(dt.datetime(2026, 1, 1, 0, tzinfo=HANOI)) == dt.date(2025, 12, 31)
    assert period_date(dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)) == dt.date(2025, 12, 31)
    assert period_date(dt.datetime(2025, 12, 31, 17, 1, tzinfo=dt.UTC)) == dt.date(2026, 1, 1)


DAY = dt.date(2025, 6, 1)


def test_w1_cod_column_b_river(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json({"standard": "QCVN 40:2011", "column": "B", "kq": 1.0, "kf": 1.0})
    limit = table.effluent_limit(profile, "cod", DAY)
    assert limit is not None and limit.high == 150
    assert limit.exceeded_by(163)
    assert limit.exceedance_percent(163) == pytest.approx(8.67, abs=0.01)
    assert limit.basis == "QCVN 40:2011 B × Kq 1 × Kf 1"


def test_w2_cod_column_a_small_lake(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json({"standard": "QCVN 40:2011", "column": "A", "kq": 0.6, "kf": 1.2})
    assert table.effluent_limit(profile, "cod", DAY).high == 54.0  # type: ignore[union-attr]


def test_w3_ammonium_column_b_large_river(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json({"standard": "QCVN 40:2011", "column": "B", "kq": 1.2, "kf": 0.9})
    assert table.effluent_limit(profile, "nh4", DAY).high == 10.8  # type: ignore[union-attr]  # exact decimal


def test_w4_ph_range_and_temperature_ignore_factors(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json({"standard": "QCVN 40:2011", "column": "B", "kq": 0.6, "kf": 1.2})
    ph = table.effluent_limit(profile, "ph", DAY)
    assert ph is not None and (ph.low, ph.high) == (5.5, 9.0)
    assert ph.exceeded_by(5.4) and ph.exceeded_by(9.1) and not ph.exceeded_by(9.0)
    assert table.effluent_limit(profile, "temp", DAY).high == 40  # type: ignore[union-attr]


def test_w5_sewer_without_wwtp_is_column_b_without_factors(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json(
        {"standard": "QCVN 40:2011", "column": "A", "kq": 0.6, "kf": 1.2, "receiving": "sewer"}
    )
    assert table.effluent_limit(profile, "cod", DAY).high == 150  # type: ignore[union-attr]


def test_qcvn14_k_factor_except_ph_and_coliform(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json({"standard": "QCVN 14:2008", "column": "B", "k": 1.2})
    assert table.effluent_limit(profile, "bod", DAY).high == 60.0  # type: ignore[union-attr]
    assert table.effluent_limit(profile, "coliform", DAY).high == 5000  # type: ignore[union-attr]
    ph = table.effluent_limit(profile, "ph", DAY)
    assert ph is not None and (ph.low, ph.high) == (5.0, 9.0)


def test_permit_override_replaces_qcvn_value(table: ThresholdTable) -> None:
    profile = LimitProfile.from_json(
        {
            "standard": "QCVN 40:2011",
            "column": "B",
            "kq": 1.0,
            "kf": 1.0,
            "overrides": {"cod": 100, "ph": [6, 8.5]},
        }
    )
    cod = table.effluent_limit(profile, "cod", DAY)
    assert cod is not None and cod.high == 100 and cod.exceeded_by(120)
    assert (cod.unit, cod.basis) == ("mg/L", "giấy phép (permit)")  # alerts read "156 mg/L > 100 mg/L, permit"
    ph = table.effluent_limit(profile, "ph", DAY)
    assert ph is not None and ph.high == 8.5 and ph.unit == ""
    assert table.effluent_limit(profile, "tss", DAY).high == 100  # type: ignore[union-attr]


def test_flow_banded_class_rows(tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text(
        '[[standard]]\nname = "QCVN 40:2025"\nkind = "effluent"\neffective_from = 2025-09-01\nlimits = [\n'
        '  { parameter = "cod", unit = "mg/L", C = 100, flow_max = 5000 },\n'
        '  { parameter = "cod", unit = "mg/L", C = 80, flow_min = 5000 },\n]\n',
        encoding="utf-8",
    )
    table = load_thresholds(config)
    small = LimitProfile.from_json({"standard": "QCVN 40:2025", "column": "C", "flow": 1200})
    large = LimitProfile.from_json({"standard": "QCVN 40:2025", "column": "C", "flow": 8000})
    in_force = dt.date(2025, 10, 1)
    assert table.effluent_limit(small, "cod", in_force).high == 100  # type: ignore[union-attr]
    assert table.effluent_limit(large, "cod", in_force).high == 80  # type: ignore[union-attr]
    assert table.effluent_limit(small, "cod", dt.date(2025, 8, 31)) is None


def test_bad_config_names_the_entry(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[[standard]]\nname = "X"\nkind = "ambient"\neffective_from = 2020-01-01\n'
        'limits = [ { parameter = "no2", "1h" = "two hundred" } ]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"bad.toml: standard #1 \(X\), limit #1 \(no2\): 1h must be a number"):
        load_thresholds(config)
