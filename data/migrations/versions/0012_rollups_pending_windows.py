"""roll-ups and late data: ward roll-ups (ward_averages) and the durable queue of pending windows

Daily station roll-ups are rows of ``averages`` with period '1d' (no schema change).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ward_averages",
        sa.Column("set_name", sa.String(length=100), nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parameter", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("period_end", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("n_valid", sa.Integer(), nullable=False),
        sa.Column("n_expected", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("set_name", "ward_code", "kind", "parameter", "period", "period_end"),
    )
    op.create_table(
        "pending_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=100), nullable=False),
        sa.Column("parameter", sa.String(length=30), nullable=False),
        sa.Column("after_hour", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_hour", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("deferred", sa.Boolean(), nullable=False),
        sa.Column("queued_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("pending_windows")
    op.drop_table("ward_averages")
