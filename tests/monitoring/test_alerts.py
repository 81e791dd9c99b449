"""The pure alert state machine: every transition, keep_firing_for, hysteresis, STALE never resolving."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from data.alert_states import AlertState
from monitoring.alert_rules import load_alert_rules
from monitoring.alerts import Alert, RuleTiming, evaluate
from monitoring.signals import Signal

T0 = dt.datetime(2025, 3, 8, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
KEY = ("pm25-24h", "station:S1/pm25")


def sig(
    condition: bool | None, value: float | None = 60.0, at: dt.datetime | None = None, subject: str = KEY[1]
) -> Signal:
    return Signal(KEY[0], subject, condition, value=value, threshold=50.0, observed_at=at, message="PM2.5")


class Run:
    """Feeds signals to ``evaluate`` round after round, keeping the alerts like the store does."""

    def __init__(self, timing: RuleTiming) -> None:
        self.timing = timing
        self.alerts: dict[tuple[str, str], Alert] = {}
        self.history: list[tuple[AlertState | None, AlertState]] = []

    def at(self, now: dt.datetime, *signals: Signal) -> Alert | None:
        result = evaluate(signals, self.alerts, {KEY[0]: self.timing}, now)
        self.alerts = result.alerts
        self.history += [(t.from_state, t.to_state) for t in result.transitions]
        return self.alerts.get(KEY)

    def state(self) -> AlertState:
        return self.alerts[KEY].state


def test_inactive_pending_firing_resolved() -> None:
    run = Run(RuleTiming(for_=10 * MIN))
    assert run.at(T0, sig(True)).state == AlertState.PENDING  # type: ignore[union-attr]
    assert run.at(T0 + 5 * MIN, sig(True)).state == AlertState.PENDING  # type: ignore[union-attr]
    firing = run.at(T0 + 10 * MIN, sig(True))
    assert firing is not None and firing.state == AlertState.FIRING
    assert (firing.active_at, firing.fired_at) == (T0, T0 + 10 * MIN)
    resolved = run.at(T0 + 15 * MIN, sig(False, 40.0))
    assert resolved is not None and resolved.state == AlertState.RESOLVED
    assert resolved.resolved_at == T0 + 15 * MIN
    assert run.history == [
        (None, AlertState.PENDING),
        (AlertState.PENDING, AlertState.FIRING),
        (AlertState.FIRING, AlertState.RESOLVED),
    ]


def test_no_for_fires_at_once_and_clear_signal_creates_nothing() -> None:
    run = Run(RuleTiming())
    assert run.at(T0, sig(False, 10.0)) is None
    assert run.at(T0 + MIN, sig(True)).state == AlertState.FIRING  # type: ignore[union-attr]
    assert run.history == [(None, AlertState.FIRING)]


def test_pending_goes_back_to_inactive_when_condition_clears_before_for() -> None:
    run = Run(RuleTiming(for_=30 * MIN))
    run.at(T0, sig(True))
    alert = run.at(T0 + 10 * MIN, sig(False, 20.0))
    assert alert is not None and alert.state == AlertState.INACTIVE
    assert alert.active_at is None and alert.fired_at is None
    # a new breach starts a new `for` wait
    run.at(T0 + 20 * MIN, sig(True))
    assert run.at(T0 + 45 * MIN, sig(True)).state == AlertState.PENDING  # type: ignore[union-attr]
    assert run.at(T0 + 50 * MIN, sig(True)).state == AlertState.FIRING  # type: ignore[union-attr]


def test_keep_firing_for_outlives_the_condition() -> None:
    run = Run(RuleTiming(keep_firing_for=30 * MIN))
    run.at(T0, sig(True))  # last breach at T0: firing lasts until T0 + 30 min
    assert run.at(T0 + 10 * MIN, sig(False, 20.0)).state == AlertState.FIRING  # type: ignore[union-attr]
    assert run.at(T0 + 29 * MIN, sig(False, 20.0)).state == AlertState.FIRING  # type: ignore[union-attr]
    assert run.at(T0 + 30 * MIN, sig(False, 20.0)).state == AlertState.RESOLVED  # type: ignore[union-attr]
    assert run.history == [(None, AlertState.FIRING), (AlertState.FIRING, AlertState.RESOLVED)]


def test_hysteresis_band_holds_an_open_alert_only() -> None:
    run = Run(RuleTiming(clear_ratio=0.9))  # fire above 50, clear below 45
    assert run.at(T0, sig(False, 47.0)) is None  # in the band but nothing open: no alert
    run.at(T0 + MIN, sig(True, 60.0))
    assert run.at(T0 + 2 * MIN, sig(False, 47.0)).state == AlertState.FIRING  # type: ignore[union-attr]
    assert run.at(T0 + 3 * MIN, sig(False, 45.0)).state == AlertState.FIRING  # type: ignore[union-attr]
    assert run.at(T0 + 4 * MIN, sig(False, 44.9)).state == AlertState.RESOLVED  # type: ignore[union-attr]


def test_absolute_clear_level() -> None:
    run = Run(RuleTiming(clear_below=141))
    run.at(T0, sig(True, 160.0))
    assert run.at(T0 + MIN, sig(False, 145.0)).state == AlertState.FIRING  # type: ignore[union-attr]
    assert run.at(T0 + 2 * MIN, sig(False, 140.0)).state == AlertState.RESOLVED  # type: ignore[union-attr]


def test_station_dies_mid_exceedance_goes_stale_never_resolves_and_resumes() -> None:
    run = Run(RuleTiming(for_=10 * MIN, stale_after=dt.timedelta(hours=3)))
    run.at(T0, sig(True, at=T0))
    run.at(T0 + 10 * MIN, sig(True, at=T0 + 10 * MIN))
    fired_at = run.alerts[KEY].fired_at
    # the station stops: the provider still reports its last (old) value, then nothing at all
    assert run.at(T0 + 4 * dt.timedelta(hours=1), sig(True, at=T0 + 10 * MIN)).state == AlertState.STALE  # type: ignore[union-attr]
    assert run.at(T0 + dt.timedelta(hours=8), sig(None)).state == AlertState.STALE  # type: ignore[union-attr]
    assert run.at(T0 + dt.timedelta(days=2), sig(None)).state == AlertState.STALE  # type: ignore[union-attr]
    back = run.at(T0 + dt.timedelta(days=2, hours=1), sig(True, at=T0 + dt.timedelta(days=2, hours=1)))
    assert back is not None and back.state == AlertState.FIRING
    assert back.fired_at == fired_at  # the same episode continues, no new `for` wait
    assert back.resolved_at is None
    assert run.history == [
        (None, AlertState.PENDING),
        (AlertState.PENDING, AlertState.FIRING),
        (AlertState.FIRING, AlertState.STALE),
        (AlertState.STALE, AlertState.FIRING),
    ]


def test_missing_subject_of_an_evaluated_rule_goes_stale() -> None:
    run = Run(RuleTiming())
    run.at(T0, sig(True))
    other = sig(False, 10.0, subject="station:S2/pm25")
    assert run.at(T0 + MIN, other).state == AlertState.STALE  # type: ignore[union-attr]
    # a round in which the rule produced nothing at all leaves the alert untouched
    result = evaluate([], run.alerts, {}, T0 + 2 * MIN)
    assert result.alerts[KEY].state == AlertState.STALE and result.transitions == []


def test_stale_pending_resumes_its_for_wait_and_stale_firing_resolves_when_clear() -> None:
    run = Run(RuleTiming(for_=30 * MIN))
    run.at(T0, sig(True))
    assert run.at(T0 + 10 * MIN, sig(None)).state == AlertState.STALE  # type: ignore[union-attr]
    assert run.at(T0 + 20 * MIN, sig(True)).state == AlertState.PENDING  # type: ignore[union-attr]
    assert run.at(T0 + 30 * MIN, sig(True)).state == AlertState.FIRING  # type: ignore[union-attr]  # from T0
    run.at(T0 + 40 * MIN, sig(None))
    assert run.at(T0 + 50 * MIN, sig(False, 10.0)).state == AlertState.RESOLVED  # type: ignore[union-attr]


def test_no_data_for_an_inactive_or_resolved_alert_changes_nothing() -> None:
    run = Run(RuleTiming())
    assert run.at(T0, sig(None)) is None
    run.at(T0 + MIN, sig(True))
    run.at(T0 + 2 * MIN, sig(False, 1.0))
    assert run.at(T0 + 3 * MIN, sig(None)).state == AlertState.RESOLVED  # type: ignore[union-attr]


def test_same_time_twice_is_a_no_op() -> None:
    run = Run(RuleTiming(for_=10 * MIN))
    run.at(T0, sig(True))
    first = dict(run.alerts)
    result = evaluate([sig(True)], run.alerts, {KEY[0]: run.timing}, T0)
    assert result.transitions == [] and result.alerts == first
    # an earlier time is not replayed either
    assert evaluate([sig(False)], run.alerts, {KEY[0]: run.timing}, T0 - MIN).transitions == []


def test_resolved_alert_starts_a_new_episode() -> None:
    run = Run(RuleTiming(for_=5 * MIN))
    run.at(T0, sig(True))
    run.at(T0 + 5 * MIN, sig(True))
    run.at(T0 + 6 * MIN, sig(False, 1.0))
    again = run.at(T0 + 60 * MIN, sig(True))
    assert again is not None and again.state == AlertState.PENDING
    assert (again.active_at, again.fired_at) == (T0 + 60 * MIN, None)
    fired = run.at(T0 + 65 * MIN, sig(True))
    assert fired is not None and fired.fired_at == T0 + 65 * MIN


def test_rules_file_is_validated_with_the_rule_named(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "no2-raw"\nkind = "threshold"\nparameter = "no2"\nperiod = "raw"\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"rule #1 \(no2-raw\): ambient limits are set per averaging period"):
        load_alert_rules(path)
    path.write_text(
        '[[rule]]\nid = "x"\nkind = "aqi"\nscale = "vn"\nperiod = "hourly"\nfor = "ten"\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"rule #1 \(x\) for: 'ten' is not a duration"):
        load_alert_rules(path)


def test_shipped_rules_load() -> None:
    rules = load_alert_rules()
    assert {"threshold", "aqi", "silence", "device"} <= {rule.kind for rule in rules.rules}
    assert rules.timings()["station-silent"].stale_after is None
