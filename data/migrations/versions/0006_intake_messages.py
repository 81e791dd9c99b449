"""chat-channel intake messages (Zalo OA webhook): replay-proof, grouped into reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("received_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("report_external_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_id"),
    )
    with op.batch_alter_table("intake_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_messages_sender"), ["sender"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_intake_messages_report_external_id"), ["report_external_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_messages_report_external_id"))
        batch_op.drop_index(batch_op.f("ix_intake_messages_sender"))
    op.drop_table("intake_messages")
