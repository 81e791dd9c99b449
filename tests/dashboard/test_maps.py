"""Map builders rendered to HTML: escaping, classes, offline assets, layer choice."""

from __future__ import annotations

import json
import re
import warnings

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard import maps, offline_assets

XSS = "<img src=x onerror=alert(1)>"


def _render(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def _wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["a", "b", "c"],
            "name": ["Hoàn Kiếm", XSS, "Ba Đình"],
            "district": ["Q1", "Q2", "Q3"],
            "cases": [0, 5, 10],
        },
        geometry=[
            box(105.80, 21.00, 105.81, 21.01),
            box(105.81, 21.00, 105.82, 21.01),
            box(105.82, 21.0, 105.83, 21.01),
        ],
        crs="EPSG:4326",
    )


def test_class_breaks_and_colours() -> None:
    assert maps.class_breaks([0, float("nan")]) == []
    breaks = maps.class_breaks([1, 2, 3, 4, 5])
    assert breaks == [1.8, 2.6, 3.4, 4.2, 5.0]
    assert maps.colour_for(1, breaks) == maps.CHOROPLETH_COLOURS[0]
    assert maps.colour_for(5, breaks) == maps.CHOROPLETH_COLOURS[-1]
    assert maps.colour_for(0, breaks) == maps.NO_DATA_COLOUR
    # few distinct values use the darkest classes so the highest value is always the darkest colour
    assert maps.colour_for(7, maps.class_breaks([7, 7])) == maps.CHOROPLETH_COLOURS[-1]


def test_popups_and_tooltips_escape_user_text() -> None:
    fmap = maps.base_map(tile_url=None)
    maps.add_ward_choropleth(
        fmap, _wards(), "cases", layer_name="w", legend_title="t", tooltip_labels=("a", "b", "c"), no_data_label="none"
    )
    cases = pd.DataFrame(
        [
            {
                "id": 1,
                "lat": 21.0,
                "lon": 105.8,
                "category_code": XSS,
                "status": "received",
                "ward_name": "x",
                "unit_name": None,
                "opened_at": "01/09/2025 08:00",  # display text, written by the page in its language
                "report_count": 1,
                "title": XSS,
            }
        ]
    )
    labels = maps.CaseMarkerLabels("t", "c", "s", "w", "u", "o", "r")
    maps.add_case_markers(fmap, cases, labels, layer_name="cases")
    html = _render(fmap)
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "01/09/2025 08:00" in html


def test_no_tile_layer_without_url_and_configured_tiles_otherwise() -> None:
    assert "L.tileLayer" not in _render(maps.base_map(tile_url=None))
    html = _render(maps.base_map(tile_url="http://tiles.local/{z}/{x}/{y}.png", tile_attribution="Sở TN&MT"))
    assert "http://tiles.local/{z}/{x}/{y}.png" in html
    assert "TN\\u0026amp;MT" in html  # attribution escaped for HTML, then JSON-encoded


def test_stations_stale_are_grey_and_legend_is_local_html() -> None:
    fmap = maps.base_map(tile_url=None)
    stations = pd.DataFrame(
        [
            {
                "name": "A",
                "lat": 21.0,
                "lon": 105.8,
                "colour": "#FFFF00",
                "value_text": "75",
                "category_text": "TB",
                "dominant": "pm25",
                "updated_text": "now",
                "stale": False,
                "ward_name": "w",
            },
            {
                "name": "B",
                "lat": 21.1,
                "lon": 105.9,
                "colour": "#FF0000",
                "value_text": "160",
                "category_text": "Xấu",
                "dominant": "pm25",
                "updated_text": "10 giờ trước",
                "stale": True,
                "ward_name": "w",
            },
        ]
    )
    labels = maps.StationMarkerLabels("st", "VN_AQI", "Mất dữ liệu", "-", "AQI", "cat", "dom", "upd", "ward")
    maps.add_station_layer(fmap, stations, labels, [("#00E400", "0–50 Tốt")])
    html = _render(fmap)
    assert '"fillColor": "#FFFF00"' in html and f'"fillColor": "{maps.STALE_COLOUR}"' in html
    assert '"fillColor": "#FF0000"' not in html  # the stale station is greyed, not red
    assert "envmon-legend" in html and json.dumps("0–50 Tốt")[1:-1] in html


