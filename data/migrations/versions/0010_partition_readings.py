"""monthly partitions of readings and averages on PostgreSQL (SQLite unchanged)

Every row is copied into the partitioned table; the row count and a checksum of every row are compared before
and after, and a difference stops the migration before it commits (``data.partitions.PartitionCheckError``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import datetime as dt

from alembic import op

from data.dialect import is_postgresql
from data.partitions import PARTITIONED_TABLES, convert_to_partitioned, convert_to_plain

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if is_postgresql(conn):
        for table in PARTITIONED_TABLES:
            convert_to_partitioned(conn, table.name, now=dt.datetime.now(dt.UTC))


def downgrade() -> None:
    conn = op.get_bind()
    if is_postgresql(conn):
        for table in PARTITIONED_TABLES:
            convert_to_plain(conn, table.name)
