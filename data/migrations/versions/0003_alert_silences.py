"""alert silences with matchers; per-case SLA alerts replaced by one reminder per unit

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:20:00

A silence now matches alerts by rule, family, subject or labels (Alertmanager-style) instead of one alert's
``silenced_until``; a still-running per-alert silence becomes a matcher silence on that alert. The per-case
overdue alerts of the old ``complaint-case-overdue`` rule are resolved (one reminder per unit replaces them).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_silences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_silences_ends_at"), ["ends_at"], unique=False)
    bind = op.get_bind()
    alerts = sa.table(
        "alerts",
        sa.column("id"),
        sa.column("rule_id"),
        sa.column("subject"),
        sa.column("state"),
        sa.column("state_since", data.schema.UtcDateTime(timezone=True)),
        sa.column("resolved_at", data.schema.UtcDateTime(timezone=True)),
        sa.column("silenced_until", data.schema.UtcDateTime(timezone=True)),
    )
    silences = sa.table(
        "alert_silences",
        sa.column("matchers", sa.JSON()),
        sa.column("starts_at", data.schema.UtcDateTime(timezone=True)),
        sa.column("ends_at", data.schema.UtcDateTime(timezone=True)),
        sa.column("created_by"),
        sa.column("comment"),
    )
    now = dt.datetime.now(dt.UTC)
    running = bind.execute(
        sa.select(alerts.c.rule_id, alerts.c.subject, alerts.c.silenced_until).where(alerts.c.silenced_until > now)
    ).all()
    for rule_id, subject, until in running:
        bind.execute(
            silences.insert().values(
                matchers={"rule_id": rule_id, "subject": subject},
                starts_at=now,
                ends_at=until,
                created_by="migration 0003",
                comment="",
            )
        )
    bind.execute(
        alerts.update()
        .where(alerts.c.rule_id == "complaint-case-overdue", alerts.c.state.in_(("pending", "firing", "stale")))
        .values(state="resolved", state_since=now, resolved_at=now)
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("silenced_until")


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("silenced_until", data.schema.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("alert_silences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_silences_ends_at"))
    op.drop_table("alert_silences")