def test_one_collapsible_legend_draws_what_the_map_draws() -> None:
    fmap = maps.base_map(tile_url=None)
    panel = maps.LegendPanel("Chú giải")
    wards = _wards().assign(cls=["hot_99", "cold_90", None])
    maps.add_ward_choropleth(
        fmap, wards, "cases", layer_name="w", legend_title="Số vụ", tooltip_labels=("a", "b", "c"),
        no_data_label="none", legend=panel,
    )  # fmt: skip
    labels = {key: key for key in maps.HOTSPOT_STYLES}
    maps.add_hotspot_layer(fmap, wards, "cls", labels, layer_name="h", legend_title="Gi*", legend=panel)
    spots = pd.DataFrame({"lat": [21.0], "lon": [105.8], "cases": [6]})
    maps.add_spot_layer(fmap, spots, layer_name="Điểm lặp lại", popup_labels={}, legend=panel)
    panel.add_to(fmap)
    html = _render(fmap)
    assert html.count('L.DomUtil.create("div", "envmon-legend")') == 1 and "details open" in html
    assert [title for title, _ in panel.sections] == ["Số vụ", "Gi*", ""]  # one-symbol layers: no heading
    hot, cold = maps.HOTSPOT_STYLES["hot_99"], maps.HOTSPOT_STYLES["cold_90"]
    # the map's strokes…
    assert f'"weight": {hot.weight}' in html and f'"dashArray": "{cold.dash}"' in html
    # …are the legend's strokes, and neither is a case-count or AQI colour
    assert f'stroke-width="{hot.weight}"' in panel.content() and f'stroke-dasharray="{cold.dash}"' in panel.content()
    aqi_and_count = {c.upper() for c in (*maps.CHOROPLETH_COLOURS, "#00E400", "#FFFF00", "#FF7E00", "#FF0000")}
    assert not {s.colour.upper() for s in maps.HOTSPOT_STYLES.values()} & (aqi_and_count | {"#8F3F97", "#7E0023"})
    assert "#6a3d9a" not in html.lower() and "#8f3f97" not in html.lower()  # recurring spots are not AQI purple


def test_wastewater_stations_are_squares_and_air_stations_circles() -> None:
    fmap = maps.base_map(tile_url=None)
    station = {
        "name": "KCN", "lat": 21.0, "lon": 105.8, "colour": "#00E400", "value_text": "", "category_text": "ok",
        "dominant": "", "updated_text": "", "stale": False, "ward_name": "w",
    }  # fmt: skip
    labels = maps.StationMarkerLabels("ww", "Nước thải", "Mất dữ liệu", "-", "v", "c", "", "u", "w")
    panel = maps.LegendPanel("Chú giải")
    maps.add_station_layer(fmap, pd.DataFrame([station]), labels, [("#FF0000", "Vượt")], shape="square", panel=panel)
    maps.add_station_layer(fmap, pd.DataFrame([{**station, "name": "Air"}]), labels, [], panel=panel)
    html = _render(fmap)
    assert html.count("L.divIcon") == 2  # both layers can draw icons…
    assert html.count("border:2px solid #333333") >= 1  # …and the wastewater station is a square icon
    assert "border-radius:50%" in panel.content() and "border:2px solid #333333" in panel.content()


def test_heat_fades_out_without_a_blue_edge() -> None:
    fmap = maps.base_map(tile_url=None)
    cells = pd.DataFrame({"lat": [21.0, 21.01], "lon": [105.8, 105.81], "cases": [1, 30]})
    maps.add_heat_layer(fmap, cells, layer_name="h", show=False)
    html = _render(fmap)
    assert '"minOpacity": 0.0' in html and "blue" not in html.split("L.heatLayer")[1][:600]


def test_offline_assets_are_local_and_exist() -> None:
    fmap = maps.base_map(tile_url=None)
    maps.add_heat_layer(fmap, pd.DataFrame({"lat": [21.0], "lon": [105.8], "cases": [3]}), layer_name="h")
    cluster = folium.plugins.MarkerCluster().add_to(fmap)
    folium.Marker((21.0, 105.8)).add_to(cluster)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every asset folium links is known: nothing dropped with a warning
        html = offline_assets.offline_html(_render(fmap))
    links = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert links and all(link.startswith(offline_assets.RELATIVE_BASE) for link in links)
    for link in links:
        assert (offline_assets.VENDOR_DIR / link.removeprefix(offline_assets.RELATIVE_BASE + "/")).is_file(), link
    assert "heat/leaflet-heat.js" in html and "markercluster/MarkerCluster.css" in html


def test_unknown_external_links_are_dropped_and_d3_is_vendored() -> None:
    base = offline_assets.RELATIVE_BASE
    page = (
        '<script src="https://d3js.org/d3.v4.min.js"></script><script src="local.js"></script>'
        '<script src="https://cdn.example.org/a.js"></script><link rel="stylesheet" href="//cdn.example.org/b.css"/>'
    )
    with pytest.warns(RuntimeWarning, match="dropping external asset"):
        html = offline_assets.offline_html(page)
    assert html == f'<script src="{base}/d3/d3.v4.min.js"></script><script src="local.js"></script>'


def test_case_clusters_are_not_aqi_coloured() -> None:
    fmap = maps.base_map(tile_url=None)
    case = {
        "id": 1, "lat": 21.0, "lon": 105.8, "category_code": "c", "status": "s", "ward_name": "w", "unit_name": "u",
        "opened_at": "01/09/2025 08:00", "report_count": "1", "title": "t",
    }  # fmt: skip
    maps.add_case_markers(fmap, pd.DataFrame([case]), maps.CaseMarkerLabels(*"tcswuor"), layer_name="cases")
    assert maps.CLUSTER_CSS in _render(fmap)


def test_public_maps_leave_the_wheel_and_one_finger_to_the_page() -> None:
    staff = _render(maps.base_map(tile_url=None))
    public = _render(maps.base_map(tile_url=None, scroll_with_page=True))
    assert '"scrollWheelZoom": true' in staff and '"dragging": true' in staff
    assert '"scrollWheelZoom": false' in public and '"dragging": !L.Browser.mobile' in public
