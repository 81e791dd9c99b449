"""Project configuration in one typed place.

Values resolve in this order (first wins):

1. keyword arguments to :func:`load_settings` (tests, the CLI);
2. environment variables (``DATABASE_URL``, ``ENVMON_*``);
3. the TOML config file named by ``ENVMON_CONFIG`` (default ``./envmon.toml``, optional), top-level keys
   with the field names below;
4. the defaults below.

Keys
----
database_url : str
    SQLAlchemy URL. Default ``sqlite:///var/envmon.db``. ``postgresql+psycopg://user@host:port/db`` switches
    to PostgreSQL/PostGIS. Env: ``DATABASE_URL``.
database_read_url : str
    SQLAlchemy URL of a streaming replica of ``database_url`` for the dashboard's, the API's and the published
    site's reads (writes always go to ``database_url``). Default: none, everything reads the primary. When the
    replica cannot be reached, reads fall back to the primary (logged once). Env: ``DATABASE_READ_URL``.
read_max_lag_seconds : float
    Reads go to the primary while the replica's data is more than this far behind the primary's (an idle
    primary is no lag); 0 reads the replica whatever its lag. Default 30 s. Env: ``ENVMON_READ_MAX_LAG_SECONDS``.
read_lag_check_seconds : float
    How often each process checks the replica's lag (and whether it is reachable again). Default 5 s.
poller_lease_seconds : float
    How long a poller's lease on a feed lasts without renewal (renewed every third of it). Another poller takes
    a feed over at most this long plus a third after its holder died. Default 60 s. Env:
    ``ENVMON_POLLER_LEASE_SECONDS``.
partitions_ahead_months : int
    PostgreSQL: partitions of ``readings`` and ``averages`` are kept created for the periods up to this many
    months ahead of the current one (``envmon db maintain``, and after every poll round). Default 3.
partition_readings_interval, partition_averages_interval : str
    PostgreSQL: ``month`` (default), ``week`` (from Monday 00:00 UTC) or ``day`` (UTC): the time span of one
    partition of raw ``readings`` and of stored ``averages``. Shorter partitions suit a national network's raw
    readings (a month of 2,000 stations × 8 parameters is ~140 M rows; README, sizing table). A change applies to
    the periods not yet holding rows (``envmon db maintain``; ``envmon db repartition`` re-cuts the stored ones).
    Env: ``ENVMON_PARTITION_READINGS_INTERVAL`` etc.
retention_readings_months, retention_averages_months : int
    Whole months before the current one kept of raw readings and of stored 1-h/8-h/24-h averages; older months
    are dropped (PostgreSQL: the month's partition; SQLite: its rows) by ``envmon db maintain`` and after every
    poll round. Default 0: kept for ever. E.g. 24 and 120. Env: ``ENVMON_RETENTION_READINGS_MONTHS`` etc.
var_dir : Path
    Folder for the SQLite file, drop folders and backups. Default ``var``. Env: ``ENVMON_VAR_DIR``.
media_dir : Path
    Folder for uploaded photos and other media. Default ``<var_dir>/media``. Env: ``ENVMON_MEDIA_DIR``. With
    ``media_store = "s3"`` it holds only uploads waiting for their transaction and local copies of objects.
media_store : str
    ``dir`` (default: media in ``media_dir``) or ``s3`` (an S3-compatible bucket, for several servers).
    Env: ``ENVMON_MEDIA_STORE``.
media_s3_bucket, media_s3_prefix, media_s3_endpoint_url, media_s3_region : str
    The bucket (required with ``s3``), a key prefix (default none), the endpoint of an S3-compatible server
    other than AWS (e.g. ``http://minio.internal:9000``; default AWS) and the region. Credentials are never
    settings: boto3 reads ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE`` or an instance role.
    Env: ``ENVMON_MEDIA_S3_BUCKET`` etc.
media_max_photo_mb, media_max_video_mb, media_max_audio_mb : float
    Largest accepted photo, video and audio upload (data/media). Defaults 25, 100, 20 MB. Env:
    ``ENVMON_MEDIA_MAX_PHOTO_MB`` etc.
media_fetch_timeout_s : float
    Longest time fetching one media URL of an import or a chat message may take. Default 30 s.
media_fetch_private : bool
    Whether media URLs may point at loopback or private-network addresses (tests, an intranet file server).
    Default false: such URLs are refused (no requests into the server's own network from an uploaded file).
timezone : str
    Local time zone for day windows, SLA clocks, emerging-hotspot weeks, exports and display. Default
    ``Asia/Ho_Chi_Minh``. Env: ``ENVMON_TIMEZONE``. Code that needs it receives it from this object (or a
    ``timezone`` argument filled from it); :data:`DEFAULT_TIMEZONE` is only the default of such arguments.
    Time zones that are part of a source's format (TT10 file names, a profile's naive times) are not this.
boundary_set : str
    Boundary set used by joins and alerts when none is named. Default ``hanoi-2025``.
tile_url : str | None
    XYZ tile URL template for the map base layer (e.g. a tile server inside the government network).
    Default none: ward polygons form the base map. Env: ``ENVMON_TILE_URL``.
tile_attribution : str
    Attribution shown for ``tile_url``.
public_site_url : str
    Where the published static site is served (``https://…``, no trailing slash); Open311 ``media_url`` of a
    public "after" photo points at its copy there (``results/photos/<sha256>.jpg``). Default: none (no media_url).
openaq_api_key : str | None
    OpenAQ v3 API key. Env: ``ENVMON_OPENAQ_API_KEY`` (or ``OPENAQ_API_KEY``).
dedup_radius_m, dedup_window_hours : float
    Reports of the same category within this radius and time window become one case. Defaults 50 m, 72 h.
thresholds_file, alert_rules_file, feeds_file, sla_file, routing_file, unit_notify_file : Path | None
    Override the shipped defaults in ``data/config/``.
admin_user, admin_password : str | None
    When both are set, ``envmon init`` creates this operator. Env: ``ENVMON_ADMIN_USER``,
    ``ENVMON_ADMIN_PASSWORD``. No default password ships.
session_idle_minutes, session_max_hours : int
    A dashboard session ends after this long without interaction, and at the latest this long after login.
    Defaults 30 min, 12 h. Env: ``ENVMON_SESSION_IDLE_MINUTES``, ``ENVMON_SESSION_MAX_HOURS``.
webhook_urls : list[str]
    Alert notification receivers (JSON POST). Env: ``ENVMON_WEBHOOK_URLS`` as a JSON list.
language : str
    Default UI language, ``vi`` or ``en``.
api_workers : int
    uvicorn worker processes of ``envmon api`` (``--workers`` overrides). Default 2. Env: ``ENVMON_API_WORKERS``.
api_key_per_minute, api_address_per_minute, api_burst : int
    HTTP API rate limits: requests a minute per API key, per address of anonymous clients, and the burst either
    may spend at once; over them a client gets 429 with ``Retry-After``. Defaults 600, 300, 60. Each uvicorn
    worker counts on its own. Env: ``ENVMON_API_KEY_PER_MINUTE``, ``ENVMON_API_ADDRESS_PER_MINUTE``,
    ``ENVMON_API_BURST``.
api_max_body_kib : int
    Largest request body the API reads (413 beyond). Default 64 KiB. Env: ``ENVMON_API_MAX_BODY_KIB``.
api_intake_worker : bool
    Whether ``envmon api`` imports the Open311 requests it accepted (the intake worker). Default true; set it
    false on API machines when one other process imports the queue. Env: ``ENVMON_API_INTAKE_WORKER``.
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PACKAGE_CONFIG_DIR = Path(__file__).resolve().parent / "config"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_BOUNDARY_SET = "hanoi-2025"
PartitionInterval = Literal["month", "week", "day"]
"""The time span of one PostgreSQL partition of ``readings`` or ``averages`` (:mod:`data.partitions`)."""


class Settings(BaseSettings):
    """Resolved settings; see the module docstring for every key."""

    model_config = SettingsConfigDict(env_prefix="ENVMON_", frozen=True, extra="ignore")

    database_url: str = Field(
        default="", validation_alias=AliasChoices("DATABASE_URL", "ENVMON_DATABASE_URL", "database_url")
    )
    database_read_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_READ_URL", "ENVMON_DATABASE_READ_URL", "database_read_url"),
    )
    read_max_lag_seconds: float = Field(default=30.0, ge=0)
    read_lag_check_seconds: float = Field(default=5.0, gt=0)
    poller_lease_seconds: float = Field(default=60.0, ge=1.0)
    partitions_ahead_months: int = Field(default=3, ge=1, le=36)
    partition_readings_interval: PartitionInterval = "month"
    partition_averages_interval: PartitionInterval = "month"
    retention_readings_months: int = Field(default=0, ge=0)
    retention_averages_months: int = Field(default=0, ge=0)
    var_dir: Path = Path("var")
    media_dir: Path = Field(default_factory=lambda data: data["var_dir"] / "media")
    media_store: Literal["dir", "s3"] = "dir"
    media_s3_bucket: str = ""
    media_s3_prefix: str = ""
    media_s3_endpoint_url: str = ""
    media_s3_region: str = ""
    media_max_photo_mb: float = Field(default=25.0, gt=0)
    media_max_video_mb: float = Field(default=100.0, gt=0)
    media_max_audio_mb: float = Field(default=20.0, gt=0)
    media_fetch_timeout_s: float = Field(default=30.0, gt=0)
    media_fetch_private: bool = False
    timezone: str = DEFAULT_TIMEZONE
    boundary_set: str = DEFAULT_BOUNDARY_SET
    tile_url: str | None = None
    tile_attribution: str = ""
    public_site_url: str = ""
    openaq_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ENVMON_OPENAQ_API_KEY", "OPENAQ_API_KEY", "openaq_api_key"),
    )
    dedup_radius_m: float = 50.0
    dedup_window_hours: float = 72.0
    thresholds_file: Path | None = None
    alert_rules_file: Path | None = None
    feeds_file: Path | None = None
    sla_file: Path | None = None
    routing_file: Path | None = None
    unit_notify_file: Path | None = None
    admin_user: str | None = None
    admin_password: str | None = None
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    webhook_urls: list[str] = []
    language: Literal["vi", "en"] = "vi"
    api_workers: int = Field(default=2, ge=1, le=64)
    api_key_per_minute: int = Field(default=600, ge=1)
    api_address_per_minute: int = Field(default=300, ge=1)
    api_burst: int = Field(default=60, ge=1)
    api_max_body_kib: int = Field(default=64, ge=1)
    api_intake_worker: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            msg = f"unknown time zone {value!r} (use an IANA name such as Asia/Ho_Chi_Minh)"
            raise ValueError(msg) from err
        return value

    @model_validator(mode="after")
    def _bucket_when_s3(self) -> Settings:
        if self.media_store == "s3" and not self.media_s3_bucket.strip():
            msg = "media_store = 's3' needs media_s3_bucket (ENVMON_MEDIA_S3_BUCKET)"
            raise ValueError(msg)
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        """The local time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'envmon.db').as_posix()}"

    @cached_property
    def resolved_read_url(self) -> str:
        """The URL reads go to: ``database_read_url`` if set, else the primary's."""
        return self.database_read_url or self.resolved_database_url

    def config_path(self, name: Literal["thresholds", "alert_rules", "feeds", "sla", "routing", "unit_notify"]) -> Path:
        """Path of a named config file: the override if set, else the shipped default."""
        override: Path | None = getattr(self, f"{name}_file")
        if override is not None:
            return override
        suffix = ".csv" if name == "routing" else ".toml"
        return PACKAGE_CONFIG_DIR / f"{name}{suffix}"


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads top-level keys from ``$ENVMON_CONFIG`` or ``./envmon.toml`` when that file exists."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("ENVMON_CONFIG", "envmon.toml"))
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            return tomllib.load(handle)


class ConfigurationError(ValueError):
    """A setting that cannot be used, said in one line naming it (never its value: it may be a secret)."""


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings from arguments, environment, config file and defaults; :class:`ConfigurationError` names
    every setting that cannot be used."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigurationError(_configuration_message(err)) from None


def _configuration_message(err: ValidationError) -> str:
    """``setting partition_readings_interval (ENVMON_PARTITION_READINGS_INTERVAL): Input should be …`` for each
    setting refused (a default made from a refused one, which is refused in turn, is left out)."""
    problems = []
    for problem in err.errors(include_url=False, include_input=False):
        if problem["type"] == "default_factory_not_called":
            continue
        if not problem["loc"]:  # a check across settings
            problems.append(problem["msg"])
            continue
        name = str(problem["loc"][0])
        problems.append(f"setting {name} (ENVMON_{name.upper()}): {problem['msg']}")
    return "; ".join(problems)
