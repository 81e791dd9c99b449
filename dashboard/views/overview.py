"""Tổng quan (leaders): KPIs, the ward map, overdue cases by responsible unit, hotspots and firing alerts."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import auth, components, loaders, state
from dashboard.i18n import label, t
from data.alert_states import ACTIVE_STATES
from data.case_filter import CaseFilter
from geo import spots as spots_rules


def _kpis(flt: CaseFilter) -> None:
    values = loaders.kpis(flt, loaders.now_minute())
    on_time = values["on_time_pct"]
    median = values["median_hours_to_resolve"]
    components.kpi_row(
        [
            (t("kpi.open"), components.number_text(values["open"]), None),
            (t("kpi.overdue"), components.number_text(values["overdue"]), t("kpi.overdue_help")),
            (t("kpi.on_time"), None if on_time is None else components.percent_text(on_time), t("kpi.on_time_help")),
            (
                t("kpi.median"),
                None if median is None else t("kpi.hours", n=components.number_text(median, 1)),
                t("kpi.median_help"),
            ),
            (t("kpi.alerts"), components.number_text(values["active_alerts"]), None),
        ]
    )


def _spots(set_name: str, version: tuple[int, ...]) -> None:
    st.subheader(t("overview.spots_title"))
    language, now = st.session_state[state.LANGUAGE], loaders.now_minute()
    spots, total = _spot_view(set_name, now, language, version)
    if spots.empty:
        st.info(t("overview.no_spots"))
        return
    components.draw_table(spots)
    st.caption(
        t(
            "overview.spots_method",
            n=spots_rules.MIN_REPORTS,
            radius=int(spots_rules.RADIUS_M),
            days=spots_rules.WINDOW.days,
        )
    )
    if total > components.MAX_SPOTS:
        st.caption(
            t(
                "overview.spots_largest",
                shown=components.number_text(components.MAX_SPOTS),
                total=components.number_text(total),
            )
        )


@st.cache_data(ttl=loaders.SHORT_TTL, show_spinner=False, max_entries=16)
def _spot_view(
    set_name: str, now: dt.datetime, language: str, version: tuple[int, ...]
) -> tuple[components.TableView, int]:
    """The recurring-spot table as shown and how many spots there are in all, once per minute, language and data
    version (they only select the cached answer)."""
    spots, total = components.spot_summary(set_name)
    return components.table_view(spots, ["ward", "cases", "categories", "first_report", "last_report", "active"]), total


def _overdue(flt: CaseFilter) -> None:
    now = loaders.now_minute()
    st.subheader(t("overview.overdue_title"))
    language = st.session_state[state.LANGUAGE]
    by_unit = _overdue_units_view(flt, now, language)
    if by_unit.empty:
        st.success(t("overview.no_overdue"))
        return
    components.draw_table(by_unit)
    with st.expander(t("overview.overdue_cases")):
        components.draw_table(_overdue_cases_view(flt, now, language))


@st.cache_data(ttl=loaders.SHORT_TTL, show_spinner=False, max_entries=16)
def _overdue_units_view(flt: CaseFilter, now: dt.datetime, language: str) -> components.TableView:
    """Overdue cases per responsible unit as the table shows them (units with none left out), formatted once per
    minute and language (``language`` only selects the cached answer)."""
    by_unit = loaders.overdue_by_unit(flt, now)
    by_unit = by_unit[by_unit["overdue"] > 0]
    table = by_unit.assign(unit=[u or t("overview.unassigned") for u in by_unit["unit"]])
    return components.table_view(table, ["unit", "overdue", "oldest_days_overdue"], decimals={"oldest_days_overdue": 1})


@st.cache_data(ttl=loaders.SHORT_TTL, show_spinner=False, max_entries=16)
def _overdue_cases_view(flt: CaseFilter, now: dt.datetime, language: str) -> components.TableView:
    """The overdue cases as the table shows them, formatted once per minute and language (thousands of rows at
    city scale: formatting their cells was the largest part of a leader's overview run)."""
    cases = loaders.overdue_cases(flt, now)
    names = loaders.category_names(language)
    view = cases.assign(
        unit=[u or t("overview.unassigned") for u in cases["unit"]],
        category_code=[names[c] for c in cases["category_code"]],
        status=[label("status", s) for s in cases["status"]],
        due_at=components.local_time_texts(cases["due_at"]),
        corroborated_by=components.corroboration_column(cases["id"]),
    )
    return components.table_view(
        view,
        [
            "id",
            "unit",
            "ward_name",
            "category_code",
            "status",
            "due_at",
            "days_overdue",
            "age_days",
            "title",
            "corroborated_by",
        ],
        decimals={"days_overdue": 1, "age_days": 1},
        case_links=True,
    )


def _hotspots(flt: CaseFilter, set_name: str, metric: str, version: tuple[int, ...]) -> None:
    st.subheader(t("overview.hotspots_title"))
    view = _hotspot_view(flt, set_name, metric, st.session_state[state.LANGUAGE], version)
    if view is None:
        st.info(t("overview.hotspots_too_few"))
        return
    if view.empty:
        st.info(t("overview.no_hotspots"))
        return
    components.draw_table(view)
    st.caption(t("overview.hotspots_method"))


@st.cache_data(ttl=loaders.LONG_TTL, show_spinner=False, max_entries=16)
def _hotspot_view(
    flt: CaseFilter, set_name: str, metric: str, language: str, version: tuple[int, ...]
) -> components.TableView | None:
    """The hot wards as the table shows them (None: too few wards), formatted once per metric, language and
    complaint data version (``language`` and ``version`` only select the cached answer)."""
    classes = loaders.hotspots(flt, set_name, metric == "rate")
    if classes is None:
        return None
    hot = classes[classes["class"].str.startswith("hot")]
    wards = loaders.ward_choices(set_name)[["code", "name", "district"]]  # no polygons to copy
    table = hot.merge(wards, left_on="ward_code", right_on="code").sort_values("z", ascending=False)
    table = table.assign(label=[t(f"hotspot.{c}") for c in table["class"]])
    return components.table_view(
        table,
        ["name", "district", "value", "z", "q", "label"],
        decimals={"value": 2 if metric == "rate" else 0, "z": 2, "q": 3},
    )


def _alerts() -> None:
    st.subheader(t("overview.alerts_title"))
    firing = loaders.alerts(ACTIVE_STATES, None)
    if firing.empty:
        st.success(t("alerts.none_active"))
        return
    names = loaders.stations(None, "vn", loaders.now_minute()).set_index("id")["name"].to_dict()
    view = firing.assign(
        subject=[
            components.alert_subject_text(s, lb, names)
            for s, lb in zip(firing["subject"], firing["labels"], strict=True)
        ],
        state=[label("alert_state", s) for s in firing["state"]],
        state_since=components.local_time_texts(firing["state_since"]),
    )
    components.show_table(view, ["subject", "state", "value", "threshold", "state_since", "message"])


def render() -> None:
    """Draw the leaders' overview."""
    auth.require_role(auth.ALL_ROLES)
    st.title(t("overview.title"))
    set_name = loaders.settings().boundary_set
    flt = CaseFilter(set_name=set_name, timezone=loaders.settings().timezone)
    now = loaders.now_minute()
    # the database fills what the map and the tables below need while the KPIs are computed and drawn, once a
    # minute per selection: later runs find it all cached (prefetching again would only copy cached frames)
    first_run = _first_run_this_minute(flt, now)
    if first_run:
        loaders.prefetch(
            lambda: loaders.case_count(flt),
            lambda: loaders.ward_stats(flt, set_name, now),
            lambda: loaders.heat_cells(flt),
            lambda: loaders.stations("air", "vn", now),
            lambda: loaders.stations("wastewater", "vn", now),
            lambda: loaders.overdue_by_unit(flt, now),
            lambda: loaders.overdue_cases(flt, now),
            lambda: loaders.recurring_spots(set_name, now),  # the map usually asks first and searches them itself
        )
    _kpis(flt)
    metric = st.radio(
        t("map.metric"),
        ["count", "rate"],
        key=state.MAP_METRIC,
        horizontal=True,
        format_func=lambda m: t(f"map.metric_{m}"),
    )
    if loaders.case_count(flt) > loaders.MAX_CASE_MARKERS:
        st.caption(t("map.too_many", limit=components.number_text(loaders.MAX_CASE_MARKERS)))
    components.show_map_document(components.overview_map(flt, set_name, metric), key="overview_map")
    _overdue(flt)
    version = loaders.data_version()  # one query for the tables below (the map reads its own before drawing)
    _hotspots(flt, set_name, metric, version)
    _spots(set_name, version)
    _alerts()
    if first_run:
        other = "rate" if metric == "count" else "count"
        loaders.prefetch(lambda: components.overview_map(flt, set_name, other))  # ready when the leader switches


@st.cache_resource
def _prefetched() -> dict[tuple[CaseFilter, str], dt.datetime]:
    """The minute each filter's overview data was last prefetched in this process, per language."""
    return {}


def _first_run_this_minute(flt: CaseFilter, now: dt.datetime) -> bool:
    """True for this process's first overview run of ``flt`` in minute ``now`` and the session's language (it
    then prefetches)."""
    seen, key = _prefetched(), (flt, st.session_state[state.LANGUAGE])
    first = seen.get(key) != now
    seen[key] = now
    return first


render()
