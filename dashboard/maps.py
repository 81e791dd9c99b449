"""Pure folium map builders for the dashboard pages (no Streamlit calls; every user text HTML-escaped).

The builders take frames already aggregated by ``data.queries`` and return or extend a ``folium.Map``. Texts
shown in popups and tooltips are escaped with :func:`html.escape` here, so a complaint titled
``<img src=x onerror=alert(1)>`` is displayed as those characters and never runs.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement, Template
from folium.utilities import JsCode

HANOI_CENTER = (21.03, 105.80)
DEFAULT_ZOOM = 10
MAX_ZOOM = 19  # MarkerCluster needs an explicit maxZoom when there is no tile layer to provide one
# sequential YlOrRd classes for counts and rates (ColorBrewer)
CHOROPLETH_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOUR = "#d9d9d9"
STALE_COLOUR = "#9e9e9e"
# Hotspot classes are outlines whose width and dash say the confidence: black for hot, navy for cold. Neither
# colour is a case-count or an AQI colour, and nothing is filled, so the choropleth stays readable underneath.
HOT_COLOUR, COLD_COLOUR = "#000000", "#08306b"


@dataclass(frozen=True)
class OutlineStyle:
    """How one hotspot class is drawn (and drawn again, identically, in the legend)."""

    colour: str
    weight: float
    dash: str | None  # SVG stroke-dasharray; None = solid


HOTSPOT_STYLES = {
    "hot_99": OutlineStyle(HOT_COLOUR, 4.5, None),
    "hot_95": OutlineStyle(HOT_COLOUR, 3.0, "8 4"),
    "hot_90": OutlineStyle(HOT_COLOUR, 2.0, "2 4"),
    "cold_99": OutlineStyle(COLD_COLOUR, 4.5, None),
    "cold_95": OutlineStyle(COLD_COLOUR, 3.0, "8 4"),
    "cold_90": OutlineStyle(COLD_COLOUR, 2.0, "2 4"),
}
SPOT_STROKE = "#263238"  # recurring spots: dark hollow rings (never an AQI colour)
CORROBORATED_COLOUR = "#000000"
# MarkerCluster's own green/yellow/orange bubbles read as AQI colours: clusters take the case markers' blue.
_CLUSTERS = ".leaflet-container .marker-cluster-small,.leaflet-container .marker-cluster-medium," + (
    ".leaflet-container .marker-cluster-large"
)  # more specific than MarkerCluster.Default.css, which the page loads after this style
CLUSTER_CSS = (
    f"<style>{_CLUSTERS}{{background-color:rgba(8,81,156,.35)}}"
    f"{_CLUSTERS.replace(',', ' div,')} div{{background-color:rgba(8,81,156,.85);color:#fff}}</style>"
)
CASE_URL = "/case?id={id}"
"""The case page's address (deep-linkable): what case popups and every case table row link to."""
HEAT_GRADIENT = {0.3: "#fed976", 0.6: "#fd8d3c", 1.0: "#bd0026"}  # the case palette; no blue edge glow


def escape(value: object) -> str:
    """``value`` as HTML-safe text (None and NaN become an empty string)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    return html.escape(str(value), quote=True)


def popup_html(title: object, rows: Sequence[tuple[str, object]], link: tuple[str, str] | None = None) -> str:
    """A small popup table: an escaped bold title and escaped label/value rows (empty values left out); ``link``
    (address, label) adds a link that opens in a new tab (the map's frame may not navigate the page itself)."""
    body = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows if escape(value) != ""
    )
    anchor = (
        f'<div><a href="{escape(link[0])}" target="_blank" rel="noopener">{escape(link[1])}</a></div>' if link else ""
    )
    return f'<div class="envmon-popup"><b>{escape(title)}</b><table>{body}</table>{anchor}</div>'


