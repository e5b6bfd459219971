"""Security headers on every response, and pages that need no inline script for the CSP."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from coopzone.api.app import create_app
from coopzone.api.security_headers import CONTENT_SECURITY_POLICY
from coopzone.config import Settings

SRC = Path(str(resources.files("coopzone")))


def _policy(value: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in value.split("; ")}


def _assert_headers(response_headers: object, hsts: bool = False) -> None:
    headers = dict(response_headers)  # type: ignore[call-overload]
    policy = _policy(headers["content-security-policy"])
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in str(policy)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert ("strict-transport-security" in headers) is hsts


def test_every_kind_of_response_carries_the_headers(client: TestClient) -> None:
    for path, status in (("/", 200), ("/ecology", 200), ("/login", 200), ("/api/v1/health", 200),
                         ("/api/v1/docs", 200), ("/api/v1/openapi.json", 200),
                         ("/static/js/escape.js", 200), ("/static/nothing.js", 404),
                         ("/api/v1/nothing-here", 404), ("/cooperation/tasks", 303),
                         ("/api/v1/me", 401)):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == status, path
        _assert_headers(response.headers)
    response = client.post("/api/v1/ecology/sections", json={})  # a refusal
    assert response.status_code in (401, 403, 422)
    _assert_headers(response.headers)


def test_an_unexpected_error_carries_the_headers_too(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app: FastAPI = create_app(settings, session_factory)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    _assert_headers(response.headers)


def test_hsts_only_in_production(settings: Settings,
                                 session_factory: sessionmaker[Session]) -> None:
    production = settings.model_copy(update={"env": "production"})
    with TestClient(create_app(production, session_factory)) as client:
        response = client.get("/api/v1/health")
    _assert_headers(response.headers, hsts=True)
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_policy_allows_no_inline_script_and_no_outside_origin() -> None:
    policy = _policy(CONTENT_SECURITY_POLICY)
    assert all("http" not in v and "*" not in v for v in policy.values()), policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def test_no_template_has_inline_script_handlers_or_javascript_urls() -> None:
    templates = sorted(SRC.rglob("templates/**/*.html"))
    assert len(templates) > 20
    for path in templates:
        text = path.read_text("utf-8")
        assert not INLINE_SCRIPT.search(text), path
        assert not HANDLER.search(text), path
        assert "javascript:" not in text.lower(), path
        assert "hx-on" not in text and "js:" not in text, path


def test_pages_and_the_swagger_page_have_no_inline_script(client: TestClient) -> None:
    for path in ("/", "/map", "/ecology", "/dashboard", "/cooperation", "/api/v1/docs"):
        html = client.get(path).text
        assert not INLINE_SCRIPT.search(html), path
        assert not HANDLER.search(html), path
    docs = client.get("/api/v1/docs").text
    assert '<script src="/static/js/swagger-init.js"></script>' in docs
    assert 'data-openapi-url="/api/v1/openapi.json"' in docs
