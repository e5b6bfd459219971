"""The API edge's answers to the unexpected: the catch-all 500 (documented body, request id,
logged, connection kept), the request id on every answer, the database refusing (503), and
the OpenAPI schema documenting the error body the app really sends."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation, User
from coopzone.api.app import create_app
from coopzone.api.deps import SessionDep
from coopzone.api.errors import INTERNAL_ERROR_ZH
from coopzone.db import make_engine, make_session_factory
from coopzone.migrate import upgrade
from tests.helpers import PASSWORD, make_settings
from tests.serving import free_port, serve

ERROR_KEYS = {"error", "detail", "errors", "request_id"}


def _with_failing_routes(app: FastAPI) -> FastAPI:
    def boom() -> None:
        raise RuntimeError("a bug in a handler")

    def peer(request: Request) -> dict[str, Any]:
        assert request.client is not None
        return {"port": request.client.port}

    app.add_api_route("/api/v1/test/boom", boom, methods=["GET"])
    app.add_api_route("/test/boom", boom, methods=["GET"])
    app.add_api_route("/api/v1/test/peer", peer, methods=["GET"])
    return app


def test_an_unexpected_error_answers_500_with_the_body_and_is_logged(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(_with_failing_routes(app))
    with caplog.at_level(logging.ERROR, logger="coopzone.api"):
        response = client.get("/api/v1/test/boom")
    assert response.status_code == 500
    body = response.json()
    rid = response.headers["x-request-id"]
    assert body == {"error": "internal_error", "detail": INTERNAL_ERROR_ZH, "errors": [],
                    "request_id": rid}
    # The traceback is in the log, with the request id that the client was given.
    logged = [r for r in caplog.records if rid in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "a bug in a handler" in str(logged[0].exc_info[1])
    assert "a bug in a handler" not in response.text  # never shown to the client


def test_an_unexpected_error_on_a_page_answers_the_error_page(app: FastAPI) -> None:
    response = TestClient(_with_failing_routes(app)).get("/test/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert INTERNAL_ERROR_ZH in response.text
    assert response.headers["x-request-id"] in response.text


@pytest.fixture
def live_app(app: FastAPI) -> Iterator[str]:
    with serve(_with_failing_routes(app), log_level="critical") as base:
        yield base


def test_the_connection_survives_a_500_on_a_real_server(live_app: str) -> None:
    """Starlette re-raises after its 500 and uvicorn then drops the keep-alive connection;
    ours is answered in full, so the next request on the same connection works."""
    with httpx2.Client(base_url=live_app, limits=httpx2.Limits(max_connections=1)) as client:
        before = client.get("/api/v1/test/peer").json()["port"]
        failed = client.get("/api/v1/test/boom")
        after = client.get("/api/v1/test/peer")
        health = client.get("/api/v1/health")
    assert failed.status_code == 500 and failed.json()["error"] == "internal_error"
    assert after.status_code == 200 and health.status_code == 200
    assert after.json()["port"] == before  # the same TCP connection


def test_every_answer_carries_a_request_id(client: TestClient) -> None:
    ok = client.get("/api/v1/health")
    missing = client.get("/api/v1/nothing-here")
    invalid = client.get("/api/v1/cooperation/agreements/abc")
    page = client.get("/map")
    ids = [r.headers["x-request-id"] for r in (ok, missing, invalid, page)]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 4
    assert missing.json()["request_id"] == ids[1] and invalid.json()["request_id"] == ids[2]
    # A client's own plain id is kept (to follow one request across systems); others not.
    assert client.get("/api/v1/health", headers={"X-Request-ID": "station-7.42"}
                      ).headers["x-request-id"] == "station-7.42"
    assert client.get("/api/v1/health", headers={"X-Request-ID": "a b\tc"}
                      ).headers["x-request-id"] != "a b\tc"


# ---- the database refusing: real SQLite failures, answered 503 ------------------------------


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite file with a user and a token (that every request updates)."""
    path = tmp_path_factory.mktemp("refusing") / "coopzone.sqlite3"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(url, engine=engine)
    with Session(engine) as session:
        user = accounts.create_user(session, "station", PASSWORD, "站点")
        _token, plain = accounts.create_token(session, user, "push", ["read", "write"])
        session.commit()
    engine.dispose()
    return path, plain


def _app_on(engine: Engine) -> TestClient:
    factory: sessionmaker[Session] = make_session_factory(engine)
    return TestClient(create_app(make_settings(str(engine.url)), factory))


def _assert_503(response: Any, message: str) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["error"] == "service_unavailable"
    assert message in body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["retry-after"].isdigit()


