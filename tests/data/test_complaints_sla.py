"""Working-hours SLA: deadlines across weekends and public holidays, 17:00 boundaries, overdue flags."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.config import PACKAGE_CONFIG_DIR
from data.sla import WorkingCalendar, add_working_hours, due_times, load_sla_policy, overdue_mask

ICT = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def policy():
    return load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ICT)


def test_accept_deadline_skips_weekend_and_hung_kings_day(policy):
    # Friday 4 Apr 2025 16:00: one hour left that day; Sat/Sun off; Mon 7 Apr is Giỗ Tổ Hùng Vương.
    due = add_working_hours(local(2025, 4, 4, 16, 0), 8, policy)
    assert due == local(2025, 4, 8, 15, 0)
    assert due.tzinfo == dt.UTC


def test_urgent_and_normal_deadlines_for_a_saturday_report(policy):
    accept, resolve = due_times([local(2025, 3, 15, 6, 42)] * 2, ["urgent", "normal"], policy)
    # Nothing counts before Monday 08:00; urgent = 4 h, normal = 40 h = 4 days 4 h of 9-hour days.
    assert list(accept) == [pd.Timestamp(local(2025, 3, 17, 16, 0))] * 2
    assert list(resolve) == [pd.Timestamp(local(2025, 3, 17, 12, 0)), pd.Timestamp(local(2025, 3, 21, 12, 0))]


def test_deadline_on_closing_time_stays_at_17h(policy):
    assert add_working_hours(local(2025, 3, 18, 8, 0), 9, policy) == local(2025, 3, 18, 17, 0)
    assert add_working_hours(local(2025, 3, 18, 8, 0), 9.5, policy) == local(2025, 3, 19, 8, 30)


def test_tet_2026_holiday_week(policy):
    # Friday 13 Feb 2026 16:30; 16–20 Feb is the Tết break, so the next working time is Mon 23 Feb.
    assert add_working_hours(local(2026, 2, 13, 16, 30), 4, policy) == local(2026, 2, 23, 11, 30)


def test_working_hours_between(policy):
    calendar = WorkingCalendar.covering(policy, [local(2025, 4, 4, 16, 0)], 100)
    hours = calendar.hours_between([local(2025, 4, 4, 16, 0)], [local(2025, 4, 8, 9, 0)])
    assert list(hours) == [2.0]  # Fri 16-17 and Tue 08-09; the weekend and the holiday count zero


def test_unknown_priority_is_a_clear_error(policy):
    with pytest.raises(ValueError, match="unknown SLA priority 'vip'"):
        due_times([local(2025, 3, 17, 9, 0)], ["vip"], policy)


def test_overdue_mask():
    now = local(2025, 3, 18, 9, 0)
    accept_due = [local(2025, 3, 17, 16, 0)] * 4
    due = [local(2025, 3, 21, 12, 0), local(2025, 3, 21, 12, 0), local(2025, 3, 17, 12, 0), local(2025, 3, 17, 12, 0)]
    statuses = ["received", "assigned", "in_progress", "resolved"]
    # unaccepted past 16:00 Monday; accepted and within time; past the urgent deadline; closed cases never late
    assert overdue_mask(statuses, accept_due, due, now).tolist() == [True, False, True, False]


def test_invalid_policy_file_names_the_file(tmp_path):
    path = tmp_path / "sla.toml"
    path.write_text(
        'working_days = [1]\nworking_periods = [["17:00", "08:00"]]\n[priorities.normal]\n'
        "accept_hours = 8\nresolve_hours = 8\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="sla.toml: working_periods"):
        load_sla_policy(path)
