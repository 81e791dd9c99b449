"""Schema, migrations and type round-trips on SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
import shapely
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import SAWarning

from data.config import load_settings
from data.db import (
    MIGRATIONS_DIR,
    DatabaseUnavailableError,
    check_connection,
    make_engine,
    migrate,
    schema_revision,
    transaction,
)
from data.partitions import BRIN_PREFIX, PARTITIONED_TABLES, is_partitioned, pg_only_tables
from data.schema import Base, BoundarySet, BoundaryUnit, ImportBatch


def test_migration_creates_every_table_and_is_idempotent(engine):
    migrate(engine)  # second run changes nothing
    assert schema_revision(engine) == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_schema_revision_is_none_without_the_version_table(engine):
    """The dashboard asks on every run with one statement; a database never migrated answers None, not an error."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert schema_revision(engine) is None
    assert schema_revision(engine) is None  # the failed statement left the pooled connection usable


def _postgresql_only(conn, difference) -> bool:
    """Whether one schema difference is something PostgreSQL has by design and the portable metadata does not
    declare: PostGIS's spatial_ref_sys table, generated ``geom`` point columns and their GiST indexes, the monthly
    partitions of the partitioned tables (``data.partitions``), their per-partition indexes and the BRIN indexes.
    """
    kind, item = difference[0], difference[-1]
    partitions = pg_only_tables(conn)
    if kind == "remove_table":
        return item.name in partitions | {"spatial_ref_sys"}
    if kind == "remove_column":
        return item.name == "geom"
    if kind == "remove_index":
        return item.table.name in partitions or item.name.startswith(BRIN_PREFIX) or item.name.endswith("_geom")
    return False


def test_migration_matches_the_declared_schema(engine):
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # reflection does not know the PostGIS type
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        meaningful = [d for d in diff if not (isinstance(d, tuple) and _postgresql_only(conn, d))]
        partitioned = [is_partitioned(conn, table.name) for table in PARTITIONED_TABLES]
    assert meaningful == []
    assert partitioned == [engine.dialect.name == "postgresql"] * len(PARTITIONED_TABLES)


def test_datetimes_round_trip_as_utc(engine):
    local = dt.datetime(2025, 3, 15, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with transaction(engine) as session:
        session.add(ImportBatch(id="b1", kind="test", started_at=local))
    with transaction(engine) as session:
        stored = session.get(ImportBatch, "b1").started_at
    assert stored == local
    assert stored.utcoffset() == dt.timedelta(0)
    assert stored.hour == 3


def test_naive_datetimes_are_refused(engine):
    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as session:
        session.add(ImportBatch(id="b2", kind="test", started_at=dt.datetime(2025, 1, 1)))


def test_geometry_round_trip(engine):
    square = shapely.MultiPolygon([shapely.box(105.8, 21.0, 105.81, 21.01)])
    with transaction(engine) as session:
        boundary_set = BoundarySet(name="s", valid_from=dt.date(2025, 7, 1))
        session.add(boundary_set)
        session.flush()
        session.add(
            BoundaryUnit(set_id=boundary_set.id, code="1", name="A", geom=square, display_geom=square)
        )
    with transaction(engine) as session:
        geom = session.scalar(select(BoundaryUnit.geom))
    assert geom.equals(square)


def test_postgis_has_geometry_columns_and_gist_indexes(postgres_engine):
    with postgres_engine.connect() as conn:
        columns = set(conn.execute(text("SELECT f_table_name, type FROM geometry_columns")).all())
        indexes = {
            row.indexname
            for row in conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gist%'"))
        }
    assert {
        ("boundary_units", "MULTIPOLYGON"),
        ("complaint_reports", "POINT"),
        ("stations", "POINT"),
    } <= columns
    assert {"ix_boundary_units_geom", "ix_complaint_reports_geom", "ix_stations_geom"} <= indexes


def test_unreachable_database_gives_a_clear_error():
    engine = make_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailableError, match="database unavailable at") as info:
        check_connection(engine)
    assert "secret" not in str(info.value)


def test_settings_default_to_a_sqlite_file_under_var(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings().resolved_database_url == "sqlite:///var/envmon.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert load_settings().resolved_database_url == "postgresql+psycopg://u@h/db"


def test_settings_read_the_config_file(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = tmp_path / "custom.toml"
    config.write_text('boundary_set = "test-set"\ndedup_radius_m = 75\n', encoding="utf-8")
    monkeypatch.setenv("ENVMON_CONFIG", str(config))
    settings = load_settings()
    assert (settings.boundary_set, settings.dedup_radius_m) == ("test-set", 75.0)
    monkeypatch.setenv("ENVMON_BOUNDARY_SET", "from-env")
    assert load_settings().boundary_set == "from-env"
