"""Alert rules and notification policy read from ``data/config/alert_rules.toml`` (format in its header)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from data.alert_states import Severity
from data.config import PACKAGE_CONFIG_DIR
from monitoring.alerts import RuleTiming
from monitoring.notify_channels import Routing, load_routing
from monitoring.signals import SignalKind

DEFAULT_RULES_PATH = PACKAGE_CONFIG_DIR / "alert_rules.toml"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
SEVERITIES = tuple(severity.value for severity in Severity)
THRESHOLD_PERIODS = ("raw", "1h", "8h", "24h")


def parse_duration(text: str | int, where: str) -> dt.timedelta:
    """``"90s"``, ``"30m"``, ``"4h"``, ``"2d"`` or ``"0"``; raises ValueError naming ``where``."""
    if str(text).strip() == "0":
        return dt.timedelta(0)
    match = _DURATION.match(str(text))
    if match is None:
        msg = f"{where}: {text!r} is not a duration like '30m', '4h' or '0'"
        raise ValueError(msg)
    return dt.timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@dataclass(frozen=True)
class RuleConfig:
    """One configured rule: identity, family, timing and the family's options."""

    id: str
    kind: SignalKind
    timing: RuleTiming
    description: str = ""
    target: str = "ambient"
    parameter: str = ""
    parameters: tuple[str, ...] = ()
    period: str = ""
    scale: str = "vn"
    category: int = 0
    silent_after: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True)
class NotifyPolicy:
    """Webhook grouping and repetition (Alertmanager-style ``group_interval`` and ``repeat_interval``)."""

    group_interval: dt.timedelta = dt.timedelta(minutes=5)
    repeat_interval: dt.timedelta = dt.timedelta(hours=4)
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AlertRules:
    """All rules, the default timing for rules not listed (hotspot, SLA…) and the notification policy."""

    rules: tuple[RuleConfig, ...]
    default_timing: RuleTiming
    notify: NotifyPolicy
    routing: Routing = field(default_factory=Routing)

    def timings(self) -> dict[str, RuleTiming]:
        """Timing per rule id."""
        return {rule.id: rule.timing for rule in self.rules}

    def of_kind(self, kind: str) -> list[RuleConfig]:
        """The rules of one family."""
        return [rule for rule in self.rules if rule.kind == kind]


def _timing(entry: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> RuleTiming:
    merged = {**defaults, **entry}
    severity = str(merged.get("severity", "warning"))
    if severity not in SEVERITIES:
        msg = f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}"
        raise ValueError(msg)
    stale = parse_duration(merged.get("stale_after", "0"), f"{where} stale_after")
    clear_ratio = float(merged.get("clear_ratio", 1.0))
    if not 0 < clear_ratio <= 1:
        msg = f"{where}: clear_ratio must be in (0, 1], got {clear_ratio}"
        raise ValueError(msg)
    return RuleTiming(
        for_=parse_duration(merged.get("for", "0"), f"{where} for"),
        keep_firing_for=parse_duration(merged.get("keep_firing_for", "0"), f"{where} keep_firing_for"),
        stale_after=stale if stale > dt.timedelta(0) else None,
        clear_ratio=clear_ratio,
        clear_below=float(entry["clear_below"]) if "clear_below" in entry else None,
        severity=severity,
    )


def _rule(entry: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> RuleConfig:
    kind = entry.get("kind")
    if kind not in get_args(SignalKind):
        msg = f"{where}: kind {kind!r} is not one of {', '.join(get_args(SignalKind))}"
        raise ValueError(msg)
    rule = RuleConfig(
        id=str(entry["id"]),
        kind=kind,
        timing=_timing(entry, defaults, where),
        description=str(entry.get("description", "")),
        target=str(entry.get("target", "ambient")),
        parameter=str(entry.get("parameter", "")),
        parameters=tuple(str(p) for p in entry.get("parameters", ())),
        period=str(entry.get("period", "")),
        scale=str(entry.get("scale", "vn")),
        category=int(entry.get("category", 0)),
        silent_after=parse_duration(entry.get("silent_after", "0"), f"{where} silent_after"),
    )
    problems = []
    if kind == "threshold" and rule.period not in THRESHOLD_PERIODS:
        problems.append(f"period must be one of {', '.join(THRESHOLD_PERIODS)}")
    if kind == "threshold" and rule.target == "ambient" and not rule.parameter:
        problems.append("an ambient threshold rule needs 'parameter'")
    if kind == "threshold" and rule.target == "ambient" and rule.period == "raw":
        problems.append("ambient limits are set per averaging period: use 1h, 8h or 24h, not raw")
    if kind == "threshold" and rule.target == "effluent" and not rule.parameters:
        problems.append("an effluent threshold rule needs 'parameters'")
    if kind == "aqi" and (rule.scale not in ("vn", "us") or rule.period not in ("hourly", "daily")):
        problems.append("an aqi rule needs scale vn|us and period hourly|daily")
    if kind == "aqi" and not 1 <= rule.category <= 6:
        problems.append("an aqi rule needs category 1…6")
    if kind == "silence" and rule.silent_after <= dt.timedelta(0):
        problems.append("a silence rule needs silent_after")
    if problems:
        msg = f"{where}: {'; '.join(problems)}"
        raise ValueError(msg)
    return rule


def load_alert_rules(path: Path = DEFAULT_RULES_PATH) -> AlertRules:
    """Read and validate the rules file; raises ValueError naming the file and rule that is wrong."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    defaults = document.get("defaults", {})
    rules: list[RuleConfig] = []
    for index, entry in enumerate(document.get("rule", []), start=1):
        where = f"{path}: rule #{index} ({entry.get('id', 'no id')})"
        if not entry.get("id"):
            msg = f"{where}: 'id' is required"
            raise ValueError(msg)
        rules.append(_rule(entry, defaults, where))
    ids = [rule.id for rule in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        msg = f"{path}: duplicate rule id(s) {', '.join(duplicates)}"
        raise ValueError(msg)
    notify = document.get("notify", {})
    policy = NotifyPolicy(
        group_interval=parse_duration(notify.get("group_interval", "5m"), f"{path}: notify.group_interval"),
        repeat_interval=parse_duration(notify.get("repeat_interval", "4h"), f"{path}: notify.repeat_interval"),
        timeout_seconds=float(notify.get("timeout_seconds", 10)),
    )
    routing = load_routing(document.get("receiver", []), document.get("route", []), str(path))
    return AlertRules(tuple(rules), _timing({}, defaults, f"{path}: defaults"), policy, routing)
