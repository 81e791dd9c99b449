"""Scorecards on both engines: every figure of a hand-worked world, the one overdue rule, the ranking, the trend."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.schema import ComplaintCase, ResponsibleUnit
from data.scorecard import WEIGHTS, build_scorecard, method_lines, rank_score
from data.sla import overdue_mask

from .scorecard_seed import NOW, POLICY, SINCE, UNTIL, seed_scorecard


@pytest.fixture
def scored(engine: Engine) -> Engine:
    seed_scorecard(engine)
    return engine


def _by_code(engine: Engine, by: str = "unit") -> dict[str, dict]:
    card = build_scorecard(engine, since=SINCE, until=UNTIL, policy=POLICY, by=by, now=NOW)
    return {row["code"]: row for row in card.records()}


def test_unit_figures_match_the_hand_worked_world(scored):
    rows = _by_code(scored)
    a = rows["UBND-A"]
    assert a["received"] == 3  # the merged duplicate is not counted
    assert a["accepted_on_time_pct"] == pytest.approx(33.3)  # 1 of 3 decided
    assert a["resolved_on_time_pct"] == pytest.approx(33.3)  # 1 on time, 1 late, 1 open past its due time
    assert a["overdue_now"] == 1
    assert a["median_hours"] == pytest.approx(33.0)  # (3 + 63) / 2 working hours
    assert a["p90_hours"] == pytest.approx(57.0)  # 3 + 0.9 × 60
    assert a["reopen_rate_pct"] == pytest.approx(50.0)
    assert a["urges"] == 2  # the February urge is outside the period
    assert a["photo_proof_pct"] == pytest.approx(50.0)
    assert a["score"] == pytest.approx(38.3)  # 0.4×33.3 + 0.3×33.3 + 0.2×50 + 0.1×50

    b = rows["URENCO"]
    assert (b["received"], b["overdue_now"], b["urges"]) == (1, 1, 1)  # the February case is overdue now
    assert b["accepted_on_time_pct"] == pytest.approx(100.0)
    assert b["resolved_on_time_pct"] is None and b["median_hours"] is None  # nothing decided: no figure, no NaN
    assert b["score"] == pytest.approx(100.0)  # acceptance is the only defined rate

    c = rows["SONNMT"]
    assert (c["received"], c["score"], c["rank"]) == (0, None, None)
    assert (b["rank"], a["rank"]) == (1, 2)


def test_overdue_now_is_the_one_rule_of_data_sla(scored):
    """The SQL count per unit equals data.sla.overdue_mask over the fetched cases."""
    with scored.connect() as conn:
        cases = pd.DataFrame(
            conn.execute(
                select(ComplaintCase.unit_id, ComplaintCase.status, ComplaintCase.accept_due_at, ComplaintCase.due_at)
                .where(ComplaintCase.merged_into_id.is_(None))
            ).all()
        )  # fmt: skip
    cases["overdue"] = overdue_mask(cases["status"], cases["accept_due_at"], cases["due_at"], NOW)
    with scored.connect() as conn:
        codes = dict(conn.execute(select(ResponsibleUnit.id, ResponsibleUnit.code)).all())
    expected = {code: int(cases.loc[cases["unit_id"] == unit, "overdue"].sum()) for unit, code in codes.items()}
    card = build_scorecard(scored, since=SINCE, until=UNTIL, policy=POLICY, now=NOW)
    assert {row["code"]: row["overdue_now"] for row in card.records()} == expected
    assert sum(expected.values()) == 2


def test_ward_rows(scored):
    rows = _by_code(scored, "ward")
    assert set(rows) == {"00070", "00071"}
    assert rows["00070"]["name"] == "Hoàn Kiếm"
    assert rows["00070"]["received"] == 3 and rows["00070"]["urges"] == 1  # only urges on a case reach a ward
    assert rows["00071"]["received"] == 1 and rows["00071"]["overdue_now"] == 1


def test_monthly_trend_groups_local_months_in_sql(scored):
    since = SINCE - pd.Timedelta(days=28)  # 1 February 2025, Hà Nội
    card = build_scorecard(scored, since=since, until=UNTIL, policy=POLICY, now=NOW)
    assert card.trend_records() == [
        {"month": "2025-02", "received": 1, "resolved_on_time_pct": 0.0},  # open past its due time
        {"month": "2025-03", "received": 4, "resolved_on_time_pct": pytest.approx(33.3)},
    ]


def test_empty_period_has_rows_without_nan(engine):
    seed_scorecard(engine)
    card = build_scorecard(engine, since=UNTIL, until=UNTIL + pd.Timedelta(days=30), policy=POLICY, now=NOW)
    for row in card.records():
        assert row["received"] == 0 and row["rank"] is None
        assert not any(isinstance(value, float) and math.isnan(value) for value in row.values())
    assert card.trend_records()[0]["received"] == 0


def test_bad_period_is_refused(engine):
    with pytest.raises(ValueError, match="before it starts"):
        build_scorecard(engine, since=UNTIL, until=SINCE, policy=POLICY)


def test_rank_score_reweights_over_defined_rates():
    rates = pd.DataFrame(
        {"resolved_on_time_pct": [80.0, None], "accepted_on_time_pct": [60.0, 50.0],
         "not_reopened_pct": [100.0, None], "photo_proof_pct": [None, None]}
    )  # fmt: skip
    score = rank_score(rates)
    assert score[0] == pytest.approx((0.4 * 80 + 0.3 * 60 + 0.2 * 100) / 0.9)
    assert score[1] == pytest.approx(50.0)
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_method_states_the_weights(language):
    lines = method_lines(language)
    formula = next(line for line in lines if "×" in line)
    assert ("0,4" if language == "vi" else "0.4") in formula
