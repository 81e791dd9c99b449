"""Import one complaint file or Open311 pull as one batch, in one transaction: validate, locate, dedup, store.

Every input row ends up exactly once as accepted (stored, linked to a new or existing case), duplicate (the
same report is already stored, or repeated in the file) or quarantined (with a reason naming the row and
field). A failure anywhere rolls the whole batch back.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import requests
from sqlalchemy import Connection, Engine, insert, update
from sqlalchemy.exc import OperationalError

from data.bulk import insert_columns
from data.cases import serialise_case_storing, store_cases
from data.categories import Taxonomy, load_taxonomy
from data.config import REFERENCE_DIR, Settings
from data.db import DatabaseUnavailableError
from data.dialect import is_postgresql
from data.importers.media_column import ReportMedia, fetch_report_media
from data.importers.normalise import normalise
from data.importers.open311_client import fetch_requests
from data.importers.profiles import Profile, detect_profile, get_profile, to_canonical
from data.importers.readers import ExplainedError, RawTable, read_json_payload, read_table
from data.media.fetch import MediaSource
from data.redact import redact_url
from data.routing import Router
from data.schema import ComplaintReport, ImportBatch, QuarantineRow
from data.sla import SlaPolicy, load_sla_policy
from geo.address import WardNameResolver
from geo.join import assign_wards

_ID_CHUNK = 5000  # ids per IN (...) query; below SQLite and PostgreSQL parameter limits
_LOCKED = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock")
_DISK_FULL = ("disk is full", "no space left", "could not extend file", "disk full")


class ImportStorageError(ExplainedError, DatabaseUnavailableError):
    """The database could not store a batch (locked too long, disk full, …); nothing of the batch was stored.

    The sentence comes from the driver's own first line only: never the SQL statement or its parameters.
    """

    @classmethod
    def from_error(cls, name: str, err: Exception) -> ImportStorageError:
        """The storage error of ``err`` (SQLAlchemy's or the driver's own) raised while importing ``name``."""
        driver_error = err.orig if isinstance(err, OperationalError) else err
        detail = (str(driver_error).strip().splitlines() or [err.__class__.__name__])[0]
        folded = detail.lower()
        if any(words in folded for words in _LOCKED):
            return cls(name, "database_locked")
        if any(words in folded for words in _DISK_FULL):
            return cls(name, "disk_full")
        return cls(name, "database", detail=detail[:200])


@dataclass(frozen=True)
class ImportSummary:
    """The one-line result of an import; ``accepted + duplicates + quarantined == rows``."""

    rows: int
    accepted: int
    duplicates: int
    quarantined: int
    unassigned: int
    batch: str

    def as_dict(self) -> dict[str, int | str]:
        """The JSON summary printed by ``envmon complaints import``."""
        return asdict(self)


@dataclass(frozen=True)
class ImportContext:
    """What an import needs besides the file: wards, address resolver, taxonomy, SLA policy, settings."""

    wards: gpd.GeoDataFrame
    set_name: str
    resolver: WardNameResolver
    taxonomy: Taxonomy
    policy: SlaPolicy
    radius_m: float
    window_hours: float
    media: MediaSource | None = None  # where the media column's files go; None: the column is ignored

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> ImportContext:
        """Context from the configured boundary set, shipped reference files and config files."""
        from data.boundary_store import wards_frame

        return cls(
            wards=wards_frame(engine, settings.boundary_set),
            set_name=settings.boundary_set,
            resolver=WardNameResolver.from_reference_dir(REFERENCE_DIR),
            taxonomy=load_taxonomy(),
            policy=load_sla_policy(settings.config_path("sla"), settings.timezone),
            radius_m=settings.dedup_radius_m,
            window_hours=settings.dedup_window_hours,
            media=MediaSource.from_settings(settings),
        )


def import_complaints(
    engine: Engine,
    path: Path,
    context: ImportContext,
    *,
    profile: str | None = None,
    source: str | None = None,
    now: dt.datetime | None = None,
) -> ImportSummary:
    """Import a CSV, XLSX, GeoJSON or Open311 JSON file of complaints as one batch."""
    with cyclic_gc_paused():
        table = read_table(path)
    content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    if context.media is not None:  # a file on this machine may name media by paths relative to its folder
        context = replace(context, media=replace(context.media, local_root=path.resolve().parent))
    return import_table(
        engine,
        table,
        context,
        filename=str(path),
        content_hash=content_hash,
        profile=profile,
        source=source,
        now=now,
    )


def import_open311(
    engine: Engine,
    session: requests.Session,
    base_url: str,
    start: dt.datetime,
    end: dt.datetime,
    context: ImportContext,
    *,
    source: str | None = None,
    page_size: int | None = None,
    now: dt.datetime | None = None,
) -> ImportSummary:
    """Pull requests created in ``start``..``end`` from an Open311 endpoint; import them as one batch."""
    items = fetch_requests(session, base_url, start, end, page_size=page_size)
    safe_url = redact_url(base_url)  # the batch record and report sources never keep an API key
    table = read_json_payload(items, safe_url)
    return import_table(
        engine,
        table,
        context,
        filename=f"{safe_url} {start.isoformat()}..{end.isoformat()}",
        profile="open311",
        source=source or safe_url,
        now=now,
    )


def import_table(
    engine: Engine,
    table: RawTable,
    context: ImportContext,
    *,
    filename: str,
    content_hash: str = "",
    profile: str | None = None,
    source: str | None = None,
    now: dt.datetime | None = None,
) -> ImportSummary:
    """Import rows already read into a :class:`RawTable` (a file, or records pulled from an endpoint)."""
    with cyclic_gc_paused():
        return _import_table(
            engine,
            table,
            context,
            filename=filename,
            content_hash=content_hash,
            profile=profile,
            source=source,
            now=now,
        )


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees memory).

    A batch allocates millions of small objects (cells, rows, parameter tuples), none of them in reference
    cycles; each allocation burst would otherwise trigger full collections that walk them all again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_table(
    engine: Engine,
    table: RawTable,
    context: ImportContext,
    *,
    filename: str,
    content_hash: str,
    profile: str | None,
    source: str | None,
    now: dt.datetime | None,
) -> ImportSummary:
    now = now or dt.datetime.now(dt.UTC)
    headers = [str(column) for column in table.frame.columns]
    chosen: Profile = get_profile(profile) if profile else detect_profile(headers)
    source_name = source or chosen.default_source
    canonical, used = to_canonical(table.frame, chosen)
    clean, quarantine = normalise(canonical, used, table.frame, table.row_numbers, chosen, now, context.wards)
    clean["external_id"] = clean["external_id"].where(clean["external_id"].notna(), "sha1:" + clean["content_hash"])
    repeated = clean["external_id"].duplicated()
    clean = clean[~repeated]
    clean["category_code"] = context.taxonomy.classify(chosen.name, clean["category_raw"], clean["description"])
    clean, media = fetch_report_media(
        clean, quarantine, used["media"], context.media, known=lambda ids: _known_before(engine, source_name, ids)
    )
    batch_id = f"cmp-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    with media_discarded(media), _storage_errors(filename), engine.begin() as conn:
        serialise_case_storing(conn)  # the duplicate check and clustering below see every earlier import
        conn.execute(
            insert(ImportBatch).values(
                id=batch_id,
                kind="complaints",
                source=source_name,
                filename=filename,
                content_hash=content_hash,
                started_at=now,
                status="running",
            )
        )
        known = _existing_ids(conn, source_name, clean["external_id"].tolist())
        already = clean["external_id"].isin(known)
        fresh = locate(clean[~already].reset_index(drop=True), context)
        case_ids, case_stats = store_cases(
            conn,
            fresh,
            radius_m=context.radius_m,
            window_hours=context.window_hours,
            router=Router.load(conn),
            taxonomy=context.taxonomy,
            policy=context.policy,
        )
        _insert_reports(conn, fresh, case_ids, batch_id, source_name)
        media.attach(conn, source_name, now)
        refused_rows = [_cells_by_header(row, headers) for row in table.bad_rows] + quarantine.rows
        if refused_rows:
            refused = pd.DataFrame(refused_rows)
            refused["batch_id"], refused["created_at"] = batch_id, pd.Timestamp(now)
            insert_columns(conn, QuarantineRow.__table__, {name: refused[name] for name in refused.columns})
        summary = ImportSummary(
            rows=len(table.frame) + len(table.bad_rows),
            accepted=len(fresh),
            duplicates=int(repeated.sum() + already.sum()),
            quarantined=len(refused_rows),
            unassigned=int(fresh["ward_code"].isna().sum()),
            batch=batch_id,
        )
        details = {**summary.as_dict(), **case_stats, "profile": chosen.name, "format": table.file_format}
        conn.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(status=_batch_status(summary), finished_at=dt.datetime.now(dt.UTC), summary=details)
        )
    return summary


def _cells_by_header(row: dict[str, object], headers: list[str]) -> dict[str, object]:
    """A record refused whole with its ``cells`` named by the header (extra cells ``column_N``), so the Import page
    can mask the reporter's name and phone in it like in any other refused row."""
    cells = row["raw"].get("cells") if isinstance(row.get("raw"), dict) else None
    if not isinstance(cells, list):
        return row
    names = headers + [f"column_{index + 1}" for index in range(len(headers), len(cells))]
    return {**row, "raw": dict(zip(names, cells, strict=False))}


