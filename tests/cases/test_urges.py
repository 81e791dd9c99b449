"""Urges and escalations on both engines: who may urge, what is recorded, delivery through a unit's route to a
webhook and a Zalo OA endpoint on loopback, retries after a failure, escalation after N working hours, and the
page's immediate delivery (never raising, never sent twice beside a poll round)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from data.case_actions import ActionNotAllowedError, CaseInputError, perform
from data.case_detail import load_case
from data.config import load_settings
from data.schema import CaseUrge, ResponsibleUnit
from data.urges import claim, set_supervisors, urge
from monitoring.case_notify import deliver_now, deliver_urges, run_round

from .conftest import OPENED, Recorder

TOKEN = "zalo-oa-token-7c1d2e3f4a5b"
MONDAY_NOON = OPENED + dt.timedelta(hours=3)  # Monday 12:00 local: nothing overdue yet
TUESDAY_9 = dt.datetime(2025, 3, 18, 2, 0, tzinfo=dt.UTC)  # both cases 1 working hour past accept-by


@pytest.fixture
def settings(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TEST_ZALO_TOKEN", TOKEN)
    path = tmp_path / "unit_notify.toml"
    path.write_text(
        f"""
[escalation]
after_working_hours = 16

[supervisors]
"*" = "SONNMT"

[[receiver]]
name = "urenco-hook"
type = "webhook"
urls = ["{server}/hook"]

[[receiver]]
name = "urenco-zalo"
type = "zalo"
urls = ["{server}/zalo"]
access_token_env = "TEST_ZALO_TOKEN"
user_ids = ["84912000111"]

[[receiver]]
name = "so-hook"
type = "webhook"
urls = ["{server}/so"]

[[route]]
units = ["URENCO"]
receivers = ["urenco-hook", "urenco-zalo"]