def base_map(
    *,
    tile_url: str | None,
    tile_attribution: str = "",
    center: tuple[float, float] = HANOI_CENTER,
    zoom: int = DEFAULT_ZOOM,
    scroll_with_page: bool = False,
) -> folium.Map:
    """An empty map; with no ``tile_url`` there is no tile layer and the ward polygons are the base map.

    ``scroll_with_page`` (the public pages, read by scrolling on a phone): the mouse wheel and, on a touch screen,
    one finger scroll the page instead of the map; the +/- buttons and two fingers zoom, a mouse drags.
    """
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True, maxZoom=MAX_ZOOM,
                      scrollWheelZoom=not scroll_with_page,
                      dragging=JsCode("!L.Browser.mobile") if scroll_with_page else True)  # fmt: skip
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=escape(tile_attribution) or "tiles", name="base", overlay=False, control=False
        ).add_to(fmap)
    return fmap


def swatch_fill(colour: str) -> str:
    """A filled square legend swatch."""
    return (
        f'<span style="display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle;'
        f'border:1px solid #555;background:{escape(colour)}"></span>'
    )


def swatch_outline(style: OutlineStyle) -> str:
    """A legend swatch drawn with the same stroke as the map: an unfilled square of that width and dash."""
    dash = f' stroke-dasharray="{escape(style.dash)}"' if style.dash else ""
    return (
        f'<svg width="22" height="14" style="margin-right:6px;vertical-align:middle">'
        f'<rect x="2" y="2" width="18" height="10" fill="none" stroke="{escape(style.colour)}" '
        f'stroke-width="{style.weight}"{dash}/></svg>'
    )


def swatch_marker(shape: str, fill: str, stroke: str = "#333333") -> str:
    """A legend swatch of a point symbol: ``circle`` (air stations), ``square`` (wastewater), ``ring`` (recurring
    spots) or ``badge`` (corroborated complaints), as :func:`point_symbol` draws it on the map."""
    symbol = point_symbol(shape, fill, stroke, 12)
    return f'<span style="display:inline-block;margin-right:6px;vertical-align:middle">{symbol}</span>'


def point_symbol(shape: str, fill: str, stroke: str, size: int) -> str:
    """The HTML of a point symbol of ``size`` pixels (used by the map markers and the legend alike)."""
    base = f"display:inline-block;width:{size}px;height:{size}px;box-sizing:border-box;"
    if shape == "square":
        return f'<span style="{base}background:{escape(fill)};border:2px solid {escape(stroke)}"></span>'
    if shape == "ring":
        ring = f"border-radius:50%;border:3px solid {escape(stroke)};background:rgba(255,255,255,.35)"
        return f'<span style="{base}{ring}"></span>'
    if shape == "badge":
        return (
            f'<span style="{base}border-radius:50%;background:{escape(fill)};border:2px solid #fff;color:#fff;'
            f'font:bold {max(8, size - 5)}px/1 sans-serif;text-align:center;padding-top:1px">!</span>'
        )
    return (
        f'<span style="{base}border-radius:50%;background:{escape(fill)};border:1.5px solid {escape(stroke)}"></span>'
    )


class AttachedElement(MacroElement):
    """A map element whose script names the layer or map it was added to (set by :meth:`add_to`)."""

    parent_name = ""

    def add_to(self, parent: Element, name: str | None = None, index: int | None = None) -> AttachedElement:
        """Add to ``parent`` (a map or layer) and remember its JavaScript name for the template."""
        self.parent_name = parent.get_name()
        super().add_to(parent, name=name, index=index)
        return self