def _batch_status(summary: ImportSummary) -> str:
    """``nothing_new`` for a batch that only met stored reports again (a re-upload), else ``done``."""
    return "nothing_new" if summary.accepted == 0 and summary.quarantined == 0 and summary.duplicates else "done"


@contextmanager
def _storage_errors(name: str) -> Iterator[None]:
    """Turn the driver's operational errors (locked, disk full, …) into one sentence naming the file ``name``."""
    try:
        yield
    except (OperationalError, sqlite3.OperationalError, psycopg.OperationalError) as err:  # bulk inserts: driver's
        raise ImportStorageError.from_error(name, err) from None


def _known_before(engine: Engine, source: str, ids: list[str]) -> set[str]:
    """Report ids already stored, checked before the batch transaction (whose media need not be fetched)."""
    with engine.connect() as conn:
        return _existing_ids(conn, source, ids)


@contextmanager
def media_discarded(media: ReportMedia) -> Iterator[None]:
    """Delete the incoming files of media the batch did not keep, however it ends."""
    try:
        yield
    finally:
        media.discard()


def _existing_ids(conn: Connection, source: str, ids: list[str]) -> set[str]:
    """Report ids of ``source`` already stored, as plain driver SQL (no statement compiling per chunk).

    PostgreSQL joins the stored reports to the ids passed as one array; SQLite queries ``IN (...)`` chunks.
    """
    table = ComplaintReport.__tablename__
    if is_postgresql(conn):
        query = (
            f"SELECT r.external_id FROM {table} r JOIN unnest(%s::text[]) AS wanted(id) "
            "ON r.external_id = wanted.id WHERE r.source = %s"
        )
        return {value for (value,) in conn.exec_driver_sql(query, (ids, source))}
    found: set[str] = set()
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        query = f"SELECT external_id FROM {table} WHERE source = ? AND external_id IN ({', '.join('?' * len(chunk))})"
        found.update(value for (value,) in conn.exec_driver_sql(query, (source, *chunk)))
    return found


