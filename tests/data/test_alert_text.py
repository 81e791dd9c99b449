"""Alerts in words: the comparison sign is true of the numbers shown, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from data.alert_text import describe

NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)


def _alert(state: str, value: float | None, threshold: float | None) -> dict:
    return {
        "kind": "threshold",
        "rule_id": "air-pm25-24h",
        "state": state,
        "severity": "warning",
        "value": value,
        "threshold": threshold,
        "labels": {"parameter": "pm25", "unit": "µg/m³", "station_name": "Số 46 Lưu Quang Vũ"},
        "active_at": NOW - dt.timedelta(hours=5),
        "state_since": NOW - dt.timedelta(hours=1),
        "last_data_at": NOW,
    }


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_firing_alert_inside_its_hysteresis_band_does_not_claim_value_above_limit(language: str) -> None:
    what = describe(_alert("firing", 40.5, 45.0), language, now=NOW).what
    assert "<" in what and ">" not in what, what


@pytest.mark.parametrize(
    ("state", "value", "sign"),
    [("firing", 52.0, ">"), ("resolved", 30.0, "<"), ("pending", 45.0, "=")],
)
def test_the_sign_follows_the_numbers(state: str, value: float, sign: str) -> None:
    assert f" {sign} " in describe(_alert(state, value, 45.0), "vi", now=NOW).what


def test_without_a_value_the_state_decides() -> None:
    assert " ≤ " in describe(_alert("resolved", None, 45.0), "en", now=NOW).what
    assert " > " in describe(_alert("firing", None, 45.0), "en", now=NOW).what


def test_the_basis_reads_in_the_language_with_its_decimal_mark() -> None:
    alert = _alert("firing", 180.0, 135.0) | {
        "labels": {"parameter": "cod", "unit": "mg/L", "basis": "QCVN 40:2011 B × Kq 0.9 × Kf 1"}
    }
    assert describe(alert, "vi", now=NOW).what.endswith("QCVN 40:2011 cột B × Kq 0,9 × Kf 1")
    assert describe(alert, "en", now=NOW).what.endswith("QCVN 40:2011 column B × Kq 0.9 × Kf 1")


@pytest.mark.parametrize(
    ("language", "held"),
    [
        ("vi", " (trở lại trong ngưỡng từ 04/12/2026 16:30, giữ cảnh báo thêm để xác nhận)"),
        ("en", " (back within the limit since 04 Dec 2026 16:30, held to confirm)"),
    ],
)
def test_a_firing_alert_back_within_its_limit_says_since_when_and_why_it_still_fires(language: str, held: str) -> None:
    """keep_firing_for keeps an alert firing after the value complies again: the leader reads why."""
    alert = _alert("firing", 40.5, 45.0) | {"last_condition_at": NOW - dt.timedelta(minutes=30)}
    assert describe(alert, language, now=NOW).what.endswith(held)
    still_above = _alert("firing", 52.0, 45.0) | {"last_condition_at": NOW}
    assert "(" not in describe(still_above, language, now=NOW).what
