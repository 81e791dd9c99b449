"""Urges and escalations reach responsible units through their notification route (webhook, e-mail, Zalo OA).

The route per unit is configured in ``data/config/unit_notify.toml`` (receivers and routes in the format of
``alert_rules.toml``, :mod:`monitoring.notify_channels`), with the automatic escalation after N working hours
overdue and the supervising body of each unit. :func:`run_round` runs in every poll round
(:func:`monitoring.pipeline.after_poll`): it records the escalations now due and delivers every pending urge;
a delivery that no receiver accepted stays pending and is retried at the next round (at least once). An urge
pressed on a page is sent at once by :func:`deliver_now`, which never raises: what it could not send waits for
the next round. Each sender claims what it sends first (:func:`data.urges.claim`), so an urge is never sent twice
by a page and a poll round at the same moment.
Manual urges are one message each (the leader's note); escalations go out as one message per supervising
body listing the late cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from data import urges
from data.case_actions import default_policy
from data.config import Settings
from data.i18n import label_in, translate
from data.i18n.formats import local_time
from data.leases import new_holder_id
from data.urges import ESCALATION, PendingUrge, mark_delivered, pending_urges, record_escalations, set_supervisors
from monitoring.notify_channels import Message, Receiver, Routing, load_routing, send

logger = logging.getLogger(__name__)

LISTED_CASES = 20  # cases named in one message; the rest are counted
CLAIM_MINUTES = 5  # a sender's claim on an urge: a sender that died releases it to the next round after this


@dataclass(frozen=True)
class UnitNotifyConfig:
    """Routes to units, the escalation threshold and the supervising bodies (see ``unit_notify.toml``)."""

    routing: Routing = field(default_factory=Routing)
    escalate_after_hours: float = 0.0  # 0: no automatic escalation
    timeout_seconds: float = 10.0
    supervisors: dict[str, str] = field(default_factory=dict)  # unit code -> supervisor code; "*" for the rest


def load_unit_notify(path: Path) -> UnitNotifyConfig:
    """Read ``unit_notify.toml``; ValueError naming the file and the entry when something is wrong."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    escalation = document.get("escalation", {})
    try:
        after = float(escalation.get("after_working_hours", 0))
        timeout = float(escalation.get("timeout_seconds", 10))
    except (TypeError, ValueError) as err:
        msg = f"{path}: [escalation] needs numbers: {err}"
        raise ValueError(msg) from err
    if after < 0 or timeout <= 0:
        msg = f"{path}: [escalation] after_working_hours must be ≥ 0 and timeout_seconds > 0"
        raise ValueError(msg)
    supervisors = {str(code): str(boss) for code, boss in document.get("supervisors", {}).items()}
    routing = load_routing(document.get("receiver", []), document.get("route", []), str(path))
    return UnitNotifyConfig(routing, after, timeout, supervisors)


def run_round(engine: Engine, now: dt.datetime, settings: Settings) -> dict[str, int]:
    """One poll round: apply the configured supervisors, record due escalations, deliver what is pending."""
    config = load_unit_notify(settings.config_path("unit_notify"))
    if config.supervisors:
        set_supervisors(engine, config.supervisors)
    escalated = []
    if config.escalate_after_hours > 0:
        escalated = record_escalations(engine, now, default_policy(), config.escalate_after_hours)
    delivered = deliver_urges(engine, settings, now=now, config=config)
    return {"escalated": len(escalated), "delivered": len(delivered)}


def deliver_urges(
    engine: Engine,
    settings: Settings,
    *,
    ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    config: UnitNotifyConfig | None = None,
    session: requests.Session | None = None,
) -> dict[int, str]:
    """Send pending urges (only ``ids`` when given) through their routes; {urge id: receivers that accepted it}."""
    now = now or dt.datetime.now(dt.UTC)
    config = config or load_unit_notify(settings.config_path("unit_notify"))
    groups: dict[tuple[Any, ...], list[PendingUrge]] = {}
    for pending in pending_urges(engine, now, list(ids) if ids is not None else None):
        key = (ESCALATION, pending.route_unit) if pending.kind == ESCALATION else ("urge", pending.id)
        groups.setdefault(key, []).append(pending)
    delivered: dict[int, str] = {}
    holder = new_holder_id()
    own_session = session is None
    session = session or requests.Session()
    try:
        for members in groups.values():
            ids = [m.id for m in members]
            if not urges.claim(engine, ids, holder, now, dt.timedelta(minutes=CLAIM_MINUTES)):
                continue  # another sender has it, or has just delivered it
            try:
                accepted, complete = _deliver(members, config, settings, session)
                if accepted:
                    mark_delivered(engine, ids, ", ".join(accepted), now if complete else None)
                if accepted and complete:
                    delivered.update(dict.fromkeys(ids, ", ".join(accepted)))
            finally:
                urges.release(engine, ids, holder)
    finally:
        if own_session:
            session.close()
    return delivered


