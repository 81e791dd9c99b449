"""What runs after new data arrives: the pending windows drained (roll-ups and stored AQI of the changed hours),
then one alert evaluation over every rule family.

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
from monitoring.hotspot_signals import hotspot_signals
from monitoring.rollups import drain_all
from monitoring.sla_signals import sla_signals

DRAIN_BUDGET = dt.timedelta(seconds=60)
"""Time a post-poll round spends at most on pending windows (5,000 per transaction, newest hours first): the live
stream's are drained every round, a 60-day flush over the next rounds."""


def all_providers(settings: Settings | None = None) -> list[Provider]:
    """Built-in monitoring rule families (reading the configured rule files) plus hotspot and SLA signals.

    Every provider receives what it needs of ``settings`` (rule files, time zone, boundary set) here.
    """
    config = settings or load_settings()
    builtin = configured_providers(config.config_path("alert_rules"), config.config_path("thresholds"), config.timezone)
    hotspots = partial(hotspot_signals, set_name=config.boundary_set, timezone=config.timezone)
    return [*builtin, hotspots, sla_signals]


def after_poll(engine: Engine, now: dt.datetime, settings: Settings | None = None) -> dict[str, Any]:
    """Drain the pending windows for up to :data:`DRAIN_BUDGET` (the roll-ups and stored AQI of exactly the hours
    that changed; late data's rest in the next rounds), evaluate every alert rule at ``now``, escalate and deliver
    urges, keep the partitions ahead and apply retention; a summary. On the demo, its city first moves on to
    ``now`` (:mod:`data.demo_city`)."""
    config = settings or load_settings()
    city = advance_demo_city(engine, now, config)  # on the labelled demo only: new reports, the units' work
    partitions = maintain_configured(engine, config, now)
    drained = drain_all(engine, timezone=config.timezone, limit=5_000, budget=DRAIN_BUDGET)
    aqi_rows = drained.aqi_hours + drained.aqi_days
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
