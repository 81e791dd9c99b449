"""The alert vocabulary shared by every layer: lifecycle states and severities, defined once.

``monitoring.alerts`` runs the state machine on these states; ``data`` queries, the pages, the CLI, the
notifications and the i18n catalogue (``alert_state.<value>``, ``severity.<value>``) all take them from here.
"""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    """Lifecycle state of one alert (rule, subject)."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    STALE = "stale"
    RESOLVED = "resolved"


#: an episode that has not ended: its condition holds (pending, firing) or its data went missing (stale)
OPEN_STATES: tuple[AlertState, ...] = (AlertState.PENDING, AlertState.FIRING, AlertState.STALE)

#: what counts as an active alert on the pages and KPIs: firing, or open with its data gone (a station that
#: died mid-exceedance stays visible until data proves the exceedance ended)
ACTIVE_STATES: tuple[AlertState, ...] = (AlertState.FIRING, AlertState.STALE)


class Severity(StrEnum):
    """How urgent an alert is, set per rule in ``alert_rules.toml``."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


#: most urgent first (sort key: ``SEVERITY_RANK[severity]``)
SEVERITY_RANK: dict[str, int] = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
