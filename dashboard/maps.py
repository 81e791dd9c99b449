"""Pure folium map builders for the dashboard pages (no Streamlit calls; every user text HTML-escaped).

The builders take frames already aggregated by ``data.queries`` and return or extend a ``folium.Map``. Texts
shown in popups and tooltips are escaped with :func:`html.escape` here, so a complaint titled
``<img src=x onerror=alert(1)>`` is displayed as those characters and never runs.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement, Template

HANOI_CENTER = (21.03, 105.80)
DEFAULT_ZOOM = 10
MAX_ZOOM = 19  # MarkerCluster needs an explicit maxZoom when there is no tile layer to provide one
# sequential YlOrRd classes for counts and rates (ColorBrewer)
CHOROPLETH_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOUR = "#d9d9d9"
STALE_COLOUR = "#9e9e9e"
HOTSPOT_COLOURS = {
    "hot_99": "#b2182b",
    "hot_95": "#ef8a62",
    "hot_90": "#fddbc7",
    "cold_99": "#2166ac",
    "cold_95": "#67a9cf",
    "cold_90": "#d1e5f0",
}


def escape(value: object) -> str:
    """``value`` as HTML-safe text (None and NaN become an empty string)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    return html.escape(str(value), quote=True)


def popup_html(title: object, rows: Sequence[tuple[str, object]]) -> str:
    """A small popup table: an escaped bold title and escaped label/value rows (empty values left out)."""
    body = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows if escape(value) != ""
    )
    return f'<div class="envmon-popup"><b>{escape(title)}</b><table>{body}</table></div>'


def base_map(
    *,
    tile_url: str | None,
    tile_attribution: str = "",
    center: tuple[float, float] = HANOI_CENTER,
    zoom: int = DEFAULT_ZOOM,
) -> folium.Map:
    """An empty map; with no ``tile_url`` there is no tile layer and the ward polygons are the base map."""
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True, maxZoom=MAX_ZOOM)
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=escape(tile_attribution) or "tiles", name="base", overlay=False, control=False
        ).add_to(fmap)
    return fmap


class Legend(MacroElement):
    """A legend box drawn as a Leaflet control (plain HTML, no d3 and no CDN)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "envmon-legend");
                div.innerHTML = {{ this.content|tojson }};
                div.style.cssText = "background:rgba(255,255,255,0.92);padding:6px 8px;font:12px/1.4 sans-serif;"
                    + "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:220px";
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: Sequence[tuple[str, str]], position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        rows = "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
            f'border:1px solid #555;background:{escape(colour)}"></span>{escape(label)}</div>'
            for colour, label in entries
        )
        self.content = f"<b>{escape(title)}</b>{rows}"


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


def _legend_entries(breaks: Sequence[float], no_data_label: str, decimals: int) -> list[tuple[str, str]]:
    offset = len(CHOROPLETH_COLOURS) - len(breaks)
    entries, lower = [], 0.0
    for index, upper in enumerate(breaks):
        entries.append((CHOROPLETH_COLOURS[offset + index], f"{lower:.{decimals}f} – {upper:.{decimals}f}"))
        lower = upper
    return [*entries, (NO_DATA_COLOUR, no_data_label)]


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
    decimals: int = 0,
) -> folium.GeoJson:
    """Colour wards by ``value_column`` (5 quantile classes) with a name/district/value tooltip and legend."""
    values = [float(v) if v is not None and not pd.isna(v) else math.nan for v in wards[value_column]]
    breaks = class_breaks(values)
    frame = wards[["code", "name", "district", "geometry"]].copy()
    frame["value"] = [f"{v:,.{decimals}f}" if not math.isnan(v) else "–" for v in values]
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
    Legend(legend_title, _legend_entries(breaks, no_data_label, decimals), "bottomright").add_to(fmap)
    return layer


def add_hotspot_layer(
    fmap: folium.Map,
    wards: gpd.GeoDataFrame,
    class_column: str,
    class_labels: dict[str, str],
    *,
    layer_name: str,
    legend_title: str,
) -> None:
    """Outline wards in a hot or cold class (``hot_99``, ``cold_95``…); other wards are left out."""
    frame = wards[wards[class_column].isin(list(HOTSPOT_COLOURS))][["name", "district", class_column, "geometry"]]
    frame = frame.assign(label=[class_labels.get(c, c) for c in frame[class_column]])
    group = folium.FeatureGroup(name=layer_name, show=True)
    if len(frame):
        folium.GeoJson(
            _features(frame, ["name", "district", "label"]),
            style_function=lambda feature: {
                "color": HOTSPOT_COLOURS.get(feature["properties"][class_column], "#000000"),
                "weight": 3,
                "fillOpacity": 0.0,
                "dashArray": "4 3",
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "label"], labels=False),
        ).add_to(group)
    group.add_to(fmap)
    entries = [(colour, class_labels.get(key, key)) for key, colour in HOTSPOT_COLOURS.items()]
    Legend(legend_title, entries, "bottomleft").add_to(fmap)


def add_spot_layer(fmap: folium.Map, spots: pd.DataFrame, *, layer_name: str, popup_labels: dict[str, str]) -> None:
    """Recurring spots as purple circles sized by their number of cases (``lat, lon, cases`` + labels)."""
    group = folium.FeatureGroup(name=layer_name, show=True)
    features = []
    for row in spots.itertuples(index=False):
        rows = [(popup_labels.get(col, col), getattr(row, col)) for col in spots.columns if col not in ("lat", "lon")]
        style = {
            "radius": 6 + min(12.0, math.sqrt(float(getattr(row, "cases", 1) or 1))),
            "color": "#6a3d9a",
            "fill": True,
            "fillColor": "#6a3d9a",
            "fillOpacity": 0.5,
        }
        features.append(_point_feature(row.lat, row.lon, style, popup_html(layer_name, rows)))
    if features:
        _circle_layer(features, popup_width=300).add_to(group)
    group.add_to(fmap)


def _point_feature(
    lat: float, lon: float, style: dict[str, object], popup: str, tooltip: str = ""
) -> dict[str, object]:
    """A GeoJSON point feature carrying its Leaflet style, popup HTML and tooltip HTML (both already escaped)."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
        "properties": {"style": style, "popup": popup, "tooltip": tooltip},
    }


