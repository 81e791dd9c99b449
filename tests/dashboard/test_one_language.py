"""Every page in both languages, in Chromium: no string of the other language's catalogue, no raw code, no
``nan``/``None`` and no dict in the DOM (text of the page, its data-grid cells and its map iframe).

Screenshots of every page in both languages, on a desktop and on a 390×844 phone, go to tests/artifacts/
(git-ignored): ``lang_<language>_<page>[_phone][_first_screen].png``, with the texts read in ``.txt`` files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from dashboard_browser import ARTIFACTS, TIMEOUT_MS, _new_page, browser, server  # noqa: F401 (fixtures)
from dashboard_seed import PASSWORD

from data.categories import load_taxonomy
from data.i18n import LANGUAGES, STRINGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {  # page -> (navigation key, title key)
    "air": ("nav.air", "air.title"),
    "overview": ("nav.overview", "overview.title"),
    "analysis": ("nav.analysis", "analysis.title"),
    "alerts": ("nav.alerts", "alerts.title"),
    "stations": ("nav.stations", "stations.title"),
    "import": ("nav.import", "import.title"),
    "users": ("nav.users", "users.title"),
}
LANGUAGE_LABELS = {"vi": "Tiếng Việt", "en": "English"}
MISSING_TOKENS = frozenset({"nan", "NaN", "None", "NaT", "null", "undefined", "<NA>"})
DICT_TEXT = re.compile(r"\{\s*['\"][^'\"]+['\"]\s*:")
EVENT_CODES = ("transition", "ack", "system", "readings-wastewater", "readings-air")
STATE_CODES = ("firing", "pending", "resolved", "inactive", "no_data", "received", "assigned", "in_progress")
PARAMETER_CODES = ("pm25", "pm10", "no2", "so2", "o3", "co", "cod", "bod", "nh4", "tss", "ph", "flow", "temp")
STATION_KINDS = ("air", "wastewater")

MAIN_HEIGHT_JS = "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight + 40"
TEXTS_JS = """() => {
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(parent.tagName)) continue;
        const text = node.textContent.trim();
        if (text) texts.push(text);
    }
    for (const cell of document.querySelectorAll('[role="gridcell"], [role="columnheader"]')) {
        const text = cell.textContent.trim();
        if (text) texts.push(text);
    }
    return texts;
}"""


def raw_codes() -> frozenset[str]:
    """Codes that must always be shown through a label: categories, states, parameters, kinds, history events."""
    return frozenset({*load_taxonomy().categories, *EVENT_CODES, *STATE_CODES, *PARAMETER_CODES, *STATION_KINDS})


def _template(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^{}]*\}", text)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def _catalogue_texts(language: str) -> set[str]:
    """Every text of ``language``: the strings catalogue and the complaint category names."""
    pairs = [*STRINGS.values(), *((c.name_vi, c.name_en) for c in load_taxonomy().categories.values())]
    return {pair[0 if language == "vi" else 1] for pair in pairs}


def other_language_patterns(language: str) -> list[tuple[str, re.Pattern[str]]]:
    """(catalogue text, full-match pattern) of every text that exists only in the other language."""
    mine = _catalogue_texts(language) | set(LANGUAGES.values())  # a language switch names both languages
    theirs = _catalogue_texts("en" if language == "vi" else "vi")
    return [
        (text, _template(text))
        for text in sorted(theirs - mine)
        if len(re.sub(r"\{[^{}]*\}", "", text).strip()) >= 4  # "z", "{n} h" and the like say nothing
    ]


def findings(texts: list[str], language: str, codes: frozenset[str]) -> list[str]:
    """What is wrong with the texts of a page shown in ``language``."""
    patterns = other_language_patterns(language)
    codes = codes - _catalogue_texts(language)  # English "system" is a label as well as a code
    problems = []
    for text in dict.fromkeys(texts):
        if text in MISSING_TOKENS:
            problems.append(f"missing value shown as {text!r}")
        elif DICT_TEXT.search(text):
            problems.append(f"dict shown: {text[:80]!r}")
        elif text in codes or any(f"({code})" in text for code in STATION_KINDS):
            problems.append(f"raw code shown: {text!r}")
        else:
            other = next((source for source, pattern in patterns if pattern.fullmatch(text)), None)
            if other is not None:
                problems.append(f"other language: {text!r} (catalogue {other!r})")
    return problems


def test_the_scan_finds_each_kind_of_problem() -> None:
    codes = raw_codes()
    assert "burning_smoke" in codes and "cod" in codes
    bad = ["nan", "None", "{'aqi': 2, 'exact': 2.1}", "cod", "Trạm A (air)", "Overview", "Hot spot (99%)"]
    good = ["Tổng quan", "Điểm nóng (99%)", "PM₂.₅", "5.523", "72,8 %", "VN_AQI", "Không có."]
    assert len(findings(bad, "vi", codes)) == len(bad)
    assert findings(good, "vi", codes) == []
    assert findings(["Tổng quan", "Số vụ việc"], "en", codes) == [
        "other language: 'Tổng quan' (catalogue 'Tổng quan')",
        "other language: 'Số vụ việc' (catalogue 'Số vụ việc')",
    ]


def _page_texts(page: Any) -> list[str]:
    texts = list(page.evaluate(TEXTS_JS))
    for frame in page.frames[1:]:  # the map iframes (same origin)
        try:
            texts += frame.evaluate(TEXTS_JS)
        except Exception:  # noqa: BLE001 - a frame that navigated away has nothing left to show
            continue
    return texts


def _screens(page: Any, name: str) -> None:
    """The whole page on a desktop, the first screen of a 390×844 phone, and the whole page on that phone
    (Streamlit scrolls inside its main block, so a whole page needs a viewport as tall as that block)."""
    for width, height, suffix in ((1400, 1000, ""), (390, 844, "_phone")):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}_first_screen.png"))
        tall = page.evaluate(MAIN_HEIGHT_JS)
        page.set_viewport_size({"width": width, "height": min(max(height, tall), 6000)})
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_timeout(500)


@pytest.fixture(scope="module")
def scans(browser: Any, server: str) -> Iterator[dict[tuple[str, str], list[str]]]:  # noqa: F811
    """Texts of every page in both languages (an operator sees every page), with screenshots."""
    page, _recorder = _new_page(browser)
    page.goto(server + "/overview")
    page.get_by_label("Tên đăng nhập").wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("Tên đăng nhập").fill("ops")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("h1", has_text="Tổng quan").first.wait_for(timeout=TIMEOUT_MS)
    found: dict[tuple[str, str], list[str]] = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for language, index in (("vi", 0), ("en", 1)):
        page.locator('[data-testid="stSidebar"]').get_by_text(LANGUAGE_LABELS[language], exact=True).click()
        page.wait_for_timeout(1500)
        for name, (nav_key, title_key) in PAGES.items():
            page.get_by_role("link", name=STRINGS[nav_key][index], exact=True).click()
            page.locator("h1", has_text=STRINGS[title_key][index]).first.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(2500)  # tables, charts and the map settle
            found[(language, name)] = _page_texts(page)
            (ARTIFACTS / f"lang_{language}_{name}.txt").write_text("\n".join(found[(language, name)]), "utf-8")
            _screens(page, f"lang_{language}_{name}")
    yield found
    page.close()


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_speaks_one_language(scans: dict[tuple[str, str], list[str]], language: str, name: str) -> None:
    texts = scans[(language, name)]
    assert texts, "nothing was read from the page"
    assert findings(texts, language, raw_codes()) == []
