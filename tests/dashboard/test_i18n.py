"""Every UI string exists in Vietnamese and English with the same placeholders; every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from dashboard.i18n import STRINGS, translate

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_with_the_same_placeholders() -> None:
    for key, (vietnamese, english) in STRINGS.items():
        assert vietnamese.strip() and english.strip(), key
        assert _fields(vietnamese) == _fields(english), key


def test_every_literal_key_in_the_code_is_defined() -> None:
    used: set[str] = set()
    for path in [*DASHBOARD.glob("*.py"), *DASHBOARD.glob("views/*.py")]:
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    assert used, "no keys found: the pattern is wrong"
    assert sorted(used - set(STRINGS)) == []


def test_translate_fills_values() -> None:
    assert translate("kpi.hours", "vi", n=3) == "3 giờ"
    assert translate("kpi.hours", "en", n=3) == "3 h"


def test_every_shipped_feed_has_a_name_in_both_languages() -> None:
    import tomllib

    from data.config import PACKAGE_CONFIG_DIR
    from data.i18n import label_in

    feeds = tomllib.loads((PACKAGE_CONFIG_DIR / "feeds.toml").read_text(encoding="utf-8"))["feed"]
    for feed in feeds:
        assert f"feed.{feed['name']}" in STRINGS, feed["name"]  # both languages: test_both_languages_… above
    assert label_in("feed", "my-own-feed", "vi") == "my-own-feed"  # an operator's feed keeps its configured name
