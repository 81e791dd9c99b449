"""Phân tích (analysts): filters, trends, category and channel breakdowns, a paged table and exports."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders, state, url_state
from dashboard.i18n import current_language, label, t
from data.case_filter import CaseFilter
from data.exports import export_csv, export_geojson
from data.i18n import formats

PAGE_SIZE = 50


def _filters() -> CaseFilter:
    choices = loaders.filter_choices()
    names = loaders.category_names(st.session_state[state.LANGUAGE])
    sets = loaders.boundary_sets() or [loaders.settings().boundary_set]
    default_set = loaders.settings().boundary_set
    with st.expander(t("analysis.filters"), expanded=True):
        left, middle, right = st.columns(3)
        set_name = left.selectbox(
            t("analysis.boundary_set"), sets, index=sets.index(default_set) if default_set in sets else 0
        )
        districts = url_state.multiselect(
            middle, "district", t("common.district"), choices["districts"], placeholder=t("common.choose")
        )
        ward_table = loaders.ward_choices(set_name)
        if districts:
            ward_table = ward_table[ward_table["district"].isin(districts)]
        ward_names = dict(zip(ward_table["code"], ward_table["name"], strict=True))
        ward_codes = url_state.multiselect(
            right,
            "ward",
            t("common.ward"),
            list(ward_names),
            format_func=lambda c: ward_names[c],
            placeholder=t("common.choose"),
        )
        left, middle, right = st.columns(3)
        categories = url_state.multiselect(
            left,
            "category",
            t("common.category"),
            choices["categories"],
            format_func=lambda c: names[c],
            placeholder=t("common.choose"),
        )
        channels = middle.multiselect(t("common.channel"), choices["channels"], placeholder=t("common.choose"))
        statuses = right.multiselect(
            t("common.status"),
            choices["statuses"],
            format_func=lambda s: label("status", s),
            placeholder=t("common.choose"),
        )
        today = dt.datetime.now(components.local_zone()).date()
        period = url_state.date_range(
            st, t("analysis.period"), (today - dt.timedelta(days=365), today), format="DD/MM/YYYY"
        )
    start, end = period if isinstance(period, tuple) and len(period) == 2 else (None, None)
    return CaseFilter(
        set_name=set_name,
        timezone=loaders.settings().timezone,
        districts=tuple(districts),
        ward_codes=tuple(ward_codes),
        categories=tuple(categories),
        channels=tuple(channels),
        statuses=tuple(statuses),
        opened_from=start,
        opened_to=end,
    )


def _trend(flt: CaseFilter) -> None:
    st.subheader(t("analysis.trend"))
    frequency = st.radio(
        t("analysis.interval"),
        ["D", "W", "MS"],
        horizontal=True,
        index=1,
        format_func=lambda f: t(f"analysis.interval_{f}"),
    )
    daily = loaders.cases_per_day(flt)
    if daily.empty:
        st.info(t("analysis.no_cases"))
        return
    series = daily.set_index(pd.to_datetime(daily["day"]))["cases"].resample(frequency).sum()
    frame = pd.DataFrame(
        {
            "time": series.index.tz_localize("UTC") if series.index.tz is None else series.index,
            "cases": series.to_numpy(),
            "time_text": [formats.local_date(d.date(), current_language()) for d in series.index],
        }
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=len(frame) < 60)
        .encode(
            x=components.time_axis("time", t("analysis.time")),
            y=alt.Y("cases:Q", title=t("analysis.cases")),
            tooltip=[
                alt.Tooltip("time_text:N", title=t("analysis.time")),
                alt.Tooltip("cases:Q", title=t("analysis.cases")),
            ],
        )
    )
    st.altair_chart(components.localised(chart.properties(height=280)), width="stretch")


def _breakdowns(flt: CaseFilter) -> None:
    by_category, by_channel = loaders.breakdowns(flt)
    names = loaders.category_names(st.session_state[state.LANGUAGE])
    left, right = st.columns(2)
    left.subheader(t("analysis.by_category"))
    if len(by_category):
        categories = by_category.assign(category=[names[c] for c in by_category["category_code"]])
        left.altair_chart(_bars(categories, "category", "cases", t("common.category"), t("analysis.cases")))
    right.subheader(t("analysis.by_channel"))
    if len(by_channel):
        channels = by_channel.assign(channel=[c or t("analysis.unknown_channel") for c in by_channel["channel"]])
        right.altair_chart(_bars(channels, "channel", "reports", t("common.channel"), t("analysis.reports")))


def _bars(frame: pd.DataFrame, label_field: str, count_field: str, label_title: str, count_title: str) -> object:
    """Horizontal bars, largest first, with counts in the session language's format."""
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label_field}:N", title=label_title, sort="-x", axis=alt.Axis(labelLimit=220)),
            x=alt.X(f"{count_field}:Q", title=count_title),
            tooltip=[
                alt.Tooltip(f"{label_field}:N", title=label_title),
                alt.Tooltip(f"{count_field}:Q", title=count_title, format=",d"),
            ],
        )
    )
    return components.localised(chart)


def _table(flt: CaseFilter, total: int) -> None:
    st.subheader(t("analysis.table"))
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(t("analysis.page", pages=pages), min_value=1, max_value=pages, value=1, step=1)
    rows = loaders.case_page(flt, int(page) - 1, PAGE_SIZE)
    names = loaders.category_names(st.session_state[state.LANGUAGE])
    rows = rows.assign(
        category_code=[names[c] for c in rows["category_code"]],
        status=[label("status", s) for s in rows["status"]],
        opened_at=components.local_time_texts(rows["opened_at"]),
        due_at=components.local_time_texts(rows["due_at"]),
        resolved_at=components.local_time_texts(rows["resolved_at"]),
        corroborated_by=components.corroboration_column(rows["id"]),
    )
    components.show_table(rows, list(rows.columns), decimals={"lat": 5, "lon": 5}, case_links=True)


def _exports(flt: CaseFilter) -> None:
    if not st.toggle(t("analysis.prepare_export")):
        return
    frame = loaders.case_export(flt)  # one row per report: the same export as `envmon complaints export`
    language, timezone = st.session_state[state.LANGUAGE], loaders.settings().timezone
    cases = formats.number(frame["case_id"].nunique(), language)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    left, right = st.columns(2)
    left.download_button(
        t("analysis.export_csv", n=cases),
        export_csv(frame, language, timezone).encode("utf-8-sig"),
        file_name=f"envmon-cases-{stamp}.csv",
        mime="text/csv",
    )
    right.download_button(
        t("analysis.export_geojson", n=cases),
        export_geojson(frame, language, timezone).encode("utf-8"),
        file_name=f"envmon-cases-{stamp}.geojson",
        mime="application/geo+json",
    )


def render() -> None:
    """Draw the analysts' explorer."""
    auth.require_role(auth.ALL_ROLES)
    st.title(t("analysis.title"))
    flt = _filters()
    total = loaders.case_count(flt)
    st.metric(t("analysis.matching"), components.number_text(total))
    metric = st.radio(
        t("map.metric"),
        ["count", "rate"],
        key=state.ANALYSIS_METRIC,
        horizontal=True,
        format_func=lambda m: t(f"map.metric_{m}"),
    )
    if total > loaders.MAX_CASE_MARKERS:
        st.caption(t("map.too_many_filtered", limit=components.number_text(loaders.MAX_CASE_MARKERS)))
    components.show_map(components.complaint_map(flt, flt.set_name or "", metric, overview=False), key="analysis_map")
    _trend(flt)
    _breakdowns(flt)
    _table(flt, total)
    _exports(flt)


render()
