"""VN_AQI and US AQI against the worked examples of standards.md §1.14 and values derived from §2.3–§2.5."""

from __future__ import annotations

from fractions import Fraction

import pytest

from monitoring.aqi import (
    PeriodInputs,
    category_for,
    daily_inputs,
    eight_hour_means,
    half_up,
    hourly_inputs,
    nowcast,
    sub_index,
    to_us_unit,
    truncate,
    us_aqi,
    vn_aqi,
)
from monitoring.aqi_tables import CATEGORIES, VN_HEALTH, VN_TABLES

# V1: PM2.5 hourly values 09:00 → 20:00 (official example of 1459 §2.3)
V1_HOURS = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]

# V4: hourly O3 from 18:00 of day D−1 to 00:00 of day D+1 (31 values)
V4_O3 = [
    15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7, 22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7,
    49.2, 55.8, 69.6, 78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3,
]  # fmt: skip


def test_v1_official_nowcast_and_hourly_pm25() -> None:
    value = nowcast(list(reversed(V1_HOURS)))  # c1 is the current hour (20:00)
    assert value == pytest.approx(20.2658, abs=1e-4)
    result = vn_aqi(PeriodInputs("hourly", nowcast={"pm25": value}))
    assert result is not None
    assert result.aqi == 41
    assert result.sub_indices["pm25"].exact == pytest.approx(40.5316, abs=1e-4)


def test_v1_through_hourly_inputs_with_older_hours_missing() -> None:
    series = {"pm25": [None] * 12 + V1_HOURS}
    inputs = hourly_inputs(series)
    assert inputs.nowcast["pm25"] == pytest.approx(20.2658, abs=1e-4)
    assert inputs.one_hour["pm25"] == 20.6


def test_v2_official_hourly_aqi() -> None:
    # The official document prints 60; half-up of 59.35 is 59 (standards.md §1.10 / §1.14 V2: the printed
    # examples are inconsistent and the PROJECT CONVENTION is half-up).
    inputs = PeriodInputs("hourly", nowcast={"pm25": 20.3}, one_hour={"o3": 136.1, "no2": 118.7})
    result = vn_aqi(inputs)
    assert result is not None
    assert {p: s.aqi for p, s in result.sub_indices.items()} == {"o3": 43, "no2": 59, "pm25": 41}
    assert result.sub_indices["o3"].exact == Fraction("42.53125")
    assert result.sub_indices["no2"].exact == Fraction("59.35")
    assert result.aqi == 59
    assert result.dominant == "no2"
    assert result.category.label_vi == "Trung bình"
    assert result.label == "VN_AQI 59"


def test_v3_official_daily_aqi() -> None:
    inputs = PeriodInputs(
        "daily",
        one_hour={"o3": 114.6, "no2": 130.8},
        eight_hour={"o3": 89.3},
        day_mean={"pm25": 55.7},
    )
    result = vn_aqi(inputs)
    assert result is not None
    o3 = result.sub_indices["o3"]
    assert (o3.table, o3.exact, o3.aqi) == ("o3_8h", Fraction("44.65"), 45)
    assert result.sub_indices["no2"].aqi == 65
    assert result.sub_indices["pm25"].exact == Fraction("109.5")
    assert result.aqi == 110
    assert result.dominant == "pm25"
    assert result.category.label_vi == "Kém"


def test_v4_eight_hour_means_and_daily_o3() -> None:
    means = eight_hour_means(V4_O3)
    day = means[-24:]  # labelled 01:00 … 24:00 of day D
    assert day[0] == pytest.approx(17.975)
    assert day[2] == pytest.approx(21.25)  # 03:00; the official table prints 21.2 (display rounding)
    assert max(day) == pytest.approx(74.3875)
    assert day.index(max(day)) == 16  # 17:00
    inputs = daily_inputs({"o3": V4_O3})
    assert inputs.one_hour["o3"] == 97.7
    assert inputs.day_mean["o3"] == pytest.approx(44.5458, abs=1e-4)
    assert vn_aqi(inputs) is None  # no PM2.5 or PM10: no VN_AQI (§1.4)
    with_pm = daily_inputs({"o3": V4_O3, "pm25": [10.0] * 31})
    result = vn_aqi(with_pm)
    assert result is not None
    assert result.sub_indices["o3"].aqi == 37
    assert result.sub_indices["o3"].table == "o3_8h"


@pytest.mark.parametrize(
    ("parameter", "concentration", "expected_aqi", "level", "beyond"),
    [
        ("pm25", 25.0, 50, 1, False),
        ("pm25", 25.2, 50, 1, False),
        ("pm25", 25.25, 51, 2, False),
        ("pm25", 50.1, 100, 2, False),
        ("pm25", 150.0, 200, 4, False),
        ("pm10", 600, 500, 6, False),
        ("pm10", 750, 500, 6, True),
    ],
)
def test_v8_boundaries_and_caps(
    parameter: str, concentration: float, expected_aqi: int, level: int, beyond: bool
) -> None:
    result = vn_aqi(PeriodInputs("daily", day_mean={parameter: concentration}))
    assert result is not None
    assert (result.aqi, result.category.level, result.beyond_scale) == (expected_aqi, level, beyond)


def test_v8_co_ten_mg_is_fifty() -> None:
    co = sub_index(VN_TABLES["co"], "co", Fraction(10000))
    assert co is not None
    assert (co.aqi, category_for("vn", co.aqi).label_vi) == (50, "Tốt")


def test_half_up_is_not_bankers_rounding() -> None:
    assert half_up(Fraction(45, 2)) == 23
    assert half_up(109.4999999) == 110
    assert half_up(Fraction(10949, 100)) == 109
    assert half_up(59.35) == 59


def test_pre_rounding_is_exact_at_the_boundary() -> None:
    # the boundary of the 6-decimal pre-round: k + 0.4999995 rounds up, anything below it down, however close
    boundary = Fraction(1_4999995, 10**7)
    assert half_up(boundary) == 2
    assert half_up(boundary - Fraction(1, 10**30)) == 1
    assert truncate(Fraction(12_3999995, 10**7), Fraction(1, 10)) == Fraction(124, 10)
    assert truncate(Fraction(12_3999995, 10**7) - Fraction(1, 10**30), Fraction(1, 10)) == Fraction(123, 10)


def test_sub_index_at_breakpoints_and_in_between() -> None:
    pm25 = VN_TABLES["pm25"]  # 25 ↔ 50, 50 ↔ 100
    at_low, at_high = sub_index(pm25, "pm25", Fraction(25)), sub_index(pm25, "pm25", Fraction(50))
    assert at_low is not None and at_high is not None
    assert (at_low.exact, at_low.aqi, at_high.exact, at_high.aqi) == (50, 50, 100, 100)
    inside = sub_index(pm25, "pm25", Fraction(3001, 100))  # 50 + 50/25 × 5.01 = 60.02
    assert inside is not None and (inside.exact, inside.aqi) == (Fraction(6002, 100), 60)


def test_nowcast_rules() -> None:
    assert nowcast([None, None, 20.0, 30.0]) is None  # needs 2 of c1..c3
    assert nowcast([None, 20.0, 20.0]) == pytest.approx(20.0)
    # missing c2 drops out of both sums; w* = 10/20 → w = 1/2: (10 + 0.25·20) / (1 + 0.25) = 12
    assert nowcast([10.0, None, 20.0]) == pytest.approx(12.0)
    assert nowcast([0.0, 0.0, 0.0]) == 0.0


def test_negative_concentration_gives_no_sub_index() -> None:
    assert sub_index(VN_TABLES["no2"], "no2", Fraction(-1)) is None


def test_o3_eight_hour_dropped_above_400() -> None:
    inputs = PeriodInputs("daily", one_hour={"o3": 300.0}, eight_hour={"o3": 450.0}, day_mean={"pm25": 10.0})
    result = vn_aqi(inputs)
    assert result is not None
    assert (result.sub_indices["o3"].table, result.sub_indices["o3"].aqi) == ("o3_1h", 150)


def test_dominant_tie_goes_to_pm25() -> None:
    # PM2.5 25 → 50 and CO 10 000 → 50: equal sub-indices, PM2.5 first in the tie order
    result = vn_aqi(PeriodInputs("hourly", nowcast={"pm25": 25.0}, one_hour={"co": 10000.0}))
    assert result is not None
    assert (result.aqi, result.dominant) == (50, "pm25")


def test_categories_colours_and_health_text() -> None:
    hexes = [c.hex for c in CATEGORIES["vn"]]
    assert hexes == ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#8F3F97", "#7E0023"]
    assert VN_HEALTH[5].effect_vi.startswith("Cảnh báo hưởng tới sức khỏe:")  # official typo kept
    assert VN_HEALTH[6].public_vi == VN_HEALTH[6].sensitive_vi
    result = vn_aqi(PeriodInputs("daily", day_mean={"pm25": 55.7}))
    assert result is not None and result.health is not None
    assert result.health.sensitive_en.startswith("Reduce strenuous activity")


