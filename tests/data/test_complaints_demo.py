"""Synthetic demo complaints: labelled, placed by population inside wards, planted recurring spots, statuses."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.boundary_store import wards_frame
from data.case_filter import CaseFilter
from data.demo_complaints import DEMO_SOURCE, PLANTED_SPOTS, build_demo_complaints
from data.queries import overdue_by_unit
from data.routing import seed_routing
from data.schema import CaseStatusChange, ComplaintCase, ComplaintReport

NOW = dt.datetime(2025, 11, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The demo stores its synthetic "after" photo: in the test's folder, not the working tree's var/."""
    monkeypatch.setenv("ENVMON_MEDIA_DIR", str(tmp_path / "media"))


@pytest.fixture
def demo(loaded_engine: Engine) -> tuple[Engine, dict]:
    seed_routing(loaded_engine)
    return loaded_engine, build_demo_complaints(loaded_engine, now=NOW, n_reports=1500)


def _frame(engine: Engine, table) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(table.__table__)).mappings().all())


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_demo_is_labelled_and_fully_imported(demo):
    engine, summary = demo
    assert (summary["rows"], summary["accepted"], summary["quarantined"], summary["unassigned"]) == (1500, 1500, 0, 0)
    assert summary["synthetic"] is True
    reports = _frame(engine, ComplaintReport)
    assert set(reports["source"]) == {DEMO_SOURCE}
    assert reports["external_id"].str.startswith("DEMO-").all()
    span = reports["reported_at"].max() - reports["reported_at"].min()
    assert span > pd.Timedelta(days=330) and reports["reported_at"].max() <= NOW
    assert set(reports["channel"]) == {"Zalo OA", "iHanoi", "Facebook", "Hotline"}

    wards = wards_frame(engine).set_index("code")
    counts = reports["ward_code"].value_counts().reindex(wards.index, fill_value=0)
    assert counts.rank().corr(wards["population"].astype(float).rank()) > 0.6  # placed by population

    for spot in PLANTED_SPOTS:
        near = reports[
            (reports["category_code"] == spot.category_code)
            & (reports.apply(lambda r, s=spot: _metres(s.lat, s.lon, r["lat"], r["lon"]) <= 100, axis=1))
        ]
        recent = near[near["reported_at"] >= NOW - dt.timedelta(days=30)]
        assert len(recent) >= 5, spot.name
        assert set(recent["ward_code"]) == {spot.ward_code}, spot.name


def test_statuses_history_and_overdue_cases(demo):
    engine, summary = demo
    cases = _frame(engine, ComplaintCase)
    history = _frame(engine, CaseStatusChange).sort_values(["case_id", "at", "id"])
    last = history.groupby("case_id")["to_status"].last()
    assert (cases.set_index("id")["status"] == last.reindex(cases["id"]).to_numpy()).all()
    handled = history[history["to_status"] != "received"]
    assert handled["actor"].str.endswith("(mô phỏng)").all()  # the demo's reception desk and units: labelled
    shares = cases["status"].value_counts(normalize=True)
    assert shares["resolved"] > 0.7
    assert {"rejected", "transferred", "in_progress"} <= set(shares.index)
    assert (cases["report_count"] > 1).sum() > 0  # repeated reports were merged into cases
    closed = cases[cases["status"] == "resolved"]
    assert (closed["resolved_at"] > closed["accepted_at"]).all()
    overdue = overdue_by_unit(engine, CaseFilter(), NOW)
    assert summary["overdue_cases"] == overdue["overdue"].sum() > 0

    again = build_demo_complaints(engine, now=NOW, n_reports=1500)
    assert (again["accepted"], again["duplicates"]) == (0, 1500)


def _local(stamp: str) -> dt.datetime:
    return pd.Timestamp(stamp, tz="Asia/Ho_Chi_Minh").tz_convert("UTC").to_pydatetime()


#: build times across the week: a weekday morning, a Friday evening after the week's work, Saturday night,
#: Sunday afternoon, Monday morning before the weekend's reports are handed over, a public holiday (2/9)
BUILD_TIMES = {
    "weekday-morning": _local("2026-12-03T10:00"),
    "friday-evening": _local("2026-12-04T19:00"),
    "saturday-night": _local("2026-12-05T23:00"),
    "sunday": _local("2026-12-06T15:00"),
    "monday-early": _local("2026-12-07T08:30"),
    "public-holiday": _local("2026-09-02T11:00"),
}