[[route]]
units = ["SONNMT"]
families = ["escalation"]
receivers = ["so-hook"]
""",
        encoding="utf-8",
    )
    return load_settings(unit_notify_file=path, webhook_urls=[], language="vi")


def _urges(world) -> list[dict]:
    with world.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(CaseUrge.__table__).order_by(CaseUrge.id))]


@pytest.mark.parametrize("role", ["unit", "analyst"])
def test_only_leaders_and_operators_urge(world, role):
    actor = world.officer_b if role == "unit" else world.analyst
    with pytest.raises(ActionNotAllowedError):
        urge(world.engine, actor=actor, case_id=world.noise_case, at=MONDAY_NOON)
    assert _urges(world) == []


def test_an_urge_needs_one_open_case_or_a_unit_with_overdue_cases(world):
    with pytest.raises(CaseInputError):
        urge(world.engine, actor=world.leader, at=MONDAY_NOON)
    with pytest.raises(CaseInputError):
        urge(world.engine, actor=world.leader, case_id=world.noise_case, unit_code="URENCO", at=MONDAY_NOON)
    with pytest.raises(CaseInputError, match="URENCO"):  # nothing overdue on Monday noon
        urge(world.engine, actor=world.leader, unit_code="URENCO", at=MONDAY_NOON)
    perform(world.engine, world.noise_case, "reject", actor=world.officer_b, expected_version=0, note="trùng",
            media_dir=world.media_dir, at=MONDAY_NOON)  # fmt: skip
    with pytest.raises(ActionNotAllowedError):  # closed
        urge(world.engine, actor=world.leader, case_id=world.noise_case, at=MONDAY_NOON)
    assert _urges(world) == []


def test_urge_is_delivered_through_the_units_route_in_webhook_and_zalo_format(world, settings):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, note="Xử lý trước 17h", at=TUESDAY_9)
    assert (recorded.unit_code, recorded.kind, recorded.case_count) == ("URENCO", "urge", 1)
    delivered = deliver_urges(world.engine, settings, ids=[recorded.id], now=TUESDAY_9)
    assert delivered == {recorded.id: "urenco-hook, urenco-zalo"}
    by_path = {path: (token, body) for path, token, body in Recorder.calls}
    hook = by_path["/hook"][1]
    assert (hook["kind"], hook["to_unit"], hook["units"], hook["actor"]) == ("urge", "URENCO", ["URENCO"], "lanhdao")
    assert hook["cases"] == [{"id": world.noise_case, "title": "Karaoke", "path": f"/case?id={world.noise_case}"}]
    token, zalo = by_path["/zalo"]
    assert token == TOKEN and zalo["recipient"] == {"user_id": "84912000111"}
    assert zalo["message"]["text"] == (
        f"[đôn đốc] URENCO: đề nghị khẩn trương xử lý vụ việc #{world.noise_case} Karaoke. "
        "Ghi chú: Xử lý trước 17h. (lanhdao, 18/03/2025 09:00)"
    )
    row = _urges(world)[0]
    assert (row["delivered_via"], row["delivered_at"]) == ("urenco-hook, urenco-zalo", TUESDAY_9)
    shown = load_case(world.engine, world.noise_case, actor=world.officer_b, now=TUESDAY_9).urges
    assert [(u.kind, u.actor, u.note, u.delivered_via) for u in shown] == [
        ("urge", "lanhdao", "Xử lý trước 17h", "urenco-hook, urenco-zalo")
    ]
    assert deliver_urges(world.engine, settings, now=TUESDAY_9) == {}  # delivered once


def test_an_urge_on_a_units_overdue_list_names_its_overdue_cases(world, settings):
    recorded = urge(world.engine, actor=world.operator, unit_code="URENCO", at=TUESDAY_9)
    assert (recorded.case_id, recorded.case_count) == (None, 1)
    deliver_urges(world.engine, settings, now=TUESDAY_9)
    zalo = next(body for path, _, body in Recorder.calls if path == "/zalo")
    assert "xử lý 1 vụ việc quá hạn: #" in zalo["message"]["text"]


def test_a_failed_delivery_stays_pending_and_is_retried(world, settings):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    Recorder.status = 500
    assert deliver_urges(world.engine, settings, now=TUESDAY_9) == {}
    assert _urges(world)[0]["delivered_at"] is None
    Recorder.status = 200
    later = TUESDAY_9 + dt.timedelta(minutes=5)
    assert deliver_urges(world.engine, settings, now=later) == {recorded.id: "urenco-hook, urenco-zalo"}


def test_a_retry_goes_only_to_the_receivers_that_failed(world, settings):
    """Route URENCO → webhook + Zalo; Zalo fails: the urge stays pending, and the next round sends it to Zalo
    only (the unit's webhook group does not get the same urge twice)."""
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    Recorder.failing = {"/zalo"}
    assert deliver_urges(world.engine, settings, now=TUESDAY_9) == {}
    row = _urges(world)[0]
    assert (row["delivered_via"], row["delivered_at"]) == ("urenco-hook", None)  # pending; the webhook has it
    assert sorted(path for path, _, _ in Recorder.calls) == ["/hook", "/zalo"]
    Recorder.failing, Recorder.calls = set(), []
    later = TUESDAY_9 + dt.timedelta(minutes=5)
    assert deliver_urges(world.engine, settings, now=later) == {recorded.id: "urenco-hook, urenco-zalo"}
    assert [path for path, _, _ in Recorder.calls] == ["/zalo"]
    assert _urges(world)[0]["delivered_at"] == later
    assert deliver_urges(world.engine, settings, now=later) == {}


def test_an_urge_to_a_unit_without_a_route_waits_for_one(world, settings):
    urge(world.engine, actor=world.leader, case_id=world.waste_case, at=TUESDAY_9)  # UBND-A: no route, no webhook
    assert deliver_urges(world.engine, settings, now=TUESDAY_9) == {} and Recorder.calls == []


def test_escalation_after_n_working_hours_overdue_goes_to_the_supervising_body(world, settings):
    # accept-by Monday 17:00; 16 working hours later is Wednesday 15:00 local (08:00 UTC)
    wednesday_14 = dt.datetime(2025, 3, 19, 7, 0, tzinfo=dt.UTC)
    assert run_round(world.engine, wednesday_14, settings) == {"escalated": 0, "delivered": 0}
    with world.engine.connect() as conn:
        bosses = dict(conn.execute(select(ResponsibleUnit.code, ResponsibleUnit.supervisor_id)).all())
    assert bosses == {"SONNMT": None, "UBND-A": world.supervisor, "URENCO": world.supervisor}
    thursday_8 = dt.datetime(2025, 3, 20, 1, 0, tzinfo=dt.UTC)  # Thursday 08:00 local: 18 working hours late
    assert run_round(world.engine, thursday_8, settings) == {"escalated": 2, "delivered": 2}
    rows = _urges(world)
    assert sorted((r["case_id"], r["unit_id"], r["kind"], r["actor"]) for r in rows) == sorted(
        [
            (world.waste_case, world.unit_a, "escalation", "envmon"),
            (world.noise_case, world.unit_b, "escalation", "envmon"),
        ]
    )
    ((path, _, body),) = Recorder.calls  # one message to the supervising body, listing both cases
    assert (path, body["kind"], body["to_unit"], body["units"]) == ("/so", "escalation", "SONNMT", ["UBND-A", "URENCO"])
    assert sorted(case["id"] for case in body["cases"]) == sorted([world.waste_case, world.noise_case])
    assert run_round(world.engine, thursday_8 + dt.timedelta(hours=2), settings)["escalated"] == 0  # once


def test_escalation_is_off_at_zero_and_supervisors_are_not_rewritten(world, tmp_path):
    path = tmp_path / "off.toml"
    path.write_text("[escalation]\nafter_working_hours = 0\n", encoding="utf-8")
    friday = dt.datetime(2025, 3, 21, 9, 0, tzinfo=dt.UTC)
    assert run_round(world.engine, friday, load_settings(unit_notify_file=path)) == {"escalated": 0, "delivered": 0}
    assert set_supervisors(world.engine, {"*": "SONNMT"}) == 0  # already so (and SONNMT not its own)
    assert set_supervisors(world.engine, {"URENCO": "UBND-A", "*": "SONNMT"}) == 1
    assert set_supervisors(world.engine, {"URENCO": "UBND-A", "*": "SONNMT"}) == 0


def _hook_calls() -> int:
    return sum(1 for path, _, _ in Recorder.calls if path == "/hook")


def test_an_urge_pressed_on_a_page_is_sent_at_once_and_only_once(world, settings):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    assert deliver_now(world.engine, settings, recorded.id, now=TUESDAY_9) == "urenco-hook, urenco-zalo"
    assert _hook_calls() == 1 and _urges(world)[0]["delivered_at"] == TUESDAY_9
    assert run_round(world.engine, TUESDAY_9 + dt.timedelta(minutes=1), settings)["delivered"] == 0
    assert _hook_calls() == 1  # the poll round does not send it again


def test_a_failed_delivery_on_a_page_never_raises_and_the_poll_round_sends_it_once(world, settings):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    Recorder.status = 500
    assert deliver_now(world.engine, settings, recorded.id, now=TUESDAY_9) is None
    assert _urges(world)[0]["delivered_at"] is None  # recorded, pending
    Recorder.status, Recorder.calls = 200, []
    later = TUESDAY_9 + dt.timedelta(minutes=1)
    assert run_round(world.engine, later, settings)["delivered"] == 1
    assert run_round(world.engine, later + dt.timedelta(minutes=1), settings)["delivered"] == 0
    assert _hook_calls() == 1 and _urges(world)[0]["delivered_at"] == later


def test_an_unreachable_receiver_or_a_broken_route_file_leaves_the_urge_pending(world, settings, tmp_path):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    broken = tmp_path / "broken.toml"
    broken.write_text("[escalation\n", encoding="utf-8")
    assert deliver_now(world.engine, load_settings(unit_notify_file=broken), recorded.id, now=TUESDAY_9) is None
    closed_port = settings.config_path("unit_notify").read_text(encoding="utf-8").replace(
        "127.0.0.1:", "127.0.0.1:1#"
    )  # fmt: skip
    (tmp_path / "closed.toml").write_text(closed_port, encoding="utf-8")
    unreachable = load_settings(unit_notify_file=tmp_path / "closed.toml", webhook_urls=[])
    assert deliver_now(world.engine, unreachable, recorded.id, now=TUESDAY_9) is None
    assert _urges(world)[0]["delivered_at"] is None and Recorder.calls == []


def test_a_page_and_a_poll_round_sending_at_the_same_moment_deliver_once(world, settings):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    Recorder.delay = 0.5  # a slow receiver: the two senders overlap
    results: dict[str, object] = {}
    page = threading.Thread(target=lambda: results.update(page=deliver_now(world.engine, settings, recorded.id)))
    page.start()
    time.sleep(0.1)
    results["poll"] = deliver_urges(world.engine, settings)
    page.join()
    assert _hook_calls() == 1
    assert (results["page"], results["poll"]) == ("urenco-hook, urenco-zalo", {})


def test_a_sender_that_died_mid_way_leaves_the_urge_to_a_later_round(world, settings):
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
    assert claim(world.engine, [recorded.id], "dead-page", TUESDAY_9, dt.timedelta(minutes=5))
    assert deliver_now(world.engine, settings, recorded.id, now=TUESDAY_9) is None and Recorder.calls == []
    after_expiry = TUESDAY_9 + dt.timedelta(minutes=6)
    assert deliver_urges(world.engine, settings, now=after_expiry) == {recorded.id: "urenco-hook, urenco-zalo"}
    assert _hook_calls() == 1
