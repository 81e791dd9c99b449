"""Shared helpers for benchmark scripts: timing, machine description, results table."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import urlopen

T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall-clock seconds of ``repeat`` runs of ``fn`` and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


@contextmanager
def scratch_postgres_engine(url: str, prefix: str = "scratch") -> Iterator[Any]:
    """A migrated engine on PostgreSQL ``url`` working in a fresh schema of its own, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    from data.db import migrate

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = engine_in_schema(url, schema)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def scratch_postgres_database(url: str, prefix: str = "bench") -> Iterator[str]:
    """The URL of a fresh, empty database on the PostgreSQL server of ``url`` (for servers started as
    subprocesses, which take a URL and not a schema), dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def engine_in_schema(url: str, schema: str) -> Any:
    """An engine on PostgreSQL ``url`` whose connections work in ``schema`` (then ``public``, for PostGIS)."""
    from sqlalchemy import event

    from data.db import make_engine

    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {schema}, public")
        dbapi_connection.commit()

    return engine


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Block until the Streamlit server at ``base`` answers its health check.

    Raises
    ------
    RuntimeError
        The process exited, or ``timeout`` seconds passed, first.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310 - local server
                if response.read() == b"ok":
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                msg = f"streamlit did not start (exit {process.poll()}); see {log}"
                raise RuntimeError(msg) from None
            time.sleep(0.3)


def machine() -> str:
    """One line describing the machine the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pre2025_units() -> tuple[Any, str]:
    """A 584-unit Hà Nội set for scale tests, and a label saying where it came from.

    The GADM 4.1 pre-2025 wards may not be redistributed, so they are read from the project's shared data
    folder when it sits beside the repository; otherwise a seeded synthetic 584-cell Voronoi tessellation of the
    2025 city outline stands in (labelled synthetic).
    """
    from pathlib import Path

    import geopandas as gpd
    import numpy as np
    import shapely

    from data.boundary_store import read_shipped_set

    shared = Path(__file__).resolve().parents[2] / "shared/data/boundaries/hanoi_wards_pre2025_gadm41.geojson"
    if shared.is_file():
        frame = gpd.read_file(shared)[["gid_3", "geometry"]].rename(columns={"gid_3": "code"})
        frame["name"] = frame["code"]
        frame["district"] = None
        return frame.to_crs(4326), "GADM 4.1 pre-2025 wards (584, from shared/data; not redistributed)"
    city = shapely.union_all(read_shipped_set()[0].geometry.to_numpy())
    rng = np.random.default_rng(584)
    minx, miny, maxx, maxy = city.bounds
    seeds: list[shapely.Point] = []
    while len(seeds) < 584:
        x, y = rng.uniform(minx, maxx, 2000), rng.uniform(miny, maxy, 2000)
        inside = shapely.contains_xy(city, x, y)
        seeds.extend(shapely.points(x[inside], y[inside]))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(seeds[:584]), extend_to=city))
    clipped = shapely.intersection(cells, city)
    frame = gpd.GeoDataFrame({"code": [f"S{i:03d}" for i in range(len(clipped))]}, geometry=clipped, crs=4326)
    frame["name"] = frame["code"]
    frame["district"] = None
    return frame[~frame.geometry.is_empty].reset_index(drop=True), "synthetic 584-cell Voronoi tessellation"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loopback_nginx_config(folder: Path, port: int, site: Path, api: int, dashboards: tuple[int, int]) -> Path:
    """An nginx main config in ``folder`` running the shipped deploy/nginx/envmon.conf on 127.0.0.1:``port``.

    Only the listen address, upstream ports, the site folder, the access log (``folder/access.log``) and include
    paths change; the main context follows Debian's /etc/nginx/nginx.conf (``worker_processes auto``, 768
    connections a worker, sendfile and tcp_nopush on). Start it with ``nginx -p folder -c <returned path>``
    (``daemon off``, so the process is the server). The bench and tests/api/test_deploy.py both use this.
    """
    import shutil

    deploy = Path(__file__).resolve().parents[1] / "deploy" / "nginx"
    shutil.copy(deploy / "security-headers.conf", folder / "security-headers.conf")
    text = (deploy / "envmon.conf").read_text(encoding="utf-8")
    for old, new in (("listen 80 ", f"listen 127.0.0.1:{port} "), ("127.0.0.1:8501", f"127.0.0.1:{dashboards[0]}"),
                     ("127.0.0.1:8511", f"127.0.0.1:{dashboards[1]}"), ("127.0.0.1:8502", f"127.0.0.1:{api}"),
                     ("/var/lib/envmon/site/", f"{site}/"),
                     ("/var/log/nginx/envmon.access.log", str(folder / "access.log")),
                     ("/etc/nginx/envmon/security-headers.conf", str(folder / "security-headers.conf"))):  # fmt: skip
        if old not in text:
            raise ValueError(f"deploy/nginx/envmon.conf no longer contains {old!r}")
        text = text.replace(old, new)
    (folder / "envmon.conf").write_text(text, encoding="utf-8")
    temp = " ".join(
        f"{name}_temp_path {folder / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    http = (
        f"sendfile on; tcp_nopush on; access_log off; {temp} include /etc/nginx/mime.types; "
        f"include {folder / 'envmon.conf'};"
    )
    main = (
        f"daemon off; worker_processes auto; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'};\n"
        f"events {{ worker_connections 768; }}\nhttp {{ {http} }}\n"
    )
    (folder / "nginx.conf").write_text(main, encoding="utf-8")
    return folder / "nginx.conf"


def wait_for_ok(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Block until ``url`` answers 200; RuntimeError when ``process`` exits or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 - loopback server
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer (exit {process.poll()})")
        time.sleep(0.3)


@contextmanager
def serving(command: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """Run ``command`` (output to ``log``) from the repository folder until the block ends, once ``ready_url``
    answers 200; terminated (killed after 20 s) afterwards."""
    repo = Path(__file__).resolve().parents[1]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_ok(ready_url, process)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
