"""Build the public site from one snapshot into a fresh folder and swap it in atomically.

Layout (``OUT`` defaults to ``var/site``)::

    OUT -> .site.builds/<build>/      a symlink, replaced in one rename(2): a reader sees the old or the new site
        index.html  map.html  stations/<slug>.html  wards/<code>.html  wards/index.html     Vietnamese
        results/index.html  results/<code>.html  results/maps/<code>.html                  handling results
        results/photos/<sha256>.jpg                                                         reviewed photos
        en/…                                                                                English
        stations.json  wards.json  aqi.geojson  history.csv  results.json                   open data
        vendor/leaflet/…                                                                    the map's only assets
    every text file has a precompressed ``.gz`` beside it (nginx ``gzip_static on``).

The current and the previous build are kept (a reader in the middle of a page still finds its files); older
ones are removed. A lock file serialises builds (``envmon publish`` and the publisher service may overlap).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import hashlib
import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from data import queries
from data.boundary_store import wards_frame
from data.config import Settings, load_settings
from data.media import media_store
from data.public_results import public_results_version, public_wards
from monitoring.public_snapshot import PublicSnapshot, build_snapshot
from publish import open_data, pages, results, site_map
from publish.pages import LANGUAGES

logger = logging.getLogger(__name__)

LEAFLET = Path(__file__).resolve().parents[1] / "dashboard" / "static" / "vendor" / "leaflet"  # copied, not imported
COMPRESSED = {".html", ".json", ".geojson", ".csv", ".js", ".css", ".svg"}
KEEP_BUILDS = 2
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SiteBuild:
    """What a build wrote: the folder now served, the number of files and their total size."""

    path: Path
    files: int
    bytes: int
    stations: int
    wards: int


def slug(identifier: str) -> str:
    """A file-name-safe, collision-free slug of a station id or ward code (``HN1`` stays ``HN1``)."""
    clean = _SLUG_UNSAFE.sub("-", identifier).strip("-.") or "x"
    if clean == identifier:
        return clean
    return f"{clean[:60]}-{hashlib.sha1(identifier.encode('utf-8')).hexdigest()[:8]}"


def _write(root: Path, relative: str, content: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(data)


def _compress(root: Path) -> None:
    for path in list(root.rglob("*")):
        if path.is_file() and path.suffix in COMPRESSED:
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes(), 9, mtime=0))


def ward_pages(snapshot: PublicSnapshot) -> dict[str, str]:
    """Each ward's air-quality page, from a language root (``wards/<code>.html``)."""
    return {w.code: f"wards/{slug(w.code)}.html" for w in snapshot.wards}


def write_site(
    snapshot: PublicSnapshot, wards_geometry: object, folder: Path, *, result_pages: Mapping[str, str] | None = None
) -> None:
    """Write every page, map and data file of ``snapshot`` into the empty ``folder``.

    ``result_pages`` (ward code → its results page) links a ward's air page to its handling results.
    """
    station_pages = {s.id: f"stations/{slug(s.id)}.html" for s in snapshot.stations}
    air_pages = ward_pages(snapshot)
    for language, prefix in LANGUAGES.items():
        ctx = pages.PageContext(snapshot, language, station_pages, air_pages, result_pages or {})
        up = "../" if prefix else ""
        _write(folder, f"{prefix}index.html", pages.index_page(ctx, data_root=up))
        _write(folder, f"{prefix}map.html", site_map.station_map(snapshot, wards_geometry, language, root=up,
                                                                 pages=station_pages))  # fmt: skip
        for station in snapshot.stations:
            _write(folder, prefix + station_pages[station.id], pages.station_page(ctx, station))
        for ward in snapshot.wards:
            _write(folder, prefix + air_pages[ward.code], pages.ward_page(ctx, ward))
        _write(folder, f"{prefix}wards/index.html", pages.ward_index(ctx))
    _write(folder, "stations.json", open_data.stations_json(snapshot, station_pages))
    _write(folder, "wards.json", open_data.wards_json(snapshot, air_pages))
    _write(folder, "aqi.geojson", open_data.aqi_geojson(snapshot, station_pages))
    _write(folder, "history.csv", open_data.history_csv(snapshot))
    if not LEAFLET.is_dir():
        msg = f"vendored Leaflet not found at {LEAFLET} (run `python -m dashboard.offline_assets` once)"
        raise FileNotFoundError(msg)
    shutil.copytree(LEAFLET, folder / "vendor" / "leaflet")
    _compress(folder)


