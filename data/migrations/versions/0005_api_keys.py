"""API client keys (hashed)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
