"""Case actions on both engines: roles, statuses, unit scope, optimistic concurrency, evidence, the record."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, select

from data.case_actions import (
    ActionNotAllowedError,
    CaseConflictError,
    CaseInputError,
    CaseNotFoundError,
    EvidenceRequiredError,
    actor_for_user,
    perform,
)
from data.case_detail import load_case
from data.schema import CaseStatusChange, ComplaintCase, ComplaintReport
from data.sla import add_working_hours, is_overdue, overdue_mask
from data.users import create_user
from data.workflow import allowed_actions, status_history

from .conftest import OPENED

T1 = OPENED + dt.timedelta(hours=1)
T2 = OPENED + dt.timedelta(hours=2)


def act(world, case_id, action, actor, **kwargs):
    version = kwargs.pop("version", None)
    if version is None:
        version = world.case(case_id)["version"]
    kwargs.setdefault("at", T1)
    return perform(world.engine, case_id, action, actor=actor, expected_version=version,
                   media_dir=world.media_dir, **kwargs)  # fmt: skip


def history_count(world, case_id):
    with world.engine.connect() as conn:
        return conn.execute(select(func.count()).where(CaseStatusChange.case_id == case_id)).scalar_one()


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("received", "unit", ("accept", "assign", "reject", "transfer")),
        ("received", "operator", ("accept", "assign", "reject", "transfer", "merge", "split")),
        ("received", "leader", ("transfer",)),
        ("received", "analyst", ()),
        ("accepted", "unit", ("assign", "in_progress", "resolve", "reject", "transfer")),
        ("in_progress", "unit", ("assign", "resolve", "reject", "transfer")),
        ("resolved", "unit", ()),
        ("resolved", "operator", ("reopen",)),
        ("transferred", "operator", ("reopen",)),  # a case closed as transferred before transfers re-routed
        ("merged", "operator", ()),
    ],
)
def test_allowed_actions_per_status_and_role(status, role, expected):
    assert allowed_actions(status, role) == expected


def test_accept_assign_start_resolve_are_recorded_with_actor_time_and_note(world):
    case_id = world.noise_case
    first = act(world, case_id, "accept", world.officer_b, note="đã nhận", at=T1)
    assert (first.from_status, first.to_status, first.version) == ("received", "accepted", 1)
    act(world, case_id, "assign", world.officer_b, assignee="Tổ đô thị số 2", at=T1 + dt.timedelta(minutes=5))
    act(world, case_id, "in_progress", world.officer_b, at=T1 + dt.timedelta(minutes=10))
    result = act(world, case_id, "resolve", world.officer_b, note="Đã nhắc nhở, chấm dứt tiếng ồn", at=T2)
    case = world.case(case_id)
    assert (case["status"], case["version"], case["assignee"]) == ("resolved", 4, "Tổ đô thị số 2")
    assert (case["accepted_at"], case["resolved_at"], case["result_note"]) == (T1, T2, "Đã nhắc nhở, chấm dứt tiếng ồn")
    history = status_history(world.engine, case_id)
    assert [(h.from_status, h.to_status, h.actor) for h in history[1:]] == [
        ("received", "accepted", "urenco"),
        ("accepted", "assigned", "urenco"),
        ("assigned", "in_progress", "urenco"),
        ("in_progress", "resolved", "urenco"),
    ]
    assert history[1].note == "đã nhận" and history[2].note == "→ Tổ đô thị số 2"
    assert history[-1].id == result.history_id and history[-1].at == T2 and history[-1].unit_id == world.unit_b


@pytest.mark.parametrize(
    ("action", "role", "error"),
    [
        ("resolve", "analyst", "Vai trò “Chuyên viên phân tích” không được thực hiện “Hoàn thành”."),
        ("resolve", "leader", "Vai trò “Lãnh đạo” không được thực hiện “Hoàn thành”."),
        ("reopen", "unit", "Vai trò “Đơn vị xử lý” không được thực hiện “Mở lại”."),
        ("merge", "unit", "Vai trò “Đơn vị xử lý” không được thực hiện “Gộp vụ việc”."),
        ("resolve", "unit", "Không thể “Hoàn thành” khi vụ việc đang ở trạng thái “Tiếp nhận”."),
        ("in_progress", "operator", "Không thể “Bắt đầu xử lý” khi vụ việc đang ở trạng thái “Tiếp nhận”."),
    ],
)
def test_refused_actions_write_nothing(world, action, role, error):
    actor = {"analyst": world.analyst, "leader": world.leader, "unit": world.officer_b, "operator": world.operator}[
        role
    ]
    with pytest.raises(ActionNotAllowedError) as caught:
        act(world, world.noise_case, action, actor, note="x")
    assert caught.value.text("vi") == error
    assert world.case(world.noise_case)["version"] == 0 and history_count(world, world.noise_case) == 1


def test_a_unit_cannot_read_or_change_another_units_case(world):
    missing = CaseNotFoundError(999_999)
    with pytest.raises(CaseNotFoundError) as other:
        act(world, world.waste_case, "accept", world.officer_b, version=0)
    with pytest.raises(CaseNotFoundError) as stale_probe:  # a wrong version does not reveal the case either
        act(world, world.waste_case, "accept", world.officer_b, version=7)
    with pytest.raises(CaseNotFoundError) as absent:
        act(world, 999_999, "accept", world.officer_b, version=0)
    assert other.value.text("en") == f"No case #{world.waste_case}."
    assert type(other.value) is type(stale_probe.value) is type(absent.value) and absent.value.text(
        "vi"
    ) == missing.text("vi")
    with pytest.raises(CaseNotFoundError):
        load_case(world.engine, world.waste_case, actor=world.officer_b)
    assert world.case(world.waste_case)["version"] == 0 and world.case(world.waste_case)["status"] == "received"
    assert load_case(world.engine, world.waste_case, actor=world.officer_a).id == world.waste_case


def test_stale_version_is_a_conflict_naming_who_acted_first(world):
    act(world, world.noise_case, "accept", world.officer_b, version=0)
    with pytest.raises(CaseConflictError) as caught:
        act(world, world.noise_case, "reject", world.operator, version=0, note="trùng")
    assert caught.value.text("en") == (
        f"Case #{world.noise_case} was just updated by urenco (status: Accepted); nothing was overwritten — reload "
        "and try again."
    )
    assert world.case(world.noise_case)["status"] == "accepted" and history_count(world, world.noise_case) == 2


def test_concurrent_resolve_exactly_one_wins(world):
    act(world, world.noise_case, "accept", world.officer_b, version=0)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def resolve(who: str) -> None:
        barrier.wait()
        try:
            outcomes.append(act(world, world.noise_case, "resolve", world.officer_b, version=1, note=f"xong ({who})"))
        except CaseConflictError as err:
            outcomes.append(err)

    threads = [threading.Thread(target=resolve, args=(name,)) for name in ("một", "hai")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    conflicts = [o for o in outcomes if isinstance(o, CaseConflictError)]
    assert len(outcomes) == 2 and len(conflicts) == 1
    winner = next(o for o in outcomes if not isinstance(o, CaseConflictError))
    case = world.case(world.noise_case)
    assert (case["status"], case["version"], winner.version) == ("resolved", 2, 2)
    assert case["result_note"].startswith("xong (") and history_count(world, world.noise_case) == 3
    last = status_history(world.engine, world.noise_case)[-1]
    assert (last.id, last.note) == (winner.history_id, case["result_note"])


def test_resolve_needs_a_note_and_the_categorys_after_photo(world):
    act(world, world.waste_case, "accept", world.officer_a, version=0)
    with pytest.raises(CaseInputError) as no_note:
        act(world, world.waste_case, "resolve", world.officer_a, note="  ")
    assert no_note.value.text("vi") == "Hoàn thành cần ghi kết quả xử lý."
    with pytest.raises(EvidenceRequiredError) as no_photo:  # waste: after_photo_required in categories.toml
        act(world, world.waste_case, "resolve", world.officer_a, note="đã thu gom")
    assert "ảnh “sau xử lý”" in no_photo.value.text("vi")
    case = world.case(world.waste_case)
    assert (case["status"], case["version"], case["resolved_at"]) == ("accepted", 1, None)


def test_reject_needs_a_reason(world):
    with pytest.raises(CaseInputError, match="reason"):
        act(world, world.noise_case, "reject", world.officer_b)
    act(world, world.noise_case, "reject", world.officer_b, note="Không thuộc thẩm quyền", at=T2)
    assert (world.case(world.noise_case)["status"], world.case(world.noise_case)["resolved_at"]) == ("rejected", T2)


def test_transfer_reroutes_and_restarts_the_accept_clock(world):
    act(world, world.waste_case, "accept", world.officer_a, version=0, at=T1)
    at = dt.datetime(2025, 3, 19, 3, 0, tzinfo=dt.UTC)  # Wednesday 10:00 local
    with pytest.raises(CaseInputError):
        act(world, world.waste_case, "transfer", world.officer_a, note="không thuộc địa bàn", at=at)
    with pytest.raises(CaseInputError, match="NOPE"):
        act(world, world.waste_case, "transfer", world.officer_a, note="x", to_unit="NOPE", at=at)
    act(world, world.waste_case, "transfer", world.officer_a, note="thuộc URENCO", to_unit="URENCO", at=at)
    case = world.case(world.waste_case)
    assert (case["status"], case["unit_id"], case["accepted_at"]) == ("received", world.unit_b, None)
    assert (
        case["accept_due_at"] == add_working_hours(at, 8, world.policy) == dt.datetime(2025, 3, 20, 2, 0, tzinfo=dt.UTC)
    )
    history = status_history(world.engine, world.waste_case)
    assert [(h.from_status, h.to_status, h.unit_id) for h in history[-2:]] == [
        ("accepted", "transferred", world.unit_a),
        ("transferred", "received", world.unit_b),
    ]
    # the old unit no longer sees it; the new one does
    with pytest.raises(CaseNotFoundError):
        load_case(world.engine, world.waste_case, actor=world.officer_a)
    assert load_case(world.engine, world.waste_case, actor=world.officer_b, now=at).clock.deadline == "accept"
    # the one overdue rule, as SQL and as a mask, agrees on the restarted clock (late only after Thursday 09:00)
    for now, late in ((at + dt.timedelta(hours=22), False), (at + dt.timedelta(hours=24), True)):
        with world.engine.connect() as conn:
            row = conn.execute(
                select(ComplaintCase.status, ComplaintCase.accept_due_at, ComplaintCase.due_at, is_overdue(now)).where(
                    ComplaintCase.id == world.waste_case
                )
            ).one()
        assert bool(row[3]) is late
        assert bool(overdue_mask(pd.Series([row[0]]), pd.Series([row[1]]), pd.Series([row[2]]), now)[0]) is late


def test_reopen_counts_against_the_unit_and_restarts_the_accept_clock(world):
    act(world, world.noise_case, "reject", world.officer_b, version=0, note="đã kiểm tra", at=T1)
    later = dt.datetime(2025, 3, 24, 2, 0, tzinfo=dt.UTC)  # the next Monday 09:00
    with pytest.raises(CaseInputError):
        act(world, world.noise_case, "reopen", world.operator, at=later)
    act(world, world.noise_case, "reopen", world.operator, note="Người dân báo vẫn ồn", at=later)
    case = world.case(world.noise_case)
    assert (case["status"], case["reopen_count"], case["resolved_at"]) == ("received", 1, None)
    assert case["accept_due_at"] == dt.datetime(2025, 3, 24, 10, 0, tzinfo=dt.UTC)  # Monday 17:00 local


def test_merge_moves_the_reports_and_closes_the_duplicate(world):
    result = act(world, world.noise_case, "merge", world.operator, into_case=world.waste_case, note="trùng")
    assert result.to_status == "merged"
    noise, waste = world.case(world.noise_case), world.case(world.waste_case)
    assert (noise["status"], noise["merged_into_id"], noise["report_count"]) == ("merged", world.waste_case, 0)
    assert (waste["report_count"], waste["version"]) == (3, 1)
    with world.engine.connect() as conn:
        moved = conn.execute(select(func.count()).where(ComplaintReport.case_id == world.waste_case)).scalar_one()
    assert moved == 3
    assert (
        status_history(world.engine, world.waste_case)[-1].note == f"#{world.noise_case} → #{world.waste_case} — trùng"
    )
    with pytest.raises(CaseInputError):
        act(world, world.waste_case, "merge", world.operator, into_case=world.noise_case)  # into a closed case


def test_split_moves_one_report_into_a_new_case_of_the_same_unit(world):
    first, second = world.waste_reports
    result = act(world, world.waste_case, "split", world.operator, report_id=second, note="khác địa điểm")
    new = world.case(result.new_case_id)
    assert (new["unit_id"], new["status"], new["report_count"], new["category_code"]) == (
        world.unit_a,
        "received",
        1,
        "waste",
    )
    assert new["accept_due_at"] == add_working_hours(T1, 8, world.policy)
    old = world.case(world.waste_case)
    assert (old["report_count"], old["status"], old["version"]) == (1, "received", 1)
    with pytest.raises(CaseInputError):  # the only report left
        act(world, world.waste_case, "split", world.operator, report_id=first)
    with pytest.raises(CaseInputError):  # not a report of this case
        act(world, world.noise_case, "split", world.operator, report_id=first)


def test_actor_for_user_takes_role_and_units_from_the_account(world):
    create_user(world.engine, "ubnd-a", "Trâu-vàng-đứng-gốc-đa-42", "unit", units=["UBND-A"])
    actor = actor_for_user(world.engine, "UBND-A")
    assert (actor.username, actor.role, actor.unit_ids) == ("ubnd-a", "unit", frozenset({world.unit_a}))
    with pytest.raises(CaseInputError, match="no-one"):
        actor_for_user(world.engine, "no-one")


def test_load_case_shows_reports_record_clock_and_personal_data_only_to_handlers(world):
    act(world, world.waste_case, "accept", world.officer_a, version=0, note="nhận", at=T1)
    now = OPENED + dt.timedelta(hours=3)  # Monday 12:00 local
    detail = load_case(world.engine, world.waste_case, actor=world.officer_a, now=now)
    assert (detail.version, detail.status, detail.unit.code) == (1, "accepted", "UBND-A")
    assert [r.external_id for r in detail.reports] == ["R1", "R2"]
    assert detail.reports[0].reporter_phone == "0912345678"
    assert [(h.to_status, h.actor) for h in detail.history] == [("received", "import"), ("accepted", "ubnd-a")]
    assert detail.clock.deadline == "resolve" and detail.clock.working_hours_left == 37.0 and not detail.clock.overdue
    assert detail.allowed_actions == ("assign", "in_progress", "resolve", "reject", "transfer")
    assert [n.id for n in detail.nearby] == []  # the noise case is unit B's: out of this unit's scope
    leader_view = load_case(world.engine, world.waste_case, actor=world.leader, now=now)
    assert leader_view.reports[0].reporter_phone is None and leader_view.reports[0].reporter_name is None
    assert [n.id for n in leader_view.nearby] == [world.noise_case] and leader_view.allowed_actions == ("transfer",)


def test_a_case_locked_by_another_writer_is_a_clear_conflict(world):
    if world.engine.dialect.name != "sqlite":
        pytest.skip("the other writer holds SQLite's write lock; PostgreSQL waits on the row lock (test above)")
    import sqlite3

    impatient = create_engine(world.engine.url, connect_args={"timeout": 0.3})  # waits 0.3 s, not 30 s
    other = sqlite3.connect(world.engine.url.database, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write, longer than the busy timeout
    try:
        with pytest.raises(CaseConflictError) as caught:
            perform(impatient, world.noise_case, "accept", actor=world.officer_b, expected_version=0,
                    media_dir=world.media_dir, at=T1)  # fmt: skip
    finally:
        other.rollback()
        other.close()
        impatient.dispose()
    assert caught.value.text("en").startswith(f"Someone else is updating case #{world.noise_case} right now")
    assert world.case(world.noise_case)["version"] == 0


def _run_together(*calls):
    """Run ``calls`` on threads of their own, each started 0.3 s after the one before; their outcomes in order."""
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except (CaseConflictError, CaseInputError) as err:
            outcomes[index] = err

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
        threading.Event().wait(0.3)
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _reports_in_closed_cases(world) -> int:
    with world.engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(ComplaintReport)
            .join(ComplaintCase, ComplaintCase.id == ComplaintReport.case_id)
            .where(ComplaintCase.status == "merged")
        ).scalar_one()


def _slow_merge_of(case_id, monkeypatch):
    """Make the merge of ``case_id`` hold its transaction open for a second after doing its work."""
    from data import case_actions

    merge = case_actions._STEPS["merge"]

    def slow(context, **inputs):
        done = merge(context, **inputs)
        if context.case.id == case_id:
            threading.Event().wait(1.0)
        return done

    monkeypatch.setitem(case_actions._STEPS, "merge", slow)


def test_a_merge_into_a_case_being_merged_away_is_refused(world, monkeypatch):
    """B is merged into C while A is merged into B: A's merge must not land in a case that is no longer open."""
    third = act(world, world.waste_case, "split", world.operator, report_id=world.waste_reports[1]).new_case_id
    _slow_merge_of(world.noise_case, monkeypatch)
    first, second = _run_together(
        lambda: act(world, world.noise_case, "merge", world.operator, into_case=third, version=0),
        lambda: act(world, world.waste_case, "merge", world.operator, into_case=world.noise_case, version=1),
    )
    assert first.to_status == "merged"
    assert isinstance(second, CaseInputError | CaseConflictError), second
    assert world.case(world.waste_case)["status"] == "received"  # nothing of the refused merge was written
    assert _reports_in_closed_cases(world) == 0


