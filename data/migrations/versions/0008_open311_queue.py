"""open311 queue: posted service requests stored before the answer, imported in batches off the request path

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open311_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("received_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("service_code", sa.String(length=50), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=50), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("done_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("service_request_id", sa.Integer(), nullable=True),
        sa.Column("refused_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("open311_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_queue_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("open311_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_queue_done_at"))
    op.drop_table("open311_queue")