def locate(reports: pd.DataFrame, context: ImportContext) -> pd.DataFrame:
    """Add ward columns: from the coordinates when given, else from the ward named in the address.

    Unassigned reports are kept and flagged ``outside_wards`` (coordinates outside every ward) or
    ``no_location`` (no coordinates and no ward named in the address).
    """
    located = reports.copy()
    flags = [list(row_flags) for row_flags in located["flags"]]  # positional, like the masks below
    has_point = located["lat"].notna() & located["lon"].notna()
    wards = pd.DataFrame(index=located.index, columns=["ward_code", "ward_name", "district"], dtype=object)
    if has_point.any():
        joined = assign_wards(located.loc[has_point, "lon"], located.loc[has_point, "lat"], context.wards)
        wards.loc[has_point, :] = joined.to_numpy()
    by_address = ~has_point & located["address"].notna()
    if by_address.any():
        resolved = context.resolver.resolve(located.loc[by_address, "address"].tolist())
        resolved.index = located.index[by_address.to_numpy()]
        names = context.wards.set_index("code")
        known = resolved["ward_code"].isin(names.index)
        codes = resolved["ward_code"][known]
        wards.loc[codes.index, "ward_code"] = codes
        wards.loc[codes.index, "ward_name"] = names.loc[codes, "name"].to_numpy()
        wards.loc[codes.index, "district"] = names.loc[codes, "district"].to_numpy()
        pre2025 = (resolved["era"] == "pre2025").to_numpy() & known.to_numpy()
        for position in np.flatnonzero(by_address.to_numpy())[pre2025]:
            flags[position].append("ward_from_pre2025_name")
    located[["ward_code", "ward_name", "district"]] = wards.astype(object).where(wards.notna(), None)
    point_rows = has_point.to_numpy()
    for position in np.flatnonzero(located["ward_code"].isna().to_numpy()):
        flags[position].append("outside_wards" if point_rows[position] else "no_location")
    located["flags"] = flags
    located["location_method"] = np.where(
        has_point, "coordinates", np.where(located["ward_code"].notna(), "address", "none")
    )
    located["set_name"] = context.set_name
    return located


def _insert_reports(conn: Connection, reports: pd.DataFrame, case_ids: np.ndarray, batch_id: str, source: str) -> None:
    count = len(reports)
    if count == 0:
        return
    columns: dict[str, object] = {
        name: reports[name]
        for name in (
            "external_id",
            "reported_at",
            "lat",
            "lon",
            "location_method",
            "flags",
            "set_name",
            "ward_code",
            "reporter_name",
            "reporter_phone",
            "category_code",
            "location_from_photo",
        )
    }
    for name in ("channel", "category_raw", "description", "address", "source_status"):
        columns[name] = reports[name].fillna("")
    columns |= {"case_id": case_ids, "batch_id": [batch_id] * count, "source": [source] * count}
    insert_columns(conn, ComplaintReport.__table__, columns)
