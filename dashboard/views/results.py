"""Kết quả xử lý (``/results``, public, no sign-in): per ward, each case's category, status, dates, unit, and
the result note and "after" photo once reviewed for the public — from :func:`data.public_results.public_results`
only (never a reporter, a phone, a report's text or an un-reviewed photo); locations rounded to ~100 m.
"""

from __future__ import annotations

import base64

import folium
import pandas as pd
import streamlit as st

from dashboard import casework, components, loaders, maps
from dashboard.i18n import current_language, label, t
from data.i18n import formats
from data.media import thumbnail_file
from data.public_results import PublicFilter, public_results, public_wards

LIST_LIMIT = 100  # cases listed per ward (newest first; the map shows the same ones, the count all of them)


def _thumbnail_uri(sha256: object) -> str:
    """The reviewed photo's thumbnail as a data URI (the page never links to the media folder); "" without."""
    if not isinstance(sha256, str):
        return ""
    try:
        path = thumbnail_file(casework.media_dir(), sha256)
    except (ValueError, FileNotFoundError):  # a bad key or a file gone: no thumbnail, never an error page
        return ""
    if path.suffix != ".jpg":
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    language, zone = current_language(), loaders.settings().timezone
    names = loaders.category_names(language)
    return pd.DataFrame(
        {
            t("results.col.category"): [names[code] for code in frame["category_code"]],
            t("results.col.status"): [label("status", status) for status in frame["status"]],
            t("results.col.received"): [formats.local_date(v, language, zone) for v in frame["opened_at"]],
            t("results.col.resolved"): [formats.local_date(v, language, zone) for v in frame["resolved_at"]],
            t("results.col.unit"): [formats.safe_text(v, language) for v in frame["unit"]],
            t("results.col.note"): [formats.safe_text(v, language) for v in frame["result_note"]],
            t("results.col.photo"): [_thumbnail_uri(sha) for sha in frame["photo"]],
        }
    )


def _map(frame: pd.DataFrame) -> None:
    located = frame.dropna(subset=["lat", "lon"])
    if located.empty:
        return
    settings = loaders.settings()
    center = (float(located["lat"].mean()), float(located["lon"].mean()))
    fmap = maps.base_map(
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        center=center,
        zoom=15,
        scroll_with_page=True,
    )
    names = loaders.category_names(current_language())
    for row in located.itertuples(index=False):
        popup = maps.popup_html(
            names[row.category_code],
            [
                (t("results.col.status"), label("status", row.status)),
                (t("results.col.received"), formats.local_date(row.opened_at, current_language(), settings.timezone)),
                (t("results.col.unit"), row.unit),
            ],
        )
        done = row.status == "resolved"
        folium.CircleMarker(
            (row.lat, row.lon), radius=7, color="#2e7d32" if done else "#ef6c00", fill=True, fill_opacity=0.8,
            popup=folium.Popup(popup, max_width=260),
        ).add_to(fmap)  # fmt: skip
    components.show_map(fmap, key="results_map", height=340)


def render() -> None:
    """Draw the ward picker, the map and the list of the ward's public results."""
    st.title(t("results.title"))
    st.caption(t("results.intro"))
    engine = loaders.read_engine()
    wards = public_wards(engine)
    if wards.empty:
        st.info(t("results.no_wards"))
        return
    codes = list(wards["ward_code"])
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    wanted = str(st.query_params.get("ward", ""))
    chosen = st.selectbox(
        t("results.ward"), codes, index=codes.index(wanted) if wanted in codes else 0, format_func=names.__getitem__
    )
    st.query_params["ward"] = chosen
    total = int(wards.loc[wards["ward_code"] == chosen, "cases"].iloc[0])
    frame = public_results(engine, PublicFilter(ward_code=chosen, limit=LIST_LIMIT))
    st.markdown(f"**{t('results.count', n=formats.number(total, current_language()))}**")
    _map(frame)
    st.dataframe(
        _table(frame),
        hide_index=True,
        width="stretch",
        column_config={t("results.col.photo"): st.column_config.ImageColumn(t("results.col.photo"))},
        key="results_list",
    )
    if total > len(frame):
        shown = formats.number(len(frame), current_language())
        st.caption(t("results.more", shown=shown, total=formats.number(total, current_language())))


render()
