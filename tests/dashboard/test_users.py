"""Users: Argon2 hashes, roles, the first operator from the environment, and ``envmon users``."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import Engine, select

from cli import main
from data.config import load_settings
from data.schema import User
from data.users import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    create_user,
    ensure_admin_from_env,
    list_users,
    set_password,
    verify_password,
)


def test_password_is_stored_as_argon2_and_verified(engine: Engine) -> None:
    create_user(engine, "lan", "mat-khau-dai-du", "leader")
    with engine.connect() as conn:
        stored = conn.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "mat-khau-dai-du" not in stored
    assert verify_password(engine, "lan", "mat-khau-dai-du").role == "leader"
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


def test_new_password_lifts_the_lock(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, "lan", "first-password", "analyst")
    for _ in range(MAX_FAILED_LOGINS):
        verify_password(sqlite_engine, "lan", "doan-mo")
    assert verify_password(sqlite_engine, "lan", "first-password") is None
    set_password(sqlite_engine, "lan", "second-password")
    assert verify_password(sqlite_engine, "lan", "second-password") is not None


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("lan", "short", "leader", "too short"),
        ("lan", "long-enough-pw", "admin", "unknown role"),
        ("có dấu cách", "long-enough-pw", "leader", "invalid username"),
    ],
)
def test_bad_users_are_refused(sqlite_engine: Engine, name: str, password: str, role: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_user(sqlite_engine, name, password, role)


def test_duplicate_user_and_password_change(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, "lan", "first-password", "analyst")
    with pytest.raises(ValueError, match="already exists"):
        create_user(sqlite_engine, "lan", "other-password", "analyst")
    set_password(sqlite_engine, "lan", "second-password")
    assert verify_password(sqlite_engine, "lan", "first-password") is None
    assert verify_password(sqlite_engine, "lan", "second-password") is not None
    with pytest.raises(ValueError, match="no such user"):
        set_password(sqlite_engine, "ghost", "second-password")


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
    assert json.loads(capsys.readouterr().out) == [{"username": "hoa", "role": "analyst", "active": True}]
    assert verify_password(sqlite_engine, "hoa", "piped-password-123") is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["users", "add", "empty", "--role", "leader"]) == 2
    assert "no password" in capsys.readouterr().err
