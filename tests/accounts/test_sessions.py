"""Server-side sessions (logout, password change, deactivation and timeouts end them) and the
login throttle (slows an attacker per name and per address, never locks the owner out)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from coopzone.accounts import service as accounts
from coopzone.accounts import sessions
from coopzone.accounts.models import LoginFailure, LoginSession, User
from coopzone.accounts.security import verify_password
from coopzone.api.app import create_app
from coopzone.config import Settings, get_settings
from coopzone.db import make_engine, now
from coopzone.errors import Forbidden, InvalidInput, NotFound
from tests.helpers import PASSWORD, SECRET, People, make_settings

COOKIE = "coopzone_session"
NEW_PASSWORD = "a-new-and-long-password"
ATTACKER = ("203.0.113.9", 40000)
OWNER = ("198.51.100.7", 40001)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def post_login(client: TestClient, username: str, password: str) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def logged_in(app: FastAPI, username: str = "xiangdong", password: str = PASSWORD,
              client: tuple[str, int] = ("testclient", 50000)) -> TestClient:
    c = TestClient(app, client=client)
    response = post_login(c, username, password)
    assert response.status_code == 303, response.text
    return c


def me(client: TestClient) -> int:
    return client.get("/api/v1/me").status_code


def rows(session: Session) -> list[LoginSession]:
    session.expire_all()
    return list(session.scalars(select(LoginSession).order_by(LoginSession.id)))


# ---- sessions --------------------------------------------------------------------------------


def test_logout_then_replaying_the_old_cookie_is_not_logged_in(
    app: FastAPI, session: Session, people: People
) -> None:
    client = logged_in(app)
    old = client.cookies[COOKIE]
    assert me(client) == 200
    csrf = csrf_of(client.get("/account").text)
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert me(client) == 401
    [row] = rows(session)
    assert row.ended_at is not None and row.end_reason == "logout"
    replay = TestClient(app, cookies={COOKIE: old})
    assert me(replay) == 401  # a cookie-authenticated API call
    page = replay.get("/account", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # The refused cookie is dropped, not kept.
    assert page.headers["set-cookie"].startswith(f"{COOKIE}=; Max-Age=0;")


def test_the_cookie_carries_nothing_but_a_random_key(
    client: TestClient, session: Session, people: People
) -> None:
    client.get("/login")
    anonymous = client.cookies[COOKIE]
    assert anonymous.startswith("a.")
    payload = anonymous[2:].split(".")[0]
    state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert list(state) == ["csrf"]  # pre-login: only the CSRF token, signed
    response = post_login(client, "xiangdong", PASSWORD)
    header = response.headers["set-cookie"]
    assert re.fullmatch(
        r"coopzone_session=s\.[A-Za-z0-9_-]{43}; Max-Age=28800; Path=/; HttpOnly; SameSite=Lax",
        header)
    key = client.cookies[COOKIE][2:]
    [row] = rows(session)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(v) for v in (row.key_hash, row.csrf_secret, row.ip, row.user_agent))
    assert key not in stored
    assert (row.user_id, row.ip, row.user_agent) == (people.jiangxi_editor.id, "testclient",
                                                     "testclient")
    # A new CSRF token after login, kept on the server.
    assert row.csrf_secret != state["csrf"]
    assert csrf_of(client.get("/account").text) == row.csrf_secret
    for secret in ("xiangdong", row.csrf_secret):
        assert secret not in client.cookies[COOKIE]


def test_anonymous_visitors_write_no_rows(app: FastAPI, session: Session) -> None:
    for _ in range(5):
        assert TestClient(app).get("/login").status_code == 200
    assert rows(session) == []


def test_secure_cookie_by_default_in_production(
    engine: Engine, session_factory: sessionmaker[Session], people: People
) -> None:
    assert Settings(env="production", secret_key=SECRET).cookie_secure is True
    assert Settings(env="production", secret_key=SECRET, cookie_secure=False).cookie_secure \
        is False
    assert make_settings("sqlite://").cookie_secure is False
    settings = make_settings(str(engine.url), env="production")
    app = create_app(settings, session_factory)
    client = TestClient(app, base_url="https://testserver")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "xiangdong", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    assert header.startswith("__Host-coopzone_session=s.")
    assert "; Secure" in header and "; HttpOnly" in header and "; Path=/" in header
    assert client.get("/api/v1/me").json()["username"] == "xiangdong"


def test_password_change_ends_the_other_sessions_and_keeps_this_one(
    app: FastAPI, session: Session, people: People
) -> None:
    here = logged_in(app)
    elsewhere = logged_in(app)
    csrf = csrf_of(here.get("/account").text)
    form = {"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD}
    response = here.post("/account/password", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert me(here) == 200
    assert me(elsewhere) == 401
    ended = [r.end_reason for r in rows(session)]
    assert ended == [None, "password"]
    assert post_login(TestClient(app), "xiangdong", PASSWORD).status_code == 401
    assert post_login(TestClient(app), "xiangdong", NEW_PASSWORD).status_code == 303


def test_a_wrong_current_password_changes_nothing(
    app: FastAPI, session: Session, people: People
) -> None:
    here = logged_in(app)
    elsewhere = logged_in(app)
    user = session.get(User, people.jiangxi_editor.id)
    assert user is not None
    before = user.password_hash
    csrf = csrf_of(here.get("/account").text)
    response = here.post("/account/password", data={
        "csrf_token": csrf, "current_password": "not-my-password",
        "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert response.status_code == 422 and "当前密码不正确" in response.text
    differ = here.post("/account/password", data={
        "csrf_token": csrf, "current_password": PASSWORD,
        "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"})
    assert differ.status_code == 422
    session.expire_all()
    assert session.get(User, people.jiangxi_editor.id).password_hash == before  # type: ignore[union-attr]
    assert me(elsewhere) == 200 and [r.ended_at for r in rows(session)] == [None, None]
    # The wrong try counts as a failed login from this address.
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_idle_timeout_and_absolute_lifetime_end_a_session(
    session: Session, settings: Settings, people: People
) -> None:
    t0 = now()
    row, key = sessions.start_session(session, people.viewer.id, settings, at=t0)
    idle = timedelta(minutes=settings.session_idle_minutes)
    assert sessions.resolve_session(session, key, settings, t0 + idle - timedelta(seconds=1))
    assert sessions.resolve_session(session, key, settings, t0 + idle) is None
    # Seen now and then, it lives until the absolute lifetime, not longer.
    lifetime = timedelta(seconds=settings.session_max_age_seconds)
    at = t0
    while at + idle < t0 + lifetime:
        at += idle - timedelta(minutes=1)
        assert sessions.resolve_session(session, key, settings, at) is not None
        assert sessions.touch_session(session, row.id, settings, at)
    assert sessions.resolve_session(session, key, settings, t0 + lifetime) is None
    assert sessions.resolve_session(session, "not-a-key", settings, t0) is None


def test_an_idle_session_is_refused_over_http(
    app: FastAPI, session: Session, settings: Settings, people: People
) -> None:
    client = logged_in(app)
    session.execute(update(LoginSession).values(
        last_seen_at=now() - timedelta(minutes=settings.session_idle_minutes, seconds=1)))
    session.commit()
    assert me(client) == 401


def test_last_seen_is_written_at_most_once_a_minute(
    app: FastAPI, session: Session, settings: Settings, people: People
) -> None:
    client = logged_in(app)
    recent = now() - timedelta(seconds=settings.session_touch_seconds // 2)
    session.execute(update(LoginSession).values(last_seen_at=recent))
    session.commit()
    assert me(client) == 200
    [row] = rows(session)
    assert row.last_seen_at == recent  # a GET within the minute writes nothing
    old = now() - timedelta(seconds=settings.session_touch_seconds + 5)
    session.execute(update(LoginSession).values(last_seen_at=old))
    session.commit()
    assert me(client) == 200
    [row] = rows(session)
    assert row.last_seen_at > old + timedelta(seconds=4)
    assert not sessions.touch_session(session, row.id, settings, row.last_seen_at)


def test_deactivating_a_user_ends_their_sessions(
    app: FastAPI, session: Session, people: People
) -> None:
    client = logged_in(app)
    admin = accounts.principal_for(session, people.admin.id)
    viewer = accounts.principal_for(session, people.viewer.id)
    with pytest.raises(Forbidden):
        sessions.set_user_active(session, viewer, "xiangdong", False)
    assert me(client) == 200 and [r.ended_at for r in rows(session)] == [None]
    sessions.set_user_active(session, admin, "xiangdong", False)
    session.commit()
    assert me(client) == 401
    assert [r.end_reason for r in rows(session)] == ["deactivated"]
    # An inactive user cannot log in, and is told what an unknown name is told.
    refused = post_login(TestClient(app), "xiangdong", PASSWORD)
    assert refused.status_code == 401
    sessions.set_user_active(session, admin, "xiangdong", True)
    session.commit()
    assert me(client) == 401  # reactivating brings no old session back
    with pytest.raises(NotFound):
        sessions.set_user_active(session, admin, "nobody", False)


def test_the_account_page_lists_sessions_and_ends_one_or_all_others(
    app: FastAPI, session: Session, people: People
) -> None:
    mine = logged_in(app)
    second = logged_in(app)
    page = mine.get("/account").text
    assert len(re.findall(r'action="/account/sessions/\d+/end"', page)) == 2
    assert "当前会话" in page
    ids = [r.id for r in rows(session)]
    csrf = csrf_of(page)
    ended = mine.post(f"/account/sessions/{ids[1]}/end", data={"csrf_token": csrf},
                      follow_redirects=False)
    assert ended.status_code == 303
    assert me(second) == 401 and me(mine) == 200
    third = logged_in(app)
    fourth = logged_in(app)
    mine.post("/account/sessions/end-others", data={"csrf_token": csrf})
    assert (me(mine), me(third), me(fourth)) == (200, 401, 401)
    # Another user's session cannot be ended from here (and is reported as missing).
    other = logged_in(app, "liling")
    other_id = rows(session)[-1].id
    refused = mine.post(f"/account/sessions/{other_id}/end", data={"csrf_token": csrf})
    assert refused.status_code == 404 and me(other) == 200
    assert rows(session)[-1].ended_at is None
    # Ending the current session logs out.
    out = mine.post(f"/account/sessions/{ids[0]}/end", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert out.headers["location"] == "/login" and me(mine) == 401


def test_logging_in_again_replaces_the_session(
    app: FastAPI, session: Session, people: People
) -> None:
    client = logged_in(app)
    first = client.cookies[COOKIE]
    assert post_login(client, "liling", PASSWORD).status_code == 303
    assert client.cookies[COOKIE] != first
    assert client.get("/api/v1/me").json()["username"] == "liling"
    assert [r.end_reason for r in rows(session)] == ["replaced", None]
    assert me(TestClient(app, cookies={COOKIE: first})) == 401


def test_api_tokens_are_not_touched_by_sessions(
    app: FastAPI, session: Session, people: People
) -> None:
    user = session.get(User, people.jiangxi_editor.id)
    assert user is not None
    _token, plain = accounts.create_token(session, user, "station", ["read"])
    session.commit()
    client = logged_in(app)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/account").text)})
    headers = {"Authorization": f"Bearer {plain}"}
    assert TestClient(app).get("/api/v1/me", headers=headers).status_code == 200


# ---- the throttle ----------------------------------------------------------------------------


def fail_until(session: Session, settings: Settings, username: str, address: str,
               failures: int, start: datetime) -> datetime:
    """``failures`` wrong passwords, each as soon as the throttle allows; the time after."""
    at = start
    made = 0
    while made < failures:
        result = sessions.authenticate(session, username, "wrong-password", settings,
                                       address, at)
        if result.reason == "throttled":
            at = at + timedelta(seconds=result.retry_after)
            continue
        assert result.reason == "bad_credentials"
        made += 1
    session.commit()
    return at


def test_an_attack_from_one_address_does_not_keep_the_owner_out(
    app: FastAPI, session: Session, settings: Settings, people: People
) -> None:
    fail_until(session, settings, "xiangdong", ATTACKER[0], 12, now() - timedelta(minutes=10))
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 12
    attacker = TestClient(app, client=ATTACKER)
    refused = post_login(attacker, "xiangdong", PASSWORD)  # even the right password
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= settings.login_max_delay_seconds
    assert f"{wait} 秒" in refused.text
    owner = logged_in(app, client=OWNER)
    assert owner.get("/api/v1/me").json()["username"] == "xiangdong"
    # The attacker's failures stay; the owner's success clears only the owner's.
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 12


def test_an_address_failing_over_many_names_is_slowed_for_every_name(
    session: Session, settings: Settings, people: People
) -> None:
    at = now()
    for i in range(settings.login_address_slow_after):
        result = sessions.authenticate(session, f"guess{i}", "x", settings, ATTACKER[0], at)
        assert result.reason == "bad_credentials"
    result = sessions.authenticate(session, "xiangdong", PASSWORD, settings, ATTACKER[0], at)
    assert (result.reason, result.retry_after) == ("throttled", 1)
    other = sessions.authenticate(session, "xiangdong", PASSWORD, settings, OWNER[0], at)
    assert other.principal is not None


def test_the_name_over_all_addresses_only_delays_addresses_that_fail(
    session: Session, settings: Settings, people: People
) -> None:
    # A spread attack: one failure from each of many addresses.
    at = now()
    n = settings.login_account_slow_after + 3
    for i in range(n):
        result = sessions.authenticate(session, "xiangdong", "x", settings, f"10.0.0.{i}", at)
        assert result.reason == "bad_credentials"
    # A failing address waits for the name's (short) delay ...
    again = sessions.authenticate(session, "xiangdong", "x", settings, "10.0.0.1", at)
    assert again.reason == "throttled"
    assert again.retry_after == min(2 ** (n - settings.login_account_slow_after),
                                    settings.login_account_max_delay_seconds)
    # ... the owner's clean address does not.
    ok = sessions.authenticate(session, "xiangdong", PASSWORD, settings, OWNER[0], at)
    assert ok.principal is not None


def test_waits_double_up_to_the_cap_and_never_lock(
    session: Session, settings: Settings, people: People
) -> None:
    start = now() - timedelta(hours=3)
    waits = []
    at = start
    for _ in range(settings.login_slow_after + 14):
        result = sessions.authenticate(session, "xiangdong", "x", settings, ATTACKER[0], at)
        if result.reason == "throttled":
            waits.append(result.retry_after)
            at += timedelta(seconds=result.retry_after)
            result = sessions.authenticate(session, "xiangdong", "x", settings, ATTACKER[0],
                                           at)
        assert result.reason == "bad_credentials"
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) <= settings.login_max_delay_seconds
    # After the wait, the right password works from the attacking address too: no lock.
    wait = sessions.retry_after(session, "xiangdong", ATTACKER[0], settings, at)
    assert 0 < wait <= settings.login_max_delay_seconds
    later = at + timedelta(seconds=wait)
    ok = sessions.authenticate(session, "xiangdong", PASSWORD, settings, ATTACKER[0], later)
    assert ok.principal is not None
    # Failures older than the window are deleted as new ones are written.
    oldest = session.scalar(select(func.min(LoginFailure.at)))
    assert oldest is None or oldest > later - timedelta(minutes=settings.login_window_minutes)


def test_unknown_and_known_names_get_the_same_answer_and_the_same_throttle(
    app: FastAPI, session: Session, settings: Settings, people: People
) -> None:
    known = TestClient(app, client=("192.0.2.1", 1))
    unknown = TestClient(app, client=("192.0.2.2", 1))
    for _ in range(settings.login_slow_after):
        a = post_login(known, "xiangdong", "wrong-password")
        b = post_login(unknown, "no-such-user", "wrong-password")
        assert a.status_code == b.status_code == 401
        # Each client has its own CSRF token; apart from it, the pages are the same.
        assert a.text.replace(csrf_of(a.text), "T") == b.text.replace(csrf_of(b.text), "T")
        assert ({k: v for k, v in a.headers.items() if k != "x-request-id"}
                == {k: v for k, v in b.headers.items() if k != "x-request-id"})
        assert "用户名或密码错误" in a.text
    a = post_login(known, "xiangdong", PASSWORD)
    b = post_login(unknown, "no-such-user", PASSWORD)
    assert a.status_code == b.status_code == 429
    assert set(a.headers) == set(b.headers)
    # The seconds left depend on the clock between the two requests; the rest is the same.
    assert abs(int(a.headers["retry-after"]) - int(b.headers["retry-after"])) <= 1
    assert re.sub(r"\d+", "N", a.text.replace(csrf_of(a.text), "T")) == re.sub(
        r"\d+", "N", b.text.replace(csrf_of(b.text), "T"))
    # With the clock fixed, the service answers exactly alike.
    at = now() + timedelta(hours=1)
    for _ in range(settings.login_slow_after + 3):
        results = {sessions.authenticate(session, name, "wrong", settings, "192.0.2.9", at)
                   for name in ("liling", "nobody-at-all")}
        assert len(results) == 1
        at += timedelta(seconds=1)
    by_name = dict(session.execute(select(LoginFailure.account, func.count())
                                   .where(LoginFailure.address == "192.0.2.9")
                                   .group_by(LoginFailure.account)).all())
    assert by_name["liling"] == by_name["nobody-at-all"] >= settings.login_slow_after


def test_a_password_change_is_refused_while_throttled(
    session: Session, settings: Settings, people: People
) -> None:
    viewer = accounts.principal_for(session, people.viewer.id)
    at = now()
    for _ in range(settings.login_slow_after):
        with pytest.raises(InvalidInput):
            sessions.change_password(session, viewer, "wrong", NEW_PASSWORD, settings,
                                     address=ATTACKER[0], at=at)
    with pytest.raises(sessions.TooManyAttempts):
        sessions.change_password(session, viewer, PASSWORD, NEW_PASSWORD, settings,
                                 address=ATTACKER[0], at=at)
    user = session.get(User, people.viewer.id)
    assert user is not None and verify_password(user.password_hash, PASSWORD)


def test_the_deactivate_command_ends_the_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopzone.cli.main import app as cli

    monkeypatch.setenv("COOPZONE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COOPZONE_DATABASE_URL", "")
    monkeypatch.setenv("COOPZONE_ENV", "development")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        made = runner.invoke(cli, ["user", "create", "zhou", "--password", PASSWORD])
        assert made.exit_code == 0, made.output
        settings = get_settings()
        engine = make_engine(settings.effective_database_url)
        with Session(engine) as db:
            user = accounts.get_user_by_name(db, "zhou")
            _row, key = sessions.start_session(db, user.id, settings)
            db.commit()
        result = runner.invoke(cli, ["user", "deactivate", "zhou"])
        assert result.exit_code == 0, result.output
        with Session(engine) as db:
            assert sessions.resolve_session(db, key, settings) is None
            [row] = db.scalars(select(LoginSession)).all()
            assert row.end_reason == "deactivated"
            assert accounts.get_user_by_name(db, "zhou").is_active is False
        assert runner.invoke(cli, ["user", "deactivate", "nobody"]).exit_code == 2
        engine.dispose()
    finally:
        get_settings.cache_clear()


def test_a_new_api_token_is_shown_but_never_put_in_the_cookie(
    app: FastAPI, people: People
) -> None:
    client = logged_in(app)
    cookie = client.cookies[COOKIE]
    csrf = csrf_of(client.get("/account").text)
    response = client.post("/account/tokens", data={"name": "站", "csrf_token": csrf},
                           follow_redirects=False)
    plain = re.search(r'<code id="new-token">([^<]+)</code>', response.text)
    assert response.status_code == 200 and plain
    assert "set-cookie" not in response.headers and client.cookies[COOKIE] == cookie
