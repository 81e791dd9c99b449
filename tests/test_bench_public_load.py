"""bench.bench_public_load's page-view URL list: every resource a page and its frames load, once; no external URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_public_load import cycling_get_script, page_view_paths


def _site(root: Path, map_html: str) -> Path:
    (root / "vendor").mkdir()
    (root / "index.html").write_text(
        '<link rel="stylesheet" href="vendor/a.css"><iframe src="map.html#x"></iframe>'
        '<button data-src="stations.json"></button><a href="wards.json">not loaded</a><script>var s=1</script>'
    )
    (root / "map.html").write_text(map_html)
    for name in ("vendor/a.css", "vendor/l.js", "stations.json", "wards.json"):
        (root / name).write_text("x")
    return root


def test_page_view_counts_the_frame_its_assets_and_the_fetched_json_once(tmp_path: Path) -> None:
    site = _site(tmp_path, '<script src="vendor/l.js"></script><link rel="stylesheet" href="vendor/a.css">')
    assert page_view_paths(site) == [
        "/air/index.html", "/air/vendor/a.css", "/air/map.html", "/air/stations.json", "/air/vendor/l.js",
    ]  # fmt: skip
    script = cycling_get_script(page_view_paths(site))
    assert '"/air/map.html"' in script and "Accept-Encoding" in script


def test_an_external_resource_is_refused(tmp_path: Path) -> None:
    site = _site(tmp_path, '<script src="https://cdn.example.org/leaflet.js"></script>')
    with pytest.raises(ValueError, match="external resource"):
        page_view_paths(site)
