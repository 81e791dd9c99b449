"""Labelled synthetic demo complaints: a year of Vietnamese-language reports, planted recurring spots, statuses.

Everything here is SYNTHETIC (source ``demo-synthetic``; ids ``DEMO-…``; reporter names and phone numbers are
invented). Reports are placed at random points inside ward polygons in proportion to ward population (a share repeats
an earlier report nearby within hours, as when several residents report one incident), go
through the real import pipeline (ward join, dedup, routing, SLA deadlines), and then get a handling history
with realistic delays; a share stays open past its deadline so overdue views have something to show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, bindparam, insert, select, update

from data.config import REFERENCE_DIR, load_settings
from data.importers.pipeline import ImportContext, import_table
from data.importers.profiles import VN_CHANNEL
from data.importers.readers import RawTable
from data.schema import CaseStatusChange, ComplaintCase, ComplaintReport, ResponsibleUnit
from data.sla import SlaPolicy, WorkingCalendar
from data.workflow import CLOSED_STATUSES

DEMO_SOURCE = "demo-synthetic"
LOCAL_TZ = VN_CHANNEL.timezone  # the synthetic table is read as a vn-channel export, in that profile's zone
STUCK_SHARE = 0.02  # recent cases a unit leaves unfinished (they run overdue)
STUCK_WITHIN = pd.Timedelta(days=21)  # older cases were all closed: no case is older than three weeks and open
ECHO_SHARE = 0.08  # share of reports that repeat an earlier one (another resident, often another channel)
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
    """Times over ``start``..``end``, mostly during waking hours in Hà Nội."""
    days = rng.integers(0, max((end - start).days, 1), count)
    hour_weights = np.array([1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 6, 5, 4, 5, 6, 6, 6, 6, 7, 7, 6, 5, 3, 2], float)
    hours = rng.choice(24, count, p=hour_weights / hour_weights.sum())
    minutes = rng.integers(0, 60, count)
    local_start = start.tz_convert(LOCAL_TZ).normalize()
    times = local_start + pd.to_timedelta(days, "D") + pd.to_timedelta(hours, "h") + pd.to_timedelta(minutes, "m")
    return pd.Series(times).clip(upper=end.tz_convert(LOCAL_TZ) - pd.Timedelta(minutes=1))


def _synthetic_frame(wards: pd.DataFrame, n_reports: int, now: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    planted = sum(spot.reports for spot in PLANTED_SPOTS)
    total = max(n_reports - planted, 0)
    echoes = int(total * ECHO_SHARE)
    count = total - echoes
    population = wards["population"].astype(float).fillna(wards["population"].astype(float).median())
    ward_rows = rng.choice(len(wards), count, p=(population / population.sum()).to_numpy())
    lats, lons = np.empty(count), np.empty(count)
    for row in np.unique(ward_rows):
        members = np.flatnonzero(ward_rows == row)
        lons[members], lats[members] = _random_points(wards["geometry"].iloc[row], len(members), rng)
    labels = list(CATEGORY_SHARES)
    categories = rng.choice(labels, count, p=np.array(list(CATEGORY_SHARES.values())))
    times = _report_times(count, now - pd.Timedelta(days=365), now, rng)
    ward_names = wards["name"].to_numpy()[ward_rows]
    ward_codes = wards["code"].astype(str).to_numpy()[ward_rows]
    frame = pd.DataFrame(
        {"lat": lats, "lon": lons, "label": categories, "at": times, "ward": ward_names, "ward_code": ward_codes}
    )
    echo = frame.iloc[rng.choice(count, echoes, replace=False)].copy() if count else frame.iloc[:0].copy()
    echo["at"] = (echo["at"] + pd.to_timedelta(rng.uniform(0.2, 30, len(echo)), "h")).clip(
        upper=now.tz_convert(LOCAL_TZ) - pd.Timedelta(minutes=1)
    )
    echo["lat"] += rng.uniform(-15, 15, len(echo)) / 110_574
    echo["lon"] += rng.uniform(-15, 15, len(echo)) / 103_900
    spots = []
    for spot in PLANTED_SPOTS:
        offsets = rng.uniform(0, spot.radius_m / np.sqrt(2), (spot.reports, 2)) * rng.choice([-1, 1], (spot.reports, 2))
        step = pd.Timedelta(days=spot.days / spot.reports)
        first = now - pd.Timedelta(days=spot.days + 2)
        spots.append(
            pd.DataFrame(
                {
                    "lat": spot.lat + offsets[:, 0] / 110_574,
                    "lon": spot.lon + offsets[:, 1] / (111_320 * np.cos(np.radians(spot.lat))),
                    "label": spot.category_label,
                    "at": [(first + step * i).tz_convert(LOCAL_TZ) for i in range(spot.reports)],
                    "ward": spot.name,
                    "ward_code": spot.ward_code,
                }
            )
        )
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


def _vn_channel_table(frame: pd.DataFrame, rng: np.random.Generator) -> RawTable:
    """The synthetic reports as a vn-channel export, so they take the same path as a real file."""
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
            "Mã phản ánh": [f"DEMO-{index + 1:06d}" for index in range(count)],
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


def _simulate_handling(
    engine: Engine, batch: str, now: pd.Timestamp, rng: np.random.Generator, policy: SlaPolicy
) -> None:
    """Give the batch's new cases a handling history, in working hours of the SLA calendar: accepted (a few
    working hours), worked on, closed (most within the resolve deadline); a few recent cases are stuck and run
    overdue, so that open cases are days to weeks old and a minority of them is overdue."""
    case, report, unit = ComplaintCase.__table__, ComplaintReport.__table__, ResponsibleUnit.__table__
    query = (
        select(case.c.id, case.c.opened_at, case.c.unit_id, unit.c.name, case.c.priority)
        .select_from(case.outerjoin(unit, case.c.unit_id == unit.c.id))
        .where(case.c.id.in_(select(report.c.case_id).where(report.c.batch_id == batch)), case.c.status == "received")
        .order_by(case.c.id)
    )
    with engine.connect() as conn:
        cases = pd.DataFrame(conn.execute(query).all(), columns=["id", "opened_at", "unit_id", "unit_name", "priority"])
    if cases.empty:
        return
    count = len(cases)
    opened = pd.to_datetime(cases["opened_at"], utc=True)
    terms = {name: policy.terms(name) for name in cases["priority"].unique()}
    accept_term = cases["priority"].map({n: min(t.accept_hours, t.resolve_hours) for n, t in terms.items()})
    resolve_term = cases["priority"].map({n: t.resolve_hours for n, t in terms.items()}).to_numpy(dtype=float)
    # fractions of the priority's deadlines, in working hours: about one case in twenty closes late
    accept_hours = accept_term.to_numpy(dtype=float) * rng.lognormal(np.log(0.25), 0.6, count)
    start_hours = accept_hours + resolve_term * rng.lognormal(np.log(0.1), 0.5, count)
    close_hours = start_hours + resolve_term * rng.lognormal(np.log(0.35), 0.45, count)
    calendar = WorkingCalendar.covering(policy, opened, float(close_hours.max()))
    accepted = pd.Series(calendar.add_hours(opened, accept_hours).floor("s"))
    started = pd.Series(calendar.add_hours(opened, start_hours).floor("s"))
    closed = pd.Series(calendar.add_hours(opened, close_hours).floor("s"))
    stuck = (rng.random(count) < STUCK_SHARE) & (opened > now - STUCK_WITHIN).to_numpy()
    outcome = rng.choice(["resolved", "rejected", "transferred"], count, p=[0.88, 0.06, 0.06])
    notes = {
        "resolved": "Đã xử lý xong, đã báo người phản ánh",
        "rejected": "Không thuộc thẩm quyền, đã trả lời",
        "transferred": "Chuyển đơn vị có thẩm quyền",
    }
    history, updates = [], []
    for index, row in enumerate(cases.itertuples(index=False)):
        steps = [("received", "assigned", accepted.iat[index], "Bộ phận tiếp nhận (Sở NN&MT)", "Giao đơn vị xử lý")]
        steps.append(("assigned", "in_progress", started.iat[index], row.unit_name or "Đơn vị xử lý", "Đang xác minh"))
        if not stuck[index]:
            steps.append(
                (
                    "in_progress",
                    outcome[index],
                    closed.iat[index],
                    row.unit_name or "Đơn vị xử lý",
                    notes[outcome[index]],
                )
            )
        reached = [step for step in steps if step[2] <= now]
        if not reached:
            continue
        for from_status, to_status, at, actor, note in reached:
            history.append(
                {
                    "case_id": int(row.id),
                    "from_status": from_status,
                    "to_status": to_status,
                    "at": at.to_pydatetime(),
                    "actor": actor,
                    "note": note,
                    "unit_id": None if pd.isna(row.unit_id) else int(row.unit_id),
                }
            )
        final = reached[-1][1]
        updates.append(
            {
                "b_id": int(row.id),
                "b_status": final,
                "b_accepted": accepted.iat[index].to_pydatetime(),
                "b_resolved": reached[-1][2].to_pydatetime() if final in CLOSED_STATUSES else None,
            }
        )
    with engine.begin() as conn:
        if history:
            conn.execute(insert(CaseStatusChange), history)
        if updates:
            conn.execute(
                update(case)
                .where(case.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    accepted_at=bindparam("b_accepted"),
                    resolved_at=bindparam("b_resolved"),
                ),
                updates,
            )


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
    table = _vn_channel_table(frame, rng)
    summary = import_table(
        engine, table, context, filename=f"synthetic seed={seed}", profile="vn-channel", source=DEMO_SOURCE, now=now
    )
    _simulate_handling(engine, summary.batch, moment, rng, context.policy)
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
