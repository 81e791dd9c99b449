"""A loaded case (:class:`data.case_detail.CaseDetail`) as JSON-ready data and as text in the reader's language
(``envmon complaints show``; notifications quote the same words)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from data.case_detail import Attachment, CaseDetail
from data.categories import load_taxonomy
from data.i18n import label_in, translate
from data.i18n.formats import MISSING, local_time, number
from data.unit_queue import clock_text


def case_as_dict(detail: CaseDetail) -> dict[str, Any]:
    """Every field of the case, its reports, record (each entry with its files), urges and clock; codes kept."""
    return dataclasses.asdict(detail)


def case_as_text(detail: CaseDetail, language: str, timezone: str, now: dt.datetime) -> str:
    """A readable page of text: header, the SLA clock at ``now`` in the unit queue's words, reports, the record
    with its files, urges, nearby open cases."""

    def when(moment: object) -> str:
        return local_time(moment, language, timezone)

    def say(key: str, **values: object) -> str:
        return translate(f"casework.show.{key}", language, **values)

    unit = translate("alerts.no_unit", language)
    if detail.unit is not None:
        unit = detail.unit.name if detail.unit.code in detail.unit.name else f"{detail.unit.name} ({detail.unit.code})"
    ward = f"{detail.ward_name} ({detail.district})" if detail.ward_name else MISSING
    lines = [
        say("header", id=detail.id, title=detail.title),
        say(
            "summary",
            status=label_in("status", detail.status, language),
            category=load_taxonomy().name(detail.category_code, language),
            ward=ward,
        ),
        say("unit", unit=unit, assignee=detail.assignee or MISSING, reopened=detail.reopen_count),
        say("deadlines", accept=when(detail.clock.accept_due_at), due=when(detail.clock.due_at)),
    ]
    clock = detail.clock
    if clock.deadline is not None:
        target = clock.accept_due_at if clock.deadline == "accept" else clock.due_at
        lines.append(say("clock", deadline=say(f"deadline_{clock.deadline}"),
                         clock=clock_text(target, clock.working_hours_left, now, language)))  # fmt: skip
    if detail.merged_into_id is not None:
        lines.append(say("merged_into", id=detail.merged_into_id))
    if detail.result_note:
        lines.append(say("result", note=detail.result_note))
    lines.append(say("reports", count=len(detail.reports)))
    report_files = [a for a in detail.attachments if a.report_id is not None]
    for report in detail.reports:
        contact = (
            f" · {report.reporter_name or ''} {report.reporter_phone or ''}".rstrip() if report.reporter_phone else ""
        )
        lines.append(
            f"  #{report.id} {when(report.reported_at)} {report.channel or MISSING} — {report.description}{contact}"
        )
        lines += [f"      {_file(a, language)}" for a in report_files if a.report_id == report.id]
    lines.append(say("history"))
    for entry in detail.history:
        status = label_in("status", entry.to_status, language)
        note = f" — {entry.note}" if entry.note else ""
        lines.append(f"  {when(entry.at)} {entry.actor}: {status}{note}")
        lines += [f"      {_file(a, language)}" for a in entry.attachments]
    if detail.urges:
        lines.append(say("urges", count=len(detail.urges)))
        for urge in detail.urges:
            via = urge.delivered_via or say("not_delivered")
            note = f" — {urge.note}" if urge.note else ""
            lines.append(f"  {when(urge.at)} {urge.actor} ({label_in('urge', urge.kind, language)}, {via}){note}")
    if detail.nearby:
        nearby = ", ".join(f"#{case.id} ({number(case.distance_m, language)} m)" for case in detail.nearby)
        lines.append(say("nearby", cases=nearby))
    return "\n".join(lines) + "\n"


def _file(attachment: Attachment, language: str) -> str:
    purpose = label_in("purpose", attachment.purpose, language)
    return f"📎 {purpose}: {attachment.original_name} ({attachment.kind}, {attachment.sha256[:12]})"
