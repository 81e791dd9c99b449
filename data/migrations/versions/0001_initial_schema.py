"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:16:20.351445
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import data.schema
from data.dialect import is_postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgis = is_postgresql(op.get_bind())
    if postgis:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("active_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fired_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_condition_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_data_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_eval_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("state_since", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ack_by", sa.String(length=200), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.Column("ack_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ack_until", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("silenced_until", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_notified_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_notified_state", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "subject", name="uq_alert_identity"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_state"), ["state"], unique=False)

    op.create_table(
        "boundary_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("unit_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "feed_state",
        sa.Column("feed", sa.String(length=100), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=False),
        sa.Column("last_attempt_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_data_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("feed"),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("started_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "responsible_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("operator", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("located", sa.Boolean(), nullable=False),
        sa.Column("set_name", sa.String(length=100), nullable=True),
        sa.Column("ward_code", sa.String(length=20), nullable=True),
        sa.Column("ward_name", sa.String(length=200), nullable=True),
        sa.Column("district", sa.String(length=200), nullable=True),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("limit_profile", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "alert_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_history_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "aqi_values",
        sa.Column("station_id", sa.String(length=100), nullable=False),
        sa.Column("scale", sa.String(length=5), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_end", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("aqi", sa.Integer(), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("dominant", sa.String(length=30), nullable=False),
        sa.Column("beyond_scale", sa.Boolean(), nullable=False),
        sa.Column("sub_indices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
        ),
        sa.PrimaryKeyConstraint("station_id", "scale", "period", "period_end"),
    )
    op.create_table(
        "averages",
        sa.Column("station_id", sa.String(length=100), nullable=False),
        sa.Column("parameter", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("period_end", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("n_valid", sa.Integer(), nullable=False),
        sa.Column("n_expected", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "parameter", "period", "period_end"),
    )
    op.create_table(
        "boundary_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_type", sa.String(length=50), nullable=False),
        sa.Column("district", sa.String(length=200), nullable=True),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("geom", data.schema.GeometryType("MULTIPOLYGON"), nullable=False),
        sa.Column("display_geom", data.schema.GeometryType("MULTIPOLYGON"), nullable=False),
        sa.ForeignKeyConstraint(["set_id"], ["boundary_sets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("set_id", "code"),
    )
    with op.batch_alter_table("boundary_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_boundary_units_set_id"), ["set_id"], unique=False)

    op.create_table(
        "complaint_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=50), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("set_name", sa.String(length=100), nullable=True),
        sa.Column("ward_code", sa.String(length=20), nullable=True),
        sa.Column("ward_name", sa.String(length=200), nullable=True),
        sa.Column("district", sa.String(length=200), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("opened_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("accept_due_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("due_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", data.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("last_report_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["responsible_units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint_cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_opened", ["opened_at"], unique=False)
        batch_op.create_index("ix_cases_ward_category", ["ward_code", "category_code"], unique=False)
        batch_op.create_index("ix_cases_ward_status", ["ward_code", "set_name", "status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_cases_status"), ["status"], unique=False)

    op.create_table(
        "ingested_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("filename", "content_hash"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("created_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "readings",
        sa.Column("station_id", sa.String(length=100), nullable=False),
        sa.Column("parameter", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("observed_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("station_id", "parameter", "observed_at"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=True),
        sa.Column("category_code", sa.String(length=50), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["responsible_units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "case_status_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["complaint_cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["responsible_units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_status_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_status_history_case_id"), ["case_id"], unique=False)

    op.create_table(
        "complaint_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("category_raw", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("reported_at", data.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location_method", sa.String(length=20), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("set_name", sa.String(length=100), nullable=True),
        sa.Column("ward_code", sa.String(length=20), nullable=True),
        sa.Column("reporter_name", sa.Text(), nullable=True),
        sa.Column("reporter_phone", sa.String(length=50), nullable=True),
        sa.Column("source_status", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["complaint_cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id"),
    )
    with op.batch_alter_table("complaint_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_reports_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_reports_reported_at"), ["reported_at"], unique=False)

    if postgis:
        _add_postgis_columns()


def _add_postgis_columns() -> None:
    """GiST indexes on ward geometries, and generated point columns so joins can run in PostGIS."""
    op.execute("CREATE INDEX ix_boundary_units_geom ON boundary_units USING gist (geom)")
    for table in ("complaint_reports", "complaint_cases", "stations"):
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(CASE WHEN lon IS NULL OR lat IS NULL THEN NULL "
            "ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")


def downgrade() -> None:
    with op.batch_alter_table("complaint_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_reports_reported_at"))
        batch_op.drop_index(batch_op.f("ix_complaint_reports_case_id"))

    op.drop_table("complaint_reports")
    with op.batch_alter_table("case_status_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_status_history_case_id"))

    op.drop_table("case_status_history")
    op.drop_table("routing_rules")
    op.drop_table("readings")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_batch_id"))

    op.drop_table("quarantine")
    op.drop_table("ingested_files")
    with op.batch_alter_table("complaint_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_cases_status"))
        batch_op.drop_index("ix_cases_ward_status")
        batch_op.drop_index("ix_cases_ward_category")
        batch_op.drop_index("ix_cases_opened")

    op.drop_table("complaint_cases")
    with op.batch_alter_table("boundary_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boundary_units_set_id"))

    op.drop_table("boundary_units")
    op.drop_table("averages")
    op.drop_table("aqi_values")
    with op.batch_alter_table("alert_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_history_alert_id"))

    op.drop_table("alert_history")
    op.drop_table("users")
    op.drop_table("stations")
    op.drop_table("responsible_units")
    op.drop_table("import_batches")
    op.drop_table("feed_state")
    op.drop_table("boundary_sets")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_state"))

    op.drop_table("alerts")
