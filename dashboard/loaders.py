"""Cached data access for the pages: one engine per process, frames cached by small hashable arguments.

``st.cache_resource`` holds shared singletons (settings, engine, neighbour weights); ``st.cache_data`` holds
frames with a time-to-live, keyed by a frozen :class:`data.case_filter.CaseFilter`, a station id, a scale… and by
``now`` rounded to the minute where the answer depends on the clock. Every query is aggregated in the
database (``data.queries``); pages never read raw tables. :func:`shared_view` caches what a page draws (formatted,
immutable tables) once for every session, without the copy ``st.cache_data`` makes on each read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import threading
import tomllib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from data import alert_queries, db, exports, queries, station_hours
from data.boundary_store import wards_frame
from data.case_filter import CaseFilter
from data.categories import CategoryNames, load_taxonomy
from data.config import Settings, load_settings
from data.corroboration_report import corroboration_report, load_corroborable_complaints
from data.db import check_connection
from geo.hotspots import MIN_UNITS, gi_star
from geo.spots import WINDOW as SPOT_WINDOW
from geo.spots import find_spots, is_active, lookback_start
from geo.weights import SpatialWeights, queen_weights
from monitoring.station_health import STALE_AFTER
from monitoring.thresholds import EffectiveLimit, LimitProfile, ThresholdTable, load_thresholds

SHORT_TTL = 60  # seconds: live numbers (KPIs, alerts, latest AQI)
LONG_TTL = 3600  # seconds: slow-changing reference data (ward polygons, choices)
MAX_CASE_MARKERS = 2000  # above this, the map shows a heat layer and ward aggregates instead of markers
CORROBORATION_DAYS = 30  # the leaders' map and case list mark sensor-corroborated complaints of this many days
HEAT_CELL_DEG = 0.004  # ≈ 400 m heat-layer cells (a pixel is ≈ 150 m at the city zoom): light payload


ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])
_SHARED_VIEWS: dict[tuple[str, str], Any] = {}  # (file, name) -> the cached function, cleared with the live caches


def shared_view(ttl: int, max_entries: int = 16) -> Callable[[ViewFunction], ViewFunction]:
    """Cache a function whose answer is an immutable display object (a ``components.TableView``: Arrow tables)
    in the process, shared by every session and handed out without a copy (``st.cache_resource``; a
    ``st.cache_data`` read unpickles a copy in every run). :func:`clear_live_caches` clears them too."""

    def wrap(function: ViewFunction) -> ViewFunction:
        cached = st.cache_resource(ttl=ttl, max_entries=max_entries, show_spinner=False)(function)
        _SHARED_VIEWS[(function.__code__.co_filename, function.__qualname__)] = cached  # a page script runs again
        return cached  # type: ignore[return-value]

    return wrap


def now_minute() -> dt.datetime:
    """The current UTC time floored to the minute: a cache key that changes once a minute."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


_PREFETCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="envmon-prefetch")


def prefetch(*calls: Callable[[], object]) -> Future[None]:
    """Run the cached loader ``calls`` one after another on the background thread; return when it is done.

    The database answers them while the page draws what comes first; when the page then calls the same
    loader it waits for that value (Streamlit computes one cache key once) or finds it cached. An error is
    left for the page's own call, which computes again and raises it where it is shown. One thread serves
    every session, so background work never takes more than one core from the pages.
    """
    context = get_script_run_ctx()

    def run() -> None:
        add_script_run_ctx(threading.current_thread(), context)  # the session's language, settings, caches
        for call in calls:
            with contextlib.suppress(Exception):  # the page's own call raises it again
                call()

    return _PREFETCHER.submit(run)


@st.cache_resource
def settings() -> Settings:
    """Settings resolved once per server process."""
    return load_settings()


@st.cache_resource
def engine() -> Engine:
    """The shared engine of the primary database, checked reachable (raises ``DatabaseUnavailableError``).

    Writes and the reads that must see them go here: login, session touch, acknowledgements, silences, case
    actions, imports, the alert and import lists an operator just changed. On SQLite the dashboard reads through
    a memory map with small per-connection caches: the page's queries run on several threads' connections at
    once, and each would otherwise copy the tables it scans into its own cache.
    """
    result = db.engine(settings(), sqlite_cache_mib=8, sqlite_mmap_mib=1024)
    check_connection(result)
    return result


