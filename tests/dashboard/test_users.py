"""Users: Argon2 hashes, roles and unit accounts, password and username rules, the atomic lockout, account
changes that end sessions and are audited, the first operator from the environment, and ``envmon users``."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Callable
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from cli import main
from data import sessions
from data.audit import recent
from data.config import load_settings
from data.db import transaction
from data.schema import ResponsibleUnit, User
from data.users import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    AccountError,
    create_user,
    ensure_admin_from_env,
    list_users,
    set_active,
    set_password,
    set_role,
    set_units,
    unit_scope,
    verify_password,
)

POLICY = sessions.SessionPolicy()


def _units(engine: Engine, *codes: str) -> dict[str, int]:
    with transaction(engine) as session:
        rows = [ResponsibleUnit(code=code, name=f"Đơn vị {code}") for code in codes]
        session.add_all(rows)
        session.flush()
        return {row.code: row.id for row in rows}


def test_password_is_stored_as_argon2_and_verified(engine: Engine) -> None:
    create_user(engine, "lan", "mat-khau-dai-du", "leader")
    with engine.connect() as conn:
        stored = conn.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "mat-khau-dai-du" not in stored
    assert verify_password(engine, "lan", "mat-khau-dai-du").role == "leader"
    assert verify_password(engine, "LAN ", "mat-khau-dai-du").username == "lan"  # names are normalised
    assert verify_password(engine, "lan", "wrong-password") is None
    assert verify_password(engine, "nobody", "mat-khau-dai-du") is None


def test_wrong_passwords_in_a_row_lock_the_account_for_a_while(engine: Engine) -> None:
    create_user(engine, "lan", "mat-khau-dai-du", "leader")
    start = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert verify_password(engine, "lan", "doan-mo", now=start) is None
    assert verify_password(engine, "lan", "mat-khau-dai-du", now=start) is not None  # a success clears the count
    for _ in range(MAX_FAILED_LOGINS):
        assert verify_password(engine, "lan", "doan-mo", now=start) is None
    just_before = start + LOCKOUT - dt.timedelta(seconds=1)
    assert verify_password(engine, "lan", "mat-khau-dai-du", now=just_before) is None  # locked: right password fails
    with engine.connect() as conn:
        failed, locked_until = conn.execute(select(User.failed_logins, User.locked_until)).one()
    assert (failed, locked_until) == (0, start + LOCKOUT)
    assert verify_password(engine, "lan", "mat-khau-dai-du", now=start + LOCKOUT).role == "leader"


def test_parallel_guesses_cannot_outrun_the_lockout(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """#13.8: 12 parallel attempts used to perform 12 password checks; at most MAX_FAILED_LOGINS may run."""
    import data.users as users

    create_user(engine, "lan", "mat-khau-dai-du", "leader")
    checks: list[str] = []
    barrier = threading.Barrier(12)

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002 - argon2's name
            checks.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_hasher", CountingHasher())

    def attempt(i: int) -> None:
        barrier.wait()
        verify_password(engine, "lan", f"guess-number-{i}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) <= MAX_FAILED_LOGINS
    assert verify_password(engine, "lan", "mat-khau-dai-du") is None  # and the account is now locked
    with engine.connect() as conn:
        assert conn.execute(select(User.locked_until)).scalar_one() is not None


def test_new_password_lifts_the_lock(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, "lan", "first-password", "analyst")
    for _ in range(MAX_FAILED_LOGINS):
        verify_password(sqlite_engine, "lan", "doan-mo")
    assert verify_password(sqlite_engine, "lan", "first-password") is None
    set_password(sqlite_engine, "lan", "second-password")
    assert verify_password(sqlite_engine, "lan", "second-password") is not None


@pytest.mark.parametrize(
    ("name", "password", "role", "code"),
    [
        ("lan", "short", "leader", "password_short"),
        ("lan", "long-enough-pw", "admin", "bad_role"),
        ("có dấu cách", "long-enough-pw", "leader", "bad_username"),
        ("lan", " " * 9, "leader", "password_short"),
        ("lan", " " * 10, "leader", "password_blank"),  # #13.13: ten spaces
        ("lan", "1234567890", "leader", "password_weak"),
        ("lan", "password123", "leader", "password_weak"),
        ("lead2", "lead2lead2", "leader", "password_has_username"),
        ("nguyen", "Nguyen-2024-mat-khau", "leader", "password_has_username"),
        ("lan", "qwertyuiop", "leader", "password_weak"),
        ("lеad2", "long-enough-pw", "leader", "mixed_script"),  # Cyrillic е among Latin letters
    ],
)
def test_bad_users_are_refused(sqlite_engine: Engine, name: str, password: str, role: str, code: str) -> None:
    with pytest.raises(AccountError) as refused:
        create_user(sqlite_engine, name, password, role)
    assert refused.value.code == code
    assert refused.value.text("vi") != str(refused.value)  # the page shows it in Vietnamese
    assert list_users(sqlite_engine) == []


@pytest.mark.parametrize("other", ["Lead2", "LEAD2", "ｌｅａｄ２", "1ead2", "lеаd2".replace("а", "a")])
def test_look_alike_usernames_are_refused(engine: Engine, other: str) -> None:
    create_user(engine, "lead2", "mat-khau-dai-du", "leader")
    with pytest.raises(AccountError) as refused:
        create_user(engine, other, "mat-khau-dai-du", "leader")
    assert refused.value.code in {"exists", "confusable", "mixed_script"}
    assert [u.username for u in list_users(engine)] == ["lead2"]


def test_pure_cyrillic_look_alike_is_refused(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, "cap", "mat-khau-dai-du", "leader")
    with pytest.raises(AccountError) as refused:
        create_user(sqlite_engine, "сар", "mat-khau-dai-du", "leader")  # Cyrillic с, а, р: one script only
    assert refused.value.code == "confusable"


def test_duplicate_user_and_password_change(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, "lan", "first-password", "analyst")
    with pytest.raises(ValueError, match="already exists"):
        create_user(sqlite_engine, "lan", "other-password", "analyst")
    set_password(sqlite_engine, "lan", "second-password")
    assert verify_password(sqlite_engine, "lan", "first-password") is None
    assert verify_password(sqlite_engine, "lan", "second-password") is not None
    with pytest.raises(ValueError, match="no such user"):
        set_password(sqlite_engine, "ghost", "second-password")
    with pytest.raises(AccountError, match="easy to guess"):
        set_password(sqlite_engine, "lan", "1234567890")


def test_unit_accounts_are_bound_to_units_and_scoped(engine: Engine) -> None:
    ids = _units(engine, "UBND-HK", "URENCO", "CA-BD")
    staff = create_user(engine, "lan", "mat-khau-dai-du", "leader")
    unit = create_user(engine, "hoankiem", "mat-khau-dai-du", "unit", units=["UBND-HK", "URENCO"])
    assert unit.units == ("UBND-HK", "URENCO")
    assert unit_scope(engine, staff.id) is None  # staff see every unit
    assert unit_scope(engine, unit.id) == {ids["UBND-HK"], ids["URENCO"]}
    set_units(engine, "hoankiem", ["CA-BD"], actor="ops")
    assert unit_scope(engine, unit.id) == {ids["CA-BD"]}
    set_active(engine, "hoankiem", False, actor="ops")
    assert unit_scope(engine, unit.id) == frozenset()  # deactivated: sees nothing
    assert unit_scope(engine, 999_999) == frozenset()
    for bad, code in (
        (dict(role="unit"), "unit_needs_units"),
        (dict(role="unit", units=["NOPE"]), "unknown_units"),
        (dict(role="analyst", units=["URENCO"]), "units_for_unit_role"),
    ):
        with pytest.raises(AccountError) as refused:
            create_user(engine, "khac", "mat-khau-dai-du", **bad)
        assert refused.value.code == code
    set_role(engine, "lan", "unit", units=["URENCO"], actor="ops")
    assert unit_scope(engine, staff.id) == {ids["URENCO"]}
    set_role(engine, "lan", "analyst", actor="ops")
    assert unit_scope(engine, staff.id) is None
    assert [(u.username, u.units) for u in list_users(engine)] == [("hoankiem", ("CA-BD",)), ("lan", ())]


def test_changes_end_sessions_and_are_audited(engine: Engine) -> None:
    user = create_user(engine, "lan", "mat-khau-dai-du", "operator", actor="ops")

    def live_session() -> int:
        session_id, _code = sessions.start(engine, user.id, POLICY)
        assert sessions.resolve(engine, POLICY, session_id=session_id).role == "operator"
        return session_id

    first = live_session()
    assert set_role(engine, "lan", "leader", actor="ops") == 1
    assert sessions.resolve(engine, POLICY, session_id=first) is None
    session_id, _ = sessions.start(engine, user.id, POLICY)
    assert sessions.resolve(engine, POLICY, session_id=session_id).role == "leader"  # the role is read fresh
    assert set_password(engine, "lan", "another-long-secret", actor="ops") == 1
    assert sessions.resolve(engine, POLICY, session_id=session_id) is None
    session_id, _ = sessions.start(engine, user.id, POLICY)
    assert set_active(engine, "lan", False, actor="ops") == 1
    assert sessions.resolve(engine, POLICY, session_id=session_id) is None
    assert verify_password(engine, "lan", "another-long-secret") is None
    set_active(engine, "lan", True, actor="ops")
    assert verify_password(engine, "lan", "another-long-secret") is not None
    with pytest.raises(AccountError, match="yourself"):
        set_active(engine, "lan", False, actor="lan")
    with pytest.raises(AccountError, match="yourself"):
        set_role(engine, "lan", "operator", actor="lan")
    log = recent(engine)
    assert [(e.action, e.actor, e.target) for e in log] == [
        ("user.activate", "ops", "lan"),
        ("user.deactivate", "ops", "lan"),
        ("user.password", "ops", "lan"),
        ("user.role", "ops", "lan"),
        ("user.create", "ops", "lan"),
    ]
    assert log[3].detail == {"before": "operator", "after": "leader", "units": [], "sessions_ended": 1}
    assert "mat-khau" not in json.dumps([e.detail for e in log])  # never a password


def test_first_operator_only_from_both_variables(sqlite_engine: Engine) -> None:
    assert ensure_admin_from_env(sqlite_engine, load_settings(admin_user="boss")) is None
    assert list_users(sqlite_engine) == []
    settings = load_settings(admin_user="boss", admin_password="a-strong-secret")
    assert ensure_admin_from_env(sqlite_engine, settings).role == "operator"
    assert ensure_admin_from_env(sqlite_engine, settings) is None  # idempotent
    assert [u.username for u in list_users(sqlite_engine)] == ["boss"]


def test_cli_adds_from_stdin_and_lists(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-password-123\n"))
    assert main(["users", "add", "hoa", "--role", "analyst"]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": "hoa", "role": "analyst"}
    assert main(["users", "list"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"username": "hoa", "role": "analyst", "active": True, "units": []}]
    assert verify_password(sqlite_engine, "hoa", "piped-password-123") is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["users", "add", "empty", "--role", "leader"]) == 2
    assert "no password" in capsys.readouterr().err


def test_cli_account_changes(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", str(sqlite_engine.url))
    _units(sqlite_engine, "URENCO", "UBND-HK")
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-password-123\n"))
    assert main(["users", "add", "urenco", "--role", "unit", "--unit", "URENCO"]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": "urenco", "role": "unit", "units": ["URENCO"]}
    user_id = list_users(sqlite_engine)[0].id
    session_id, _ = sessions.start(sqlite_engine, user_id, POLICY)
    assert main(["users", "deactivate", "urenco"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deactivated": "urenco", "sessions_ended": 1}
    assert sessions.resolve(sqlite_engine, POLICY, session_id=session_id) is None
    assert main(["users", "activate", "urenco"]) == 0
    assert main(["users", "units", "urenco", "--unit", "UBND-HK", "--unit", "URENCO"]) == 0
    assert main(["users", "role", "urenco", "analyst"]) == 0
    capsys.readouterr()
    assert main(["users", "role", "urenco", "unit"]) == 2  # a unit account needs --unit
    assert "cần ít nhất một đơn vị xử lý" in capsys.readouterr().err  # in the configured language (vi)
    monkeypatch.setattr("sys.stdin", io.StringIO("another-piped-secret\n"))
    assert main(["users", "passwd", "urenco"]) == 0
    capsys.readouterr()
    assert main(["users", "audit", "--user", "urenco"]) == 0
    actions = [entry["action"] for entry in json.loads(capsys.readouterr().out)]
    assert actions == ["user.password", "user.role", "user.units", "user.activate", "user.deactivate", "user.create"]


def test_users_page_changes_accounts_and_shows_the_audit_log(
    app: Callable[..., AppTest], seeded_db: tuple[str, Engine]
) -> None:
    """#16: an operator deactivates, reactivates, re-roles and re-passwords an account on the page; each change
    is in the audit log table (who, when, what, target), and refusals are one sentence in Vietnamese."""
    engine = seeded_db[1]
    create_user(engine, "tam", "mat-khau-dai-du", "analyst", actor="ops")
    at = app("users", user="ops")
    assert [t.value for t in at.title] == ["Quản lý người dùng"]

    def change(action: str, *, role: str | None = None, password: str = "") -> None:
        [box for box in at.selectbox if box.label == "Tài khoản"][0].set_value("tam")
        [box for box in at.selectbox if box.label == "Thao tác"][0].set_value(action)
        if role:
            [box for box in at.selectbox if box.label == "Vai trò"][-1].set_value(role)
        [box for box in at.text_input if box.label == "Mật khẩu mới"][0].input(password)
        [button for button in at.button if button.label == "Thực hiện"][0].click().run()
        assert not at.exception

    change("deactivate")
    assert "Đã khóa tam; 0 phiên đăng nhập đã kết thúc." in [s.value for s in at.success]
    assert verify_password(engine, "tam", "mat-khau-dai-du") is None
    change("activate")
    change("role", role="leader")
    assert [u.role for u in list_users(engine) if u.username == "tam"] == ["leader"]
    change("password", password="1234567890")
    assert [e.value for e in at.error] == [
        "Mật khẩu quá dễ đoán (mật khẩu phổ biến, dãy phím, lặp lại hoặc từ điển); hãy dùng một cụm vài từ ít gặp."
    ]
    change("password", password="mot-mat-khau-moi-dai")
    assert verify_password(engine, "tam", "mot-mat-khau-moi-dai") is not None
    audit_table = at.dataframe[-1].value
    rows = audit_table[audit_table["Tài khoản"] == "tam"]
    assert list(rows["Thao tác"]) == [
        "Đổi mật khẩu",
        "Đổi vai trò",
        "Mở lại tài khoản",
        "Khóa tài khoản",
        "Tạo tài khoản",
    ]
    assert set(rows["Người thực hiện"]) == {"ops"}
    assert "Chuyên viên phân tích → Lãnh đạo" in " ".join(rows["Chi tiết"])
    assert not rows["Thời điểm"].str.contains("None|nan|NaT").any()