class LegendPanel(AttachedElement):
    """One collapsible legend for the whole map (a Leaflet control, plain HTML, no d3 and no CDN).

    Layers add their sections; the panel starts open on wide maps and folded on phones.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this.parent_name }};
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "envmon-legend");
                div.innerHTML = {{ this.content()|tojson }};
                div.style.cssText = "background:rgba(255,255,255,0.94);padding:4px 8px;font:12px/1.45 sans-serif;"
                    + "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:240px;overflow:auto";
                var fold = function() {  // folded on a phone-sized map, also after a resize or rotation
                    if (map.getSize().x < 600) { div.querySelector("details").removeAttribute("open"); }
                    div.style.maxHeight = Math.max(120, map.getSize().y - 130) + "px";
                };
                fold();
                map.on("resize", fold);
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "LegendPanel"
        self.title = title
        self.position = position
        self.sections: list[tuple[str, list[tuple[str, str]]]] = []

    def add_section(self, title: str, entries: Sequence[tuple[str, str]]) -> None:
        """A titled group of (swatch HTML from the ``swatch_*`` functions, label) entries; labels are escaped."""
        self.sections.append((title, list(entries)))

    def content(self) -> str:
        """The panel's HTML (titles and labels escaped)."""
        body = "".join(
            f'<div style="margin-top:4px">{f"<b>{escape(title)}</b>" if title else ""}'
            + "".join(f"<div>{swatch}{escape(label)}</div>" for swatch, label in entries)
            + "</div>"
            for title, entries in self.sections
        )
        summary = f'<summary style="cursor:pointer;font-weight:bold">{escape(self.title)}</summary>'
        return f"<details open>{summary}{body}</details>"


def legend_for(fmap: folium.Map, panel: LegendPanel | None, title: str) -> LegendPanel:
    """``panel``, or a new one-section panel added to ``fmap`` (for a map with a single legend)."""
    if panel is not None:
        return panel
    single = LegendPanel(title)
    single.add_to(fmap)
    return single


def class_breaks(values: Sequence[float], classes: int = len(CHOROPLETH_COLOURS)) -> list[float]:
    """Upper bounds of ``classes`` quantile classes of the positive ``values`` (unique, ascending)."""
    positive = np.asarray([v for v in values if v is not None and not math.isnan(v) and v > 0], dtype=float)
    if positive.size == 0:
        return []
    return sorted(set(np.quantile(positive, np.linspace(0, 1, classes + 1)[1:]).round(3).tolist()))


def colour_for(value: float | None, breaks: Sequence[float]) -> str:
    """The choropleth colour of ``value`` for upper bounds ``breaks`` (grey when missing or zero)."""
    if value is None or math.isnan(value) or value <= 0 or not breaks:
        return NO_DATA_COLOUR
    offset = len(CHOROPLETH_COLOURS) - len(breaks)
    for index, upper in enumerate(breaks):
        if value <= upper:
            return CHOROPLETH_COLOURS[offset + index]
    return CHOROPLETH_COLOURS[-1]


def _legend_entries(
    breaks: Sequence[float], no_data_label: str, number: Callable[[float], str]
) -> list[tuple[str, str]]:
    offset = len(CHOROPLETH_COLOURS) - len(breaks)
    entries, lower = [], 0.0
    for index, upper in enumerate(breaks):
        entries.append((swatch_fill(CHOROPLETH_COLOURS[offset + index]), f"{number(lower)} – {number(upper)}"))
        lower = upper
    return [*entries, (swatch_fill(NO_DATA_COLOUR), no_data_label)]


