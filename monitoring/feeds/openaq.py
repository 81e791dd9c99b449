"""OpenAQ API v3 client: locations, their sensors, and hourly measurements (``/v3/sensors/{id}/hours``).

The API key travels in the ``X-API-Key`` header. Requests are limited to 60 per minute (the API's default
limit) and a 429 answer is retried after the server's ``Retry-After`` delay.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import pandas as pd
import requests

from data import http_client
from monitoring.errors import FeedSchemaError
from monitoring.feeds.base import Batch, FeedContext, empty_readings, register_feed, timeout_from
from monitoring.schema import STATUS_MEASURING, canonicalise

BASE_URL: Final = "https://api.openaq.org"
PAGE_LIMIT: Final = 1000
REQUESTS_PER_MINUTE: Final = 60


def openaq_station_id(location_id: object) -> str:
    """Registry id of an OpenAQ location."""
    return f"openaq-{int(str(location_id))}"


def _field(record: Mapping[str, Any], path: str, where: str) -> Any:
    value: Any = record
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            msg = f"OpenAQ payload {where}: field {path!r} is missing"
            raise FeedSchemaError(msg)
        value = value[key]
    return value


def _results(payload: Any, where: str) -> list[Any]:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("results"), list):
        msg = f"OpenAQ payload {where}: expected an object with a 'results' list"
        raise FeedSchemaError(msg)
    return payload["results"]


def parse_location(payload: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Station metadata and sensors (id, parameter, units) from a ``/v3/locations/{id}`` payload."""
    results = _results(payload, "locations")
    if not results:
        msg = "OpenAQ payload locations: 'results' is empty (unknown location?)"
        raise FeedSchemaError(msg)
    location = results[0]
    where = f"location {location.get('id')!r}"
    coordinates = location.get("coordinates") or {}
    station = {
        "id": openaq_station_id(_field(location, "id", where)),
        "name": _field(location, "name", where),
        "kind": "air",
        "operator": (location.get("provider") or {}).get("name", ""),
        "lat": coordinates.get("latitude"),
        "lon": coordinates.get("longitude"),
        "grade": "reference" if location.get("isMonitor", True) else "lowcost",
        "source": "openaq",
    }
    sensors = [
        {
            "id": int(_field(sensor, "id", f"{where} sensors[{n}]")),
            "parameter": _field(sensor, "parameter.name", f"{where} sensors[{n}]"),
            "units": _field(sensor, "parameter.units", f"{where} sensors[{n}]"),
        }
        for n, sensor in enumerate(location.get("sensors") or [])
    ]
    return station, sensors


def parse_hours(payload: Any, station_id: str) -> pd.DataFrame:
    """Raw readings (canonical columns, not yet validated) from a ``/v3/sensors/{id}/hours`` payload.

    Each hourly mean is stored at ``period.datetimeTo.utc``, the end of its hour.
    """
    records = []
    for n, result in enumerate(_results(payload, "hours")):
        where = f"hours results[{n}]"
        records.append(
            {
                "row_number": n + 1,
                "station_id": station_id,
                "parameter": _field(result, "parameter.name", where),
                "value": _field(result, "value", where),
                "unit": _field(result, "parameter.units", where),
                "observed_at": _field(result, "period.datetimeTo.utc", where),
                "status": STATUS_MEASURING,
                "source": "openaq",
            }
        )
    frame = pd.DataFrame(records, columns=["row_number", *empty_readings().columns])
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True, errors="coerce", format="ISO8601")
    return frame


