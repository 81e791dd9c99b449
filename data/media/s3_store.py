"""Media in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage …) for deployments with several servers.

Settings: ``media_store = "s3"``, ``media_s3_bucket``, ``media_s3_prefix`` (keys go under it),
``media_s3_endpoint_url`` (empty: AWS; set for another S3-compatible server, which is then addressed path-style)
and ``media_s3_region``. Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance role) and are never read, printed or logged here.

Objects are immutable and content-addressed, so a downloaded copy in ``local_dir/.s3-cache`` is always valid
(a copy whose SHA-256 does not match its key is refused); that folder may be emptied at any time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from data.media.stores import MediaStore
from data.redact import redact_url

logger = logging.getLogger(__name__)
CACHE: Final = ".s3-cache"
_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
_MAIN_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})\.(?!thumb\.)[a-z0-9]+")


class MediaStoreError(OSError):
    """The bucket could not be reached or refused a request (the message names the operation, no secret)."""


@functools.lru_cache(maxsize=8)
def _client(endpoint_url: str, region: str) -> Any:  # noqa: ANN401 - boto3 clients are generated classes
    """One thread-safe client per endpoint and region for the process."""
    config = Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
    )


class S3Store(MediaStore):
    """Objects in ``bucket`` under ``prefix``; downloaded copies and incoming uploads under ``local_dir``."""

    def __init__(self, bucket: str, *, local_dir: Path, prefix: str = "", client: Any = None) -> None:  # noqa: ANN401
        if not bucket:
            msg = "media_s3_bucket is not set (media_store = 's3' needs a bucket)"
            raise ValueError(msg)
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.local_dir = Path(local_dir)
        self.client = client if client is not None else _client("", "")

    @classmethod
    def from_settings(cls, settings: object) -> S3Store:
        """The bucket of :class:`data.config.Settings` (``media_s3_*``), its copies under ``media_dir``."""
        endpoint = str(getattr(settings, "media_s3_endpoint_url", "") or "")
        region = str(getattr(settings, "media_s3_region", "") or "")
        return cls(
            str(getattr(settings, "media_s3_bucket", "") or ""),
            local_dir=Path(settings.media_dir),  # type: ignore[attr-defined]
            prefix=str(getattr(settings, "media_s3_prefix", "") or ""),
            client=_client(endpoint, region),
        )

    @property
    def identity(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} at {self._endpoint() or 'AWS'}"

    def __repr__(self) -> str:
        return f"S3Store({self.identity})"

    def publish(self, key: str, temporary: Path, mime: str) -> bool:
        if self.exists(key):
            temporary.unlink(missing_ok=True)
            return False
        with self._errors("upload", key), temporary.open("rb") as body:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=body, ContentType=mime)
        cached = self._cached(key)
        cached.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, cached)  # the uploaded bytes are this object: keep them as its local copy
        return True

    def exists(self, key: str) -> bool:
        try:
            with self._errors("look up", key):
                self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except MediaStoreError as err:
            if isinstance(err.__cause__, ClientError) and _status(err.__cause__) == 404:
                return False
            raise
        return True

    def local_path(self, key: str) -> Path:
        cached = self._cached(key)
        if cached.is_file():
            return cached
        try:
            with self._errors("download", key):
                content = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except MediaStoreError as err:
            if not (isinstance(err.__cause__, ClientError) and _status(err.__cause__) == 404):
                logger.warning("%s", err)  # a page shows the file as missing rather than fail
            return cached
        main = _MAIN_KEY.fullmatch(key)
        if main is not None and hashlib.sha256(content).hexdigest() != main.group(1):
            logger.warning("media object %s in bucket %s does not match its SHA-256: not used", key, self.bucket)
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=cached.parent, prefix=".download-")
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(name, cached)
        return cached

    def find(self, prefix: str) -> list[str]:
        return sorted(key for key, _modified in self._listing(prefix))

    def older_than(self, cutoff: dt.datetime) -> Iterator[str]:
        for key, modified in self._listing(""):
            if modified < cutoff and re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[^/]+", key):
                yield key

    def delete(self, keys: Iterable[str]) -> int:
        wanted = list(keys)
        for start in range(0, len(wanted), _DELETE_BATCH):
            batch = wanted[start : start + _DELETE_BATCH]
            with self._errors("delete", batch[0]):
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": self.prefix + key} for key in batch], "Quiet": True}
                )
        for key in wanted:
            self._cached(key).unlink(missing_ok=True)
        return len(wanted)

    def _listing(self, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
        """(key without the store's prefix, last modified) of every object under ``prefix``."""
        with self._errors("list", prefix or "/"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :], item["LastModified"]

    def _cached(self, key: str) -> Path:
        return self.local_dir / CACHE / key

    def _endpoint(self) -> str:
        return redact_url(str(getattr(self.client.meta, "endpoint_url", "") or ""))

    def _errors(self, operation: str, key: str) -> _Errors:
        return _Errors(f"media store: could not {operation} {key} in {self.identity}")


class _Errors:
    """Turns boto errors into :class:`MediaStoreError` with ``message`` and the error's class or S3 code."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _trace: object) -> bool:
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "") or str(_status(error))
            raise MediaStoreError(f"{self.message}: {code}") from error
        if isinstance(error, BotoCoreError):
            raise MediaStoreError(f"{self.message}: {error.__class__.__name__}") from error
        return False


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
