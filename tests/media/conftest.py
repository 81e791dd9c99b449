"""Fixtures of the media tests."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from data.config import Settings, load_settings
from tests.media.samples import HOAN_KIEM, exif_with_gps, iso_media, photo

SECRET_KEY = "s3cr3t-media-key-never-shown"  # noqa: S105 - a test credential, checked never to be printed


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """An empty media folder of its own (the SQLite test database lives beside it, not in it)."""
    return tmp_path / "media"


FILES = {
    "/gps.jpg": photo("JPEG", exif=exif_with_gps(*HOAN_KIEM)),
    "/plain.png": photo("PNG"),
    "/clip.mp4": iso_media(b"vide"),
    "/virus.jpg": b"MZ\x90\x00" + bytes(300),
}


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        content = FILES.get(self.path)
        if content is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")  # the server's type is never trusted
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    """A loopback HTTP server of :data:`FILES` (its content type always says JPEG); yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@dataclass(frozen=True)
class Bucket:
    """A bucket on the loopback S3-compatible server: its name, the server's URL and a client to look inside."""

    name: str
    endpoint: str
    client: Any

    def objects(self) -> list[str]:
        """Every key in the bucket, sorted."""
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def settings(self, media_dir: Path, **values: object) -> Settings:
        """Settings storing media in this bucket (under ``media/``), with ``media_dir`` for local copies."""
        bucket = {"media_store": "s3", "media_s3_bucket": self.name, "media_s3_prefix": "media",
                  "media_s3_endpoint_url": self.endpoint, "media_s3_region": "us-east-1"}  # fmt: skip
        return load_settings(media_dir=media_dir, **(bucket | values))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on a free loopback port for the session (real HTTP, never the network)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A new empty bucket; test credentials in the standard AWS variables (as a deployment gives them)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"envmon-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name, s3_endpoint, client)