@register_feed("openaq")
class OpenAQFeed:
    """Hourly measurements of configured OpenAQ locations, resumed per sensor from the checkpoint.

    Each poll re-reads ``overlap`` before the last hour it saw, so late-published hours are picked up; the
    natural-key dedup makes the overlap harmless.
    """

    def __init__(
        self,
        name: str,
        session: requests.Session,
        *,
        api_key: str | None,
        location_ids: Sequence[int],
        base_url: str = BASE_URL,
        timeout: float | tuple[float, float] = http_client.DEFAULT_TIMEOUT,
        overlap: dt.timedelta = dt.timedelta(hours=3),
        backfill: dt.timedelta = dt.timedelta(hours=24),
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not location_ids:
            msg = f"feed {name!r}: no OpenAQ location ids configured"
            raise ValueError(msg)
        self.name = name
        self.kind = "air"
        self.session = session
        self.api_key = api_key
        self.location_ids = [int(location_id) for location_id in location_ids]
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.overlap = overlap
        self.backfill = backfill
        self.max_retries = max_retries
        self.sleep = sleep
        self.limiter = http_client.RateLimiter(REQUESTS_PER_MINUTE, 60.0, clock=clock, sleep=sleep)
        self.secrets = [api_key] if api_key else []

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> OpenAQFeed:
        """``location_ids``; optional ``overlap_hours`` (3), ``backfill_hours`` (24), ``timeout_seconds``."""
        if not context.openaq_api_key:
            msg = f"feed {name!r}: OpenAQ needs an API key (set ENVMON_OPENAQ_API_KEY)"
            raise ValueError(msg)
        return cls(
            name,
            context.session_factory(),
            api_key=context.openaq_api_key,
            location_ids=entry["location_ids"],
            overlap=dt.timedelta(hours=entry.get("overlap_hours", 3)),
            backfill=dt.timedelta(hours=entry.get("backfill_hours", 24)),
            timeout=timeout_from(entry),
        )

    def _get_json(self, path: str, params: Mapping[str, Any] | None, now: dt.datetime) -> Any:
        response = http_client.get_patiently(
            self.session,
            f"{self.base_url}{path}",
            rate_limit_retries=self.max_retries,
            sleep=self.sleep,
            limiter=self.limiter,
            params=params,
            headers={"X-API-Key": self.api_key} if self.api_key else {},
            timeout=self.timeout,
            now=now,
        )
        return http_client.json_body(response)

    def _hours(self, sensor_id: int, station_id: str, since: dt.datetime, now: dt.datetime) -> pd.DataFrame:
        pages = []
        page = 1
        while True:
            params = {
                "datetime_from": since.isoformat().replace("+00:00", "Z"),
                "datetime_to": now.isoformat().replace("+00:00", "Z"),
                "limit": PAGE_LIMIT,
                "page": page,
            }
            payload = self._get_json(f"/v3/sensors/{sensor_id}/hours", params, now)
            frame = parse_hours(payload, station_id)
            pages.append(frame)
            if len(frame) < PAGE_LIMIT:
                return pd.concat(pages, ignore_index=True)
            page += 1

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """Hourly means of every sensor of the configured locations since each sensor's checkpoint."""
        previous: dict[str, str] = dict(checkpoint.get("sensors", {}))
        positions = dict(previous)
        stations, frames = [], []
        for location_id in self.location_ids:
            station, sensors = parse_location(self._get_json(f"/v3/locations/{location_id}", None, now))
            stations.append(station)
            for sensor in sensors:
                key = str(sensor["id"])
                last = dt.datetime.fromisoformat(previous[key]) if key in previous else None
                since = last - self.overlap if last is not None else now - self.backfill
                frame = self._hours(sensor["id"], station["id"], since, now)
                if frame["observed_at"].notna().any():
                    newest = frame["observed_at"].max().to_pydatetime()
                    positions[key] = max(newest, last).isoformat() if last else newest.isoformat()
                frames.append(frame)
        raw = pd.concat(frames, ignore_index=True) if frames else empty_readings()
        raw["row_number"] = range(1, len(raw) + 1)
        readings, rejects = canonicalise(raw, source=self.name, now=now)
        return Batch(
            source=self.name,
            kind="air",
            readings=readings,
            rejects=rejects,
            stations=pd.DataFrame(stations),
            interval_minutes=60,
            checkpoint={"sensors": positions},
        )

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to do: the checkpoint saved with the batch is the position."""
