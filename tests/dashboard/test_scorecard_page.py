"""The scorecard page (``/scorecard``) in AppTest: staff only, the same figures as the data layer (so as the CLI
JSON and the XLSX, see tests/cases/test_scorecard_surfaces.py), unit names linked to their queue, vi/en."""

from __future__ import annotations

import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import loaders
from data.case_actions import default_policy
from data.scorecard import build_scorecard
from data.scorecard_export import default_period, display_table, header, period_bounds

App = Callable[..., AppTest]


def _expected(engine, by: str, language: str):
    policy, now = default_policy(), loaders.now_minute()
    since, until = period_bounds(*default_period(now.astimezone(ZoneInfo(policy.timezone)).date()), policy.timezone)
    card = build_scorecard(engine, since=since, until=until, policy=policy, by=by, now=now)
    return card, display_table(card, language)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_page_shows_the_data_layer_figures(app: App, seeded_db, language: str) -> None:
    at = app("scorecard", user="lead", language=language)
    assert not at.exception, at.exception
    card, expected = _expected(seeded_db[1], "unit", language)
    units, wards = at.dataframe[0].value, at.dataframe[1].value
    name, code = header("name", "unit", language), header("code", "unit", language)
    # the code moves to the end on the page; the name is pinned (on a phone the rank and figures follow it)
    expected = expected[[column for column in expected.columns if column != code] + [code]]
    assert list(units.columns) == list(expected.columns)
    assert json.loads(at.dataframe[0].proto.columns)[name]["pinned"] is True
    shown = units.drop(columns=[name]).astype(str).reset_index(drop=True)
    assert shown.equals(expected.drop(columns=[name]).astype(str).reset_index(drop=True))
    assert list(units[name]) == [f"/queue?unit={row['code']}#{row['name']}" for row in card.records()]
    _ward_card, expected_wards = _expected(seeded_db[1], "ward", language)
    ward_code = header("code", "ward", language)
    expected_wards = expected_wards[[column for column in expected_wards.columns if column != ward_code] + [ward_code]]
    assert wards.astype(str).reset_index(drop=True).equals(expected_wards.astype(str).reset_index(drop=True))
    assert json.loads(at.dataframe[1].proto.columns)[header("name", "ward", language)]["pinned"] is True
    text = " ".join(str(element.value) for element in (*at.markdown, *at.caption))
    assert ("Điểm = 0,4 ×" if language == "vi" else "Score = 0.4 ×") in text
    assert "nan" not in units.to_string().lower() and "None" not in units.to_string()
    assert at.get("download_button")


def test_signed_out_visitors_cannot_open_it(app: App) -> None:
    at = app("scorecard")
    assert not at.exception and not at.dataframe and not at.get("download_button")
