"""Tổng quan (leaders): KPIs, the ward map, overdue cases by responsible unit, hotspots and firing alerts."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, components, loaders, overview_tables, state
from dashboard.i18n import t
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
    spots, total = overview_tables.spot_view(set_name, now, language, version)
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


def _overdue(flt: CaseFilter) -> None:
    now = loaders.now_minute()
    st.subheader(t("overview.overdue_title"))
    language = st.session_state[state.LANGUAGE]
    by_unit = overview_tables.overdue_units_view(flt, now, language)
    if by_unit.empty:
        st.success(t("overview.no_overdue"))
        return
    components.draw_table(by_unit)
    # the list of overdue cases (thousands of rows at city scale) is built and sent only while it is open
    cases = st.expander(t("overview.overdue_cases"), key=state.OVERDUE_CASES_OPEN, on_change="rerun")
    if cases.open:
        with cases:
            components.draw_table(overview_tables.overdue_cases_view(flt, now, language))


def _hotspots(flt: CaseFilter, set_name: str, metric: str, version: tuple[int, ...]) -> None:
    st.subheader(t("overview.hotspots_title"))
    view = overview_tables.hotspot_view(flt, set_name, metric, st.session_state[state.LANGUAGE], version)
    if view is None:
        st.info(t("overview.hotspots_too_few"))
        return
    if view.empty:
        st.info(t("overview.no_hotspots"))
        return
    components.draw_table(view)
    st.caption(t("overview.hotspots_method"))


def _alerts() -> None:
    st.subheader(t("overview.alerts_title"))
    view = overview_tables.alerts_view(loaders.now_minute(), st.session_state[state.LANGUAGE])
    if view.empty:
        st.success(t("alerts.none_active"))
        return
    components.draw_table(view)


def render() -> None:
    """Draw the leaders' overview."""
    auth.require_role(auth.ALL_ROLES)
    st.title(t("overview.title"))
    set_name = loaders.settings().boundary_set
    flt = CaseFilter(set_name=set_name, timezone=loaders.settings().timezone)
    now, version = loaders.now_minute(), loaders.data_version()  # read once: what the cached parts are keyed on
    # the database fills what the map and the tables below need while the KPIs are computed and drawn, once a
    # minute per selection: later runs find it all cached (prefetching again would only copy cached frames)
    first_run = overview_tables.first_run_this_minute(flt, now, st.session_state[state.LANGUAGE])
    if first_run:
        loaders.prefetch(
            lambda: loaders.case_count(flt, version),
            lambda: loaders.ward_stats(flt, set_name, now),
            lambda: loaders.heat_cells(flt),
            lambda: loaders.stations("air", "vn", now),
            lambda: loaders.stations("wastewater", "vn", now),
            lambda: loaders.overdue_by_unit(flt, now),
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
    if loaders.case_count(flt, version) > loaders.MAX_CASE_MARKERS:
        st.caption(t("map.too_many", limit=components.number_text(loaders.MAX_CASE_MARKERS)))
    components.show_map_document(components.overview_map(flt, set_name, metric, version), key="overview_map")
    _overdue(flt)
    _hotspots(flt, set_name, metric, version)
    _spots(set_name, version)
    _alerts()
    if first_run:
        other = "rate" if metric == "count" else "count"
        # ready when the leader switches
        loaders.prefetch(lambda: components.overview_map(flt, set_name, other, version))


render()
