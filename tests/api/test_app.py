from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import coopzone
from tests.helpers import People, token_for


def test_health_reports_version_and_database(client: TestClient) -> None:
    body = client.get("/api/v1/health").json()
    assert body == {"status": "ok", "version": coopzone.__version__, "database": "ok"}


def test_validation_errors_use_the_one_error_body(
    client: TestClient, session: Session, people: People
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    response = client.post("/api/v1/ecology/sections", headers=headers,
                           json={"code": "X", "name": "x", "river": "r", "basin": "b",
                                 "county_code": "36031", "target_class": 9})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    columns = {e["column"] for e in body["errors"]}
    assert columns == {"county_code", "target_class"}
    assert all(e["row"] is None and e["reason"] for e in body["errors"])


def test_unknown_route_uses_the_error_body(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_openapi_page_serves_local_assets_only(client: TestClient) -> None:
    html = client.get("/api/v1/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "cdn" not in html
    for path in sources:
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/openapi.json").json()["info"]["version"] == coopzone.__version__


def test_pages_load_no_external_assets(client: TestClient) -> None:
    for page in ("/", "/map", "/login"):
        html = client.get(page).text
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"(https?:)?//", ref), (page, ref)


def test_chinese_by_default_and_english_on_request(client: TestClient) -> None:
    zh = client.get("/", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="zh-CN">' in zh and "湘赣边区域合作示范区" in zh
    en = client.get("/?lang=en").text
    assert '<html lang="en">' in en and "Demonstration Zone" in en
    # The choice is remembered by a cookie.
    assert '<html lang="en">' in client.get("/map").text
    assert "湘东区" in client.get("/map").text  # place names stay Chinese
