"""Serve every map asset from the app itself: vendored Leaflet and plugins, no CDN request ever.

folium points at CDNs (jsdelivr, cdnjs, code.jquery.com, d3js.org). On a closed government network one
unreachable script blanks the whole map. This module

* vendors the exact npm packages into ``dashboard/static/vendor`` (``python -m dashboard.offline_assets``,
  run once by a developer; the result is committed so deployments need no registry), which Streamlit serves
  at ``/app/static/vendor`` (``[server] enableStaticServing = true``),
* rewrites the asset links of a rendered map page to those local files (:func:`offline_html`) and drops any
  other external link with a warning. Nothing is patched: folium's classes and other maps are untouched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

import folium
import folium.plugins

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
# The map is an ``st.components.v1.html`` iframe (``srcdoc``), whose relative links resolve against the page's
# URL (<base>/<page>), so this prefix is <base>/app/static/vendor whatever the server's baseUrlPath is.
RELATIVE_BASE = "app/static/vendor"

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


# folium's asset names (the first item of its public ``default_js`` / ``default_css`` pairs) -> vendored file.
# Assets folium lists that the maps do not use (Bootstrap 3 glyphicons, the awesome-markers rotation CSS) map
# to None: their links are dropped from the page.
VENDORED_BY_NAME: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": "bootstrap/bootstrap.bundle.min.js",
    "awesome_markers": "awesome-markers/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": "bootstrap/bootstrap.min.css",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "awesome_markers_css": "awesome-markers/leaflet.awesome-markers.css",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "heat/leaflet-heat.js",
    "glyphicons_css": None,
    "awesome_rotate_css": None,
}
_ASSET_TAG = re.compile(r'<script src="(?P<js>[^"]+)"></script>|<link rel="stylesheet" href="(?P<css>[^"]+)"/>')


def vendored_urls() -> dict[str, str | None]:
    """CDN URL -> vendored path (relative to the vendor folder; None: not needed) for folium's assets."""
    owners = (folium.Map, folium.plugins.MarkerCluster, folium.plugins.HeatMap)
    urls = {
        url: VENDORED_BY_NAME[name]
        for owner in owners
        for name, url in (*owner.default_js, *owner.default_css)
        if name in VENDORED_BY_NAME
    }
    return {**urls, **_D3_URLS}


def offline_html(page: str, base: str = RELATIVE_BASE) -> str:
    """A rendered folium page (``fmap.get_root().render()``) with every asset link pointing at ``base``.

    Known CDN links become the vendored copies (plus the Leaflet image-path line right after leaflet.js); any
    other external link is dropped with a warning, so the page never asks another host for anything.
    """
    local = vendored_urls()

    def replace(match: re.Match[str]) -> str:
        url = match.group("js") or match.group("css")
        if url in local:
            if local[url] is None:
                return ""
            path = f"{base}/{local[url]}"
            if match.group("js") is None:
                return f'<link rel="stylesheet" href="{path}"/>'
            tag = f'<script src="{path}"></script>'
            if local[url] == VENDORED_BY_NAME["leaflet"]:
                tag += f'<script src="{base}/leaflet/leaflet-imagepath.js"></script>'
            return tag
        if url.startswith(("http://", "https://", "//")):
            warnings.warn(f"offline map: dropping external asset {url}", RuntimeWarning, stacklevel=2)
            return ""
        return match.group(0)

    return _ASSET_TAG.sub(replace, page)


if __name__ == "__main__":  # pragma: no cover - developer tool
    for path in vendor_assets():
        sys.stdout.write(f"{path.relative_to(VENDOR_DIR.parent.parent)}\n")