# --- US EPA AQI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pm25", "expected"),
    [(9.0, 50), (9.1, 51), (12.0, 56), (35.4, 100), (35.49, 100), (35.5, 101), (55.4, 150), (55.5, 151)],
)
def test_us_pm25_2024_breakpoints_and_truncation(pm25: float, expected: int) -> None:
    result = us_aqi(PeriodInputs("daily", day_mean={"pm25": pm25}))
    assert result is not None
    assert result.aqi == expected
    assert result.label == f"US AQI {expected}"


def test_us_pm10_and_beyond_scale() -> None:
    assert us_aqi(PeriodInputs("daily", day_mean={"pm10": 154.9})).aqi == 100  # type: ignore[union-attr]
    assert us_aqi(PeriodInputs("daily", day_mean={"pm10": 155})).aqi == 101  # type: ignore[union-attr]
    over = us_aqi(PeriodInputs("daily", day_mean={"pm25": 400.0}))
    assert over is not None
    assert (over.aqi, over.beyond_scale, over.label) == (500, True, "US AQI 500+")
    assert over.category.label_en == "Hazardous"


def test_us_gas_units_at_25_degrees() -> None:
    # 100 ppb NO2 = 100 × 46.01 / 24.45 = 188.18 µg/m³
    assert float(to_us_unit("no2", 188.18)) == pytest.approx(100.0, abs=0.01)
    assert float(to_us_unit("co", 1146.0)) == pytest.approx(1.0, abs=0.001)  # ppm
    result = us_aqi(
        PeriodInputs(
            "hourly",
            one_hour={
                "no2": 188.2,
                "o3": 100.0,
            },  # NO2 100.01 ppb → 100; O3 1-h 0.051 ppm < 0.125: no 1-h AQI
            eight_hour={"o3": 137.5, "co": 10770.0},  # 0.07003 ppm → 0.070 → 100; CO 9.401 ppm → 9.4 → 100
        )
    )
    assert result is not None
    assert {p: s.aqi for p, s in result.sub_indices.items()} == {"no2": 100, "o3": 100, "co": 100}
    assert result.sub_indices["o3"].table == "o3_8h"
    assert result.dominant == "o3"  # tie order O3 > NO2 > CO


def test_us_o3_one_hour_used_when_higher() -> None:
    # 0.125 ppm = 125 × 48 / 24.45 = 245.4 µg/m³ → 1-h AQI 101, larger than the 8-h AQI
    result = us_aqi(PeriodInputs("hourly", one_hour={"o3": 245.5}, eight_hour={"o3": 100.0}))
    assert result is not None
    assert (result.sub_indices["o3"].table, result.aqi) == ("o3_1h", 101)


def test_us_so2_above_304_ppb_uses_24h_mean() -> None:
    high_hour = 400 * 64.07 / 24.45  # 400 ppb
    without_day = us_aqi(PeriodInputs("hourly", one_hour={"so2": high_hour}))
    assert without_day is not None and without_day.aqi == 200
    day_mean = 305.2 * 64.07 / 24.45
    with_day = us_aqi(PeriodInputs("hourly", one_hour={"so2": high_hour}, day_mean={"so2": day_mean}))
    assert with_day is not None and with_day.aqi == 201


def test_explain_lists_each_sub_index_with_its_basis_unit_and_scale() -> None:
    from monitoring.aqi import explain
    from monitoring.aqi_store import sub_index_record

    v3 = vn_aqi(
        PeriodInputs("daily", one_hour={"o3": 114.6, "no2": 130.8}, eight_hour={"o3": 89.3}, day_mean={"pm25": 55.7})
    )
    assert v3 is not None
    assert explain("vn", "daily", sub_index_record(v3)) == [
        "PM2.5 — TB 24 giờ: 55,7 µg/m³ → VN_AQI 110",
        "O3 — TB 8 giờ lớn nhất: 89,3 µg/m³ → VN_AQI 45",
        "NO2 — TB 1 giờ lớn nhất: 130,8 µg/m³ → VN_AQI 65",
    ]
    over = us_aqi(PeriodInputs("hourly", nowcast={"pm25": 400.0}, one_hour={"no2": 188.2}))
    assert over is not None
    assert explain("us", "hourly", sub_index_record(over), lang="en") == [
        "PM2.5 — 12-hour NowCast: 400 µg/m³ → US AQI 500 (beyond the scale)",
        "NO2 — 1-hour mean: 100 ppb → US AQI 100",
    ]
    us_co = us_aqi(PeriodInputs("daily", eight_hour={"co": 10770.0}))
    assert us_co is not None
    assert explain("us", "daily", sub_index_record(us_co)) == ["CO — TB 8 giờ lớn nhất: 9,4 ppm → US AQI 100"]
