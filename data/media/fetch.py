"""Media named by reference (an import's media column, a chat attachment): fetched over HTTP with limits, or read
from a local path when the caller allows it.

URLs go through :mod:`data.http_client` (its error taxonomy, timeouts, secrets masked in messages) with a size
cap while streaming, an overall deadline and, unless allowed, no requests to loopback or private-network
addresses (an uploaded file must not make the server probe its own network).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from data.http_client import FeedError, check_response
from data.media.kinds import MediaError, MediaLimits, Upload, size_text
from data.media.stores import MediaStore, media_store
from data.redact import redact_url

logger = logging.getLogger(__name__)
_SEPARATORS = re.compile(r"[;\s]+")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class MediaSource:
    """Where media references are stored and read from: the ``store``, size ``limits``, the time one fetch
    may take, whether private-network URLs are allowed, and the folder local paths are read from (None: local
    paths are refused, as for a file uploaded through a page). ``refuse_rows``: a report whose media fail is
    quarantined (imports); False skips the failing medium and keeps the report (chat messages)."""

    store: MediaStore
    limits: MediaLimits
    timeout_s: float = 30.0
    allow_private: bool = False
    local_root: Path | None = None
    refuse_rows: bool = True

    @classmethod
    def from_settings(cls, settings: object) -> MediaSource:
        """The media store and limits of :class:`data.config.Settings` (local paths refused)."""
        return cls(
            store=media_store(settings),
            limits=MediaLimits.from_settings(settings),
            timeout_s=float(settings.media_fetch_timeout_s),  # type: ignore[attr-defined]
            allow_private=bool(settings.media_fetch_private),  # type: ignore[attr-defined]
        )


def split_references(cell: str) -> list[str]:
    """The references in one cell: URLs or paths separated by whitespace or ``;``."""
    return [part for part in _SEPARATORS.split(cell.strip()) if part]


def fetch(reference: str, source: MediaSource, session: requests.Session) -> Upload:
    """The bytes ``reference`` names, as an :class:`Upload` named by its last path part.

    Raises
    ------
    MediaError
        Not reachable, an error status, slower than the deadline, larger than the largest media limit, a
        private address (unless allowed), a local path where none are allowed, or a missing file.
    """
    scheme = urlsplit(reference).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_url(reference, source, session)
    if source.local_root is None:
        raise MediaError("local_path_refused", reference)
    path = Path(reference).expanduser()
    path = path if path.is_absolute() else source.local_root / path
    if not path.is_file():
        raise MediaError("not_found", reference)
    largest = max(source.limits.photo, source.limits.video, source.limits.audio)
    if path.stat().st_size > largest:
        raise MediaError("too_big", reference, size=size_text(path.stat().st_size), limit=size_text(largest))
    return Upload(path.name, path.read_bytes())


def _fetch_url(url: str, source: MediaSource, session: requests.Session) -> Upload:
    parts = urlsplit(url)
    name = unquote(parts.path.rstrip("/").rpartition("/")[2]) or parts.hostname or url
    if not source.allow_private and _private(parts.hostname or ""):
        raise MediaError("private_address", name)
    largest = max(source.limits.photo, source.limits.video, source.limits.audio)
    deadline = time.monotonic() + source.timeout_s
    try:
        with session.get(url, stream=True, timeout=(min(5.0, source.timeout_s), source.timeout_s)) as response:
            check_response(response, now=dt.datetime.now(dt.UTC))
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > largest:
                raise MediaError("too_big", name, size=size_text(int(declared)), limit=size_text(largest))
            content = bytearray()
            for chunk in response.iter_content(_CHUNK):
                content += chunk
                if len(content) > largest:
                    raise MediaError("too_big", name, size=size_text(len(content)), limit=size_text(largest))
                if time.monotonic() > deadline:
                    raise MediaError("fetch_timeout", name, seconds=f"{source.timeout_s:g}")
    except FeedError as err:
        status = re.match(r"HTTP (\d{3})", str(err))
        if status is None:
            raise MediaError("fetch_unreachable", name) from None
        raise MediaError("fetch_status", name, status=status.group(1)) from None
    except requests.Timeout:
        raise MediaError("fetch_timeout", name, seconds=f"{source.timeout_s:g}") from None
    except requests.RequestException as err:
        logger.info("media fetch from %s failed: %s", redact_url(url), err.__class__.__name__)
        raise MediaError("fetch_unreachable", name) from None
    return Upload(name, bytes(content))


def _private(host: str) -> bool:
    """Whether ``host`` is or resolves to a loopback, private, link-local or reserved address."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False  # unresolvable: the fetch itself fails with a clear reason
    return any(_is_internal(address) for address in addresses)


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified
