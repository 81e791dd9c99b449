"""case work: media objects, case attachments, urges; case version, assignee, reopen count, result note

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_objects",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("created_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "case_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("history_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["complaint_cases.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["complaint_reports.id"]),
        sa.ForeignKeyConstraint(["history_id"], ["case_status_history.id"]),
        sa.ForeignKeyConstraint(["sha256"], ["media_objects.sha256"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_attachments_case_id"), ["case_id"], unique=False)
    op.create_table(
        "case_urges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivered_via", sa.String(length=50), nullable=True),
        sa.Column("delivered_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["complaint_cases.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["responsible_units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_urges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_urges_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_urges_unit_id"), ["unit_id"], unique=False)
    with op.batch_alter_table("complaint_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("result_note", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("result_public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_complaint_cases_merged_into", "complaint_cases", ["merged_into_id"], ["id"])
    with op.batch_alter_table("complaint_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_from_photo", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("responsible_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervisor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_responsible_units_supervisor", "responsible_units", ["supervisor_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("responsible_units", schema=None) as batch_op:
        batch_op.drop_constraint("fk_responsible_units_supervisor", type_="foreignkey")
        batch_op.drop_column("supervisor_id")
    with op.batch_alter_table("complaint_reports", schema=None) as batch_op:
        batch_op.drop_column("location_from_photo")
    with op.batch_alter_table("complaint_cases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_complaint_cases_merged_into", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("result_public")
        batch_op.drop_column("result_note")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("assignee")
        batch_op.drop_column("version")
    with op.batch_alter_table("case_urges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_urges_unit_id"))
        batch_op.drop_index(batch_op.f("ix_case_urges_case_id"))
    op.drop_table("case_urges")
    with op.batch_alter_table("case_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_attachments_case_id"))
    op.drop_table("case_attachments")
    op.drop_table("media_objects")