def _features(frame: gpd.GeoDataFrame, text_columns: Sequence[str]) -> dict[str, object]:
    """GeoJSON of ``frame`` with every text property escaped, ready for folium tooltips.

    Geometries go through ``__geo_interface__`` (no JSON text round trip: that was most of the time of a
    126-ward map).
    """
    properties = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for column in text_columns:
        properties[column] = [escape(v) for v in properties[column]]
    records = json.loads(properties.to_json(orient="records")) if len(properties) else []
    features = [
        {
            "type": "Feature",
            "properties": record,
            "geometry": None if geometry is None or geometry.is_empty else geometry.__geo_interface__,
        }
        for record, geometry in zip(records, frame.geometry, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def add_ward_choropleth(
    fmap: folium.Map,
    wards: gpd.GeoDataFrame,
    value_column: str,
    *,
    layer_name: str,
    legend_title: str,
    tooltip_labels: tuple[str, str, str],
    no_data_label: str,
    number: Callable[[float], str] = "{:,.0f}".format,
    legend: LegendPanel | None = None,
) -> folium.GeoJson:
    """Colour wards by ``value_column`` (5 quantile classes) with a name/district/value tooltip and a legend
    section; ``number`` writes a value in the page language (5.523 / 5,523)."""
    values = [float(v) if v is not None and not pd.isna(v) else math.nan for v in wards[value_column]]
    breaks = class_breaks(values)
    frame = wards[["code", "name", "district", "geometry"]].copy()
    frame["value"] = [number(v) if not math.isnan(v) else "—" for v in values]
    frame["fill"] = [colour_for(v, breaks) for v in values]
    layer = folium.GeoJson(
        _features(frame, ["name", "district"]),
        name=layer_name,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "color": "#555555",
            "weight": 0.8,
            "fillOpacity": 0.7,
        },
        highlight_function=lambda _feature: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["name", "district", "value"], aliases=list(tooltip_labels)),
    )
    layer.add_to(fmap)
    legend_for(fmap, legend, legend_title).add_section(legend_title, _legend_entries(breaks, no_data_label, number))
    return layer


def add_hotspot_layer(
    fmap: folium.Map,
    wards: gpd.GeoDataFrame,
    class_column: str,
    class_labels: dict[str, str],
    *,
    layer_name: str,
    legend_title: str,
    legend: LegendPanel | None = None,
) -> None:
    """Outline wards in a hot or cold class (``hot_99``, ``cold_95``…) with the class's width and dash; other
    wards are left out. The legend draws the same strokes."""
    frame = wards[wards[class_column].isin(list(HOTSPOT_STYLES))][["name", "district", class_column, "geometry"]]
    frame = frame.assign(label=[class_labels.get(c, c) for c in frame[class_column]])
    group = folium.FeatureGroup(name=layer_name, show=True)
    if len(frame):
        folium.GeoJson(
            _features(frame, ["name", "district", "label"]),
            style_function=lambda feature: _outline(HOTSPOT_STYLES[feature["properties"][class_column]]),
            tooltip=folium.GeoJsonTooltip(fields=["name", "label"], labels=False),
        ).add_to(group)
    group.add_to(fmap)
    entries = [(swatch_outline(style), class_labels.get(key, key)) for key, style in HOTSPOT_STYLES.items()]
    legend_for(fmap, legend, legend_title).add_section(legend_title, entries)


def _outline(style: OutlineStyle) -> dict[str, object]:
    return {"color": style.colour, "weight": style.weight, "fillOpacity": 0.0, "dashArray": style.dash}


def add_spot_layer(
    fmap: folium.Map,
    spots: pd.DataFrame,
    *,
    layer_name: str,
    popup_labels: dict[str, str],
    legend: LegendPanel | None = None,
) -> None:
    """Recurring spots as dark hollow rings sized by their number of cases (``lat, lon, cases`` + labels)."""
    group = folium.FeatureGroup(name=layer_name, show=True)
    features = []
    for row in spots.itertuples(index=False):
        rows = [(popup_labels.get(col, col), getattr(row, col)) for col in spots.columns if col not in ("lat", "lon")]
        style = {
            "radius": 6 + min(12.0, math.sqrt(float(getattr(row, "cases", 1) or 1))),
            "color": SPOT_STROKE,
            "weight": 3,
            "fill": True,
            "fillColor": "#ffffff",
            "fillOpacity": 0.35,
        }
        features.append(_point_feature(row.lat, row.lon, style, popup_html(layer_name, rows)))
    if features:
        PointLayer(features, popup_width=300).add_to(group)
    group.add_to(fmap)
    legend_for(fmap, legend, layer_name).add_section("", [(swatch_marker("ring", "", SPOT_STROKE), layer_name)])


