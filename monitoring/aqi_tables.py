"""AQI breakpoint tables, categories, colours and health messages for VN_AQI (1459/QĐ-TCMT) and US EPA AQI.

Data only: the arithmetic lives in ``monitoring.aqi``. Sources are cited in ``standards.md`` §1.3–§1.5,
§1.13 (VN) and §2.2–§2.4 (US, 2024 PM2.5 revision).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Scale = Literal["vn", "us"]

#: parameters in tie-break order for the dominant pollutant (PROJECT CONVENTION, standards §1.10)
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "o3", "no2", "so2", "co")

#: how every number is labelled so that a reader always knows the scale
SCALE_NAMES: dict[Scale, str] = {"vn": "VN_AQI", "us": "US AQI"}


@dataclass(frozen=True)
class Band:
    """One line of a breakpoint table: concentrations [c_low, c_high] map linearly onto [i_low, i_high]."""

    c_low: Fraction
    c_high: Fraction
    i_low: int
    i_high: int


@dataclass(frozen=True)
class BreakpointTable:
    """Breakpoints of one pollutant and averaging time, in the unit the scale prescribes.

    ``open_top`` marks a table whose last breakpoint is "≥" (concentrations above it are beyond the scale
    and capped at AQI 500); a table without an open top gives no sub-index above its last breakpoint.
    """

    key: str
    unit: str
    bands: tuple[Band, ...]
    open_top: bool

    @property
    def top(self) -> Fraction:
        """The highest concentration on the table."""
        return self.bands[-1].c_high


def _continuous(key: str, unit: str, concentrations: tuple[str, ...], *, open_top: bool) -> BreakpointTable:
    """A VN-style table: BP_i and I_i columns where each band's upper breakpoint is the next band's lower."""
    indices = (0, 50, 100, 150, 200, 300, 400, 500)
    points = [Fraction(c) for c in concentrations]
    bands = tuple(Band(points[i], points[i + 1], indices[i], indices[i + 1]) for i in range(len(points) - 1))
    return BreakpointTable(key, unit, bands, open_top)


def _discrete(key: str, unit: str, rows: tuple[tuple[str, str, int, int], ...]) -> BreakpointTable:
    """A US-style table: each band has its own low and high concentration (e.g. 9.0 | 9.1)."""
    bands = tuple(Band(Fraction(lo), Fraction(hi), i_lo, i_hi) for lo, hi, i_lo, i_hi in rows)
    return BreakpointTable(key, unit, bands, open_top=True)


# --- VN_AQI, Bảng 2 (µg/m³), standards §1.5 -------------------------------------------------------------

UG = "µg/m³"
VN_TABLES: dict[str, BreakpointTable] = {
    "o3_1h": _continuous("o3_1h", UG, ("0", "160", "200", "300", "400", "800", "1000", "1200"), open_top=True),
    # the 8-h column ends at 400 ↔ 300; above it the daily O3 uses the 1-h maximum only (§1.8)
    "o3_8h": _continuous("o3_8h", UG, ("0", "100", "120", "170", "210", "400"), open_top=False),
    "co": _continuous("co", UG, ("0", "10000", "30000", "45000", "60000", "90000", "120000", "150000"), open_top=True),
    "so2": _continuous("so2", UG, ("0", "125", "350", "550", "800", "1600", "2100", "2630"), open_top=True),
    "no2": _continuous("no2", UG, ("0", "100", "200", "700", "1200", "2350", "3100", "3850"), open_top=True),
    "pm10": _continuous("pm10", UG, ("0", "50", "150", "250", "350", "420", "500", "600"), open_top=True),
    "pm25": _continuous("pm25", UG, ("0", "25", "50", "80", "150", "250", "350", "500"), open_top=True),
}

# --- US EPA AQI, EPA-454/B-24-002 (2024), standards §2.3 ----------------------------------------------------

_US_INDEX = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))


def _us(key: str, unit: str, ranges: tuple[tuple[str, str], ...], first_level: int = 0) -> BreakpointTable:
    rows = tuple((lo, hi, *_US_INDEX[first_level + i]) for i, (lo, hi) in enumerate(ranges))
    return _discrete(key, unit, rows)  # type: ignore[arg-type]


US_TABLES: dict[str, BreakpointTable] = {
    "pm25": _us(
        "pm25",
        UG,
        (
            ("0.0", "9.0"),
            ("9.1", "35.4"),
            ("35.5", "55.4"),
            ("55.5", "125.4"),
            ("125.5", "225.4"),
            ("225.5", "325.4"),
        ),
    ),
    "pm10": _us(
        "pm10",
        UG,
        (("0", "54"), ("55", "154"), ("155", "254"), ("255", "354"), ("355", "424"), ("425", "604")),
    ),
    # 8-h O3 defines no AQI above 300; the 1-h table starts at AQI 101
    "o3_8h": BreakpointTable(
        "o3_8h",
        "ppm",
        _us(
            "o3_8h",
            "ppm",
            (
                ("0.000", "0.054"),
                ("0.055", "0.070"),
                ("0.071", "0.085"),
                ("0.086", "0.105"),
                ("0.106", "0.200"),
            ),
        ).bands,
        open_top=False,
    ),
    "o3_1h": _us("o3_1h", "ppm", (("0.125", "0.164"), ("0.165", "0.204"), ("0.205", "0.404"), ("0.405", "0.604")), 2),
    "co": _us(
        "co",
        "ppm",
        (
            ("0.0", "4.4"),
            ("4.5", "9.4"),
            ("9.5", "12.4"),
            ("12.5", "15.4"),
            ("15.5", "30.4"),
            ("30.5", "50.4"),
        ),
    ),
    # 1-h SO2 defines AQI up to 200 only; AQI ≥ 200 comes from the 24-h mean (table "so2_24h")
    "so2": BreakpointTable(
        "so2",
        "ppb",
        _us("so2", "ppb", (("0", "35"), ("36", "75"), ("76", "185"), ("186", "304"))).bands,
        open_top=False,
    ),
    "so2_24h": _us("so2_24h", "ppb", (("305", "604"), ("605", "1004")), 4),
    "no2": _us(
        "no2",
        "ppb",
        (("0", "53"), ("54", "100"), ("101", "360"), ("361", "649"), ("650", "1249"), ("1250", "2049")),
    ),
}

#: truncation step of each US table, applied to the concentration before the lookup (standards §2.4)
US_TRUNCATION: dict[str, Fraction] = {
    "pm25": Fraction("0.1"),
    "pm10": Fraction(1),
    "o3_8h": Fraction("0.001"),
    "o3_1h": Fraction("0.001"),
    "co": Fraction("0.1"),
    "so2": Fraction(1),
    "so2_24h": Fraction(1),
    "no2": Fraction(1),
}

#: molar masses (g/mol) for ppb ↔ µg/m³ at 25 °C and 760 mmHg, where 1 mol occupies 24.45 L (standards §1.15)
MOLAR_MASS: dict[str, Fraction] = {
    "no2": Fraction("46.01"),
    "so2": Fraction("64.07"),
    "o3": Fraction("48.00"),
    "co": Fraction("28.01"),
}
MOLAR_VOLUME_L = Fraction("24.45")


# --- categories, colours and health messages --------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One AQI category of a scale: level 1 (best) … 6 (worst), labels, official colour."""

    scale: Scale
    level: int
    low: int
    high: int
    label_vi: str
    label_en: str
    colour_vi: str
    colour_en: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        """Colour as ``#RRGGBB`` derived from the official RGB triple."""
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