def _last_used(path: Path) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT max(last_used_at) FROM accounts_api_token").fetchone()[0]


def test_a_read_only_database_answers_503(sqlite_file: tuple[Path, str]) -> None:
    path, token = sqlite_file
    before = _last_used(path)
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    client = _app_on(engine)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    _assert_503(response, "只读")
    page = client.post("/login", data={"username": "station", "password": PASSWORD,
                                       "csrf_token": "x"})
    assert page.status_code in (403, 503)  # the CSRF check comes first; never a 500
    assert _last_used(path) == before
    engine.dispose()


def test_a_full_disk_answers_503(sqlite_file: tuple[Path, str]) -> None:
    path, token = sqlite_file
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_room(dbapi_connection: Any, _record: Any) -> None:
        # The database may not grow by one page: SQLITE_FULL, as on a full disk.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    client = _app_on(engine)
    for _ in range(200):  # until the free room left in the last pages is used up
        response = client.post("/api/v1/tokens", json={"name": "x" * 120, "days": 30},
                               headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 201:
            break
    _assert_503(response, "磁盘空间已满")
    engine.dispose()


def test_a_locked_database_answers_503_to_writers_and_still_serves_reads(
        sqlite_file: tuple[Path, str]) -> None:
    """Another process holds SQLite's write lock past the busy timeout: a write answers 503
    (nothing written); a read still answers, as WAL lets readers past a writer."""
    path, token = sqlite_file
    engine = make_engine(f"sqlite:///{path}", sqlite_busy_timeout=0)
    headers = {"Authorization": f"Bearer {token}"}
    with sqlite3.connect(path) as conn:
        tokens = conn.execute("SELECT count(*) FROM accounts_api_token").fetchone()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        client = _app_on(engine)
        write = client.post("/api/v1/tokens", json={"name": "blocked"}, headers=headers)
        read = client.get("/api/v1/me", headers=headers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _assert_503(write, "正忙")
    assert read.status_code == 200, read.text
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM accounts_api_token").fetchone() == tokens
    engine.dispose()


def test_an_unreachable_database_answers_503(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}")
    response = _app_on(engine).get("/api/v1/cooperation/agreements")
    _assert_503(response, "无法连接数据库")
    pg = make_engine(f"postgresql+psycopg://coopzone@127.0.0.1:{free_port()}/coopzone",
                     connect_args={"connect_timeout": 2})
    _assert_503(_app_on(pg).get("/api/v1/cooperation/agreements"), "无法连接数据库")


def test_database_errors_below_the_edge_are_4xx(app: FastAPI, session: Session) -> None:
    """The nets under the edge's bounds: a unique clash (two requests racing) is a 409, a
    value the database cannot hold a 422; what they tried to write is rolled back."""
    def duplicate(db: SessionDep) -> None:
        db.add(Organisation(name="重复的单位", kind="other", place_code="360300"))
        db.flush()
        db.add(Organisation(name="重复的单位", kind="other", place_code="360300"))
        db.flush()

    def divide(db: SessionDep) -> None:
        db.execute(text("SELECT 1 / 0"))

    app.add_api_route("/api/v1/test/duplicate", duplicate, methods=["POST"])
    app.add_api_route("/api/v1/test/divide", divide, methods=["POST"])
    client = TestClient(app)
    clash = client.post("/api/v1/test/duplicate")
    assert clash.status_code == 409 and set(clash.json()) == ERROR_KEYS
    assert clash.json()["error"] == "conflict"
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0
    if session.get_bind().dialect.name == "postgresql":  # SQLite answers NULL
        out_of_range = client.post("/api/v1/test/divide")
        assert out_of_range.status_code == 422
        assert out_of_range.json()["error"] == "invalid_input"


# ---- the schema documents what is sent ------------------------------------------------------


def test_openapi_documents_the_error_body_for_every_error(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components and "ValidationError" not in components
    assert set(components["ErrorBody"]["properties"]) == ERROR_KEYS
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("4XX", "422", "500", "503"):
                content = operation["responses"][status]["content"]
                assert content["application/json"]["schema"] == ref, (method, path, status)


def test_a_validation_error_matches_the_documented_body(client: TestClient,
                                                        session: Session) -> None:
    users = session.scalar(select(func.count()).select_from(User))
    response = client.get("/api/v1/cooperation/agreements/abc")
    assert response.status_code == 422
    body = response.json()
    assert set(body) == ERROR_KEYS and body["error"] == "invalid_input"
    assert body["errors"][0]["column"] == "path.agreement_id"
    assert set(body["errors"][0]) == {"row", "column", "reason"}
    assert session.scalar(select(func.count()).select_from(User)) == users
