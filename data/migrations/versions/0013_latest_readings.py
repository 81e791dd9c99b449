"""latest_readings: the newest reading of each station parameter, filled from the stored readings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema
from data.readings_store import rebuild_latest

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "latest_readings",
        sa.Column("station_id", sa.String(length=100), nullable=False),
        sa.Column("parameter", sa.String(length=30), nullable=False),
        sa.Column("observed_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "parameter"),
    )
    rebuild_latest(op.get_bind())


def downgrade() -> None:
    op.drop_table("latest_readings")
