"""Token scopes on every route: a token without ``write`` makes no unsafe request at all,
platform-admin routes included, and no token mints one with more scopes than itself."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import ApiToken, AuditLog, Organisation
from tests.helpers import People, token_for

READ_ONLY = "此令牌只有读取权限，不能提交、修改或删除任何内容"


def counts(session: Session) -> list[int]:
    """Organisations, tokens, audit rows and revoked tokens."""
    session.expire_all()
    queries = [select(func.count()).select_from(m) for m in (Organisation, ApiToken, AuditLog)]
    queries.append(select(func.count()).select_from(ApiToken)
                   .where(ApiToken.revoked_at.is_not(None)))
    return [session.scalar(q) or 0 for q in queries]


def test_an_admins_read_token_creates_no_organisation_and_revokes_no_token(
        client: TestClient, session: Session, people: People) -> None:
    admin_read = token_for(session, people.admin, ["read"])
    token_for(session, people.jiangxi_editor)
    victim = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert victim is not None
    before = counts(session)
    made = client.post("/api/v1/organisations", headers=admin_read,
                       json={"name": "冒名机构", "kind": "other", "place_code": "360313"})
    assert made.status_code == 403
    body = made.json()
    assert body.pop("request_id")
    assert body == {"error": "forbidden", "detail": READ_ONLY, "errors": []}
    revoked = client.delete(f"/api/v1/tokens/{victim.id}", headers=admin_read)
    assert revoked.status_code == 403 and revoked.json()["detail"] == READ_ONLY
    assert counts(session) == before
    assert client.get("/api/v1/audit", headers=admin_read).status_code == 200  # reads work


def test_a_read_token_mints_none_and_a_token_never_mints_more_than_itself(
        client: TestClient, session: Session, people: People) -> None:
    read = token_for(session, people.jiangxi_editor, ["read"])
    write_only = token_for(session, people.jiangxi_editor, ["write"])
    before = counts(session)
    for headers, scopes in ((read, ["read"]), (read, ["read", "write"]),
                            (write_only, ["read", "write"]), (write_only, ["read"])):
        response = client.post("/api/v1/tokens", headers=headers,
                               json={"name": "下一个", "scopes": scopes})
        assert response.status_code == 403, (scopes, response.text)
    assert client.post("/api/v1/tokens", headers=write_only, json={
        "name": "下一个", "scopes": ["read"]}).json()["detail"] == "令牌不能创建权限比自己多的令牌"
    assert counts(session) == before
    full = token_for(session, people.jiangxi_editor)
    made = client.post("/api/v1/tokens", headers=full,
                       json={"name": "自动站", "scopes": ["read", "write"]})
    assert made.status_code == 201 and made.json()["scopes"] == ["read", "write"]


def test_a_read_token_is_refused_on_pages_and_before_an_upload_is_read(
        client: TestClient, session: Session, people: People) -> None:
    read = token_for(session, people.jiangxi_editor, ["read"])
    before = counts(session)
    for url in ("/account/tokens", "/cooperation/agreements/import", "/logout"):
        response = client.post(url, headers=read, data={"name": "x"},
                               files={"file": ("a.xlsx", b"PK")})
        assert response.status_code == 403, url
    assert counts(session) == before


def test_an_unknown_token_is_still_401(client: TestClient) -> None:
    response = client.post("/api/v1/tokens", headers={"Authorization": "Bearer czt_nope"},
                           json={"name": "x"})
    assert response.status_code == 401