def read_engine() -> Engine:
    """The engine for the cached loaders' reads: the read replica if configured (the primary while it is
    unreachable), else the primary engine itself. Pages show each figure's data time, so replica lag is shown,
    never an error."""
    config = settings()
    if config.resolved_read_url == config.resolved_database_url:
        return engine()
    return _replica_engine(config.resolved_read_url, config.resolved_database_url)


@st.cache_resource
def _replica_engine(read_url: str, primary_url: str) -> Engine:
    """One replica engine per (replica, primary) pair: a settings change never reuses another database's."""
    return db.read_engine(load_settings(database_url=primary_url, database_read_url=read_url),
                          sqlite_cache_mib=8, sqlite_mmap_mib=1024)  # fmt: skip


@st.cache_data(ttl=LONG_TTL, show_spinner=False)
def category_names(language: str) -> CategoryNames:
    """Category code → display name in ``language`` (``names[code]``: an unknown code reads as "other")."""
    return load_taxonomy().names(language)


@st.cache_data(ttl=LONG_TTL, show_spinner=False)
def boundary_sets() -> list[str]:
    """Names of the stored boundary sets."""
    return queries.boundary_set_names(read_engine())


@st.cache_data(ttl=LONG_TTL, show_spinner=False)
def wards(set_name: str) -> gpd.GeoDataFrame:
    """Display (simplified) ward polygons of ``set_name`` with population and former district."""
    return wards_frame(read_engine(), set_name, display=True)


@st.cache_data(ttl=LONG_TTL, show_spinner=False)
def ward_choices(set_name: str) -> pd.DataFrame:
    """``code, name, district, lat, lon`` of the wards, for pickers and nearest-station search."""
    return queries.ward_choices(read_engine(), set_name)


@st.cache_data(ttl=LONG_TTL, show_spinner=False)
def filter_choices() -> dict[str, list[str]]:
    """Distinct categories, statuses, channels and former districts for the analysts' filters."""
    return queries.case_filter_choices(read_engine())


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def kpis(flt: CaseFilter, now: dt.datetime) -> dict[str, float | int | None]:
    """Leaders' KPIs plus the number of active alerts."""
    values = queries.case_kpis(read_engine(), flt, now)
    values["active_alerts"] = alert_queries.active_alert_count(read_engine())
    return values


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def ward_stats(flt: CaseFilter, set_name: str, now: dt.datetime) -> gpd.GeoDataFrame:
    """Display wards with ``cases, open, overdue`` and ``rate`` (cases per 1,000 residents); zeros filled in."""
    frame = wards(set_name)
    counts = queries.ward_case_counts(read_engine(), flt, now).set_index("ward_code")
    out = frame.copy()
    for column in ("cases", "open", "overdue"):
        out[column] = counts[column].reindex(out["code"]).fillna(0).astype(int).to_numpy()
    population = pd.to_numeric(out["population"], errors="coerce").astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(population > 0, out["cases"].to_numpy() / population * 1000.0, math.nan)
    return out


@st.cache_resource(show_spinner=False)
def _weights(set_name: str) -> SpatialWeights:
    return queen_weights(wards(set_name), "code")


def data_version() -> tuple[int, ...]:
    """A key that changes whenever complaint data changes (``data.queries.complaint_data_version``).

    Results that depend on the complaints but not on the clock are cached under it, so a leader's next visit
    or a filter change reuses them instead of recomputing them every minute.
    """
    return queries.complaint_data_version(read_engine())


def hotspots(flt: CaseFilter, set_name: str, rate: bool) -> pd.DataFrame | None:
    """Gi* classes per ward (``ward_code, value, z, q, class``) on counts or rates; None below 30 wards."""
    return _hotspots(flt, set_name, rate, data_version())


@st.cache_data(ttl=LONG_TTL, show_spinner=False, max_entries=64)
def _hotspots(flt: CaseFilter, set_name: str, rate: bool, version: tuple[int, ...]) -> pd.DataFrame | None:
    """Cached under ``version`` (no leading underscore: Streamlit leaves such arguments out of the key)."""
    relation = _weights(set_name)
    if len(relation.ids) < MIN_UNITS:
        return None
    stats = ward_stats(flt, set_name, now_minute()).set_index("code")  # counts and rates do not depend on now
    column = "rate" if rate else "cases"
    values = stats[column].reindex(list(relation.ids)).fillna(0.0).to_numpy(dtype=float)
    result = gi_star(values, relation, seed=0, value_kind="rate_per_1000" if rate else "count")
    return result.to_frame()[["ward_code", "value", "z", "q", "class"]]