@contextmanager
def _locked(builds: Path) -> Iterator[None]:
    builds.mkdir(parents=True, exist_ok=True)
    with (builds / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def swap_in(out: Path, folder: Path) -> None:
    """Point ``out`` at ``folder`` with one atomic rename of a symlink.

    An ``out`` that is still a plain folder (an older layout) is moved into the builds folder first; that one
    time there is a moment without a site.
    """
    if out.exists() and not out.is_symlink():
        if not out.is_dir():
            msg = f"{out} exists and is not a folder or a link; refusing to replace it"
            raise FileExistsError(msg)
        out.rename(folder.parent / f"old-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}")
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(os.path.relpath(folder, out.parent))
    os.replace(link, out)


def _prune(builds: Path, current: Path) -> None:
    done = sorted((p for p in builds.iterdir() if p.is_dir() and p != current), key=lambda p: p.stat().st_mtime)
    for old in done[: max(0, len(done) - (KEEP_BUILDS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    engine: Engine, out: Path, *, settings: Settings | None = None, now: dt.datetime | None = None
) -> SiteBuild:
    """Build the site at ``now`` (default: the current time) and make ``out`` serve it."""
    config = settings or load_settings()
    moment = now or dt.datetime.now(dt.UTC)
    snapshot = build_snapshot(engine, now=moment, timezone=config.timezone, boundary_set=config.boundary_set)
    geometry = wards_frame(engine, config.boundary_set, display=True)
    out = out.absolute()
    builds = out.parent / f".{out.name}.builds"
    with _locked(builds):
        folder = Path(tempfile.mkdtemp(prefix=f"{moment:%Y%m%dT%H%M%S}-", dir=builds))
        try:
            result_wards = public_wards(engine)
            write_site(snapshot, geometry, folder, result_pages=results.page_paths(result_wards, slug))
            results.write_results(engine, folder, media_dir=media_store(config), timezone=config.timezone, now=moment,
                                  slug=slug, wards=result_wards, wards_geometry=geometry,
                                  air_pages=ward_pages(snapshot))  # fmt: skip
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        folder.chmod(0o755)
        swap_in(out, folder)
        _prune(builds, folder)
    files = [p for p in folder.rglob("*") if p.is_file()]
    logger.info("public site built: %s (%d files)", out, len(files))
    return SiteBuild(out, len(files), sum(p.stat().st_size for p in files), len(snapshot.stations),
                     len(snapshot.wards))  # fmt: skip


def data_signature(engine: Engine) -> tuple[tuple[str, str], ...]:
    """What a rebuild depends on besides the clock: every station's newest stored AQI period (both scales) and
    the version of the public results (:func:`data.public_results.public_results_version`)."""
    rows = [("results", public_results_version(engine))]
    for scale in ("vn", "us"):
        latest = queries.public_latest_aqi(engine, scale)
        rows += [
            (f"{scale}:{sid}", str(end)) for sid, end in zip(latest["station_id"], latest["period_end"], strict=True)
        ]
    return tuple(sorted(rows))


@dataclass
class Publisher:
    """Keeps the site at ``out`` current, one :meth:`round` at a time (``python -m publish --watch``)."""

    engine: Engine
    out: Path
    settings: Settings
    refresh: float = 600.0
    """Rebuild at least this often (seconds) even without new data: the pages state the data's age."""
    signature: tuple[tuple[str, str], ...] | None = None
    built_at: float = -math.inf

    def round(self) -> SiteBuild | None:
        """Rebuild when :func:`data_signature` changed since the last build (new AQI, a case's public result
        marked or withdrawn…) or ``refresh`` seconds passed; the build, or ``None`` when nothing was due."""
        signature = data_signature(self.engine)  # read first: a change during the build makes the next round build
        if signature == self.signature and time.monotonic() - self.built_at < self.refresh:
            return None
        result = build_site(self.engine, self.out, settings=self.settings)
        self.signature, self.built_at = signature, time.monotonic()
        return result