_RANGES = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))
_RGB = ((0, 228, 0), (255, 255, 0), (255, 126, 0), (255, 0, 0), (143, 63, 151), (126, 0, 35))
_COLOURS_VI = ("Xanh", "Vàng", "Da cam", "Đỏ", "Tím", "Nâu")
_COLOURS_EN = ("Green", "Yellow", "Orange", "Red", "Purple", "Maroon")
_VN_LABELS = (
    ("Tốt", "Good"),
    ("Trung bình", "Moderate"),
    ("Kém", "Poor"),
    ("Xấu", "Bad"),
    ("Rất xấu", "Very bad"),
    ("Nguy hại", "Hazardous"),
)
# Vietnamese renderings of the EPA categories are our translation
_US_LABELS = (
    ("Tốt", "Good"),
    ("Trung bình", "Moderate"),
    ("Không lành mạnh cho nhóm nhạy cảm", "Unhealthy for Sensitive Groups"),
    ("Không lành mạnh", "Unhealthy"),
    ("Rất không lành mạnh", "Very Unhealthy"),
    ("Nguy hại", "Hazardous"),
)


def _categories(scale: Scale, labels: tuple[tuple[str, str], ...]) -> tuple[Category, ...]:
    return tuple(
        Category(
            scale,
            level + 1,
            *_RANGES[level],
            *labels[level],
            _COLOURS_VI[level],
            _COLOURS_EN[level],
            _RGB[level],
        )
        for level in range(6)
    )


CATEGORIES: dict[Scale, tuple[Category, ...]] = {
    "vn": _categories("vn", _VN_LABELS),
    "us": _categories("us", _US_LABELS),
}


@dataclass(frozen=True)
class HealthMessage:
    """Health effect (Bảng 4) and recommended actions (Bảng 5) for one VN_AQI category."""

    effect_vi: str
    effect_en: str
    public_vi: str
    public_en: str
    sensitive_vi: str
    sensitive_en: str


