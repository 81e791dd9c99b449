"""Server-side dashboard sessions: handoff to a cookie token, idle and absolute ends, revocation, fresh roles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from data import sessions
from data.config import load_settings
from data.schema import UserSession
from data.users import create_user, set_active

T0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)
POLICY = sessions.SessionPolicy(idle=dt.timedelta(minutes=30), absolute=dt.timedelta(hours=12))


def _user(engine: Engine) -> int:
    return create_user(engine, "lan", "mat-khau-dai-du", "analyst").id


def test_handoff_code_becomes_a_cookie_token_once(engine: Engine) -> None:
    session_id, code = sessions.start(engine, _user(engine), POLICY, now=T0)
    redeemed = sessions.redeem_handoff(engine, code, now=T0 + dt.timedelta(seconds=5))
    assert redeemed is not None
    token, expires_at = redeemed
    assert expires_at == T0 + POLICY.absolute
    assert sessions.redeem_handoff(engine, code, now=T0 + dt.timedelta(seconds=6)) is None  # one use only
    found = sessions.resolve(engine, POLICY, token=token, now=T0 + dt.timedelta(minutes=1))
    assert (found.session_id, found.username, found.role) == (session_id, "lan", "analyst")
    with engine.connect() as conn:
        stored = conn.execute(select(UserSession.token_hash, UserSession.handoff_hash)).one()
    assert stored == (sessions.token_hash(token), None)  # only the hash is kept
    assert token not in stored


def test_a_late_handoff_or_a_wrong_token_gives_nothing(engine: Engine) -> None:
    _session_id, code = sessions.start(engine, _user(engine), POLICY, now=T0)
    assert sessions.redeem_handoff(engine, code, now=T0 + sessions.HANDOFF_TTL + dt.timedelta(seconds=1)) is None
    assert sessions.redeem_handoff(engine, "forged", now=T0) is None
    assert sessions.resolve(engine, POLICY, token="forged", now=T0) is None
    assert sessions.resolve(engine, POLICY, token="", now=T0) is None


def test_idle_and_absolute_timeouts(engine: Engine) -> None:
    user_id = _user(engine)
    idle_id, _ = sessions.start(engine, user_id, POLICY, now=T0)
    minute = dt.timedelta(minutes=1)
    # each interaction within the idle window keeps the session going
    for step in range(1, 6):
        assert sessions.resolve(engine, POLICY, session_id=idle_id, now=T0 + step * 20 * minute) is not None
    assert sessions.resolve(engine, POLICY, session_id=idle_id, now=T0 + 100 * minute + POLICY.idle) is None
    long_id, _ = sessions.start(engine, user_id, POLICY, now=T0)
    moments = [T0 + k * 25 * minute for k in range(1, 34)]  # active all day, never idle for 30 minutes
    alive = [sessions.resolve(engine, POLICY, session_id=long_id, now=moment) is not None for moment in moments]
    assert alive == [moment < T0 + POLICY.absolute for moment in moments]
    assert alive.count(False) == 5  # ended at the absolute limit, not by idleness
    with engine.connect() as conn:
        reasons = dict(conn.execute(select(UserSession.id, UserSession.revoked_reason)).all())
    assert reasons == {idle_id: "idle", long_id: "expired"}


def test_logout_and_deactivation_end_sessions_everywhere(engine: Engine) -> None:
    user_id = _user(engine)
    tab_a, code = sessions.start(engine, user_id, POLICY)
    token, _ = sessions.redeem_handoff(engine, code)
    tab_b, _ = sessions.start(engine, user_id, POLICY)
    assert sessions.open_session_count(engine, user_id) == 2
    sessions.end(engine, token=token)  # logout through the cookie
    assert sessions.resolve(engine, POLICY, session_id=tab_a) is None
    assert sessions.resolve(engine, POLICY, token=token) is None
    assert sessions.resolve(engine, POLICY, session_id=tab_b) is not None
    set_active(engine, "lan", False, actor="ops")
    assert sessions.resolve(engine, POLICY, session_id=tab_b) is None
    assert sessions.open_session_count(engine, user_id) == 0


def test_policy_comes_from_settings() -> None:
    policy = sessions.SessionPolicy.from_settings(load_settings(session_idle_minutes=5, session_max_hours=2))
    assert policy == sessions.SessionPolicy(dt.timedelta(minutes=5), dt.timedelta(hours=2))
