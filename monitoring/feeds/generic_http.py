"""A generic JSON/CSV HTTP feed with a field mapping, for provincial portals that publish station data."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any, Final, Literal

import pandas as pd
import requests

from data import http_client
from data.redact import is_secret_name, url_secrets
from monitoring.errors import FeedSchemaError
from monitoring.feeds.base import Batch, FeedContext, register_feed, timeout_from
from monitoring.schema import STATUS_MEASURING, canonicalise

REQUIRED_FIELDS: Final = ("station_id", "parameter", "value", "observed_at")
OPTIONAL_FIELDS: Final = ("unit", "status")


def _records(payload: Any, records_path: str) -> list[Any]:
    value = payload
    for key in [part for part in records_path.split(".") if part]:
        if not isinstance(value, Mapping) or key not in value:
            msg = f"JSON payload has no {records_path!r} (missing {key!r})"
            raise FeedSchemaError(msg)
        value = value[key]
    if not isinstance(value, list):
        msg = f"JSON payload {records_path or '<root>'!r} is not a list of records"
        raise FeedSchemaError(msg)
    return value


def parse_table(
    table: pd.DataFrame,
    mapping: Mapping[str, str],
    defaults: Mapping[str, str],
    *,
    source: str,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Map source columns to raw canonical readings (validated later by ``canonicalise``).

    ``mapping`` names the source column of each canonical field (nested JSON fields dotted, ``a.b``);
    ``defaults`` gives constants for fields the source lacks (e.g. ``unit = "µg/m³"``). Times without an
    offset are read in ``timezone``.
    """
    missing = [name for name in REQUIRED_FIELDS if name not in mapping]
    if missing:
        msg = f"feed {source!r}: mapping lacks {', '.join(missing)}"
        raise ValueError(msg)
    absent = sorted({column for column in mapping.values() if column not in table.columns})
    if absent and not table.empty:
        msg = f"feed {source!r}: payload has no field(s) {', '.join(absent)}"
        raise FeedSchemaError(msg)
    raw = pd.DataFrame(index=table.index)
    raw["row_number"] = range(1, len(table) + 1)
    for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS):
        if name in mapping and not table.empty:
            raw[name] = table[mapping[name]].to_numpy()
        else:
            raw[name] = defaults.get(name, STATUS_MEASURING if name == "status" else "")
    raw["station_id"] = raw["station_id"].astype(str)
    raw["status"] = raw["status"].astype(str).str.zfill(2)
    times = pd.to_datetime(raw["observed_at"].astype(str), errors="coerce", format="ISO8601", utc=False)
    if times.dt.tz is None:
        times = times.dt.tz_localize(timezone)
    raw["observed_at"] = times.dt.tz_convert("UTC")
    raw["source"] = source
    return raw


@register_feed("http")
class HttpFeed:
    """Readings from one JSON or CSV URL, columns mapped to the canonical schema by configuration.

    With ``since_param`` the request asks only for data after the checkpoint minus ``overlap``, so readings
    published late are still picked up (the natural-key dedup drops the repeats).
    """

    def __init__(
        self,
        name: str,
        session: requests.Session,
        *,
        url: str,
        mapping: Mapping[str, str],
        kind: str = "air",
        payload_format: Literal["json", "csv"] = "json",
        records_path: str = "",
        defaults: Mapping[str, str] | None = None,
        timezone: str = "UTC",
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        since_param: str | None = None,
        overlap: dt.timedelta = dt.timedelta(hours=3),
        interval_minutes: int = 60,
        timeout: float | tuple[float, float] = http_client.DEFAULT_TIMEOUT,
    ) -> None:
        self.name = name
        self.kind = kind
        self.session = session
        self.url = url
        self.mapping = dict(mapping)
        self.payload_format = payload_format
        self.records_path = records_path
        self.defaults = dict(defaults or {})
        self.timezone = timezone
        self.params = dict(params or {})
        self.headers = dict(headers or {})
        self.since_param = since_param
        self.overlap = overlap
        self.interval_minutes = interval_minutes
        self.timeout = timeout

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> HttpFeed:
        """``url`` and ``mapping``; the other keys as documented in the shipped ``feeds.toml``."""
        return cls(
            name,
            context.session_factory(),
            url=entry["url"],
            mapping=entry["mapping"],
            kind=entry.get("kind", "air"),
            payload_format=entry.get("format", "json"),
            records_path=entry.get("records_path", ""),
            defaults=entry.get("defaults"),
            timezone=entry.get("timezone", "UTC"),
            params=entry.get("params"),
            headers=entry.get("headers"),
            since_param=entry.get("since_param"),
            overlap=dt.timedelta(hours=entry.get("overlap_hours", 3)),
            interval_minutes=int(entry.get("data_interval_minutes", 60)),
            timeout=timeout_from(entry),
        )

    @property
    def secrets(self) -> list[str]:
        """Credentials in the URL, secret-named query parameters and secret headers (``Authorization: Bearer …``)."""
        values = url_secrets(self.url)
        values += [str(value) for name, value in self.params.items() if is_secret_name(name)]
        for name, value in self.headers.items():
            if is_secret_name(name) or name.lower() in {"authorization", "proxy-authorization", "cookie"}:
                values += [value, value.split()[-1]] if value.split() else [value]
        return values

    def parse(self, response_text: str, payload: Any = None) -> pd.DataFrame:
        """The mapped raw readings from a response body."""
        if self.payload_format == "csv":
            try:
                table = pd.read_csv(io.StringIO(response_text), dtype=str)
            except (ValueError, pd.errors.ParserError) as err:
                msg = f"feed {self.name!r}: CSV payload cannot be read: {err}"
                raise FeedSchemaError(msg) from err
        else:
            table = pd.json_normalize(_records(payload, self.records_path))
        return parse_table(table, self.mapping, self.defaults, source=self.name, timezone=self.timezone)

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """Everything the URL returns (from the checkpoint minus the overlap when ``since_param`` is set)."""
        params = dict(self.params)
        if self.since_param and checkpoint.get("latest"):
            since = dt.datetime.fromisoformat(checkpoint["latest"]) - self.overlap
            params[self.since_param] = since.isoformat()
        response = http_client.get(
            self.session, self.url, params=params, headers=self.headers, timeout=self.timeout, now=now
        )
        payload = None if self.payload_format == "csv" else http_client.json_body(response)
        raw = self.parse(response.text, payload)
        readings, rejects = canonicalise(raw, source=self.name, now=now)
        latest = readings["observed_at"].max().isoformat() if not readings.empty else None
        position = max(filter(None, (latest, checkpoint.get("latest"))), default=None)
        return Batch(
            source=self.name,
            kind=self.kind,
            readings=readings,
            rejects=rejects,
            interval_minutes=self.interval_minutes,
            checkpoint={"latest": position},
        )

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to do: the checkpoint saved with the batch is the position."""
