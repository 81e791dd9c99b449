"""The public air page (AppTest) renders the public snapshot: card first, advice on both scales, plain numbers."""

from __future__ import annotations

import json
from collections.abc import Callable

from dashboard_seed import REPORTER_NAME, REPORTER_PHONE, XSS_TITLE
from streamlit.testing.v1 import AppTest

from dashboard import state

App = Callable[..., AppTest]
CARD = "envmon-aqi-card"


def _texts(at: AppTest) -> str:
    parts = [
        str(el.value)
        for kind in ("markdown", "caption", "title", "subheader", "info", "warning")
        for el in at.get(kind)
    ]
    parts += [el.value.to_csv() for el in at.dataframe]
    return "\n".join(parts)


def _card(at: AppTest) -> str:
    return next(m.value for m in at.markdown if CARD in m.value)


def _charts(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def test_public_page_has_no_personal_data_and_no_program_data(app: App) -> None:
    at = app()
    assert not at.exception
    text = _texts(at)
    assert REPORTER_NAME not in text and REPORTER_PHONE not in text and XSS_TITLE not in text
    assert "Rác thải" not in text
    assert "{'aqi'" not in text and "'exact'" not in text and "nan" not in text.split() and "None" not in text
    table = at.dataframe[0].value
    assert list(table.columns) == ["Thông số", "Giá trị", "AQIx (VN_AQI)", "AQIx (US AQI)", "Thời điểm đo"]
    assert "★ PM₂.₅" in table["Thông số"].tolist()
    assert "Nguồn dữ liệu" in text and "1459" in text


def _flat(node: object) -> list[object]:
    """Every element under ``node`` in page order."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for key in sorted(children) for leaf in _flat(children[key])]


def test_the_aqi_card_comes_before_the_scale_switch_and_the_map(app: App) -> None:
    at = app()
    elements = _flat(at.main)
    kinds = [getattr(el, "type", "") for el in elements]
    card_at = next(i for i, el in enumerate(elements) if CARD in str(getattr(el, "value", "")))
    scale_at = next(i for i, el in enumerate(elements) if getattr(el, "key", None) == state.AQI_SCALE)
    map_at = kinds.index("iframe")
    assert card_at < scale_at < map_at, kinds


def test_vn_advice_for_the_selected_station_and_us_advice_on_the_us_scale(app: App) -> None:
    at = app()
    at.radio(key=state.AIR_STATION).set_value("hn-air-1").run()  # Trạm Hoàn Kiếm: VN_AQI 75, Trung bình
    card = _card(at)
    assert ">75<" in card and "Trung bình" in card
    assert "Nên theo dõi các triệu chứng như ho hoặc khó thở" in _texts(at)  # Bảng 5, sensitive groups, 51–100
    at.radio(key=state.AQI_SCALE).set_value("us").run()  # seeded US AQI 115, level 3
    assert not at.exception
    card = _card(at)
    assert ">115<" in card and "Không lành mạnh cho nhóm nhạy cảm" in card
    assert "Người mắc bệnh tim hoặc phổi" in _texts(at)  # the US wording for sensitive groups, level 3
    at.radio(key=state.AIR_STATION).set_value("hn-air-2").run()  # last reading 10 h ago
    assert "Số liệu cũ" in _card(at) and "—" in _card(at)


def test_choosing_a_ward_selects_its_station(app: App) -> None:
    at = app()
    at.selectbox(key=state.AIR_WARD).set_value("00070").run()  # phường Hoàn Kiếm
    assert not at.exception
    station = at.radio(key=state.AIR_STATION)
    assert station.value == "hn-air-1"
    assert station.options[0].startswith("Trạm Hoàn Kiếm · ") and station.options[0].endswith(" km")
    assert "Hoàn Kiếm · Trạm Hoàn Kiếm, cách" in _card(at)


def test_history_bars_carry_category_colours_and_local_day_labels(app: App) -> None:
    at = app()
    at.radio(key=state.AIR_STATION).set_value("hn-air-1").run()
    hourly, daily = _charts(at)
    for spec in (hourly, daily):
        colour = spec["encoding"]["color"]["scale"]
        assert colour["range"][:2] == ["#00E400", "#FFFF00"] and colour["domain"][:2] == ["Tốt", "Trung bình"]
    labels = daily["encoding"]["x"]["sort"]
    assert len(labels) == 7 and all(label[:2] in ("CN", "T2", "T3", "T4", "T5", "T6", "T7") for label in labels)
    assert len(hourly["encoding"]["x"]["sort"]) == 24


def test_the_page_language_switch_and_english_texts(app: App) -> None:
    at = app()
    at.get("button_group")[0].set_value("en").run()
    assert not at.exception
    assert at.session_state[state.LANGUAGE] == "en" and at.session_state[state.AIR_LANGUAGE] == "en"
    assert [t.value for t in at.title] == ["Hà Nội air quality"]
    text = _texts(at)
    assert "Health effect" in text and "Ảnh hưởng sức khỏe" not in text
    assert "The city now" in text
