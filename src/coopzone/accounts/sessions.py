"""Login rules: server-side sessions and the login throttle.

A browser's login is a row of ``accounts_session``; its cookie carries only a random key,
stored here as SHA-256. Logout, a password change, an administrator deactivating the user,
the idle timeout and the absolute lifetime end it, and an ended row is never accepted again.

The throttle slows an attacker without locking the owner out: failed tries are logged per
name typed (known or not) and per client address, and past a free allowance each further
try must wait twice as long as the one before, over a sliding window. Unknown names take the
same path as known ones: same queries, a real argon2 verify (against a dummy hash), same
answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.orm import Session

from coopzone.accounts.models import LoginFailure, LoginSession, User
from coopzone.accounts.security import (
    hash_token,
    new_csrf_token,
    new_session_key,
    verify_dummy,
    verify_password,
)
from coopzone.accounts.service import (
    Principal,
    principal_for,
    require_platform_admin,
    set_password,
)
from coopzone.config import Settings
from coopzone.db import now
from coopzone.errors import InvalidInput, NotFound, RowError, TooManyAttempts

ACCOUNT_KEY_LENGTH = 200
ADDRESS_LENGTH = 64
USER_AGENT_LENGTH = 200


# ---- the throttle ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    reason: str = ""  # bad_credentials | throttled
    retry_after: int = 0  # seconds, when throttled


def _account_key(username: str) -> str:
    return username[:ACCOUNT_KEY_LENGTH]


def _wait(failures: int, free: int, cap: int) -> int:
    """Seconds a try must wait after the last failure: none within the free allowance, then
    1, 2, 4 ... seconds, capped."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 30))


def _failures(session: Session, since: datetime,
              *conditions: ColumnElement[bool]) -> tuple[int, datetime | None]:
    row = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at > since,
                                                              *conditions)
    ).one()
    return int(row[0]), row[1]


def retry_after(session: Session, username: str, address: str, settings: Settings,
                at: datetime | None = None) -> int:
    """0 if a try for ``username`` from ``address`` may be made now, else the seconds to wait.

    Three keys: (name, address) and the address over all names, each up to the long cap; the
    name over all addresses only up to a short cap, and only for an address that has itself
    failed in the window, so an attack from elsewhere never keeps out the owner's clean
    address."""
    at = at or now()
    since = at - timedelta(minutes=settings.login_window_minutes)
    account = _account_key(username)
    cap = settings.login_max_delay_seconds
    pair = _failures(session, since, LoginFailure.account == account,
                     LoginFailure.address == address)
    by_address = _failures(session, since, LoginFailure.address == address)
    checks = [(pair, settings.login_slow_after, cap),
              (by_address, settings.login_address_slow_after, cap)]
    if by_address[0] > 0:
        by_account = _failures(session, since, LoginFailure.account == account)
        checks.append((by_account, settings.login_account_slow_after,
                       settings.login_account_max_delay_seconds))
    longest = 0.0
    for (count, last), free, limit in checks:
        wait = _wait(count, free, limit)
        if wait and last is not None:
            longest = max(longest, (last + timedelta(seconds=wait) - at).total_seconds())
    return math.ceil(longest) if longest > 0 else 0


def record_failure(session: Session, username: str, address: str, settings: Settings,
                   at: datetime | None = None) -> None:
    at = at or now()
    # Core statements: failures are not audited (a flood must not fill the audit log).
    session.execute(delete(LoginFailure).where(
        LoginFailure.at <= at - timedelta(minutes=settings.login_window_minutes)))
    session.execute(insert(LoginFailure).values(at=at, account=_account_key(username),
                                                address=address[:ADDRESS_LENGTH]))


def _clear_failures(session: Session, username: str, address: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.account == _account_key(username),
                                               LoginFailure.address == address))


def authenticate(session: Session, username: str, password: str, settings: Settings,
                 address: str = "", at: datetime | None = None) -> LoginResult:
    """Check a password. Never raises for bad credentials: the failure must be kept, so the
    caller commits and then shows the refusal. A known, an unknown and an inactive name take
    the same steps and get the same answer."""
    at = at or now()
    address = address[:ADDRESS_LENGTH]
    user = session.scalar(select(User).where(User.username == username))
    wait = retry_after(session, username, address, settings, at)
    if wait:
        return LoginResult(None, "throttled", wait)
    if user is not None:
        ok = verify_password(user.password_hash, password) and user.is_active
    else:
        ok = verify_dummy(password)
    if not ok or user is None:
        record_failure(session, username, address, settings, at)
        return LoginResult(None, "bad_credentials")
    _clear_failures(session, username, address)
    user.last_login_at = at
    session.flush()
    return LoginResult(principal_for(session, user.id))


# ---- sessions --------------------------------------------------------------------------------


