"""Open311 GeoReport v2, served: our categories as services, public cases as requests, posted requests as
batches through the complaint import pipeline (dedup, quarantine, routing, clustering into cases) — taken from the
intake queue (:mod:`data.intake_queue`) off the request path.

Published: category, status, ward, times, the location moved to the centre of its ~100 m cell (the cells of the
public heat layer, :func:`data.queries.heat_cells`); never a reporter, a phone or the report's text.
``status_notes`` and ``media_url`` are the result note and "after" photo reviewed for the public
(:mod:`data.public_results`, the same answer as the public results pages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, update

from data.categories import Taxonomy
from data.importers.pipeline import ImportContext, import_table
from data.importers.readers import read_json_payload
from data.public_results import PHOTO_FOLDER, PublicFilter, public_results
from data.queries import quarantine_rows
from data.schema import ComplaintReport
from data.workflow import CLOSED_STATUSES

CHANNEL = "Open311 API"
SOURCE_PREFIX = "open311-api"
MAX_RESULTS = 1000


def services(taxonomy: Taxonomy, language: str = "vi") -> list[dict[str, Any]]:
    """``services.json``: one realtime service per complaint category."""
    return [
        {
            "service_code": code,
            "service_name": category.name_vi if language == "vi" else category.name_en,
            "description": category.name_en if language == "vi" else category.name_vi,
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "environment",
        }
        for code, category in taxonomy.categories.items()
    ]


@dataclass(frozen=True)
class RequestQuery:
    """The filters of ``GET requests.json`` (already checked): ids win over every other filter."""

    ids: tuple[int, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: str | None = None  # "open" | "closed"


def public_requests(
    engine: Engine, query: RequestQuery, taxonomy: Taxonomy, site_url: str = ""
) -> list[dict[str, Any]]:
    """Public cases as Open311 service requests, newest first (at most :data:`MAX_RESULTS`), from the one public
    query (:func:`data.public_results.public_results`): ``status_notes`` is the result note once reviewed for the
    public, ``media_url`` the published copy of the reviewed "after" photo (under ``site_url``, when configured)."""
    flt = PublicFilter(query.ids, None, query.service_codes, query.start, query.end, query.status, MAX_RESULTS)
    frame = public_results(engine, flt)
    out = []
    for row in frame.itertuples(index=False):
        place = ", ".join(str(p) for p in (row.ward_name, row.district) if _present(p))
        photo = f"{site_url.rstrip('/')}/{PHOTO_FOLDER}/{row.photo}.jpg" if site_url and row.photo else None
        out.append(
            {
                "service_request_id": str(row.id),
                "status": "closed" if row.status in CLOSED_STATUSES else "open",
                "status_notes": row.result_note or None,
                "service_name": taxonomy.name(row.category_code),
                "service_code": row.category_code,
                "description": None,  # the citizen's text may name people: never published
                "agency_responsible": row.unit if _present(row.unit) else None,
                "service_notice": None,
                "requested_datetime": _iso(row.opened_at),
                "updated_datetime": _iso(row.updated_at),
                "expected_datetime": _iso(row.due_at),
                "address": place or None,
                "address_id": None,
                "zipcode": None,
                "lat": None if pd.isna(row.lat) else float(row.lat),
                "long": None if pd.isna(row.lon) else float(row.lon),
                "media_url": photo,
            }
        )
    return out


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value is not pd.NaT


def _iso(moment: dt.datetime | None) -> str | None:
    if not _present(moment):
        return None
    utc = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)  # type: ignore[union-attr]
    return utc.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class NewRequest:
    """A request posted by a client: what the pipeline gets, and the private contact kept on the report only."""

    service_code: str
    lat: float | None
    lon: float | None
    address: str | None
    description: str
    media_url: str | None
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True)
class PostedRequest:
    """A posted request waiting in the intake queue: its external id (from its token), when it arrived, what."""

    external_id: str
    received_at: dt.datetime
    request: NewRequest


def external_id_of(token: str) -> str:
    """The report id a posted request with ``token`` is stored under (the pipeline refuses a second copy)."""
    return f"{SOURCE_PREFIX}-{token}"


def import_requests(
    engine: Engine, posted: Sequence[PostedRequest], context: ImportContext, *, client: str,
    now: dt.datetime | None = None,
) -> dict[str, int | str]:  # fmt: skip
    """Import ``posted`` (all from ``client``) as ONE batch through the complaint pipeline.

    A ``media_url`` is fetched through the pipeline's media column (:mod:`data.importers.media_column`: the
    shared HTTP client, the media size and type limits, the fetch deadline, no private-network addresses) and
    attached to the report. A medium that cannot be fetched or is refused does not refuse the report (the client
    was answered already, and a photo host out of reach must not lose a citizen's complaint): the report is
    stored whole with its link and a note naming the file and the reason, as for chat reports.

    Returns, per external id, the id of the case the report joined or opened, or the quarantine reason when the
    pipeline refused it. Idempotent: a request whose report is stored already (an earlier run that stopped
    before recording its outcome) is found again, never stored twice.
    """
    now = now or dt.datetime.now(dt.UTC)
    if context.media is not None:
        context = replace(context, media=replace(context.media, refuse_rows=False))
    source = f"{SOURCE_PREFIX}:{client}"[:100]
    records = []
    for item in posted:
        request = item.request
        text = request.description + (f"\nMedia: {request.media_url}" if request.media_url else "")
        record = {
            "service_request_id": item.external_id,
            "requested_datetime": item.received_at.isoformat(),
            "service_name": context.taxonomy.categories[request.service_code].name_vi,
            "description": text,
            "media": request.media_url,  # fetched and attached like an import's media column
            "address": request.address,
            "lat": request.lat,
            "long": request.lon,
            "channel": CHANNEL,
        }
        records.append({k: v for k, v in record.items() if v is not None})
    table = read_json_payload(records, source)
    summary = import_table(engine, table, context, filename=f"{source} ({len(records)} posted)", profile="open311",
                           source=source, now=now)  # fmt: skip
    outcome: dict[str, int | str] = {}
    refused = quarantine_rows(engine, summary.batch)
    for raw, reason in zip(refused["raw"], refused["reason"], strict=True):
        if isinstance(raw, dict) and raw.get("service_request_id"):
            outcome[str(raw["service_request_id"])] = str(reason)
    wanted = {item.external_id: item.request for item in posted}
    with engine.begin() as conn:
        stored = conn.execute(
            select(ComplaintReport.id, ComplaintReport.external_id, ComplaintReport.case_id).where(
                ComplaintReport.source == source, ComplaintReport.external_id.in_(list(wanted))
            )
        ).all()
        for report_id, external_id, case_id in stored:
            outcome[external_id] = int(case_id)
            request = wanted[external_id]
            if request.contact_name or request.contact_phone:
                conn.execute(
                    update(ComplaintReport)
                    .where(ComplaintReport.id == report_id)
                    .values(reporter_name=request.contact_name, reporter_phone=request.contact_phone)
                )
    for external_id in wanted:
        outcome.setdefault(external_id, "the request could not be stored")
    return outcome
