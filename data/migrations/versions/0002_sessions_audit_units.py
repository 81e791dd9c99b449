"""sessions, audit log, unit accounts, normalised usernames

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 15:40:00

Existing usernames are NFKC-normalised and case-folded and get their confusable skeleton; a name whose
normalised form or skeleton collides with an earlier account keeps its spelling and a skeleton suffixed with
its id (both accounts keep working; an operator should rename one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from data.users import AccountError, normalize_username, username_skeleton

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_skeleton", sa.String(length=100), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id"), sa.column("username"), sa.column("username_skeleton"))
    names: set[str] = set()
    skeletons: set[str] = set()
    for user_id, username in bind.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all():
        try:
            name = normalize_username(username)
        except AccountError:
            name = username
        skeleton = username_skeleton(name)
        if name in names or skeleton in skeletons:
            name, skeleton = username, f"{skeleton}#{user_id}"
        names.add(name)
        skeletons.add(skeleton)
        bind.execute(users.update().where(users.c.id == user_id).values(username=name, username_skeleton=skeleton))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("username_skeleton", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint("uq_users_username_skeleton", ["username_skeleton"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
    op.create_table(
        "user_units",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["responsible_units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "unit_id"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("handoff_hash", sa.String(length=64), nullable=True),
        sa.Column("handoff_expires_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handoff_hash"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
    op.drop_table("user_units")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
    op.drop_table("audit_log")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_username_skeleton", type_="unique")
        batch_op.drop_column("username_skeleton")
