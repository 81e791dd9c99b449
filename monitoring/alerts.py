"""The alert lifecycle as a pure state machine: signals in, alert states and transitions out.

States: inactive → pending (``for``) → firing → resolved, with ``keep_firing_for`` and a clear level below the
fire threshold (hysteresis). Missing or stale data puts a pending or firing alert in ``stale``; it never
resolves it, and when data returns the alert continues its episode (a still-breaching alert that was firing
fires again without a new ``for`` wait). Inactive and resolved alerts without data stay as they are: a dead
station is reported by the silent-station rule, not by one stale alert per parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from data.alert_states import OPEN_STATES, AlertState
from monitoring.signals import Signal


@dataclass(frozen=True)
class RuleTiming:
    """How long a condition must hold, how long firing outlives it, when data is stale, where it clears.

    ``clear_ratio`` / ``clear_below`` give hysteresis for rules whose value rises above a threshold: an open
    alert whose condition turned false keeps breaching while ``value ≥ clear level`` (``clear_below`` if set,
    else ``threshold × clear_ratio``). ``stale_after`` None means the data never goes stale by age.
    """

    for_: dt.timedelta = dt.timedelta(0)
    keep_firing_for: dt.timedelta = dt.timedelta(0)
    stale_after: dt.timedelta | None = None
    clear_ratio: float = 1.0
    clear_below: float | None = None
    severity: str = "warning"


@dataclass(frozen=True)
class Alert:
    """Snapshot of one alert. ``active_at`` starts an episode; ``last_condition_at`` is the last breach seen."""

    rule_id: str
    subject: str
    state: AlertState
    kind: str = "threshold"
    severity: str = "warning"
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    active_at: dt.datetime | None = None
    fired_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    last_condition_at: dt.datetime | None = None
    last_data_at: dt.datetime | None = None
    last_eval_at: dt.datetime | None = None
    state_since: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identity: (rule_id, subject)."""
        return (self.rule_id, self.subject)

    @property
    def was_firing(self) -> bool:
        """Whether the current episode has fired (used to resume after ``stale``)."""
        return self.fired_at is not None and (self.resolved_at is None or self.resolved_at < self.fired_at)


@dataclass(frozen=True)
class Transition:
    """A state change, recorded in the alert history."""

    rule_id: str
    subject: str
    at: dt.datetime
    from_state: AlertState | None
    to_state: AlertState
    value: float | None


@dataclass(frozen=True)
class Evaluation:
    """Result of one evaluation: every alert that exists afterwards, and the transitions that happened."""

    alerts: dict[tuple[str, str], Alert]
    transitions: list[Transition]


def _has_data(signal: Signal | None, timing: RuleTiming, now: dt.datetime) -> bool:
    if signal is None or signal.condition is None:
        return False
    if timing.stale_after is not None and signal.observed_at is not None:
        return now - signal.observed_at <= timing.stale_after
    return True


def _breaching(signal: Signal, timing: RuleTiming, previous: Alert | None) -> bool:
    """The signal's condition, held true inside the hysteresis band while an episode is open."""
    if signal.condition:
        return True
    if previous is None or previous.state not in OPEN_STATES or signal.value is None:
        return False
    if signal.labels.get("direction", "above") != "above":
        return False
    if timing.clear_below is not None:
        return signal.value >= timing.clear_below
    if signal.threshold is not None and timing.clear_ratio < 1.0:
        return signal.value >= signal.threshold * timing.clear_ratio
    return False


def _next_state(previous: Alert, breaching: bool, timing: RuleTiming, now: dt.datetime) -> AlertState:
    state = previous.state
    if state in (AlertState.INACTIVE, AlertState.RESOLVED):
        if not breaching:
            return state
        return AlertState.FIRING if timing.for_ <= dt.timedelta(0) else AlertState.PENDING
    firing_episode = state == AlertState.FIRING or (state == AlertState.STALE and previous.was_firing)
    if breaching:
        if firing_episode:
            return AlertState.FIRING
        started = previous.active_at or now
        return AlertState.FIRING if now - started >= timing.for_ else AlertState.PENDING
    if not firing_episode:
        return AlertState.INACTIVE
    last_breach = previous.last_condition_at or now
    return AlertState.FIRING if now - last_breach < timing.keep_firing_for else AlertState.RESOLVED


def step(previous: Alert | None, signal: Signal | None, timing: RuleTiming, now: dt.datetime) -> Alert | None:
    """The alert after one evaluation at ``now`` (None when there is nothing to record)."""
    if previous is not None and previous.last_eval_at is not None and now <= previous.last_eval_at:
        return previous  # time never runs backwards: re-evaluating the same instant changes nothing
    if not _has_data(signal, timing, now):
        if previous is None:
            return None
        state = AlertState.STALE if previous.state in OPEN_STATES else previous.state
        return _moved(previous, state, now, last_eval_at=now)
    assert signal is not None
    if previous is None:
        if not signal.condition:
            return None
        previous = Alert(signal.rule_id, signal.subject, AlertState.INACTIVE, kind=signal.kind)
    breaching = _breaching(signal, timing, previous)
    state = _next_state(previous, breaching, timing, now)
    updated = replace(
        previous,
        kind=signal.kind,
        severity=timing.severity,
        value=signal.value,
        threshold=signal.threshold,
        message=signal.message or previous.message,
        labels=dict(signal.labels),
        last_data_at=signal.observed_at or now,
        last_eval_at=now,
        last_condition_at=now if breaching else previous.last_condition_at,
    )
    return _moved(updated, state, now)


def _moved(alert: Alert, state: AlertState, now: dt.datetime, **changes: object) -> Alert:
    if state == alert.state:
        return replace(alert, **changes)  # type: ignore[arg-type]
    episode_starts = alert.state in (AlertState.INACTIVE, AlertState.RESOLVED) and state in OPEN_STATES
    if episode_starts:
        changes.update(active_at=now, fired_at=None)
    if state == AlertState.FIRING and not (alert.state == AlertState.STALE and alert.was_firing):
        changes["fired_at"] = now
    if state == AlertState.RESOLVED:
        changes["resolved_at"] = now
    if state == AlertState.INACTIVE:
        changes["active_at"] = None
    return replace(alert, state=state, state_since=now, **changes)  # type: ignore[arg-type]


def evaluate(
    signals: Iterable[Signal],
    previous: Mapping[tuple[str, str], Alert],
    timings: Mapping[str, RuleTiming],
    now: dt.datetime,
    default_timing: RuleTiming | None = None,
) -> Evaluation:
    """Apply one round of signals to the previous alerts.

    An open alert whose rule produced signals this round but none for its subject is treated as having no
    data (it goes ``stale``); alerts of rules that produced no signal at all are left untouched.
    """
    default_timing = default_timing or RuleTiming()
    by_key: dict[tuple[str, str], Signal] = {}
    for signal in signals:
        by_key[(signal.rule_id, signal.subject)] = signal
    evaluated_rules = {rule_id for rule_id, _ in by_key}
    keys = set(by_key) | {k for k, a in previous.items() if a.rule_id in evaluated_rules}
    alerts = dict(previous)
    transitions: list[Transition] = []
    for key in sorted(keys):
        before = previous.get(key)
        after = step(before, by_key.get(key), timings.get(key[0], default_timing), now)
        if after is None:
            continue
        alerts[key] = after
        from_state = before.state if before is not None else None
        if after.state != from_state:
            transitions.append(Transition(key[0], key[1], now, from_state, after.state, after.value))
    return Evaluation(alerts, transitions)
