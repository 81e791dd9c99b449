"""What runs after new data arrives: the pending windows drained (roll-ups and AQI of the changed hours), AQI
refresh, then one alert evaluation over every rule family.

This is the one place that wires the rule families of all layers (monitoring thresholds/AQI/silence/device,
``geo`` hotspots, ``data`` complaint SLA) into the alert engine; the poller calls :func:`after_poll`
(``after_poll = ["monitoring.pipeline:after_poll"]`` in ``feeds.toml``) and ``envmon alerts evaluate`` uses
:func:`all_providers`.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from sqlalchemy import Engine

from data.config import Settings, load_settings
from data.demo_city import advance_demo_city
from data.partitions import maintain_configured
from monitoring import case_notify
from monitoring.alert_engine import EvaluationSummary, Provider, configured_providers, evaluate_alerts
from monitoring.alert_rules import load_alert_rules
from monitoring.aqi_store import refresh_aqi
from monitoring.hotspot_signals import hotspot_signals
from monitoring.rollups import drain_pending
from monitoring.sla_signals import sla_signals

DRAIN_PER_ROUND = 2_000
"""Pending windows (a station parameter's day at most) recomputed per post-poll round: a 60-day flush of 100
stations × 8 parameters (48,000 windows) is caught up in 24 rounds, the newest days first."""


def all_providers(settings: Settings | None = None) -> list[Provider]:
    """Built-in monitoring rule families (reading the configured rule files) plus hotspot and SLA signals.

    Every provider receives what it needs of ``settings`` (rule files, time zone, boundary set) here.
    """
    config = settings or load_settings()
    builtin = configured_providers(config.config_path("alert_rules"), config.config_path("thresholds"), config.timezone)
    hotspots = partial(hotspot_signals, set_name=config.boundary_set, timezone=config.timezone)
    return [*builtin, hotspots, sla_signals]


def after_poll(engine: Engine, now: dt.datetime, settings: Settings | None = None) -> dict[str, Any]:
    """Drain up to :data:`DRAIN_PER_ROUND` pending windows (late data: the rest in the next rounds), refresh stored
    AQI values, evaluate every alert rule at ``now``, escalate and deliver urges, keep the partitions ahead and
    apply retention; a summary. On the demo, its city first moves on to ``now`` (:mod:`data.demo_city`)."""
    config = settings or load_settings()
    city = advance_demo_city(engine, now, config)  # on the labelled demo only: new reports, the units' work
    partitions = maintain_configured(engine, config, now)
    drained = drain_pending(engine, timezone=config.timezone, limit=DRAIN_PER_ROUND)
    aqi_rows = refresh_aqi(engine, since=now - dt.timedelta(days=2), timezone=config.timezone)
    alerts = evaluate_configured(engine, now, config).as_dict()
    urges = case_notify.run_round(engine, now, config)
    return {"pending_windows": drained.windows, "pending_left": drained.left, "aqi_rows": aqi_rows,
            "alerts": alerts, "case_urges": urges, "partitions": partitions,
            **({"demo_city": city} if city else {})}  # fmt: skip


def evaluate_configured(engine: Engine, now: dt.datetime, config: Settings) -> EvaluationSummary:
    """One evaluation of every rule family at ``now`` with the configured rules, receivers and language."""
    import requests

    with requests.Session() as session:
        return evaluate_alerts(
            engine,
            now,
            all_providers(config),
            session,
            rules=load_alert_rules(config.config_path("alert_rules")),
            webhook_urls=config.webhook_urls,
            language=config.language,
            timezone=config.timezone,
        )
