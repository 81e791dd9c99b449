"""Alerts in human words: stored codes and parameters (an alert's labels and values) rendered in a language.

An alert stores what it is about as codes (rule family, station id, parameter code, ward code, unit code…) and
numbers (value, limit); this module turns them into the sentences people read on the pages, in notifications
and on the CLI, at display time and in the reader's language. No raw rule id or subject is ever part of the
text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pandas as pd

from data.alert_states import AlertState
from data.config import DEFAULT_TIMEZONE
from data.i18n import STRINGS, label_in, translate
from data.i18n.formats import age, is_missing, local_time, local_times, measurement, number, parameter_name

#: rule family → the kind of place its alerts are about
SUBJECT_KIND = {
    "threshold": "station", "aqi": "station", "silence": "station", "device": "station",
    "hotspot": "ward", "sla": "unit",
}  # fmt: skip
# shapes present in every common font (offline machines have no colour-emoji font); pages add the colour
SEVERITY_ICON = {"critical": "▲", "warning": "◆", "info": "●"}
SEVERITY_COLOUR = {"critical": "red", "warning": "orange", "info": "blue"}  # Streamlit's named text colours
STATE_ICON = {"firing": "●", "pending": "◔", "stale": "◌", "resolved": "✓", "inactive": "·"}


@dataclass(frozen=True)
class AlertText:
    """One alert as people read it."""

    place: str  # station, ward or unit name
    place_kind: str  # station | ward | unit
    what: str  # the condition in words, with value against limit
    severity: str  # severity label with its icon
    state: str  # state label with its icon
    since: str  # start of the episode (local time)
    data_age: str  # last data time and age ("" unless stale)


def _labels(alert: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = alert.get("labels")
    return labels if isinstance(labels, Mapping) else {}


def _text(value: object, default: str = "") -> str:
    return default if is_missing(value) else str(value)


def _number(value: object, language: str) -> str:
    if is_missing(value):
        return "—"
    return number(value, language, 0 if float(value).is_integer() else 1)  # type: ignore[arg-type]


def place_name(alert: Mapping[str, Any], language: str) -> str:
    """The station, ward or unit an alert is about, by name (its code only when no name is known)."""
    labels = _labels(alert)
    kind = SUBJECT_KIND.get(str(alert.get("kind")), "station")
    if kind == "station":
        fallback = _text(labels.get("station_id"), translate("alerts.unknown_place", language))
        return _text(labels.get("station_name"), fallback)
    if kind == "ward":
        name = _text(labels.get("ward_name"))
        return name or translate("alerts.outside_wards", language)
    return _text(labels.get("unit_name")) or translate("alerts.no_unit", language)


def unit_queue_path(alert: Mapping[str, Any]) -> str:
    """``/queue?unit=CODE`` for an overdue reminder of a known unit (where its cases are handled), else ``""``."""
    code = _text(_labels(alert).get("unit_code")) if alert.get("kind") == "sla" else ""
    return f"/queue?unit={quote(code)}" if code else ""


def alert_path(alert: Mapping[str, Any]) -> str:
    """Where an alert is acted on: the unit's queue for an overdue reminder, else the alert's page ``/alert?id=N``."""
    return unit_queue_path(alert) or f"/alert?id={int(alert['id'])}"


def _comparison(alert: Mapping[str, Any], labels: Mapping[str, Any]) -> str:
    """The sign that is true of the numbers shown: a firing alert inside its hysteresis band reads ``40,5 < 45``."""
    value, limit = alert.get("value"), alert.get("threshold")
    if not (is_missing(value) or is_missing(limit)):
        value, limit = float(value), float(limit)  # type: ignore[arg-type]
        return ">" if value > limit else "<" if value < limit else "="
    if alert.get("state") in (AlertState.RESOLVED, AlertState.INACTIVE):
        return "≤"
    return {"below": "<"}.get(_text(labels.get("direction")), ">")


_QCVN_COLUMN = re.compile(r"(QCVN \d+:\d{4}) ([A-C])\b")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def basis_text(basis: str, language: str) -> str:
    """A limit's basis as stored (``QCVN 40:2011 B × Kq 0.9 × Kf 1``) in the reader's words and decimal mark."""
    if basis.startswith("giấy phép"):
        return translate("alerts.basis_permit", language)
    basis = _QCVN_COLUMN.sub(lambda m: translate("alerts.basis_column", language, standard=m[1], column=m[2]), basis)
    return _DECIMAL_POINT.sub(",", basis) if language == "vi" else basis


def _held(alert: Mapping[str, Any], labels: Mapping[str, Any], comparison: str, language: str, timezone: str) -> str:
    """`` (back within the limit since 03:57, held to confirm)`` for a firing alert whose value complies again
    (its rule's ``keep_firing_for`` keeps it firing a while), else ``""``."""
    compliant = (">", "=") if _text(labels.get("direction")) == "below" else ("<", "=")
    if alert.get("state") != AlertState.FIRING or comparison not in compliant:
        return ""
    last = alert.get("last_condition_at")
    return "" if is_missing(last) else translate("alerts.held", language, since=local_time(last, language, timezone))


def _threshold(alert: Mapping[str, Any], labels: Mapping[str, Any], language: str, timezone: str) -> str:
    unit = labels.get("unit")
    comparison = _comparison(alert, labels)
    period = _text(labels.get("period"))
    period_key = f"alerts.period_{period}"
    period_text = f" ({translate(period_key, language)})" if period_key in STRINGS else ""
    basis = basis_text(_text(labels.get("basis")), language)
    return translate(
        "alerts.what_threshold",
        language,
        parameter=parameter_name(labels.get("parameter"), language),
        period=period_text,
        value=measurement(alert.get("value"), unit, language),
        comparison=comparison,
        limit=measurement(alert.get("threshold"), unit, language),
        basis=f", {basis}" if basis else "",
    ) + _held(alert, labels, comparison, language, timezone)


def _what(alert: Mapping[str, Any], language: str, timezone: str, now: dt.datetime) -> str:
    labels = _labels(alert)
    kind = str(alert.get("kind"))
    rule = str(alert.get("rule_id"))
    value = alert.get("value")
    if kind == "threshold":
        return _threshold(alert, labels, language, timezone)
    if kind == "aqi":
        category = _text(labels.get(f"category_{language}"), _text(labels.get("category")))
        return translate(
            "alerts.what_aqi", language, scale=label_in("aqi", f"scale_{_text(labels.get('scale'), 'vn')}", language),
            aqi=_number(value, language), category=category,
            dominant=parameter_name(labels.get("dominant"), language),
        )  # fmt: skip
    if kind == "silence":
        last = labels.get("last_reading_at")
        return translate("alerts.what_silence", language, last=local_time(last, language, timezone),
                         age=_age(last, now, language))  # fmt: skip
    if kind == "device":
        return translate("alerts.what_device", language, parameter=parameter_name(labels.get("parameter"), language))
    if kind == "sla":
        oldest = _text(labels.get("oldest_case_id"))
        text = translate("alerts.what_sla", language, n=_number(value, language),
                         open=_number(labels.get("open_cases"), language))  # fmt: skip
        if oldest:
            due = local_time(labels.get("oldest_due_at"), language, timezone)
            text += translate("alerts.what_sla_oldest", language, case=oldest, due=due)
        return text
    if rule == "hotspot-recurring-spot":
        return translate("alerts.what_spots", language, n=_number(value, language),
                         largest=_number(labels.get("largest_count"), language))  # fmt: skip
    if rule == "hotspot-ward-spike":
        baseline = labels.get("baseline")
        mean = "—" if is_missing(baseline) else number(float(baseline), language, 1)  # type: ignore[arg-type]
        return translate("alerts.what_spike", language, n=_number(value, language), baseline=mean)
    if kind == "hotspot":
        confidence = _text(labels.get("class")).removeprefix("hot_").removeprefix("cold_")
        return translate("alerts.what_hotspot", language, confidence=confidence or "—",
                         n=_number(labels.get("cases"), language))  # fmt: skip
    return translate("alerts.what_other", language)


def _age(moment: object, now: dt.datetime, language: str) -> str:
    if is_missing(moment):
        return age(None, language)
    stamp = moment if isinstance(moment, dt.datetime) else dt.datetime.fromisoformat(str(moment))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return age((now - stamp).total_seconds() / 3600, language)


def describe(
    alert: Mapping[str, Any], language: str, *, now: dt.datetime, timezone: str = DEFAULT_TIMEZONE
) -> AlertText:
    """``alert`` (a stored alert record: kind, rule_id, state, severity, value, threshold, labels, times) in words."""
    state = _text(alert.get("state"))
    severity = _text(alert.get("severity"), "warning")
    since = alert.get("active_at")
    if is_missing(since):
        since = alert.get("state_since")
    data_age = ""
    if state == AlertState.STALE:
        last = alert.get("last_data_at")
        data_age = translate("alerts.last_data", language, at=local_time(last, language, timezone),
                             age=_age(last, now, language))  # fmt: skip
    return AlertText(
        place=place_name(alert, language),
        place_kind=SUBJECT_KIND.get(str(alert.get("kind")), "station"),
        what=_what(alert, language, timezone, now),
        severity=f"{SEVERITY_ICON.get(severity, '')} {label_in('severity', severity, language)}".strip(),
        state=f"{STATE_ICON.get(state, '')} {label_in('alert_state', state, language)}".strip(),
        since=local_time(since, language, timezone),
        data_age=data_age,
    )


def describe_frame(
    frame: pd.DataFrame, language: str, *, now: dt.datetime, timezone: str = DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """:func:`describe` for a whole frame of stored alerts (times converted in one vectorised step each).

    Columns ``place, place_kind, what, severity, state, since, data_age``, in the frame's order.
    """
    if frame.empty:
        return pd.DataFrame(columns=["place", "place_kind", "what", "severity", "state", "since", "data_age"])
    since = frame["active_at"].where(frame["active_at"].notna(), frame["state_since"])
    last = pd.to_datetime(frame["last_data_at"], utc=True)
    hours = (pd.Timestamp(now) - last).dt.total_seconds() / 3600
    last_texts = local_times(last, language, timezone)
    stale = (frame["state"] == AlertState.STALE).to_numpy()
    severities = {s: f"{SEVERITY_ICON.get(s, '')} {label_in('severity', s, language)}".strip()
                  for s in frame["severity"].unique()}  # fmt: skip
    states = {s: f"{STATE_ICON.get(s, '')} {label_in('alert_state', s, language)}".strip()
              for s in frame["state"].unique()}  # fmt: skip
    records = frame.to_dict("records")
    return pd.DataFrame(
        {
            "place": [place_name(alert, language) for alert in records],
            "place_kind": [SUBJECT_KIND.get(str(kind), "station") for kind in frame["kind"]],
            "what": [_what(alert, language, timezone, now) for alert in records],
            "severity": frame["severity"].map(severities).to_numpy(),
            "state": frame["state"].map(states).to_numpy(),
            "since": local_times(since, language, timezone),
            "data_age": [
                translate("alerts.last_data", language, at=text, age=age(None if pd.isna(h) else h, language))
                if is_stale else ""
                for text, h, is_stale in zip(last_texts, hours, stale, strict=True)
            ],
        },
        index=frame.index,
    )


def headline(alert: Mapping[str, Any], language: str, *, now: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """One line: ``Trạm Hà Đông: COD 168 mg/L > 150 mg/L …`` (notifications, CLI, pickers)."""
    text = describe(alert, language, now=now, timezone=timezone)
    return f"{text.place}: {text.what}"