def add_corroborated_layer(
    fmap: folium.Map,
    cases: pd.DataFrame,
    *,
    layer_name: str,
    popup_rows: Callable[[Any], list[tuple[str, object]]],
    legend: LegendPanel | None = None,
    open_case: str = "",
) -> None:
    """Smoke, dust and odour complaints that a station's exceedance corroborates: black "!" badges at the
    complaint (``lat, lon`` + whatever ``popup_rows`` reads from a row; ``open_case``: a link to ``/case?id=<id>``)."""
    group = folium.FeatureGroup(name=layer_name, show=True)
    features = [
        _point_feature(
            row.lat,
            row.lon,
            {},
            popup_html(layer_name, popup_rows(row), _case_link(row.id, open_case)),
            icon=point_symbol("badge", CORROBORATED_COLOUR, "", 18),
        )
        for row in cases.itertuples(index=False)
        if not (pd.isna(row.lat) or pd.isna(row.lon))
    ]
    if features:
        PointLayer(features, popup_width=320).add_to(group)
    group.add_to(fmap)
    legend_for(fmap, legend, layer_name).add_section("", [(swatch_marker("badge", CORROBORATED_COLOUR), layer_name)])


def _point_feature(
    lat: float, lon: float, style: dict[str, object], popup: str, tooltip: str = "", icon: str = ""
) -> dict[str, object]:
    """A GeoJSON point feature carrying its Leaflet style (or icon HTML), popup and tooltip (all already escaped)."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
        "properties": {"style": style, "popup": popup, "tooltip": tooltip, "icon": icon},
    }


class PointLayer(AttachedElement):
    """One GeoJSON layer drawing every point feature as a circle marker with its own style, or as an HTML icon
    (square stations, badges) when the feature has one, each with its own popup and tooltip.

    A single layer instead of one folium element per marker: folium compiles a template for every element it
    renders, which made a map with a few hundred popups take seconds to build.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data|tojson }}, {
            pointToLayer: function(feature, latlng) {
                var p = feature.properties;
                if (p.icon) {
                    return L.marker(latlng, {icon: L.divIcon({className: "envmon-icon", html: p.icon,
                        iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -9]})});
                }
                return L.circleMarker(latlng, p.style);
            },
            onEachFeature: function(feature, layer) {
                layer.bindPopup(feature.properties.popup, {maxWidth: {{ this.popup_width }}});
                if (feature.properties.tooltip) { layer.bindTooltip(feature.properties.tooltip); }
            }
        }).addTo({{ this.parent_name }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, object]], *, popup_width: int) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.data = {"type": "FeatureCollection", "features": features}
        self.popup_width = int(popup_width)


@dataclass(frozen=True)
class CaseMarkerLabels:
    """Popup labels for case markers, in the page language."""

    title: str
    category: str
    status: str
    ward: str
    unit: str
    opened: str
    reports: str
    open_case: str = ""  # the link to the case page (``/case?id=N``); empty: no link


def add_case_markers(fmap: folium.Map, cases: pd.DataFrame, labels: CaseMarkerLabels, *, layer_name: str) -> None:
    """Clustered case markers with an escaped popup (title, category, status, ward, unit, opened, reports);
    ``opened_at`` and ``report_count`` arrive as display text in the page language."""
    cluster = folium.plugins.MarkerCluster(name=layer_name, show=True)
    fmap.get_root().header.add_child(Element(CLUSTER_CSS), name="envmon_cluster_css")
    for row in cases.itertuples(index=False):
        rows = [
            (labels.category, row.category_code),
            (labels.status, row.status),
            (labels.ward, row.ward_name),
            (labels.unit, row.unit_name),
            (labels.opened, row.opened_at),
            (labels.reports, row.report_count),
        ]
        folium.CircleMarker(
            location=(float(row.lat), float(row.lon)),
            radius=6,
            color="#08519c",
            fill=True,
            fill_opacity=0.8,
            popup=folium.Popup(
                popup_html(row.title or f"#{row.id}", rows, _case_link(row.id, labels.open_case)), max_width=320
            ),
        ).add_to(cluster)
    cluster.add_to(fmap)


