"""Bảng xếp hạng đơn vị (``/scorecard``): how each responsible unit and each ward handled the cases of a period,
ranked by the documented score, with the monthly trend and the monthly-report XLSX.

The figures come from :func:`data.scorecard.build_scorecard` (the same ones ``envmon units scorecard`` prints and
exports); unit names link to that unit's queue (``/queue?unit=CODE``).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, casework, components, loaders
from dashboard.i18n import current_language, t
from data.scorecard import Scorecard, build_scorecard, method_lines
from data.scorecard_export import (
    default_period,
    display_table,
    header,
    last_day,
    period_bounds,
    period_text,
    scorecard_xlsx,
)


def _period() -> tuple[dt.datetime, dt.datetime] | None:
    zone = loaders.settings().timezone
    first, last = default_period(loaders.now_minute().astimezone(components.local_zone()).date())
    left, right = st.columns(2)
    since = left.date_input(t("score.since"), value=first, format="DD/MM/YYYY", key="score_since")
    until = right.date_input(t("score.until"), value=last, format="DD/MM/YYYY", key="score_until")
    if until < since:
        st.error(t("score.bad_period"))
        return None
    return period_bounds(since, until, zone)


def _page_table(card: Scorecard) -> tuple[pd.DataFrame, str]:
    """The scorecard's table as the page shows it, and its name column's header: the code moved to the end, so on
    a phone the pinned name is followed by the rank and the figures, not by an internal code."""
    language = current_language()
    view = display_table(card, language)
    code = header("code", card.by, language)
    return view[[column for column in view.columns if column != code] + [code]], header("name", card.by, language)


def _unit_table(card: Scorecard) -> None:
    view, name = _page_table(card)
    view[name] = [f"/queue?unit={quote(row['code'])}#{row['name']}" for row in card.records()]
    link = st.column_config.LinkColumn(name, display_text=r"/queue\?unit=[^#]*#(.*)", pinned=True, width="medium")
    st.dataframe(view, hide_index=True, width="stretch", column_config={name: link}, key="score_units")


def _ward_table(card: Scorecard) -> None:
    view, name = _page_table(card)
    config = {name: components.pinned_name_column()}
    st.dataframe(view, hide_index=True, width="stretch", column_config=config, key="score_wards")


def _trend(card: Scorecard) -> None:
    st.subheader(t("score.trend"))
    trend = card.trend
    frame = pd.DataFrame(
        {
            "month": [f"{m[5:]}/{m[:4]}" for m in trend["month"]],
            "received": trend["received"].astype(int),
            "on_time": trend["resolved_on_time_pct"].astype(float),
            "on_time_text": [components.percent_text(v) for v in trend["resolved_on_time_pct"]],
            "received_text": [components.number_text(v) for v in trend["received"]],
        }
    )
    order = list(frame["month"])
    x = alt.X("month:N", sort=order, title=t("score.col.month"), axis=alt.Axis(labelAngle=-45))
    tooltip = [
        alt.Tooltip("month:N", title=t("score.col.month")),
        alt.Tooltip("received_text:N", title=t("score.trend_received")),
        alt.Tooltip("on_time_text:N", title=t("score.col.resolved_on_time_pct")),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#90caf9")
        .encode(x=x, y=alt.Y("received:Q", title=t("score.trend_received")), tooltip=tooltip)
    )
    line = (
        alt.Chart(frame)
        .mark_line(point=True, color="#2e7d32")
        .encode(
            x=x,
            y=alt.Y("on_time:Q", title=t("score.col.resolved_on_time_pct"), scale=alt.Scale(domain=[0, 100])),
            tooltip=tooltip,
        )
    )
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)
    st.altair_chart(components.localised(chart), width="stretch")


def _method() -> None:
    lines = method_lines(current_language())
    formula = next(line for line in lines if "×" in line)
    st.caption(formula)
    with st.expander(t("score.method")):
        st.markdown("\n".join(f"- {line}" for line in lines))


def render() -> None:
    """Draw the period picker, the unit and ward tables, the trend and the XLSX download."""
    auth.require_role(auth.STAFF_ROLES)
    st.title(t("score.title"))
    st.caption(t("score.intro"))
    period = _period()
    if period is None:
        return
    since, until = period
    engine, policy, now = loaders.read_engine(), casework.sla_policy(), loaders.now_minute()
    units = build_scorecard(engine, since=since, until=until, policy=policy, by="unit", now=now)
    wards = build_scorecard(engine, since=since, until=until, policy=policy, by="ward", now=now)
    zone = loaders.settings().timezone
    st.markdown(f"**{period_text(units, current_language(), zone)}**")
    if int(units.rows["received"].sum()) == 0:
        st.info(t("score.empty"))
    st.subheader(t("score.by_unit"))
    _unit_table(units)
    _method()
    st.download_button(
        t("score.download"),
        data=scorecard_xlsx([units, wards], current_language(), zone),
        file_name=f"scorecard-{since:%Y%m%d}-{last_day(units, zone):%Y%m%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    _trend(units)
    st.subheader(t("score.by_ward"))
    _ward_table(wards)


render()
