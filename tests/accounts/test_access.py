"""Who may do what: tokens, jurisdictions, roles, CSRF, login throttling and the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts import sessions
from coopzone.accounts.models import ApiToken, AuditLog, LoginFailure, User
from coopzone.config import Settings
from coopzone.db import now
from coopzone.ecology.models import Section
from tests.helpers import PASSWORD, People, token_for

JINYUSHI = {"code": "JYS", "name": "金鱼石", "river": "萍水河", "basin": "渌水",
            "county_code": "360313", "level": "national", "target_class": 3, "is_border": True}


def sections(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Section)) or 0


def test_no_token_is_401_with_the_error_body(client: TestClient, session: Session) -> None:
    response = client.post("/api/v1/ecology/sections", json=JINYUSHI)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["error"] == "unauthorized" and body["errors"] == []
    assert sections(session) == 0


def test_bad_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer czt_nope"})
    assert response.status_code == 401


def test_hunan_county_editor_cannot_write_a_jiangxi_county_record(
    client: TestClient, session: Session, people: People
) -> None:
    headers = token_for(session, people.hunan_editor)
    response = client.post("/api/v1/ecology/sections", json=JINYUSHI, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert sections(session) == 0


def test_jiangxi_county_editor_writes_and_the_audit_row_is_written(
    client: TestClient, session: Session, people: People
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    response = client.post("/api/v1/ecology/sections", json=JINYUSHI, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["province_code"] == "360000"
    audit = session.scalars(select(AuditLog).where(AuditLog.entity == "ecology_section")).all()
    assert len(audit) == 1
    row = audit[0]
    assert (row.action, row.actor, row.actor_user_id) == ("insert", "xiangdong",
                                                          people.jiangxi_editor.id)
    assert row.before is None and row.after is not None
    assert row.after["name"] == "金鱼石" and row.after["county_code"] == "360313"
    assert row.entity_id == str(response.json()["id"])


def test_viewer_cannot_write(client: TestClient, session: Session, people: People) -> None:
    headers = token_for(session, people.viewer)
    response = client.post("/api/v1/ecology/sections", json=JINYUSHI, headers=headers)
    assert response.status_code == 403
    assert sections(session) == 0


def test_read_only_token_cannot_write_even_for_an_editor(
    client: TestClient, session: Session, people: People
) -> None:
    headers = token_for(session, people.jiangxi_editor, ["read"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.post("/api/v1/ecology/sections", json=JINYUSHI, headers=headers)
    assert response.status_code == 403
    assert sections(session) == 0


def test_revoked_and_expired_tokens_are_refused(
    client: TestClient, session: Session, people: People
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    token = session.scalars(select(ApiToken)).one()
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "xiangdong"
    accounts.revoke_token(session, token.id, accounts.principal_for(session, people.admin.id))
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    headers = token_for(session, people.jiangxi_editor)
    newest = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert newest is not None
    newest.expires_at = now() - timedelta(seconds=1)
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(session: Session, people: People) -> None:
    token, plain = accounts.create_token(session, people.viewer, "x", ["read"])
    assert plain.startswith("czt_") and plain not in token.token_hash
    assert len(token.token_hash) == 64
    user = session.get(User, people.viewer.id)
    assert user is not None and user.password_hash.startswith("$argon2")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_form_post_without_csrf_is_refused(client: TestClient, people: People) -> None:
    response = client.post("/login", data={"username": "xiangdong", "password": PASSWORD})
    assert response.status_code == 403
    assert "uid" not in response.text
    client.get("/login")
    response = client.post("/login", data={"username": "xiangdong", "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def login(client: TestClient, username: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}, follow_redirects=False)
    return response.status_code


def test_login_with_csrf_sets_an_httponly_samesite_cookie(
    client: TestClient, people: People
) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "xiangdong", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/me").json()["username"] == "xiangdong"
    # A cookie-authenticated API write needs the CSRF header too.
    refused = client.post("/api/v1/ecology/sections", json=JINYUSHI)
    assert refused.status_code == 403


def test_failed_logins_are_slowed_never_locked(
    client: TestClient, session: Session, people: People, settings: Settings
) -> None:
    # Rule changed by issue 9: the wait doubles per failure but is never a lock, and it is
    # kept per (name, address) in accounts_login_failure, no longer on the user row.
    for _ in range(settings.login_slow_after):
        assert login(client, "xiangdong", "wrong-password") == 401
    failures = session.scalars(select(LoginFailure)).all()
    assert [(f.account, f.address) for f in failures] == [("xiangdong", "testclient")] * 3
    # While slowed, even the right password is refused from this address until the wait
    # is over.
    assert login(client, "xiangdong", PASSWORD) == 429
    last = max(f.at for f in failures)
    at = last + timedelta(seconds=1)
    wrong = sessions.authenticate(session, "xiangdong", "wrong", settings, "testclient", at)
    assert wrong.reason == "bad_credentials"
    early = sessions.authenticate(session, "xiangdong", PASSWORD, settings, "testclient",
                                  at + timedelta(seconds=1))
    assert (early.reason, early.retry_after) == ("throttled", 1)  # 4 failures: wait 2 s
    ok = sessions.authenticate(session, "xiangdong", PASSWORD, settings, "testclient",
                               at + timedelta(seconds=2))
    assert ok.principal is not None and ok.principal.username == "xiangdong"
    # A success from this address forgets its failures for this name.
    assert session.scalars(select(LoginFailure)).all() == []


def test_passwords_that_are_too_short_are_refused(session: Session) -> None:
    try:
        accounts.create_user(session, "shorty", "short")
    except accounts.InvalidInput as exc:
        assert exc.errors[0].column == "password"
    else:
        raise AssertionError("short password accepted")
    assert session.scalar(select(User).where(User.username == "shorty")) is None


def test_account_page_makes_a_token_once_and_revokes_it(
    client: TestClient, session: Session, people: People
) -> None:
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert login(client, "xiangdong", PASSWORD) == 303
    token = csrf_of(client.get("/account").text)
    page = client.post("/account/tokens", data={"name": "金鱼石自动站", "write": "yes",
                                                "csrf_token": token}).text
    plain = re.search(r'<code id="new-token">([^<]+)</code>', page)
    assert plain
    assert 'id="new-token"' not in client.get("/account").text  # shown only once
    stored = session.scalars(select(ApiToken)).one()
    assert stored.scopes == "read write" and stored.token_hash != plain.group(1)
    fresh = TestClient(client.app)
    headers = {"Authorization": f"Bearer {plain.group(1)}"}
    assert fresh.get("/api/v1/me", headers=headers).json()["username"] == "xiangdong"
    client.post(f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert fresh.get("/api/v1/me", headers=headers).status_code == 401


def test_audit_page_is_for_platform_admins_only(
    client: TestClient, session: Session, people: People
) -> None:
    assert login(client, "viewer", PASSWORD) == 303
    assert client.get("/admin/audit").status_code == 403
    client.cookies.clear()
    assert login(client, "admin", PASSWORD) == 303
    html = client.get("/admin/audit?entity=accounts_organisation").text
    assert html.count("<tr><td>") == 2  # the two organisations of the fixture
    assert "醴陵市生态环境分局" in html and 'data-entity="accounts_user"' not in html