def test_opposite_merges_at_once_one_wins(world, monkeypatch):
    """A → B and B → A at the same moment: exactly one merge happens, never a cycle."""
    _slow_merge_of(world.noise_case, monkeypatch)
    outcomes = _run_together(
        lambda: act(world, world.noise_case, "merge", world.operator, into_case=world.waste_case, version=0),
        lambda: act(world, world.waste_case, "merge", world.operator, into_case=world.noise_case, version=0),
    )
    refused = [o for o in outcomes if isinstance(o, CaseInputError | CaseConflictError)]
    assert len(refused) == 1, outcomes
    statuses = {world.case(c)["status"] for c in (world.noise_case, world.waste_case)}
    assert statuses == {"merged", "received"} and _reports_in_closed_cases(world) == 0


def test_one_case_merged_into_two_survivors_at_once_moves_once(world, monkeypatch):
    third = act(world, world.waste_case, "split", world.operator, report_id=world.waste_reports[1]).new_case_id
    _slow_merge_of(world.noise_case, monkeypatch)
    outcomes = _run_together(
        lambda: act(world, world.noise_case, "merge", world.operator, into_case=world.waste_case, version=0),
        lambda: act(world, world.noise_case, "merge", world.operator, into_case=third, version=0),
    )
    assert isinstance(outcomes[1], CaseConflictError) and not isinstance(outcomes[0], Exception)
    noise = world.case(world.noise_case)
    assert (noise["status"], noise["merged_into_id"]) == ("merged", world.waste_case)
    assert world.case(third)["report_count"] == 1 and _reports_in_closed_cases(world) == 0
