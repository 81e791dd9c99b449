"""Complaint SLA signals for the alert engine: overdue open cases, and clears for cases closed since."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select

from data.case_views import open_cases
from data.categories import load_taxonomy
from data.schema import ComplaintCase
from data.sla import FINAL_STATUSES, overdue_mask
from data.workflow import STATUS_LABELS_VI
from monitoring.signals import Signal

SLA_RULE_ID = "complaint-case-overdue"
SLA_CLEAR_LOOKBACK = dt.timedelta(days=30)


def sla_signals(engine: Engine, now: dt.datetime) -> list[Signal]:
    """``kind="sla"`` signals for the alert engine, subject ``case:<id>``.

    One breaching signal (``condition=True``) per overdue open case, ``value`` = clock hours past the
    deadline, the message naming the unit. Cases closed within :data:`SLA_CLEAR_LOOKBACK` give a clear signal
    (``condition=False``) so an alert raised while they were late resolves.
    """
    taxonomy = load_taxonomy()
    frame = open_cases(engine)
    late = frame[overdue_mask(frame["status"], frame["accept_due_at"], frame["due_at"], now)]
    moment = pd.Timestamp(now).tz_convert("UTC")
    signals = []
    for row in late.itertuples(index=False):
        accept_late = row.status == "received" and pd.Timestamp(row.accept_due_at) < moment
        deadline = pd.Timestamp(row.accept_due_at if accept_late else row.due_at)
        hours_late = round((moment - deadline).total_seconds() / 3600, 1)
        what = "chưa tiếp nhận" if accept_late else "chưa xử lý xong"
        unit = row.unit_name or "chưa có đơn vị"
        signals.append(
            Signal(
                rule_id=SLA_RULE_ID,
                subject=f"case:{row.id}",
                condition=True,
                value=hours_late,
                threshold=0.0,
                observed_at=now,
                kind="sla",
                labels={
                    "case_id": str(row.id),
                    "deadline": "accept" if accept_late else "resolve",
                    "due_at": deadline.isoformat(),
                    "unit_code": row.unit_code or "",
                    "unit_name": unit,
                    "ward_code": row.ward_code or "",
                    "category_code": row.category_code,
                    "priority": row.priority,
                },
                message=(
                    f"Phản ánh #{row.id} ({taxonomy.name(row.category_code)}, "
                    f"{row.ward_name or 'chưa rõ phường'}) {what}, quá hạn {hours_late} giờ — đơn vị: {unit}"
                ),
            )
        )
    return signals + _cleared_signals(engine, now)


def _cleared_signals(engine: Engine, now: dt.datetime) -> list[Signal]:
    """Clear signals for cases closed recently (their SLA alert, if any, resolves)."""
    case = ComplaintCase.__table__
    query = select(case.c.id, case.c.status).where(
        case.c.status.in_(sorted(FINAL_STATUSES)), case.c.resolved_at >= now - SLA_CLEAR_LOOKBACK
    )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(case.c.id)).all()
    return [
        Signal(
            rule_id=SLA_RULE_ID,
            subject=f"case:{case_id}",
            condition=False,
            threshold=0.0,
            observed_at=now,
            kind="sla",
            labels={"case_id": str(case_id), "status": status},
            message=f"Phản ánh #{case_id}: {STATUS_LABELS_VI[status].lower()}",
        )
        for case_id, status in rows
    ]
