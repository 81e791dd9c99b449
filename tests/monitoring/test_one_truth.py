"""One truth on every surface: the leaders' KPIs, ``envmon complaints overdue``, the SLA alerts, the export and
the alert listings give the same numbers on one database, on SQLite and PostgreSQL.

The database holds what broke the surfaces before: a stale alert (a station that died mid-exceedance), cases
that are overdue only because nobody accepted them in time, and overdue cases outside every ward.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

import cli._common
from cli import main
from data import alert_queries, exports, queries
from data.alert_states import ACTIVE_STATES, AlertState
from data.case_filter import CaseFilter
from data.config import load_settings
from data.i18n import STRINGS
from data.importers.pipeline import ImportContext, import_complaints
from data.routing import seed_routing
from data.schema import Alert
from data.sla import accept_late_mask, overdue_mask
from monitoring.sla_signals import SLA_RULE_ID

# Tuesday 18/03/2025 10:00 in Hà Nội: the normal-priority cases of Saturday are past their accept-by time (Monday
# 16:00) but not past their resolve-by time (Friday); the urgent ones are past both.
NOW = dt.datetime(2025, 3, 18, 3, 0, tzinfo=dt.UTC)


def _strict_json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"invalid JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def city(loaded_engine: Engine, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    seed_routing(loaded_engine)
    context = ImportContext.from_settings(loaded_engine, load_settings())
    import_complaints(loaded_engine, fixtures_dir / "complaints" / "vn_channel_broken.csv", context, now=NOW)
    with loaded_engine.begin() as conn:
        conn.execute(
            insert(Alert).values(
                rule_id="effluent-cmax",
                subject="station:HN_WW01/cod",
                kind="threshold",
                severity="critical",
                state=AlertState.STALE.value,
                value=168.0,
                threshold=150.0,
                labels={"station_id": "HN_WW01", "parameter": "cod"},
                active_at=NOW - dt.timedelta(hours=6),
                fired_at=NOW - dt.timedelta(hours=6),
                state_since=NOW - dt.timedelta(hours=2),
                last_data_at=NOW - dt.timedelta(hours=2),
            )
        )
    monkeypatch.setattr(cli._common, "engine", lambda config=None: loaded_engine)
    return loaded_engine


def _cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    capsys.readouterr()
    assert main(list(args)) == 0
    return _strict_json(capsys.readouterr().out)


def test_every_surface_counts_the_same_overdue_cases(city: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    everything = CaseFilter()
    export = exports.reports_frame(city, everything, now=NOW)  # one row per report, as people download it
    cases = export.drop_duplicates("case_id").rename(columns={"case_id": "id"})
    open_cases = cases[~cases["status"].isin(("resolved", "rejected", "transferred"))]
    assert open_cases["ward_code"].isna().sum() >= 2, "the seed needs overdue cases outside every ward"
    kpis = queries.case_kpis(city, everything, NOW)
    per_unit = queries.overdue_by_unit(city, everything, NOW)
    listed = queries.overdue_cases(city, everything, NOW)
    cli_rows = _cli_json(capsys, "complaints", "overdue", "--at", NOW.isoformat())
    assert isinstance(cli_rows, list)
    summary = _cli_json(capsys, "alerts", "evaluate", "--at", NOW.isoformat(), "--json")
    assert isinstance(summary, dict) and summary["provider_errors"] == []
    reminders = alert_queries.alert_frame(city, states=(AlertState.FIRING,))
    reminders = reminders[reminders["rule_id"] == SLA_RULE_ID]

    overdue = kpis["overdue"]
    assert overdue == int(cases["overdue"].sum()) == len(listed) == int(per_unit["overdue"].sum())
    assert overdue == sum(row["overdue"] for row in cli_rows) == int(reminders["value"].sum())
    assert kpis["open"] == len(open_cases) == int(per_unit["open_cases"].sum())
    cli_by_unit = {row["unit_code"]: row["overdue"] for row in cli_rows if row["overdue"]}
    pairs = zip(reminders["labels"], reminders["value"], strict=True)
    alert_by_unit = {labels["unit_code"]: int(value) for labels, value in pairs}
    assert cli_by_unit == alert_by_unit and len(alert_by_unit) < overdue  # grouped: one reminder per unit

    accept_late = accept_late_mask(open_cases["status"], _accept_due(city, open_cases), NOW)
    resolve_late = pd.to_datetime(open_cases["due_at"], utc=True) < NOW
    assert (accept_late & ~resolve_late.to_numpy()).any(), "the seed needs cases late only for acceptance"
    assert overdue == int((accept_late | resolve_late.to_numpy()).sum())


def _accept_due(engine: Engine, cases: pd.DataFrame) -> pd.Series:
    with engine.connect() as conn:
        frame = pd.read_sql("SELECT id, accept_due_at FROM complaint_cases", conn)
    return cases["id"].map(frame.set_index("id")["accept_due_at"])


def test_a_stale_alert_stays_active_everywhere(city: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    listed = _cli_json(capsys, "alerts", "list", "--json")
    assert isinstance(listed, list)
    stale = [alert for alert in listed if alert["state"] == AlertState.STALE]
    assert [alert["subject"] for alert in stale] == ["station:HN_WW01/cod"]
    active_listed = [alert for alert in listed if alert["state"] in ACTIVE_STATES]
    assert alert_queries.active_alert_count(city) == len(active_listed) >= 1
    assert "station:HN_WW01/cod" in set(alert_queries.alert_frame(city, states=ACTIVE_STATES)["subject"])


def test_the_alert_vocabulary_is_one_enum_with_a_label_for_every_state() -> None:
    for state in AlertState:
        assert f"alert_state.{state.value}" in STRINGS
    assert not [key for key in STRINGS if key.startswith("alert_state.") and key[12:] not in set(AlertState)]


def test_python_and_sql_agree_on_overdue(city: Engine) -> None:
    with city.connect() as conn:
        frame = pd.read_sql("SELECT id, status, accept_due_at, due_at FROM complaint_cases ORDER BY id", conn)
    in_python = set(frame["id"][overdue_mask(frame["status"], frame["accept_due_at"], frame["due_at"], NOW)])
    in_sql = set(queries.overdue_cases(city, CaseFilter(), NOW, limit=10_000)["id"])
    assert in_python == in_sql and in_python
