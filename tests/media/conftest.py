"""Fixtures of the media tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.media.samples import HOAN_KIEM, exif_with_gps, iso_media, photo


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