def _circle_layer(features: list[dict[str, object]], *, popup_width: int) -> folium.GeoJson:
    """One GeoJSON layer drawing every feature as a circle marker with its own style, popup and tooltip.

    A single layer instead of one folium element per marker: folium compiles a template for every element
    it renders, which made a map with a few hundred popups take seconds to build.
    """
    bind = folium.JsCode(
        f"""function(feature, layer) {{
            layer.bindPopup(feature.properties.popup, {{maxWidth: {int(popup_width)}}});
            if (feature.properties.tooltip) {{ layer.bindTooltip(feature.properties.tooltip); }}
        }}"""
    )
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, marker=folium.CircleMarker(), on_each_feature=bind
    )


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


def add_case_markers(
    fmap: folium.Map, cases: pd.DataFrame, labels: CaseMarkerLabels, *, layer_name: str, timezone: str
) -> None:
    """Clustered case markers with an escaped popup (title, category, status, ward, unit, opened in ``timezone``,
    reports)."""
    cluster = folium.plugins.MarkerCluster(name=layer_name, show=True)
    for row in cases.itertuples(index=False):
        rows = [
            (labels.category, row.category_code),
            (labels.status, row.status),
            (labels.ward, row.ward_name),
            (labels.unit, row.unit_name),
            (labels.opened, _local_time_text(row.opened_at, timezone)),
            (labels.reports, row.report_count),
        ]
        folium.CircleMarker(
            location=(float(row.lat), float(row.lon)),
            radius=6,
            color="#08519c",
            fill=True,
            fill_opacity=0.8,
            popup=folium.Popup(popup_html(row.title or f"#{row.id}", rows), max_width=320),
        ).add_to(cluster)
    cluster.add_to(fmap)


def add_heat_layer(fmap: folium.Map, cells: pd.DataFrame, *, layer_name: str) -> None:
    """A heat layer over aggregated grid cells (``lat, lon, cases``), for when markers would be too many."""
    if cells.empty:
        return
    peak = float(cells["cases"].max())
    weights = (cells["cases"].to_numpy(dtype=float) / peak).round(3)
    data = np.column_stack(
        [cells["lat"].to_numpy(dtype=float).round(5), cells["lon"].to_numpy(dtype=float).round(5), weights]
    ).tolist()
    folium.plugins.HeatMap(data, name=layer_name, radius=12, blur=15, min_opacity=0.3, show=True).add_to(fmap)


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
    fmap: folium.Map, stations: pd.DataFrame, labels: StationMarkerLabels, legend: Sequence[tuple[str, str]]
) -> None:
    """Stations as coloured circles; needs ``name, lat, lon, colour, value_text, category_text, dominant,
    updated_text, stale, ward_name``. Stale stations are grey and say how old their last reading is."""
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
        features.append(_point_feature(row.lat, row.lon, style, popup_html(title, rows), tooltip))
    if features:
        _circle_layer(features, popup_width=320).add_to(group)
    group.add_to(fmap)
    Legend(labels.legend_title, [*legend, (STALE_COLOUR, labels.stale_label)], "topright").add_to(fmap)


def add_layer_control(fmap: folium.Map) -> folium.Map:
    """Add the layer switcher (collapsed on small screens) and return the map."""
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def _local_time_text(moment: object, timezone: str) -> str:
    if moment is None or pd.isna(moment):
        return ""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(timezone).strftime("%d/%m/%Y %H:%M")


def add_ward_outlines(fmap: folium.Map, wards: gpd.GeoDataFrame, *, layer_name: str, tooltip_label: str) -> None:
    """Light ward polygons with a name tooltip: the base map of pages without a choropleth."""
    folium.GeoJson(
        _features(wards[["name", "district", "geometry"]], ["name", "district"]),
        name=layer_name,
        style_function=lambda _feature: {"fillColor": "#f2f2f2", "color": "#7a7a7a", "weight": 0.7, "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["name", "district"], aliases=[tooltip_label, ""]),
    ).add_to(fmap)