_OUTDOOR_VI = "Tự do thực hiện các hoạt động ngoài trời"
_OUTDOOR_EN = "Outdoor activities as usual."
_MASK_VI = "Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn."
_MASK_EN = "If you must go out, wear a standard-compliant mask."
_INDOORS_VI = "Nên ở trong nhà và giảm hoạt động mạnh."
_INDOORS_EN = "Stay indoors and reduce strenuous activity."
_HAZARD_VI = f"Mọi người nên ở trong nhà, đóng cửa ra vào và cửa sổ. {_MASK_VI}"
_HAZARD_EN = f"Everyone should stay indoors with doors and windows closed. {_MASK_EN}"

#: Bảng 4 / Bảng 5 of 1459/QĐ-TCMT, verbatim (including "Cảnh báo hưởng tới sức khỏe"); English unofficial
VN_HEALTH: dict[int, HealthMessage] = {
    1: HealthMessage(
        "Chất lượng không khí tốt, không ảnh hưởng tới sức khỏe",
        "Air quality is good and does not affect health.",
        _OUTDOOR_VI,
        _OUTDOOR_EN,
        _OUTDOOR_VI,
        _OUTDOOR_EN,
    ),
    2: HealthMessage(
        "Chất lượng không khí ở mức chấp nhận được. Tuy nhiên, đối với những người nhạy cảm (người già, "
        "trẻ em, người mắc các bệnh hô hấp, tim mạch…) có thể chịu những tác động nhất định tới sức khỏe.",
        "Air quality is acceptable. However, sensitive people (the elderly, children, people with "
        "respiratory or cardiovascular disease…) may experience some health effects.",
        _OUTDOOR_VI,
        _OUTDOOR_EN,
        "Nên theo dõi các triệu chứng như ho hoặc khó thở, nhưng vẫn có thể hoạt động bên ngoài.",
        "Watch for symptoms such as coughing or shortness of breath, but outdoor activity is still fine.",
    ),
    3: HealthMessage(
        "Những người nhạy cảm gặp phải các vấn đề về sức khỏe, những người bình thường ít ảnh hưởng.",
        "Sensitive people experience health problems; the general public is less affected.",
        "Những người thấy có triệu chứng đau mắt, ho hoặc đau họng… nên cân nhắc giảm các hoạt động "
        "ngoài trời. Đối với học sinh, có thể hoạt động bên ngoài, nhưng nên giảm bớt việc tập thể dục "
        "kéo dài.",
        "People with sore eyes, cough or sore throat… should consider reducing outdoor activities. Students "
        "may be active outdoors but should cut down prolonged exercise.",
        "Nên giảm các hoạt động mạnh và giảm thời gian hoạt động ngoài trời. Những người mắc bệnh hen "
        "suyễn có thể cần sử dụng thuốc thường xuyên hơn.",
        "Reduce strenuous activity and time spent outdoors. People with asthma may need to use their "
        "medication more often.",
    ),
    4: HealthMessage(
        "Những người bình thường bắt đầu có các ảnh hưởng tới sức khỏe, nhóm người nhạy cảm có thể gặp những "
        "vấn đề sức khỏe nghiêm trọng hơn.",
        "The general public begins to experience health effects; sensitive groups may experience more "
        "serious health problems.",
        "Mọi người nên giảm các hoạt động mạnh khi ở ngoài trời, tránh tập thể dục kéo dài và nghỉ ngơi "
        "nhiều hơn trong nhà.",
        "Everyone should reduce strenuous outdoor activity, avoid prolonged exercise and rest more indoors.",
        f"Nên ở trong nhà và giảm hoạt động mạnh. {_MASK_VI}",
        f"Stay indoors and reduce strenuous activity. {_MASK_EN}",
    ),
    5: HealthMessage(
        "Cảnh báo hưởng tới sức khỏe: mọi người bị ảnh hưởng tới sức khỏe nghiêm trọng hơn.",
        "Health warning: everyone may experience more serious health effects.",
        f"Mọi người hạn chế tối đa các hoạt động ngoài trời và chuyển tất cả các hoạt động vào trong nhà. {_MASK_VI}",
        f"Everyone should minimise outdoor activity and move all activities indoors. {_MASK_EN}",
        _INDOORS_VI,
        _INDOORS_EN,
    ),
    # the official table has one merged cell for both groups in this row
    6: HealthMessage(
        "Cảnh báo khẩn cấp về sức khỏe: Toàn bộ dân số bị ảnh hưởng tới sức khỏe tới mức nghiêm trọng.",
        "Health emergency: the entire population is seriously affected.",
        _HAZARD_VI,
        _HAZARD_EN,
        _HAZARD_VI,
        _HAZARD_EN,
    ),
}