def start_session(session: Session, user_id: int, settings: Settings, ip: str = "",
                  user_agent: str = "", at: datetime | None = None) -> tuple[LoginSession, str]:
    """A new login session; the plain key is returned once (for the cookie), only its hash
    is stored. A new CSRF secret comes with it."""
    at = at or now()
    key = new_session_key()
    row = LoginSession(
        key_hash=hash_token(key), user_id=user_id, created_at=at, last_seen_at=at,
        expires_at=at + timedelta(seconds=settings.session_max_age_seconds),
        csrf_secret=new_csrf_token(), ip=ip[:ADDRESS_LENGTH],
        user_agent=user_agent[:USER_AGENT_LENGTH],
    )
    session.add(row)
    session.flush()
    return row, key


def _active(settings: Settings, at: datetime) -> list[ColumnElement[bool]]:
    return [
        LoginSession.ended_at.is_(None),
        LoginSession.expires_at > at,
        LoginSession.last_seen_at > at - timedelta(minutes=settings.session_idle_minutes),
    ]


def resolve_session(session: Session, key: str, settings: Settings,
                    at: datetime | None = None) -> LoginSession | None:
    """The live session for a cookie's key, or None (unknown, ended, idle or too old).
    Writes nothing: an expired row simply stops being accepted."""
    at = at or now()
    return session.scalar(select(LoginSession).where(
        LoginSession.key_hash == hash_token(key), *_active(settings, at)))


def touch_session(session: Session, session_id: int, settings: Settings,
                  at: datetime | None = None) -> bool:
    """Record that the session was seen, at most once per ``session_touch_seconds``; True if
    a row was written. A conditional Core update: two requests racing write once."""
    at = at or now()
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id,
               LoginSession.last_seen_at <= at - timedelta(seconds=settings.session_touch_seconds))
        .values(last_seen_at=at)
    )
    return bool(getattr(result, "rowcount", 0))


def needs_touch(row: LoginSession, settings: Settings, at: datetime | None = None) -> bool:
    at = at or now()
    return row.last_seen_at <= at - timedelta(seconds=settings.session_touch_seconds)


def end_session(session: Session, session_id: int, reason: str,
                at: datetime | None = None) -> None:
    row = session.get(LoginSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at = at or now()
        row.end_reason = reason
        session.flush()


def end_user_sessions(session: Session, user_id: int, reason: str,
                      keep_session_id: int | None = None, at: datetime | None = None) -> int:
    """End every open session of the user but ``keep_session_id``; the number ended."""
    at = at or now()
    rows = session.scalars(select(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
        LoginSession.id != (keep_session_id or 0)))
    ended = 0
    for row in rows:
        row.ended_at = at
        row.end_reason = reason
        ended += 1
    session.flush()
    return ended


def list_active_sessions(session: Session, user_id: int, settings: Settings,
                         at: datetime | None = None) -> list[LoginSession]:
    at = at or now()
    return list(session.scalars(
        select(LoginSession).where(LoginSession.user_id == user_id, *_active(settings, at))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))


def end_own_session(session: Session, principal: Principal, session_id: int,
                    at: datetime | None = None) -> LoginSession:
    """End one of the caller's own sessions (from the account page)."""
    row = session.get(LoginSession, session_id)
    if row is None or row.user_id != principal.user_id:
        # Another user's session is reported as missing: its id tells nothing.
        raise NotFound(f"没有编号为 {session_id} 的会话", detail=f"unknown session {session_id}")
    end_session(session, row.id, "ended", at)
    return row


def change_password(session: Session, principal: Principal, current: str, new: str,
                    settings: Settings, keep_session_id: int | None = None,
                    address: str = "", at: datetime | None = None) -> int:
    """Change the caller's password after checking the current one; every other session of
    the user ends (the current one is kept). Wrong current passwords count as failed logins,
    so a stolen session cannot be used to guess the password faster. Returns the sessions
    ended."""
    at = at or now()
    wait = retry_after(session, principal.username, address, settings, at)
    if wait:
        raise TooManyAttempts(f"尝试次数过多，请 {wait} 秒后再试",
                              detail=f"throttled; retry after {wait} s")
    user = session.get(User, principal.user_id)
    if user is None or not verify_password(user.password_hash, current):
        record_failure(session, principal.username, address, settings, at)
        raise InvalidInput("当前密码不正确",
                           [RowError(None, "current_password", "wrong current password")])
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同",
                           [RowError(None, "new_password", "same as the current password")])
    set_password(session, user, new)
    return end_user_sessions(session, user.id, "password", keep_session_id, at)


def set_user_active(session: Session, actor: Principal, username: str, active: bool,
                    at: datetime | None = None) -> User:
    """A platform administrator deactivates (or reactivates) a user; deactivating ends all
    the user's sessions, so reactivating later brings none of them back."""
    require_platform_admin(actor)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}", detail=f"unknown user {username}")
    user.is_active = active
    session.flush()
    if not active:
        end_user_sessions(session, user.id, "deactivated", at=at)
    return user