def assert_functioning_city(engine: Engine, now: dt.datetime) -> None:
    """Most cases closed within the deadline, 10–25 % of the open ones overdue (the one rule), ages days to weeks."""
    from data.config import PACKAGE_CONFIG_DIR
    from data.sla import load_sla_policy, overdue_mask
    from data.workflow import CLOSED_STATUSES

    cases = _frame(engine, ComplaintCase)
    opened = pd.to_datetime(cases["opened_at"], utc=True)
    open_cases = cases[~cases["status"].isin(CLOSED_STATUSES) & (opened <= now)]
    overdue = overdue_mask(open_cases["status"], open_cases["accept_due_at"], open_cases["due_at"], now)
    assert 0.10 <= overdue.mean() <= 0.25, (now, len(open_cases), int(overdue.sum()))
    assert int(overdue_by_unit(engine, CaseFilter(), now)["overdue"].sum()) == int(overdue.sum())  # same rule in SQL
    ages = pd.Timestamp(now) - opened[open_cases.index]
    assert ages.max() <= pd.Timedelta(weeks=3) and ages.median() >= pd.Timedelta(hours=12), ages.describe()
    assert ages[overdue].median() >= pd.Timedelta(days=2)  # late cases are days to weeks old
    closed = cases[cases["status"].isin(CLOSED_STATUSES)]
    on_time = pd.to_datetime(closed["resolved_at"], utc=True) <= pd.to_datetime(closed["due_at"], utc=True)
    assert on_time.mean() > 0.8  # most cases closed within the SLA
    history = _frame(engine, CaseStatusChange)
    history = history[history["to_status"] != "received"]  # reports arrive at any hour; handling in office hours
    assert (pd.to_datetime(history["at"], utc=True) <= now).all()
    policy = load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml")
    local = pd.to_datetime(history["at"], utc=True).dt.tz_convert(policy.timezone)
    working_day = local.dt.isocalendar().day.isin(list(policy.working_days)).to_numpy()
    working_day &= ~local.dt.date.isin(policy.holidays).to_numpy()
    working_time = (local.dt.hour >= 8) & ((local.dt.hour < 17) | ((local.dt.hour == 17) & (local.dt.minute == 0)))
    assert (working_day & working_time.to_numpy()).all()  # every handling step happens in working hours


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(BUILD_TIMES.values()), ids=list(BUILD_TIMES))
def test_cases_behave_like_a_functioning_city_at_any_build_time(sqlite_engine: Engine, moment: dt.datetime) -> None:
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(sqlite_engine)
    seed_routing(sqlite_engine)
    build_demo_complaints(sqlite_engine, now=moment, n_reports=6000)  # the size `envmon demo` builds
    assert_functioning_city(sqlite_engine, moment)


def test_complaint_texts_name_streets_of_their_ward(demo):
    from data.demo_complaints import ward_streets

    engine, _summary = demo
    reports = _frame(engine, ComplaintReport)
    streets = ward_streets()
    every_street = {street for names in streets.values() for street in names}
    consistent = []
    for row in reports.itertuples():
        text = f"{row.address} {row.description}".lower()
        named = {street for street in every_street if f"phố {street.lower()}" in text}
        if row.ward_code in streets:
            consistent.append(bool(named) and named <= set(streets[row.ward_code]))
        else:
            consistent.append(not named)  # generic place words outside the curated wards
    # a repeated report is moved up to 15 m from the first one, and may cross into the next ward
    assert sum(consistent) >= 0.99 * len(reports)
    assert reports["ward_code"].isin(list(streets)).sum() > 20


def test_resolved_cases_that_need_an_after_photo_carry_one(demo):
    """The demo's units follow the product's rule: a category with ``after_photo_required`` is resolved with an
    "after" photo (the same SYNTHETIC, labelled one), linked to the resolve entry; other outcomes carry none."""
    from data.categories import load_taxonomy
    from data.demo_handling import AFTER_PHOTO_NAME
    from data.schema import CaseAttachment, MediaObject

    engine, _ = demo
    required = {code for code, item in load_taxonomy().categories.items() if item.after_photo_required}
    cases = _frame(engine, ComplaintCase)
    history = _frame(engine, CaseStatusChange).merge(
        cases[["id", "category_code"]].rename(columns={"id": "case_id"}), on="case_id"
    )
    resolves = history[(history["to_status"] == "resolved") & history["category_code"].isin(required)]
    assert len(resolves) > 50
    photos = _frame(engine, CaseAttachment)
    assert set(photos["purpose"]) == {"after"} and set(photos["original_name"]) == {AFTER_PHOTO_NAME}
    assert sorted(photos["history_id"]) == sorted(resolves["id"])  # every such resolve, and nothing else
    assert photos["is_public"].eq(False).all() and photos["sha256"].nunique() == 1
    assert len(_frame(engine, MediaObject)) == 1
