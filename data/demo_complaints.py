"""Labelled synthetic demo complaints: a year of Vietnamese-language reports, planted recurring spots, statuses.

Everything here is SYNTHETIC (source ``demo-synthetic``; ids ``DEMO-…``; reporter names and phone numbers are
invented). Reports are placed at random points inside ward polygons in proportion to ward population (a share repeats
an earlier report nearby within hours, as when several residents report one incident), go
through the real import pipeline (ward join, dedup, routing, SLA deadlines), and then get a handling history
from :mod:`data.demo_handling` (most closed within their deadline, about one open case in six overdue at any hour).
The same report generator brings new reports while the demo runs (:mod:`data.demo_city`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from data.config import REFERENCE_DIR, load_settings
from data.demo_handling import DEMO_SOURCE, AfterPhotos, advance_open_cases, last_demo_activity
from data.importers.pipeline import ImportContext, import_table
from data.importers.profiles import VN_CHANNEL
from data.importers.readers import RawTable

LOCAL_TZ = VN_CHANNEL.timezone  # the synthetic table is read as a vn-channel export, in that profile's zone
ECHO_SHARE = 0.08  # share of reports that repeat an earlier one (another resident, often another channel)
#: reports per hour of the day (relative), and a weekend day's reports relative to a weekday's
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 6, 5, 4, 5, 6, 6, 6, 6, 7, 7, 6, 5, 3, 2], float)
WEEKEND_RATE = 0.7
CHANNELS = {"Zalo OA": 0.35, "iHanoi": 0.25, "Facebook": 0.2, "Hotline": 0.2}
CATEGORY_SHARES = {
    "Rác thải": 0.30,
    "Đốt rác": 0.14,
    "Mùi hôi": 0.10,
    "Nước thải": 0.08,
    "Tiếng ồn": 0.15,
    "Trật tự xây dựng": 0.12,
    "Ngập úng": 0.05,
    "An toàn thực phẩm": 0.04,
    "Khác": 0.02,
}
TEMPLATES = {
    "Rác thải": [
        "Rác thải tập kết bừa bãi ở đầu {place}, lâu ngày không được thu gom.",
        "Điểm tập kết rác ở {place} bốc mùi, tràn ra lòng đường.",
    ],
    "Đốt rác": [
        "Có người đốt rác ngoài trời gần {place}, khói bay vào nhà dân.",
        "Khói bụi từ việc đốt rơm rạ, rác thải gây khó thở cho người dân.",
    ],
    "Mùi hôi": [
        "Mùi hôi thối nồng nặc từ cống thoát nước ở {place}.",
        "Mùi hôi từ cơ sở chăn nuôi gần khu dân cư {place}.",
    ],
    "Nước thải": [
        "Nước thải chảy tràn ra đường tại {place}.",
        "Cơ sở sản xuất xả nước thải chưa qua xử lý ra mương.",
    ],
    "Tiếng ồn": ["Karaoke gây ồn ào sau 22 giờ tại {place}.", "Công trình thi công ban đêm gây tiếng ồn lớn."],
    "Trật tự xây dựng": [
        "Công trình xây dựng lấn chiếm vỉa hè {place}.",
        "Vật liệu xây dựng đổ trên lòng đường {place}, không che chắn.",
    ],
    "Ngập úng": [
        "Đường ở {place} ngập sâu sau mưa, nước không thoát được.",
        "Khu vực {place} ngập úng kéo dài, rác trôi nổi.",
    ],
    "An toàn thực phẩm": [
        "Quán ăn ở {place} chế biến thực phẩm mất vệ sinh.",
        "Cơ sở bán thực phẩm không rõ nguồn gốc tại {place}.",
    ],
    "Khác": ["Cây xanh đổ chắn ngang {place}.", "Biển báo ở {place} bị hỏng."],
}
STREETS_FILE = REFERENCE_DIR / "demo_streets_by_ward.csv"  # curated real street names of central wards (labelled)
GENERIC_PLACES = ("tổ dân phố {t}", "ngõ {n}", "khu tập thể", "khu chợ dân sinh")  # wards without a street list
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Tú"]


@dataclass(frozen=True)
class PlantedSpot:
    """A recurring problem spot: ``reports`` reports of one category within ``radius_m`` over ``days`` days."""

    name: str
    lat: float
    lon: float
    category_code: str
    category_label: str
    ward_code: str
    reports: int = 8
    radius_m: float = 40.0
    days: int = 28


PLANTED_SPOTS: tuple[PlantedSpot, ...] = (
    PlantedSpot("Bãi rác tự phát ven sông Tô Lịch", 20.9830, 105.8365, "waste", "Rác thải", "00316"),
    PlantedSpot("Quán karaoke ồn ào", 21.0155, 105.8290, "noise", "Tiếng ồn", "00235"),
    PlantedSpot("Cống xả nước thải", 21.0470, 105.8005, "wastewater", "Nước thải", "00160"),
    PlantedSpot("Đốt rác, rơm rạ ngoài đồng", 21.2520, 105.8420, "burning_smoke", "Đốt rác", "00376"),
)


def _random_points(geometry: object, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` uniform points inside a polygon (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = shapely.bounds(geometry)
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < count:
        cx = rng.uniform(minx, maxx, count * 3)
        cy = rng.uniform(miny, maxy, count * 3)
        inside = shapely.contains_xy(geometry, cx, cy)
        xs, ys = np.concatenate([xs, cx[inside]]), np.concatenate([ys, cy[inside]])
    return xs[:count], ys[:count]


def _report_times(count: int, start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator) -> pd.Series:
    """Times over ``start``..``end``, mostly during waking hours in Hà Nội, fewer at weekends."""
    local_start = start.tz_convert(LOCAL_TZ).normalize()
    dates = pd.date_range(local_start, end.tz_convert(LOCAL_TZ).normalize(), freq="D")
    weights = np.where(dates.day_of_week >= 5, WEEKEND_RATE, 1.0)
    days = rng.choice(len(dates), count, p=weights / weights.sum())
    hours = rng.choice(24, count, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minutes = rng.integers(0, 60, count)
    times = local_start + pd.to_timedelta(days, "D") + pd.to_timedelta(hours, "h") + pd.to_timedelta(minutes, "m")
    return _before(pd.Series(times), end)


def _before(times: pd.Series, end: pd.Timestamp) -> pd.Series:
    """Times after ``end`` moved back by whole weeks (same weekday and hour), so none lies in the future."""
    weeks = np.ceil((times - end.tz_convert(LOCAL_TZ)) / pd.Timedelta(weeks=1)).clip(lower=0)
    return times - pd.to_timedelta(weeks * 7, "D")


def placed_reports(wards: pd.DataFrame, times: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Reports at ``times`` (local): in wards drawn by population, at random points inside them, of random categories.

    Columns ``lat, lon, label, at, ward, ward_code``.
    """
    count = len(times)
    population = wards["population"].astype(float).fillna(wards["population"].astype(float).median())
    ward_rows = rng.choice(len(wards), count, p=(population / population.sum()).to_numpy())
    lats, lons = np.empty(count), np.empty(count)
    for row in np.unique(ward_rows):
        members = np.flatnonzero(ward_rows == row)
        lons[members], lats[members] = _random_points(wards["geometry"].iloc[row], len(members), rng)
    labels = list(CATEGORY_SHARES)
    categories = rng.choice(labels, count, p=np.array(list(CATEGORY_SHARES.values())))
    return pd.DataFrame(
        {
            "lat": lats,
            "lon": lons,
            "label": categories,
            "at": times.to_numpy(),
            "ward": wards["name"].to_numpy()[ward_rows],
            "ward_code": wards["code"].astype(str).to_numpy()[ward_rows],
        }
    )