def _case_link(case_id: object, text: str) -> tuple[str, str] | None:
    """(address of the case page, link text) for a popup; None without a text (no link wanted)."""
    return (CASE_URL.format(id=int(case_id)), text) if text else None  # type: ignore[call-overload]


def add_heat_layer(fmap: folium.Map, cells: pd.DataFrame, *, layer_name: str, show: bool = True) -> None:
    """A heat layer over aggregated grid cells (``lat, lon, cases``), for when markers would be too many.

    Cells fade to transparent (no minimum opacity, no blue low end), so nothing glows where there are no cases.
    """
    if cells.empty:
        return
    peak = float(cells["cases"].max())
    weights = (cells["cases"].to_numpy(dtype=float) / peak).round(3)
    data = np.column_stack(
        [cells["lat"].to_numpy(dtype=float).round(5), cells["lon"].to_numpy(dtype=float).round(5), weights]
    ).tolist()
    folium.plugins.HeatMap(
        data, name=layer_name, radius=12, blur=15, min_opacity=0.0, gradient=HEAT_GRADIENT, show=show
    ).add_to(fmap)


@dataclass(frozen=True)
class StationMarkerLabels:
    """Texts for the station layer, in the page language."""

    layer: str
    legend_title: str
    stale_label: str
    no_value: str
    value: str
    category: str
    dominant: str
    last_update: str
    ward: str


def add_station_layer(
    fmap: folium.Map,
    stations: pd.DataFrame,
    labels: StationMarkerLabels,
    legend: Sequence[tuple[str, str]],
    *,
    shape: str = "circle",
    panel: LegendPanel | None = None,
) -> None:
    """Stations as coloured circles (air) or squares (``shape="square"``: wastewater); needs ``name, lat, lon,
    colour, value_text, category_text, dominant, updated_text, stale, ward_name``. Stale stations are grey and
    say how old their last reading is. ``legend`` is (colour, label) entries, drawn with the same symbol."""
    group = folium.FeatureGroup(name=labels.layer, show=True)
    features = []
    for row in stations.itertuples(index=False):
        if row.lat is None or row.lon is None or pd.isna(row.lat) or pd.isna(row.lon):
            continue
        rows = [
            (labels.value, row.value_text or labels.no_value),
            (labels.category, row.category_text),
            (labels.dominant, row.dominant),
            (labels.last_update, row.updated_text),
            (labels.ward, row.ward_name),
        ]
        title = f"{row.name} — {labels.stale_label}" if row.stale else row.name
        style = {
            "radius": 11,
            "color": "#333333",
            "weight": 1.5,
            "fill": True,
            "fillColor": STALE_COLOUR if row.stale else row.colour,
            "fillOpacity": 0.95,
        }
        tooltip = escape(f"{row.name}: {row.value_text or labels.no_value}")
        fill = str(style["fillColor"])
        icon = point_symbol("square", fill, "#333333", 16) if shape == "square" else ""
        features.append(_point_feature(row.lat, row.lon, style, popup_html(title, rows), tooltip, icon))
    if features:
        PointLayer(features, popup_width=320).add_to(group)
    group.add_to(fmap)
    entries = [(swatch_marker(shape, colour), text) for colour, text in [*legend, (STALE_COLOUR, labels.stale_label)]]
    legend_for(fmap, panel, labels.legend_title).add_section(labels.legend_title, entries)


def add_layer_control(fmap: folium.Map) -> folium.Map:
    """Add the layer switcher (collapsed on small screens) and return the map."""
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def add_ward_outlines(fmap: folium.Map, wards: gpd.GeoDataFrame, *, layer_name: str, tooltip_label: str) -> None:
    """Light ward polygons with a name tooltip: the base map of pages without a choropleth."""
    folium.GeoJson(
        _features(wards[["name", "district", "geometry"]], ["name", "district"]),
        name=layer_name,
        style_function=lambda _feature: {"fillColor": "#f2f2f2", "color": "#7a7a7a", "weight": 0.7, "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["name", "district"], aliases=[tooltip_label, ""]),
    ).add_to(fmap)