def recurring_spots(set_name: str, now: dt.datetime) -> pd.DataFrame:
    """Recurring complaint spots (``geo.spots.find_spots``) among the cases since ``geo.spots.lookback_start``.

    The search runs once per day and data version (the lookback starts at a UTC midnight); only the
    ``active`` flag, which depends on ``now``, is recomputed here with the rule of ``find_spots``.
    """
    since = lookback_start(now)
    spots = _spots_since(set_name, since, data_version()).copy()
    spots["active"] = is_active(spots["last_report"], now, SPOT_WINDOW)
    return spots


@st.cache_data(ttl=LONG_TTL, show_spinner=False, max_entries=8)
def _spots_since(set_name: str, since: dt.datetime, version: tuple[int, ...]) -> pd.DataFrame:
    """Spots found once per lookback start and ``version`` (both only select the cached answer)."""
    return find_spots(queries.located_cases_since(read_engine(), since, set_name), dt.datetime.now(dt.UTC))


@st.cache_resource(show_spinner=False)
def thresholds() -> ThresholdTable:
    """The configured limit table (QCVN 05:2023 ambient, QCVN 40 / 14 effluent)."""
    return load_thresholds(settings().config_path("thresholds"))


def applicable_limit(
    kind: str, limit_profile: dict[str, object], parameter: str, day: dt.date
) -> EffectiveLimit | None:
    """The limit to draw on a station chart: ambient 1-h (else 24-h) for air, the permit/QCVN Cmax for effluent."""
    table = thresholds()
    if kind == "wastewater":
        if not limit_profile:
            return None
        return table.effluent_limit(LimitProfile.from_json(limit_profile), parameter, day)
    return table.ambient_limit(parameter, "1h", day) or table.ambient_limit(parameter, "24h", day)


def case_count(flt: CaseFilter, version: tuple[int, ...] | None = None) -> int:
    """Number of cases matching the filter (``version``: the :func:`data_version` the caller read this run)."""
    return _case_count(flt, data_version() if version is None else version)


@st.cache_data(ttl=LONG_TTL, show_spinner=False, max_entries=64)
def _case_count(flt: CaseFilter, version: tuple[int, ...]) -> int:
    return queries.case_count(read_engine(), flt)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def case_points(flt: CaseFilter) -> pd.DataFrame:
    """Case markers (at most ``MAX_CASE_MARKERS``)."""
    return queries.case_points(read_engine(), flt, MAX_CASE_MARKERS)


def heat_cells(flt: CaseFilter) -> pd.DataFrame:
    """Case counts on a ~400 m grid for the heat layer."""
    return _heat_cells(flt, data_version())