def spot_report(spot: PlantedSpot, at: pd.Timestamp, rng: np.random.Generator, count: int = 1) -> pd.DataFrame:
    """``count`` reports of a planted spot's problem at ``at`` (local), within its radius."""
    offsets = rng.uniform(0, spot.radius_m / np.sqrt(2), (count, 2)) * rng.choice([-1, 1], (count, 2))
    return pd.DataFrame(
        {
            "lat": spot.lat + offsets[:, 0] / 110_574,
            "lon": spot.lon + offsets[:, 1] / (111_320 * np.cos(np.radians(spot.lat))),
            "label": spot.category_label,
            "at": at,
            "ward": spot.name,
            "ward_code": spot.ward_code,
        }
    )


def _synthetic_frame(wards: pd.DataFrame, n_reports: int, now: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    planted = sum(spot.reports for spot in PLANTED_SPOTS)
    total = max(n_reports - planted, 0)
    echoes = int(total * ECHO_SHARE)
    count = total - echoes
    frame = placed_reports(wards, _report_times(count, now - pd.Timedelta(days=365), now, rng), rng)
    echo = frame.iloc[rng.choice(count, echoes, replace=False)].copy() if count else frame.iloc[:0].copy()
    echo["at"] = _before(echo["at"] + pd.to_timedelta(rng.uniform(0.2, 30, len(echo)), "h"), now)
    echo["lat"] += rng.uniform(-15, 15, len(echo)) / 110_574
    echo["lon"] += rng.uniform(-15, 15, len(echo)) / 103_900
    spots = []
    for spot in PLANTED_SPOTS:
        step = pd.Timedelta(days=spot.days / spot.reports)
        first = now - pd.Timedelta(days=spot.days + 2)
        times = [(first + step * i).tz_convert(LOCAL_TZ) for i in range(spot.reports)]
        spots += [spot_report(spot, moment, rng) for moment in times]
    return pd.concat([frame, echo, *spots], ignore_index=True)


def ward_streets() -> dict[str, list[str]]:
    """Ward code → real street names of the ward (the curated demo table; central wards only)."""
    table = pd.read_csv(STREETS_FILE, dtype=str)
    return {code: streets.split(";") for code, streets in zip(table["ward_code"], table["streets"], strict=True)}


def _places(ward_codes: pd.Series, rng: np.random.Generator) -> list[str]:
    """Where each report is: a street of its ward (``ngõ 12 phố Hàng Bạc``), or a generic place word."""
    streets = ward_streets()
    count = len(ward_codes)
    lanes, picks, halves = rng.integers(1, 200, count), rng.random(count), rng.random(count)
    places = []
    for code, lane, pick, half in zip(ward_codes, lanes, picks, halves, strict=True):
        names = streets.get(code) if isinstance(code, str) else None
        if names:
            street = names[int(pick * len(names))]
            places.append(f"ngõ {lane} phố {street}" if half < 0.5 else f"phố {street}")
        else:
            places.append(GENERIC_PLACES[int(pick * len(GENERIC_PLACES))].format(n=lane, t=lane % 40 + 1))
    return places


def vn_channel_table(frame: pd.DataFrame, rng: np.random.Generator, ids: list[str] | None = None) -> RawTable:
    """The synthetic reports as a vn-channel export, so they take the same path as a real file.

    ``ids`` are the reports' ids (default ``DEMO-000001``, … in order).
    """
    count = len(frame)
    places = _places(frame["ward_code"], rng)
    texts = [
        TEMPLATES[label][int(choice)].format(place=place)
        for label, choice, place in zip(frame["label"], rng.integers(0, 2, count), places, strict=True)
    ]
    names = [
        f"{a} {b} {c}"
        for a, b, c in zip(rng.choice(FAMILY, count), rng.choice(MIDDLE, count), rng.choice(GIVEN, count), strict=True)
    ]
    table = pd.DataFrame(
        {
            "Mã phản ánh": ids if ids is not None else [f"DEMO-{index + 1:06d}" for index in range(count)],
            "Thời gian": [moment.isoformat() for moment in frame["at"]],
            "Nội dung": texts,
            "Địa chỉ": [f"{place[0].upper()}{place[1:]}, Hà Nội" for place in places],
            "Vĩ độ": frame["lat"].round(6).astype(str),
            "Kinh độ": frame["lon"].round(6).astype(str),
            "Kênh": rng.choice(list(CHANNELS), count, p=np.array(list(CHANNELS.values()))),
            "Loại phản ánh": frame["label"],
            "Họ tên": names,
            "Số điện thoại": [f"09{number:08d}" for number in rng.integers(0, 10**8, count)],
        }
    ).astype(object)
    return RawTable(table, list(range(2, count + 2)), "synthetic")


def build_demo_complaints(
    engine: Engine,
    *,
    seed: int = 2025,
    now: dt.datetime,
    n_reports: int = 6000,
    context: ImportContext | None = None,
) -> dict[str, object]:
    """Fill the database with a labelled synthetic year of complaints ending at ``now`` (idempotent per seed).

    Needs the boundary set and the routing table loaded (``envmon init``). Returns the import summary plus the
    number of planted recurring spots and of open and overdue cases at ``now``.
    """
    if now.tzinfo is None:
        msg = "build_demo_complaints needs a timezone-aware `now`"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    context = context or ImportContext.from_settings(engine, load_settings())
    moment = pd.Timestamp(now).tz_convert("UTC")
    frame = _synthetic_frame(context.wards, n_reports, moment, rng)
    table = vn_channel_table(frame, rng)
    before = last_demo_activity(engine)
    summary = import_table(
        engine, table, context, filename=f"synthetic seed={seed}", profile="vn-channel", source=DEMO_SOURCE, now=now
    )
    advance_open_cases(engine, moment, context.policy, seed=seed, since=before or moment - pd.Timedelta(days=366),
                       after=AfterPhotos.of(context))  # fmt: skip
    from data.case_filter import CaseFilter
    from data.queries import overdue_by_unit

    per_unit = overdue_by_unit(engine, CaseFilter(), now)
    return {
        **summary.as_dict(),
        "source": DEMO_SOURCE,
        "synthetic": True,
        "planted_spots": len(PLANTED_SPOTS),
        "open_cases": int(per_unit["open_cases"].sum()),
        "overdue_cases": int(per_unit["overdue"].sum()),
    }
