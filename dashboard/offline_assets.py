"""Serve every map asset from the app itself: vendored Leaflet and plugins, no CDN request ever.

folium and streamlit-folium point at CDNs (jsdelivr, cdnjs, d3js.org). On a closed government network one
unreachable script blanks the whole map, because the streamlit-folium iframe loads scripts one by one and
stops at the first failure. This module

* vendors the exact npm packages into ``dashboard/static/vendor`` (``python -m dashboard.offline_assets``,
  run once by a developer; the result is committed so deployments need no registry),
* rewrites the ``default_js`` / ``default_css`` of ``folium.Map`` and the plugins we use to those local files,
  which Streamlit serves at ``/app/static/vendor`` (``[server] enableStaticServing = true``),
* patches streamlit-folium's hard-coded d3 URLs (added whenever a branca colormap is on the map) and drops any
  other external URL with a warning.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import folium
import folium.plugins

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
# The component iframe is <base>/component/streamlit_folium.st_folium/index.html, so this relative prefix
# resolves to <base>/app/static/vendor whatever the server's baseUrlPath is.
RELATIVE_BASE = "../../app/static/vendor"

# npm package spec -> {path inside the package: path under the vendor folder}
VENDORED_PACKAGES: dict[str, dict[str, str]] = {
    "leaflet@1.9.3": {
        "dist/leaflet.js": "leaflet/leaflet.js",
        "dist/leaflet.css": "leaflet/leaflet.css",
        "dist/images": "leaflet/images",
        "LICENSE": "leaflet/LICENSE",
    },
    "jquery@3.7.1": {"dist/jquery.min.js": "jquery/jquery.min.js", "LICENSE.txt": "jquery/LICENSE.txt"},
    "bootstrap@5.2.2": {
        "dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
        "dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
        "LICENSE": "bootstrap/LICENSE",
    },
    "@fortawesome/fontawesome-free@6.2.0": {
        "css/all.min.css": "fontawesome/css/all.min.css",
        "webfonts": "fontawesome/webfonts",
        "LICENSE.txt": "fontawesome/LICENSE.txt",
    },
    "leaflet.awesome-markers@2.0.5": {
        "dist/leaflet.awesome-markers.js": "awesome-markers/leaflet.awesome-markers.js",
        "dist/leaflet.awesome-markers.css": "awesome-markers/leaflet.awesome-markers.css",
        "dist/images": "awesome-markers/images",
        "LICENSE": "awesome-markers/LICENSE",
    },
    "leaflet.markercluster@1.5.3": {
        "dist/leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
        "dist/MarkerCluster.css": "markercluster/MarkerCluster.css",
        "dist/MarkerCluster.Default.css": "markercluster/MarkerCluster.Default.css",
        "MIT-LICENCE.txt": "markercluster/MIT-LICENCE.txt",
    },
    "leaflet.heat@0.2.0": {"dist/leaflet-heat.js": "heat/leaflet-heat.js", "LICENSE": "heat/LICENSE"},
    "d3@4.13.0": {"build/d3.min.js": "d3/d3.v4.min.js", "LICENSE": "d3/LICENSE"},
    "d3@3.5.5": {"d3.min.js": "d3/d3-3.5.5.min.js", "LICENSE": "d3/LICENSE-3.5.5"},
}

# Leaflet 1.9 guesses its marker image folder from leaflet.css; streamlit-folium does not wait for CSS, so the
# guess drops a slash. This one-liner, loaded right after leaflet.js, sets the folder explicitly.
IMAGEPATH_JS = 'L.Icon.Default.imagePath = new URL("images/", document.currentScript.src).href;\n'

_D3_URLS = {
    "https://d3js.org/d3.v4.min.js": "d3/d3.v4.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js": "d3/d3-3.5.5.min.js",
}


def vendor_assets(dest: Path = VENDOR_DIR, npm: str = "npm") -> list[Path]:
    """Download the pinned packages with ``npm pack`` and copy the files the map needs into ``dest``.

    Returns the written paths. Needs the npm registry; deployments use the committed copy instead.
    """
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(
            [npm, "pack", "--silent", *VENDORED_PACKAGES],
            cwd=work,
            check=True,
            timeout=300,
            capture_output=True,
        )
        tarballs = sorted(work.glob("*.tgz"))
        for spec, files in VENDORED_PACKAGES.items():
            tarball = _tarball_for(spec, tarballs)
            unpacked = work / tarball.stem
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
            for source, target in files.items():
                origin, out = unpacked / "package" / source, dest / target
                out.parent.mkdir(parents=True, exist_ok=True)
                if origin.is_dir():
                    shutil.copytree(origin, out, dirs_exist_ok=True)
                elif origin.exists():
                    shutil.copyfile(origin, out)
                else:
                    msg = f"{spec}: expected file {source!r} is missing from the npm package"
                    raise FileNotFoundError(msg)
                written.append(out)
    imagepath = dest / "leaflet" / "leaflet-imagepath.js"
    imagepath.write_text(IMAGEPATH_JS, encoding="utf-8")
    written.append(imagepath)
    return written


def _tarball_for(spec: str, tarballs: Iterable[Path]) -> Path:
    name, version = spec.rsplit("@", 1)
    stem = f"{name.lstrip('@').replace('/', '-')}-{version}"
    for tarball in tarballs:
        if tarball.stem == stem:
            return tarball
    msg = f"npm pack produced no tarball for {spec} (expected {stem}.tgz)"
    raise FileNotFoundError(msg)


def local_assets(base: str = RELATIVE_BASE) -> dict[str, list[tuple[str, str]]]:
    """The local ``default_js`` / ``default_css`` lists keyed by ``<Class>.<attribute>``."""
    return {
        "Map.default_js": [
            ("leaflet", f"{base}/leaflet/leaflet.js"),
            ("leaflet_imagepath", f"{base}/leaflet/leaflet-imagepath.js"),
            ("jquery", f"{base}/jquery/jquery.min.js"),
            ("bootstrap", f"{base}/bootstrap/bootstrap.bundle.min.js"),
            ("awesome_markers", f"{base}/awesome-markers/leaflet.awesome-markers.js"),
        ],
        "Map.default_css": [
            ("leaflet_css", f"{base}/leaflet/leaflet.css"),
            ("bootstrap_css", f"{base}/bootstrap/bootstrap.min.css"),
            ("awesome_markers_font_css", f"{base}/fontawesome/css/all.min.css"),
            ("awesome_markers_css", f"{base}/awesome-markers/leaflet.awesome-markers.css"),
        ],
        "MarkerCluster.default_js": [("markerclusterjs", f"{base}/markercluster/leaflet.markercluster.js")],
        "MarkerCluster.default_css": [
            ("markerclustercss", f"{base}/markercluster/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{base}/markercluster/MarkerCluster.Default.css"),
        ],
        "HeatMap.default_js": [("leaflet-heat.js", f"{base}/heat/leaflet-heat.js")],
        "HeatMap.default_css": [],
    }


def use_local_assets(base: str = RELATIVE_BASE) -> None:
    """Point folium's map and the MarkerCluster / HeatMap plugins at the vendored files under ``base``."""
    owners = {
        "Map": folium.Map,
        "MarkerCluster": folium.plugins.MarkerCluster,
        "HeatMap": folium.plugins.HeatMap,
    }
    for key, links in local_assets(base).items():
        owner, attribute = key.split(".")
        setattr(owners[owner], attribute, links)