@st.cache_data(ttl=LONG_TTL, show_spinner=False, max_entries=16)
def _heat_cells(flt: CaseFilter, version: tuple[int, ...]) -> pd.DataFrame:
    return queries.heat_cells(read_engine(), flt, HEAT_CELL_DEG)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def overdue_by_unit(flt: CaseFilter, now: dt.datetime) -> pd.DataFrame:
    """Overdue cases per responsible unit."""
    return queries.overdue_by_unit(read_engine(), flt, now)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def overdue_cases(flt: CaseFilter, now: dt.datetime) -> pd.DataFrame:
    """The overdue cases, most overdue first."""
    return queries.overdue_cases(read_engine(), flt, now)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def cases_per_day(flt: CaseFilter) -> pd.DataFrame:
    """Cases opened per local day."""
    return queries.cases_per_day(read_engine(), flt)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def breakdowns(flt: CaseFilter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cases per category, reports per channel)."""
    return queries.category_breakdown(read_engine(), flt), queries.channel_breakdown(read_engine(), flt)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def case_page(flt: CaseFilter, page: int, page_size: int) -> pd.DataFrame:
    """One page of the filtered cases."""
    return queries.case_page(read_engine(), flt, page, page_size)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False, max_entries=4)
def case_export(flt: CaseFilter) -> pd.DataFrame:
    """Every report of the filtered cases for export (:func:`data.exports.reports_frame`, no personal data)."""
    return exports.reports_frame(read_engine(), flt)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def stations(kind: str | None, scale: str, now: dt.datetime) -> pd.DataFrame:
    """Stations with their newest AQI on ``scale`` (air) and a ``stale`` flag / ``age_hours``."""
    frame = queries.public_stations(read_engine(), kind)
    latest = queries.public_latest_aqi(read_engine(), scale).set_index("station_id")
    for column in ("aqi", "category", "dominant", "period_end", "beyond_scale", "sub_indices"):
        frame[column] = frame["id"].map(latest[column]) if len(latest) else None
    age = (pd.Timestamp(now) - frame["last_reading_at"]).dt.total_seconds() / 3600.0
    frame["age_hours"] = age.round(1)
    frame["stale"] = frame["last_reading_at"].isna() | (age > STALE_AFTER.total_seconds() / 3600.0)
    return frame


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def corroborated_cases(now: dt.datetime) -> pd.DataFrame:
    """Smoke and odour complaints of the last ``CORROBORATION_DAYS`` days that a nearby station's exceedance
    corroborates (``data.corroboration_report``), with their location: id, lat, lon, category_code,
    reported_at, station_id, distance_m, parameter, value, observed_at."""
    since = now - dt.timedelta(days=CORROBORATION_DAYS)
    report = corroboration_report(read_engine(), since, now)
    found = report[report["corroborated"]].drop(columns=["category_code", "reported_at"])
    located = load_corroborable_complaints(read_engine(), since, now)
    return located.merge(found, on="id")


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def station_device_status() -> dict[str, str]:
    """Station id → the worst TT 10/2021 status among its newest readings (``00`` | ``01`` | ``02``)."""
    frame = queries.station_device_status(read_engine())
    return dict(zip(frame["station_id"], frame["status"], strict=True))


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def latest_readings(station_id: str) -> pd.DataFrame:
    """Newest value of every parameter at one station."""
    return queries.public_latest_readings(read_engine(), station_id)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def aqi_series(station_id: str, scale: str, period: str, since: dt.datetime) -> pd.DataFrame:
    """AQI history of one station."""
    return queries.public_aqi_series(read_engine(), station_id, scale, period, since)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def station_parameters(station_id: str, since: dt.datetime) -> list[str]:
    """Parameters measured at one station since ``since`` (from the hourly roll-ups)."""
    return queries.station_parameters(read_engine(), station_id, since)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def station_series(station_id: str, parameter: str, since: dt.datetime, now: dt.datetime) -> pd.DataFrame:
    """One parameter at one station from ``since`` to ``now``: raw readings up to a day back, else hourly means."""
    return station_hours.station_series(read_engine(), station_id, parameter, since, now)


@st.cache_data(ttl=LONG_TTL, show_spinner=False)
def feed_schedules() -> dict[str, tuple[dt.timedelta, dt.timedelta]]:
    """Feed name → (poll interval, stale after) from the feeds config (defaults as ``load_feed_config``)."""
    with settings().config_path("feeds").open("rb") as handle:
        entries = tomllib.load(handle).get("feed", [])
    return {
        str(entry["name"]): (
            dt.timedelta(minutes=float(entry.get("interval_minutes", 60))),
            dt.timedelta(minutes=float(entry.get("stale_after_minutes", 180))),
        )
        for entry in entries
        if "name" in entry
    }


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def feed_health() -> pd.DataFrame:
    """Per-feed health rows."""
    return queries.feed_health(read_engine())


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def alerts(states: tuple[str, ...], since: dt.datetime | None) -> pd.DataFrame:
    """Alerts in ``states`` or changed since ``since``."""
    return alert_queries.alert_frame(engine(), states=states, since=since)


@st.cache_data(ttl=SHORT_TTL, show_spinner=False)
def alert_history(alert_id: int | None) -> pd.DataFrame:
    """Alert events, newest first."""
    return alert_queries.alert_events(engine(), alert_id)


def import_batches() -> pd.DataFrame:
    """Recent import batches (not cached: the import page must show a batch as soon as it is written)."""
    return queries.import_batches(engine())


def quarantine_rows(batch_id: str) -> pd.DataFrame:
    """Refused rows of one batch (not cached, see :func:`import_batches`)."""
    return queries.quarantine_rows(engine(), batch_id)


def clear_live_caches() -> None:
    """Forget cached frames and shared views after a write (import, acknowledgement) so the next render is
    current."""
    st.cache_data.clear()
    for cached in list(_SHARED_VIEWS.values()):
        cached.clear()
