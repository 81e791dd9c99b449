"""Merge and split: moving reports between cases (steps of :func:`data.case_actions.perform`).

Merge closes a duplicate case as ``merged`` (``merged_into_id`` names the survivor) and moves its reports, with
their photos, to the surviving case. Split moves one report, with its photos, out into a new case of the same
unit whose accept and resolve clocks start at the split (the report was bundled with another incident until
then). Both cases get an entry in their record, and both versions move on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from data.schema import BoundarySet, BoundaryUnit, CaseAttachment, ComplaintReport
from data.sla import add_working_hours
from data.workflow import CLOSED_STATUSES, MERGED, NOT_ACCEPTED

if TYPE_CHECKING:
    from data.case_actions import ActionContext

MAX_TITLE = 200


def merge_into(context: ActionContext, into_case: int | None) -> tuple[str, int, None]:
    """Close the claimed case as merged into ``into_case``; its reports and their photos move there."""
    from data.case_actions import CASES, CaseInputError

    case, conn = context.case, context.conn
    if into_case is None or into_case == case.id:
        raise CaseInputError("merge_target", case_id=case.id)
    # locked before it is checked: a merge of the survivor itself, running at the same time, is seen (or waited for)
    survivor = conn.execute(select(CASES).where(CASES.c.id == into_case).with_for_update()).first()
    if survivor is None or not context.actor.sees(survivor.unit_id) or survivor.status in CLOSED_STATUSES:
        raise CaseInputError("merge_target_closed", case_id=into_case)
    conn.execute(update(ComplaintReport).where(ComplaintReport.case_id == case.id).values(case_id=into_case))
    conn.execute(
        update(CaseAttachment)
        .where(CaseAttachment.case_id == case.id, CaseAttachment.report_id.is_not(None))
        .values(case_id=into_case)
    )
    conn.execute(
        update(CASES)
        .where(CASES.c.id == into_case)
        .values(
            report_count=CASES.c.report_count + case.report_count,
            last_report_at=max(survivor.last_report_at, case.last_report_at),
            version=CASES.c.version + 1,
        )
    )
    conn.execute(
        update(CASES)
        .where(CASES.c.id == case.id)
        .values(status=MERGED, merged_into_id=into_case, resolved_at=context.at, report_count=0)
    )
    note = f"#{case.id} → #{into_case}" + (f" — {context.note}" if context.note else "")
    context.record(into_case, survivor.status, survivor.status, survivor.unit_id, note)
    return MERGED, context.record(case.id, case.status, MERGED, case.unit_id, note), None


def split_report(context: ActionContext, report_id: int | None) -> tuple[str, int, int]:
    """Move report ``report_id`` out of the claimed case into a new case; (status, entry id, new case id)."""
    from data.case_actions import CASES, CaseInputError

    case, conn = context.case, context.conn
    report = conn.execute(
        select(ComplaintReport).where(ComplaintReport.id == report_id, ComplaintReport.case_id == case.id)
    ).first()
    if report is None:
        raise CaseInputError("split_report", case_id=case.id, report_id=report_id)
    remaining = conn.execute(
        select(func.count(), func.max(ComplaintReport.reported_at)).where(
            ComplaintReport.case_id == case.id, ComplaintReport.id != report.id
        )
    ).one()
    if remaining[0] == 0:
        raise CaseInputError("split_last", case_id=case.id)
    category = context.taxonomy.categories.get(report.category_code)
    priority = case.priority if report.category_code == case.category_code or category is None else category.priority
    terms = context.policy.terms(priority)
    ward_name, district = _ward_names(context, report.set_name, report.ward_code, case)
    title = (report.description or "").strip() or context.taxonomy.name(report.category_code)
    new_id = conn.execute(
        insert(CASES).values(
            category_code=report.category_code,
            lat=report.lat,
            lon=report.lon,
            set_name=report.set_name,
            ward_code=report.ward_code,
            ward_name=ward_name,
            district=district,
            unit_id=case.unit_id,
            status=NOT_ACCEPTED,
            priority=priority,
            title=title[:MAX_TITLE],
            opened_at=report.reported_at,
            accept_due_at=add_working_hours(context.at, terms.accept_hours, context.policy),
            due_at=add_working_hours(context.at, terms.resolve_hours, context.policy),
            report_count=1,
            last_report_at=report.reported_at,
            is_public=case.is_public,
        )
    ).inserted_primary_key[0]
    conn.execute(update(ComplaintReport).where(ComplaintReport.id == report.id).values(case_id=new_id))
    conn.execute(update(CaseAttachment).where(CaseAttachment.report_id == report.id).values(case_id=new_id))
    conn.execute(
        update(CASES).where(CASES.c.id == case.id).values(report_count=remaining[0], last_report_at=remaining[1])
    )
    note = f"#{case.id} → #{new_id}" + (f" — {context.note}" if context.note else "")
    context.record(new_id, None, NOT_ACCEPTED, case.unit_id, note)
    return case.status, context.record(case.id, case.status, case.status, case.unit_id, note), int(new_id)


def _ward_names(
    context: ActionContext, set_name: str | None, ward_code: str | None, case: Any
) -> tuple[str | None, str | None]:
    """Ward name and former district of the report's ward (the case's own when it is the same ward)."""
    if ward_code is None:
        return None, None
    if ward_code == case.ward_code and set_name == case.set_name:
        return case.ward_name, case.district
    row = context.conn.execute(
        select(BoundaryUnit.name, BoundaryUnit.district)
        .join(BoundarySet, BoundarySet.id == BoundaryUnit.set_id)
        .where(BoundarySet.name == set_name, BoundaryUnit.code == ward_code)
    ).first()
    return (row.name, row.district) if row is not None else (None, None)