def deliver_now(engine: Engine, settings: Settings, urge_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Send the urge just recorded on a page at once: the receivers that accepted it, or None when it waits for
    the next poll round (no route, a receiver refused or failed, the route file unreadable). Never raises: the
    page that called it must not break; the urge stays recorded and pending, and the failure is logged."""
    try:
        return deliver_urges(engine, settings, ids=[urge_id], now=now).get(urge_id)
    except Exception as err:  # noqa: BLE001 - any failure leaves the urge to the poll round, never to the page
        logger.warning("urge %s not sent at once (%s); the next poll round retries it", urge_id, type(err).__name__)
        return None


def _deliver(
    members: list[PendingUrge], config: UnitNotifyConfig, settings: Settings, session: requests.Session
) -> tuple[list[str], bool]:
    """Send one message to every receiver of its route that has not accepted it yet (an earlier attempt may have
    reached some); (the receivers that have it now, whether that is every receiver of the route)."""
    first = members[0]
    names = config.routing.receivers_for({"kind": first.kind, "labels": {"unit_code": first.route_unit}})
    receivers = [config.routing.receivers[name] for name in names if _usable(config.routing.receivers[name], settings)]
    if not receivers:
        logger.info("urge %s: no usable receiver for unit %s (kept pending)", first.id, first.route_unit)
        return [], False
    reached = frozenset.intersection(*(member.sent_to for member in members))  # every member went to them
    accepted = [
        receiver.name
        for receiver in receivers
        if receiver.name in reached
        or send(
            receiver,
            urge_message(members, receiver.language or settings.language, settings.timezone),
            session,
            settings.webhook_urls,
            config.timeout_seconds,
        )  # fmt: skip
    ]
    return accepted, len(accepted) == len(receivers)


def _usable(receiver: Receiver, settings: Settings) -> bool:
    return receiver.type != "webhook" or bool(receiver.urls or receiver.url_env or settings.webhook_urls)


def urge_message(members: Sequence[PendingUrge], language: str, timezone: str) -> Message:
    """The message of one urge, or of the escalations to one supervising body: text in ``language``, JSON codes."""
    first = members[0]
    cases = [case for member in members for case in member.cases]
    units = sorted({(m.unit_code, m.unit_name) for m in members})
    listed = "; ".join(f"#{case_id} {title}".strip() for case_id, title in cases[:LISTED_CASES])
    if len(cases) > LISTED_CASES:
        listed += " " + translate("casework.notify.more", language, n=len(cases) - LISTED_CASES)
    unit_names = ", ".join(name for _, name in units)
    kind = label_in("urge", first.kind, language)
    if first.kind == ESCALATION:
        body = translate("casework.notify.escalation", language, units=unit_names, n=len(cases), cases=listed)
    elif first.case_id is not None:
        body = translate("casework.notify.urge_case", language, unit=unit_names, cases=listed)
    else:
        body = translate("casework.notify.urge_unit", language, unit=unit_names, n=len(cases), cases=listed)
    note = f" {translate('casework.notify.note', language, note=first.note)}" if first.note else ""
    signed = translate(
        "casework.notify.signed", language, actor=first.actor, at=local_time(first.at, language, timezone)
    )
    text = f"[{kind}] {body}{note} {signed}"
    payload = {
        "kind": first.kind,
        "urge_ids": [m.id for m in members],
        "to_unit": first.route_unit,
        "units": [code for code, _ in units],
        "cases": [{"id": case_id, "title": title, "path": f"/case?id={case_id}"} for case_id, title in cases],
        "actor": first.actor,
        "note": first.note,
        "at": first.at.isoformat(),
        "text": text,
    }
    return Message(subject=f"[envmon] {kind[:1].upper()}{kind[1:]}: {unit_names}", text=text, payload=payload)
