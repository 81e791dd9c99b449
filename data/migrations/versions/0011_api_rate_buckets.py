"""API rate-limit buckets shared by every API worker: one row per client, when its bucket is full again

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rate_buckets",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )


def downgrade() -> None:
    op.drop_table("api_rate_buckets")
