"""``Settings`` reaches the code that needs it: ENVMON_TIMEZONE moves day windows, SLA clocks, alert texts and
exports; ENVMON_BOUNDARY_SET reaches the hotspot rules."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from data import queries
from data.case_filter import CaseFilter
from data.config import DEFAULT_TIMEZONE, PACKAGE_CONFIG_DIR, load_settings
from data.exports import export_csv
from data.schema import ComplaintCase
from data.sla import load_sla_policy
from monitoring.alert_engine import BuiltinProvider
from monitoring.hotspot_signals import hotspot_signals, spot_signals
from monitoring.pipeline import all_providers

# 02:30 UTC on 1 March 2025: 09:30 on 1 March in Hà Nội, 21:30 on 28 February in New York
EARLY_UTC = dt.datetime(2025, 3, 1, 2, 30, tzinfo=dt.UTC)
NEW_YORK = "America/New_York"


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ENVMON_TIMEZONE", NEW_YORK)
    monkeypatch.setenv("ENVMON_BOUNDARY_SET", "test-set")
    monkeypatch.setenv("ENVMON_CONFIG", "/nonexistent/envmon.toml")
    return load_settings().timezone


def _one_case(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(ComplaintCase),
            [{"category_code": "waste", "status": "received", "opened_at": EARLY_UTC, "last_report_at": EARLY_UTC}],
        )


def test_the_setting_is_read_from_the_environment(new_york: str) -> None:
    settings = load_settings()
    assert (settings.timezone, settings.boundary_set, str(settings.zone)) == (NEW_YORK, "test-set", NEW_YORK)
    with pytest.raises(ValueError, match="unknown time zone"):
        load_settings(timezone="Asia/Ha_Noi")


def test_day_windows_follow_the_configured_zone(engine: Engine, new_york: str) -> None:
    _one_case(engine)
    default_days = queries.cases_per_day(engine, CaseFilter())["day"].dt.date.tolist()
    configured_days = queries.cases_per_day(engine, CaseFilter(timezone=new_york))["day"].dt.date.tolist()
    assert default_days == [dt.date(2025, 3, 1)]
    assert configured_days == [dt.date(2025, 2, 28)]
    # the date filter's local midnight moves with the zone too: 28 Feb selects the case only in New York
    only_28th = {"opened_from": dt.date(2025, 2, 28), "opened_to": dt.date(2025, 2, 28)}
    assert queries.case_count(engine, CaseFilter(**only_28th)) == 0
    assert queries.case_count(engine, CaseFilter(**only_28th, timezone=new_york)) == 1


def test_display_export_and_sla_follow_the_configured_zone(new_york: str) -> None:
    frame = pd.DataFrame({"flags": [[]], "opened_at": [pd.Timestamp(EARLY_UTC)], "lat": [None], "lon": [None]})
    assert "2025-03-01T09:30:00+07:00" in export_csv(frame, "vi", DEFAULT_TIMEZONE)
    assert "2025-02-28T21:30:00-05:00" in export_csv(frame, "vi", new_york)
    assert load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml", new_york).timezone == new_york
    spot = pd.DataFrame(
        {
            "opened_at": [EARLY_UTC - dt.timedelta(hours=h) for h in range(5)],
            "lat": [21.0288] * 5,
            "lon": [105.8523] * 5,
            "category_code": ["waste"] * 5,
            "ward_code": ["00070"] * 5,
            "unit_id": [None] * 5,
        }
    )
    (signal,) = spot_signals(spot, EARLY_UTC + dt.timedelta(hours=1), timezone=new_york)
    assert "28/02/2025 21:30" in signal.message


def test_alert_providers_receive_the_settings(new_york: str) -> None:
    providers = all_providers(load_settings())
    hotspots = [p for p in providers if isinstance(p, partial) and p.func is hotspot_signals]
    assert [p.keywords for p in hotspots] == [{"set_name": "test-set", "timezone": new_york}]
    assert {p.timezone for p in providers if isinstance(p, BuiltinProvider)} == {new_york}
