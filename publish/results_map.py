"""A ward's map of public handling results: the ward's outline and one marker per ~100 m cell with its cases.

Built on :func:`publish.site_map.standalone_map` (only the Leaflet files copied into the site, no tiles, no CDN).
Places are the ones :func:`data.public_results.public_results` answers, already moved to the centre of their
~100 m cell; cases sharing a cell share one marker. Popups list category, status, dates and unit — every text
escaped, nothing else of a case (the public query holds no reporter, phone or report text).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import folium
import pandas as pd
from shapely.geometry.base import BaseGeometry

from data.i18n import label_in, translate
from data.i18n.formats import local_date, number
from data.workflow import OPEN_STATUSES
from publish.site_map import bind_popups, render, rounded_geometry, standalone_map

OPEN_COLOUR = "#EF6C00"
RESOLVED_COLOUR = "#2E7D32"
OTHER_COLOUR = "#757575"  # rejected or transferred: closed without a result here
POPUP_CASES = 8
"""Cases listed in one marker's popup (newest first); the rest are counted."""


def marker_colour(statuses: pd.Series) -> str:
    """A cell's colour: orange while any of its cases is open, green when one was resolved, else grey."""
    if statuses.isin(OPEN_STATUSES).any():
        return OPEN_COLOUR
    return RESOLVED_COLOUR if (statuses == "resolved").any() else OTHER_COLOUR


def legend_items(language: str) -> list[tuple[str, str]]:
    """The map's colours and their meaning in ``language`` (shown under the map on the ward page)."""
    return [
        (OPEN_COLOUR, translate("site.results_open", language)),
        (RESOLVED_COLOUR, translate("status.resolved", language)),
        (OTHER_COLOUR, translate("site.results_other", language)),
    ]


def _popup(cell: pd.DataFrame, names: Mapping[str, str], language: str, timezone: str) -> str:
    lines = []
    for case in cell.head(POPUP_CASES).itertuples(index=False):
        dates = local_date(case.opened_at, language, timezone)
        if case.resolved_at is not None and not pd.isna(case.resolved_at):
            dates += f" → {local_date(case.resolved_at, language, timezone)}"
        unit = f"<br>{escape(case.unit)}" if case.unit else ""
        lines.append(
            f"<b>{escape(names[case.category_code])}</b> · "
            f"{escape(label_in('status', case.status, language))}<br>{escape(dates)}{unit}"
        )
    if len(cell) > POPUP_CASES:
        more = translate("site.results_more_here", language, n=number(len(cell) - POPUP_CASES, language))
        lines.append(escape(more))
    return '<div style="max-height:220px;overflow:auto">' + "<hr>".join(lines) + "</div>"


def ward_results_map(
    cases: pd.DataFrame,
    outline: BaseGeometry | None,
    language: str,
    *,
    root: str,
    names: Mapping[str, str],
    timezone: str,
    title: str,
) -> str:
    """The standalone map page of one ward's public ``cases`` (``public_results`` rows, newest first).

    ``outline`` is the ward's polygon (``None`` when the boundary set lacks it); ``root`` the relative path from
    the page to the site root; ``names`` category code → name in ``language``.
    """
    located = cases.dropna(subset=["lat", "lon"])
    fmap = standalone_map(root, zoom=15, zoom_snap=0.25)
    corners: list[tuple[float, float]] = []  # (lat, lon) the view must show
    if outline is not None and not outline.is_empty:
        feature = {"type": "Feature", "geometry": rounded_geometry(outline.__geo_interface__), "properties": {}}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [feature]},
            style_function=lambda _: {"fillColor": "#0b57d0", "fillOpacity": 0.06, "color": "#0b57d0", "weight": 2},
        ).add_to(fmap)
        west, south, east, north = outline.bounds
        corners += [(south, west), (north, east)]
    popups = []
    for (lat, lon), cell in located.groupby(["lat", "lon"], sort=False):
        count = translate("results.count", language, n=number(len(cell), language))
        marker = folium.CircleMarker(
            (float(lat), float(lon)),
            radius=7 + min(len(cell), 9),
            color="#333333",
            weight=1.2,
            fill=True,
            fill_color=marker_colour(cell["status"]),
            fill_opacity=0.85,
            tooltip=escape(count),
        ).add_to(fmap)
        popups.append((marker, _popup(cell, names, language, timezone)))
    bind_popups(fmap, popups)
    if not located.empty:
        corners += [(float(lat), float(lon)) for lat, lon in zip(located["lat"], located["lon"], strict=True)]
    if corners:
        lats, lons = [c[0] for c in corners], [c[1] for c in corners]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(12, 12), max_zoom=17)
    return render(fmap, title)
