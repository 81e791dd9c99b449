"""Column-mapping profiles (vn-channel, open311, nyc311): which source header feeds which canonical field.

Headers are compared folded (lower case, no diacritics, no BOM), so "Thời gian", "THOI GIAN" and
"\ufeffThời gian" all match. A profile also carries the time zone of naive times and its date formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from geo.address import fold

CANONICAL_FIELDS = (
    "external_id",
    "reported_at",
    "description",
    "address",
    "lat",
    "lon",
    "channel",
    "category",
    "reporter_name",
    "reporter_phone",
    "source_status",
    "closed_at",
    "media",
)
GEOMETRY_LAT, GEOMETRY_LON = "geometry_lat", "geometry_lon"
VN_DATE_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %Hh%M", "%d-%m-%Y %H:%M", "%d/%m/%Y")


@dataclass(frozen=True)
class Profile:
    """How one kind of export maps to the canonical complaint fields.

    Parameters
    ----------
    name
        Profile name used on the command line.
    columns
        Canonical field -> candidate source headers; the first present header wins.
    detect
        Folded headers that must all be present for auto-detection.
    timezone
        Zone of naive times in this source.
    date_formats
        Non-ISO formats tried in order.
    default_source, default_channel
        Used when the command line gives no ``--source`` / the file has no channel column.
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    detect: tuple[str, ...]
    timezone: str
    date_formats: tuple[str, ...]
    default_source: str
    default_channel: str

    def header_for(self, field: str, headers: list[str]) -> str | None:
        """The source header that feeds ``field``, or None."""
        folded = {fold(header): header for header in headers}
        for candidate in self.columns.get(field, ()):
            if fold(candidate) in folded:
                return folded[fold(candidate)]
        return None


VN_CHANNEL = Profile(
    name="vn-channel",
    columns={
        "external_id": ("Mã phản ánh", "Mã PA", "Mã hồ sơ", "Mã", "ID"),
        "reported_at": ("Thời gian", "Thời gian phản ánh", "Ngày phản ánh", "Ngày giờ"),
        "description": ("Nội dung", "Nội dung phản ánh"),
        "address": ("Địa chỉ", "Địa điểm"),
        "lat": ("Vĩ độ", GEOMETRY_LAT),
        "lon": ("Kinh độ", GEOMETRY_LON),
        "channel": ("Kênh", "Kênh tiếp nhận", "Nguồn"),
        "category": ("Loại phản ánh", "Lĩnh vực", "Phân loại"),
        "reporter_name": ("Họ tên", "Người phản ánh", "Họ và tên"),
        "reporter_phone": ("Số điện thoại", "SĐT", "Điện thoại"),
        "source_status": ("Trạng thái", "Tình trạng"),
        "closed_at": ("Thời gian hoàn thành", "Ngày hoàn thành", "Thời gian xử lý xong"),
        "media": ("Hình ảnh", "Ảnh", "Ảnh/Video", "Tệp đính kèm", "Đính kèm", "Media"),
    },
    detect=("thoi gian", "noi dung"),
    timezone="Asia/Ho_Chi_Minh",
    date_formats=VN_DATE_FORMATS,
    default_source="vn-channel",
    default_channel="",
)

OPEN311 = Profile(
    name="open311",
    columns={
        "external_id": ("service_request_id",),
        "reported_at": ("requested_datetime",),
        "description": ("description",),
        "address": ("address",),
        "lat": ("lat", GEOMETRY_LAT),
        "lon": ("long", GEOMETRY_LON),
        "channel": ("extended_attributes.channel", "channel"),
        "category": ("service_name", "service_code"),
        "reporter_name": (),
        "reporter_phone": (),
        "source_status": ("status",),
        "closed_at": ("updated_datetime",),
        # chat reports (data.intake_messages) and posted requests (data.open311_server); a pulled endpoint's
        # media_url is not fetched
        "media": ("media",),
    },
    detect=("service_request_id", "requested_datetime"),
    timezone="Asia/Ho_Chi_Minh",
    date_formats=(),
    default_source="open311",
    default_channel="Open311",
)

NYC311 = Profile(
    name="nyc311",
    columns={
        "external_id": ("Unique Key",),
        "reported_at": ("Created Date",),
        "description": ("Descriptor",),
        "address": ("Incident Address",),
        "lat": ("Latitude", GEOMETRY_LAT),
        "lon": ("Longitude", GEOMETRY_LON),
        "channel": ("Open Data Channel Type",),
        "category": ("Complaint Type",),
        "reporter_name": (),
        "reporter_phone": (),
        "source_status": ("Status",),
        "closed_at": ("Closed Date",),
    },
    detect=("unique key", "created date", "complaint type"),
    timezone="America/New_York",
    date_formats=("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M"),
    default_source="nyc311",
    default_channel="311",
)

PROFILES: dict[str, Profile] = {profile.name: profile for profile in (VN_CHANNEL, OPEN311, NYC311)}


PERSONAL_FIELDS: Final = ("reporter_name", "reporter_phone")


def is_personal_header(header: str) -> bool:
    """True when a source header feeds the reporter's name or phone in any profile (accents and case ignored)."""
    return fold(header) in _PERSONAL_HEADERS


_PERSONAL_HEADERS = frozenset(
    fold(candidate)
    for profile in PROFILES.values()
    for field in PERSONAL_FIELDS
    for candidate in profile.columns.get(field, ())
)


def detect_profile(headers: list[str]) -> Profile:
    """The profile whose required headers are all present; a clear error names the headers otherwise."""
    folded = {fold(header) for header in headers}
    for profile in PROFILES.values():
        if all(fold(required) in folded for required in profile.detect):
            return profile
    shown = ", ".join(headers[:12])
    msg = f"cannot detect the import profile from the headers ({shown}); pass --profile {'|'.join(PROFILES)}"
    raise ValueError(msg)


def get_profile(name: str) -> Profile:
    """The profile called ``name``."""
    try:
        return PROFILES[name]
    except KeyError:
        msg = f"unknown profile {name!r} (known: {', '.join(PROFILES)})"
        raise ValueError(msg) from None


def to_canonical(frame: pd.DataFrame, profile: Profile) -> tuple[pd.DataFrame, dict[str, str]]:
    """Canonical-column frame (text or None) and the source header used for each field (for messages)."""
    headers = [str(column) for column in frame.columns]
    used: dict[str, str] = {}
    canonical = pd.DataFrame(index=frame.index)
    for field in CANONICAL_FIELDS:
        header = profile.header_for(field, headers)
        if header is None:
            canonical[field] = pd.Series(None, index=frame.index, dtype=object)
            used[field] = profile.columns[field][0] if profile.columns.get(field) else field
            continue
        canonical[field] = frame[header]
        used[field] = header
    if profile.header_for("reported_at", headers) is None:
        expected = ", ".join(profile.columns["reported_at"])
        msg = f"profile {profile.name}: no time column (expected one of {expected})"
        raise ValueError(msg)
    return canonical, used
