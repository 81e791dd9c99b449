"""The one input type of the alert engine: a signal says whether a rule's condition holds for a subject.

Every rule family (threshold, AQI, silent station, device error, hotspot, complaint SLA) turns its data into
``Signal`` objects; ``monitoring.alerts`` turns signals into alert states, history and notifications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

SignalKind = Literal["threshold", "aqi", "silence", "device", "hotspot", "sla"]


@dataclass(frozen=True)
class Signal:
    """One evaluation of one rule for one subject.

    Parameters
    ----------
    rule_id
        Identifier of the configured rule (``pm25-24h-qcvn``).
    subject
        What the alert is about, stable across evaluations (``station:HN_KK05/pm25``, ``ward:00070``).
    condition
        True: breaching. False: clear (below the clear threshold when hysteresis applies). None: no data or
        stale data — the alert must neither fire nor resolve on it.
    value, threshold
        The observed value and the threshold it was compared with, when numeric.
    observed_at
        Time of the data behind the signal (UTC).
    kind
        Rule family, used for grouping and display.
    labels
        Extra context (station name, ward code, parameter, unit).
    message
        One sentence for people, in Vietnamese by default.
    """

    rule_id: str
    subject: str
    condition: bool | None
    value: float | None = None
    threshold: float | None = None
    observed_at: dt.datetime | None = None
    kind: SignalKind = "threshold"
    labels: dict[str, str] = field(default_factory=dict)
    message: str = ""
