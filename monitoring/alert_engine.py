"""One alert evaluation: run the signal providers, apply the state machine, persist, notify.

``DEFAULT_PROVIDERS`` holds the built-in rule families (threshold, AQI, silent station, device error);
other modules append their own providers, functions ``(engine, now) -> list[Signal]`` (hotspot, complaint
SLA), so every rule shares states, history, acknowledgement and notification.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from data.alert_queries import active_silences
from data.config import DEFAULT_TIMEZONE, PACKAGE_CONFIG_DIR
from data.db import write_transaction
from monitoring.alert_rules import DEFAULT_RULES_PATH, AlertRules, load_alert_rules
from monitoring.alert_signals import aqi_signals, device_signals, silence_signals, threshold_signals
from monitoring.alert_store import mark_notified, save_evaluation, stored_alerts, to_alert
from monitoring.alerts import evaluate
from monitoring.notify import plan_notifications
from monitoring.notify_channels import send
from monitoring.signals import Signal
from monitoring.thresholds import load_thresholds

logger = logging.getLogger(__name__)

Provider = Callable[[Engine, dt.datetime], list[Signal]]
DEFAULT_THRESHOLDS_PATH = PACKAGE_CONFIG_DIR / "thresholds.toml"


@dataclass(frozen=True)
class BuiltinProvider:
    """Signals of every configured rule of one built-in family, read from the rules and thresholds files."""

    kind: str
    rules_path: Path = DEFAULT_RULES_PATH
    thresholds_path: Path = DEFAULT_THRESHOLDS_PATH
    timezone: str = DEFAULT_TIMEZONE

    def __call__(self, engine: Engine, now: dt.datetime) -> list[Signal]:
        rules = load_alert_rules(self.rules_path).of_kind(self.kind)
        if self.kind == "threshold":
            table = load_thresholds(self.thresholds_path)
            return threshold_signals(engine, now, rules, table, self.timezone)
        family = {"aqi": aqi_signals, "silence": silence_signals, "device": device_signals}[self.kind]
        return [s for rule in rules for s in family(engine, now, rule)]


DEFAULT_PROVIDERS: list[Provider] = [
    BuiltinProvider("threshold"),
    BuiltinProvider("aqi"),
    BuiltinProvider("silence"),
    BuiltinProvider("device"),
]


def configured_providers(rules_path: Path, thresholds_path: Path, timezone: str = DEFAULT_TIMEZONE) -> list[Provider]:
    """``DEFAULT_PROVIDERS`` with the built-in families reading the given config files (others unchanged)."""
    return [
        replace(p, rules_path=rules_path, thresholds_path=thresholds_path, timezone=timezone)
        if isinstance(p, BuiltinProvider)
        else p
        for p in DEFAULT_PROVIDERS
    ]


@dataclass
class EvaluationSummary:
    """What one evaluation did."""

    evaluated_at: dt.datetime
    signals: int = 0
    transitions: int = 0
    states: dict[str, int] = field(default_factory=dict)
    notifications_sent: int = 0
    notification_failures: int = 0
    provider_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output."""
        return {
            "evaluated_at": self.evaluated_at.isoformat(),
            "signals": self.signals,
            "transitions": self.transitions,
            "states": self.states,
            "notifications_sent": self.notifications_sent,
            "notification_failures": self.notification_failures,
            "provider_errors": self.provider_errors,
        }


def _collect(
    engine: Engine, now: dt.datetime, providers: Sequence[Provider], summary: EvaluationSummary
) -> list[Signal]:
    signals: list[Signal] = []
    for provider in providers:
        try:
            signals.extend(provider(engine, now))
        except Exception as err:  # one failing rule family must not stop the others (rule health ≠ alert state)
            logger.exception("alert provider %r failed", provider)
            summary.provider_errors.append(f"{provider!r}: {err}")
    return signals


def _notify(
    engine: Engine,
    now: dt.datetime,
    rules: AlertRules,
    session: requests.Session,
    webhook_urls: Sequence[str],
    language: str,
    timezone: str,
) -> tuple[int, int]:
    """Send the due groups to their receivers; an alert counts as notified once every receiver accepted it."""
    routing = rules.routing
    usable = {name for name, receiver in routing.receivers.items()
              if receiver.type != "webhook" or receiver.urls or receiver.url_env or webhook_urls}  # fmt: skip
    sent = failed = 0
    with write_transaction(engine) as conn:
        by_id = {record["id"]: record for record in stored_alerts(conn).values()}
        records = list(by_id.values())
        silences = active_silences(engine, now)
        groups = plan_notifications(records, now, rules.notify, silences, routing, language=language,
                                    timezone=timezone)  # fmt: skip
        refused: set[int] = set()
        accepted: dict[int, list[str]] = {}
        for group in (g for g in groups if g.receiver in usable and g.message is not None):
            if send(routing.receivers[group.receiver], group.message, session, webhook_urls,
                    rules.notify.timeout_seconds):  # fmt: skip
                sent += 1
                for alert_id in group.alert_ids:
                    accepted.setdefault(alert_id, []).append(group.receiver)
            else:
                failed += 1
                refused.update(group.alert_ids)
        for alert_id, receivers in accepted.items():
            if alert_id not in refused:
                mark_notified(conn, [by_id[alert_id]], now, ", ".join(receivers))
    return sent, failed


def evaluate_alerts(
    engine: Engine,
    now: dt.datetime,
    providers: Sequence[Provider] | None = None,
    session: requests.Session | None = None,
    *,
    rules: AlertRules | None = None,
    webhook_urls: Sequence[str] = (),
    language: str = "vi",
    timezone: str = DEFAULT_TIMEZONE,
) -> EvaluationSummary:
    """Evaluate every rule at ``now`` (tz-aware), store states and history, send due notifications.

    ``providers`` None means :data:`DEFAULT_PROVIDERS`; ``rules`` None means the shipped rules file (timing,
    notification policy, routing). Notifications need a ``session``; they go to the receivers of
    ``rules.routing`` in ``language`` (``webhook_urls`` serve the default webhook receiver). Evaluating the
    same ``now`` twice adds no history and sends nothing new.
    """
    if now.tzinfo is None:
        msg = f"evaluation time {now!r} must be timezone-aware"
        raise ValueError(msg)
    rules = rules or load_alert_rules()
    summary = EvaluationSummary(now)
    signals = _collect(engine, now, DEFAULT_PROVIDERS if providers is None else providers, summary)
    summary.signals = len(signals)
    with write_transaction(engine) as conn:
        stored = stored_alerts(conn)
        previous = {key: to_alert(record) for key, record in stored.items()}
        evaluation = evaluate(signals, previous, rules.timings(), now, rules.default_timing)
        summary.transitions = save_evaluation(conn, stored, evaluation)
    summary.states = dict(Counter(alert.state.value for alert in evaluation.alerts.values()))
    if session is not None:
        summary.notifications_sent, summary.notification_failures = _notify(
            engine, now, rules, session, webhook_urls, language, timezone
        )
    return summary
