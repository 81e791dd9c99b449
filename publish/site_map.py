"""The site's station map: a standalone folium page in VN_AQI colours using only the Leaflet files copied in.

folium's defaults pull jQuery, Bootstrap, Font Awesome and marker plugins from CDNs; this map needs Leaflet
alone, so the page lists only ``vendor/leaflet`` (copied into the site) and loads nothing from elsewhere.
Wards are filled with the colour of the value that stands for them; every text is HTML-escaped.
"""

from __future__ import annotations

import json
from html import escape

import folium
import geopandas as gpd
from branca.element import Element, MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from data.i18n import translate
from monitoring.public_snapshot import PublicSnapshot
from monitoring.public_text import aqi_text, level_text

HANOI_CENTER = (21.03, 105.82)
NO_VALUE_COLOUR = "#BBBBBB"
STALE_COLOUR = "#9E9E9E"
COORDINATE_DECIMALS = 5
FRAMED = "window.self !== window.top"
"""JavaScript: whether the map page is shown in a frame of another page (the index) rather than on its own."""


class _Script(MacroElement):
    """Raw JavaScript placed in the map's script after the elements added before it."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code


def rounded_geometry(geometry: dict[str, object]) -> dict[str, object]:
    """A GeoJSON geometry with coordinates rounded to :data:`COORDINATE_DECIMALS` (≈ 1 m; smaller pages)."""

    def walk(value: object) -> object:
        if isinstance(value, list | tuple):
            if value and isinstance(value[0], float | int):
                return [round(float(v), COORDINATE_DECIMALS) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _ward_features(snapshot: PublicSnapshot, wards: gpd.GeoDataFrame, language: str) -> dict[str, object]:
    features = []
    for row in wards[["code", "name", "geometry"]].itertuples(index=False):
        if row.geometry is None:
            continue
        value = snapshot.ward_value(str(row.code), "vn")
        label = f"{row.name}: {aqi_text(value)} {level_text('vn', value.level, language) if value else ''}".strip()
        features.append(
            {
                "type": "Feature",
                "geometry": rounded_geometry(row.geometry.__geo_interface__),
                "properties": {"label": escape(label), "fill": value.category.hex if value else NO_VALUE_COLOUR},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def standalone_map(
    root: str, *, location: tuple[float, float] = HANOI_CENTER, zoom: int = 11, zoom_snap: float = 1
) -> folium.Map:
    """A folium map without tiles whose page loads only the Leaflet files copied into the site.

    ``root`` is the relative path from the map's page to the site root (``""``, ``"../"``…); ``zoom_snap`` below 1
    lets a fitted view use fractional zoom levels (no tiles to keep sharp).

    Framed in a page (the index, a ward's results) the map does not take the page's scrolling: the mouse wheel
    scrolls the page and, on a touch screen, one finger scrolls it while two fingers zoom; the +/- buttons zoom
    and the map opened on its own (the "full-screen map" link) pans and zooms as usual.
    """
    fmap = folium.Map(location=location, zoom_start=zoom, tiles=None, control_scale=True, attributionControl=False,
                      zoom_snap=zoom_snap, scrollWheelZoom=JsCode(f"!({FRAMED})"),
                      dragging=JsCode(f"!({FRAMED} && L.Browser.mobile)"))  # fmt: skip
    fmap.default_js = [("leaflet", f"{root}vendor/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{root}vendor/leaflet/leaflet.css")]
    return fmap


def bind_popups(fmap: folium.Map, popups: list[tuple[folium.Marker | folium.CircleMarker, str]]) -> None:
    """Give each marker its popup HTML (already escaped by the caller) with Leaflet's own ``bindPopup``.

    folium's Popup needs jQuery; this needs nothing but Leaflet. The script is a map child, so it runs after the
    markers exist.
    """
    lines = []
    for marker, html in popups:
        content = json.dumps(html).replace("</", "<\\/")
        lines.append(f"{marker.get_name()}.bindPopup({content});")
    fmap.add_child(_Script("\n".join(lines)))


def render(fmap: folium.Map, title: str) -> str:
    """The map's standalone HTML page titled ``title`` (escaped here)."""
    fmap.get_root().header.add_child(Element(f"<title>{escape(title)}</title>"))
    return fmap.get_root().render()


def station_map(
    snapshot: PublicSnapshot, wards: gpd.GeoDataFrame, language: str, *, root: str, pages: dict[str, str]
) -> str:
    """The map page's HTML; ``root`` is the relative path from the page to the site root (``""`` or ``"../"``)."""
    fmap = standalone_map(root)
    folium.GeoJson(
        _ward_features(snapshot, wards, language),
        name=translate("map.wards", language),
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "fillOpacity": 0.35,
            "color": "#666666",
            "weight": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(fmap)
    popups = []
    for station in snapshot.stations:
        value = station.value("vn")
        colour = STALE_COLOUR if station.stale or value is None else value.category.hex
        text = f"{aqi_text(value)} {level_text('vn', value.level, language) if value else ''}".strip()
        if station.stale:
            text = translate("air.stale", language)
        marker = folium.CircleMarker(
            (station.lat, station.lon),
            radius=10,
            color="#333333",
            weight=1.5,
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
            tooltip=escape(f"{station.name}: {text}"),
        ).add_to(fmap)
        link = f'<a href="{escape(root + pages[station.id])}" target="_top">{escape(station.name)}</a>'
        popups.append((marker, f"{link}<br>VN_AQI {escape(text)}"))
    bind_popups(fmap, popups)
    return render(fmap, translate("public.map", language))
