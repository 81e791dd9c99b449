"""Cases: reports of the same category within a radius and time window become one case with linked reports.

Clustering is greedy in time order: a report joins the open case of its category whose anchor (the first
report's location) lies within ``radius_m`` and whose latest report is at most ``window_hours`` away (a
late-arriving older report may still join a stored case); otherwise it opens a new case. Neighbours come
from ``scipy.spatial.cKDTree`` on a local metric projection (equirectangular around the batch's mean
latitude, well under 0.1 % error at 50 m). Reports without coordinates open a case of their own. New cases
are routed, get SLA deadlines and a first history entry; a case whose reports the source has all closed
(an Open311 or 311 export of past requests) is recorded as resolved at the source's closing time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from sqlalchemy import Connection, bindparam, select, text, update

from data.bulk import insert_columns, reserve_ids
from data.categories import Taxonomy
from data.dialect import is_postgresql
from data.routing import Router
from data.schema import CaseStatusChange, ComplaintCase
from data.sla import SlaPolicy, due_times
from data.workflow import CLOSED_STATUSES

CLUSTERING_LOCK: Final = 0x656E_766D  # "envm": the advisory lock key of complaint storing on PostgreSQL
_METRES_PER_DEGREE_LAT = 110_574.0
_METRES_PER_DEGREE_LON_EQUATOR = 111_320.0
IMPORT_ACTOR = "hệ thống (nhập dữ liệu)"


def project_metres(lon: np.ndarray, lat: np.ndarray, reference_lat: float) -> np.ndarray:
    """Local equirectangular x/y in metres around ``reference_lat`` (n x 2)."""
    scale_x = _METRES_PER_DEGREE_LON_EQUATOR * np.cos(np.radians(reference_lat))
    return np.column_stack([np.asarray(lon, float) * scale_x, np.asarray(lat, float) * _METRES_PER_DEGREE_LAT])


def cluster_reports(reports: pd.DataFrame, existing: pd.DataFrame, radius_m: float, window_hours: float) -> np.ndarray:
    """Case of each report: an existing case id (> 0) or ``-(1 + position)`` of the report that opens it.

    Parameters
    ----------
    reports
        ``reported_at`` (UTC), ``lat``, ``lon`` (NaN when unknown), ``category_code``; positional order.
    existing
        Open cases that may absorb reports: ``case_id``, ``lat``, ``lon``, ``category_code``,
        ``last_report_at``.
    """
    result = -(np.arange(len(reports)) + 1)
    if len(reports) == 0:
        return result
    window = int(window_hours * 3600 * 1e6)
    times = reports["reported_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    times = times.astype(np.int64)
    located = reports["lat"].notna().to_numpy() & reports["lon"].notna().to_numpy()
    lats = np.concatenate([reports["lat"].to_numpy(float)[located], existing["lat"].to_numpy(float)])
    reference_lat = float(np.nanmean(lats)) if len(lats) else 0.0
    old_last = existing["last_report_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    old_last = old_last.astype(np.int64).tolist()  # Python ints: the loop below runs once per report
    codes = reports["category_code"].to_numpy()
    report_lons, report_lats = reports["lon"].to_numpy(float), reports["lat"].to_numpy(float)
    for category in pd.unique(codes[located]):
        members = np.flatnonzero(located & (codes == category))
        members = members[np.argsort(times[members], kind="stable")]
        points = project_metres(report_lons[members], report_lats[members], reference_lat)
        near_new = cKDTree(points).query_ball_point(points, radius_m)
        old_rows = np.flatnonzero(existing["category_code"].to_numpy() == category)
        near_old: Sequence[Sequence[int]] = [()] * len(members)
        if len(old_rows):
            anchors = project_metres(
                existing["lon"].to_numpy(float)[old_rows],
                existing["lat"].to_numpy(float)[old_rows],
                reference_lat,
            )
            near_old = cKDTree(anchors).query_ball_point(points, radius_m)
        founder_last: dict[int, int] = {}
        member_rows, member_times, old_list = members.tolist(), times[members].tolist(), old_rows.tolist()
        for rank, (member, now) in enumerate(zip(member_rows, member_times, strict=True)):
            old_hits = [old_list[j] for j in near_old[rank] if abs(now - old_last[old_list[j]]) <= window]
            if old_hits:
                chosen = max(old_hits, key=lambda row: old_last[row])
                result[member] = int(existing["case_id"].iat[chosen])
                old_last[chosen] = max(old_last[chosen], now)
                continue
            founders = [
                member_rows[j]
                for j in near_new[rank]
                if j < rank and member_rows[j] in founder_last and now - founder_last[member_rows[j]] <= window
            ]
            if founders:
                chosen_founder = max(founders, key=lambda row: founder_last[row])
                result[member] = result[chosen_founder]
                founder_last[chosen_founder] = now
            else:
                founder_last[member] = now
    return result


def serialise_case_storing(conn: Connection) -> None:
    """Make concurrent imports store their reports one after another, as if run in sequence.

    Each import reads the stored report ids (duplicates) and the open cases (clustering) before it writes. Two
    PostgreSQL transactions doing that at once would both miss the other's rows: the second would fail on the
    unique report id, and two nearby reports would open two cases. A transaction-scoped advisory lock, taken
    before those reads and released at commit or rollback, orders them; reading and checking the files still
    runs in parallel. SQLite allows one writer at a time by itself.
    """
    if is_postgresql(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLUSTERING_LOCK})


def open_cases_near(conn: Connection, start: dt.datetime, end: dt.datetime, window_hours: float) -> pd.DataFrame:
    """Located, unfinished cases active within ``window_hours`` of ``start``..``end``."""
    table = ComplaintCase.__table__
    since = start - dt.timedelta(hours=window_hours)
    rows = conn.execute(
        select(table.c.id, table.c.lat, table.c.lon, table.c.category_code, table.c.last_report_at).where(
            table.c.lat.is_not(None),
            table.c.last_report_at >= since,
            table.c.opened_at <= end + dt.timedelta(hours=window_hours),
            table.c.status.not_in(CLOSED_STATUSES),
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["case_id", "lat", "lon", "category_code", "last_report_at"])
    frame["last_report_at"] = pd.to_datetime(frame["last_report_at"], utc=True)
    return frame


def store_cases(
    conn: Connection,
    reports: pd.DataFrame,
    *,
    radius_m: float,
    window_hours: float,
    router: Router,
    taxonomy: Taxonomy,
    policy: SlaPolicy,
) -> tuple[np.ndarray, dict[str, int]]:
    """Create or extend cases for ``reports`` (already validated and located); return each report's case id.

    ``reports`` needs ``reported_at``, ``lat``, ``lon``, ``category_code``, ``ward_code``, ``ward_name``,
    ``district``, ``set_name`` and ``description``.
    """
    if len(reports) == 0:
        return np.array([], dtype=np.int64), {"new_cases": 0, "linked_to_existing": 0}
    reports = reports.reset_index(drop=True)
    start, end = reports["reported_at"].min().to_pydatetime(), reports["reported_at"].max().to_pydatetime()
    existing = open_cases_near(conn, start, end, window_hours)
    refs = cluster_reports(reports, existing, radius_m, window_hours)
    founders = np.flatnonzero(refs == -(np.arange(len(refs)) + 1))
    founder_of = np.where(refs < 0, -refs - 1, -1)
    case_ids = np.zeros(len(reports), dtype=np.int64)
    if len(founders):
        new_ids = np.asarray(_insert_new_cases(conn, reports, refs, founders, router, taxonomy, policy))
        new_mask = refs < 0
        case_ids[new_mask] = new_ids[np.searchsorted(founders, founder_of[new_mask])]
    linked = refs > 0
    case_ids[linked] = refs[linked]
    _extend_existing_cases(conn, reports[linked], refs[linked])
    return case_ids, {"new_cases": len(founders), "linked_to_existing": int(linked.sum())}


def _insert_new_cases(
    conn: Connection,
    reports: pd.DataFrame,
    refs: np.ndarray,
    founders: np.ndarray,
    router: Router,
    taxonomy: Taxonomy,
    policy: SlaPolicy,
) -> list[int]:
    members = reports[refs < 0]
    groups = pd.DataFrame(
        {
            "ref": refs[refs < 0],
            "at": members["reported_at"],
            "closed": members["closed_at_source"],
            "closed_at": members["closed_at"],
        }
    ).groupby("ref")
    counts, latest = groups["at"].size(), groups["at"].max()
    all_closed, closed_at = groups["closed"].all(), groups["closed_at"].max()
    cases = reports.iloc[founders][
        ["category_code", "lat", "lon", "set_name", "ward_code", "ward_name", "district", "reported_at"]
    ].copy()
    keys = -(founders + 1)
    cases["report_count"] = counts.loc[keys].to_numpy()
    cases["last_report_at"] = latest.loc[keys].array  # positional; .array keeps the UTC time dtype
    cases = cases.rename(columns={"reported_at": "opened_at"})
    codes = cases["category_code"]
    cases["priority"] = codes.map({code: taxonomy.categories[code].priority for code in codes.unique()})
    closed = all_closed.loc[keys].to_numpy(dtype=bool)
    cases["status"] = np.where(closed, "resolved", "received")
    cases["resolved_at"] = closed_at.loc[keys].where(closed).array
    cases["accepted_at"] = cases["resolved_at"]
    cases["unit_id"] = pd.array(router.route(cases["ward_code"], cases["category_code"]), dtype="Int64")
    description = reports["description"].iloc[founders].fillna("").astype(str)
    category_names = codes.map({code: taxonomy.name(code) for code in codes.unique()})
    cases["title"] = description.where(description != "", category_names).str.slice(0, 200)
    accept_due, resolve_due = due_times(cases["opened_at"], cases["priority"], policy)
    cases["accept_due_at"], cases["due_at"] = accept_due, resolve_due
    table = ComplaintCase.__table__
    ids = reserve_ids(conn, table, len(cases))
    columns: dict[str, Any] = {"id": ids, **{name: cases[name] for name in cases.columns}}
    insert_columns(conn, table, columns | {"is_public": [True] * len(cases)})
    _insert_import_history(conn, ids, cases, closed)
    return ids


def _insert_import_history(conn: Connection, ids: list[int], cases: pd.DataFrame, closed: np.ndarray) -> None:
    """A "received" entry per new case, and a "resolved" one where the source already closed every report."""
    received = {
        "case_id": ids,
        "from_status": [None] * len(ids),
        "to_status": ["received"] * len(ids),
        "at": cases["opened_at"],
        "actor": [IMPORT_ACTOR] * len(ids),
        "note": ["tiếp nhận phản ánh"] * len(ids),
        "unit_id": cases["unit_id"],
    }
    closed_cases = cases[closed]
    count = len(closed_cases)
    resolved = {
        "case_id": np.asarray(ids)[closed],
        "from_status": ["received"] * count,
        "to_status": ["resolved"] * count,
        "at": closed_cases["resolved_at"].fillna(closed_cases["last_report_at"]),
        "actor": [IMPORT_ACTOR] * count,
        "note": ["đã đóng tại nguồn dữ liệu"] * count,
        "unit_id": closed_cases["unit_id"],
    }
    table = CaseStatusChange.__table__
    insert_columns(conn, table, received)
    insert_columns(conn, table, resolved)


def _extend_existing_cases(conn: Connection, linked: pd.DataFrame, case_ids: np.ndarray) -> None:
    if len(linked) == 0:
        return
    grouped = pd.DataFrame({"case_id": case_ids, "at": linked["reported_at"].to_numpy()}).groupby("case_id")["at"]
    table = ComplaintCase.__table__
    stats = [
        {
            "b_id": int(case_id),
            "b_added": int(added),
            "b_latest": pd.Timestamp(latest).tz_localize("UTC")
            if pd.Timestamp(latest).tzinfo is None
            else pd.Timestamp(latest),
        }
        for case_id, added, latest in zip(grouped.size().index, grouped.size(), grouped.max(), strict=True)
    ]
    current = dict(
        conn.execute(select(table.c.id, table.c.last_report_at).where(table.c.id.in_([s["b_id"] for s in stats]))).all()
    )
    for entry in stats:
        entry["b_latest"] = max(entry["b_latest"].to_pydatetime(), current[entry["b_id"]])
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(report_count=table.c.report_count + bindparam("b_added"), last_report_at=bindparam("b_latest"))
    )
    conn.execute(statement, stats)