def offline_links(urls: Iterable[str], base: str = RELATIVE_BASE) -> list[str]:
    """Map known CDN URLs to the vendored copies and drop (with a warning) any other external URL."""
    kept: list[str] = []
    for url in urls:
        local = _D3_URLS.get(url)
        if local is not None:
            kept.append(f"{base}/{local}")
        elif url.startswith(("http://", "https://", "//")):
            warnings.warn(f"offline map: dropping external asset {url}", RuntimeWarning, stacklevel=2)
        else:
            kept.append(url)
    return kept


def patch_streamlit_folium(base: str = RELATIVE_BASE) -> None:
    """Wrap streamlit-folium's component call so every JS/CSS link it sends is local (idempotent).

    Relies on the private ``streamlit_folium._component_func`` (streamlit-folium 0.27); the browser test
    guards it.
    """
    import streamlit_folium

    original: Callable[..., Any] = streamlit_folium._component_func
    if getattr(original, "_envmon_offline", False):
        return

    def offline_component(*args: Any, **kwargs: Any) -> Any:
        kwargs["js_links"] = offline_links(kwargs.get("js_links", []), base)
        kwargs["css_links"] = offline_links(kwargs.get("css_links", []), base)
        return original(*args, **kwargs)

    offline_component._envmon_offline = True  # type: ignore[attr-defined]
    streamlit_folium._component_func = offline_component


def install() -> None:
    """Make every folium map in this process offline (call once, before any map is built)."""
    use_local_assets()
    patch_streamlit_folium()


if __name__ == "__main__":  # pragma: no cover - developer tool
    for path in vendor_assets():
        sys.stdout.write(f"{path.relative_to(VENDOR_DIR.parent.parent)}\n")
