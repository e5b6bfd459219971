"""Each input that once answered 500 (issue 9) is refused with a 4xx and the documented body,
and nothing is written: years and ids out of range, money beyond a BIGINT of fen, a null
status, the same party twice, times at the ends of the calendar or in the 1986–91
daylight-saving gap, infinite numbers, NUL characters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import ApiToken
from coopzone.cooperation.models import Agreement, Party, Project, Task
from coopzone.ecology.models import Reading, Section
from coopzone.kit.validation import ID_MAX
from tests.accounts.test_access import csrf_of, login
from tests.helpers import (
    GOOD_ROWS,
    HEADER,
    PASSWORD,
    Coop,
    People,
    token_for,
    xiangdong_agreement,
    xlsx,
)

ERROR_KEYS = {"error", "detail", "errors", "request_id"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def refused(response: Any, status: int = 422) -> list[tuple[Any, str]]:
    """The documented error body; returns the (row, column) of each reason."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["error"] == "invalid_input"
    assert body["detail"] and body["request_id"] == response.headers["x-request-id"]
    assert all(set(e) == {"row", "column", "reason"} and e["reason"] for e in body["errors"])
    return [(e["row"], e["column"]) for e in body["errors"]]


@pytest.fixture
def office(session: Session, coop: Coop) -> dict[str, str]:
    return token_for(session, coop.office_editor)


# ---- years ----------------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["-1", "0", "1948", "2200", "10000", "99999999999999999999"])
@pytest.mark.parametrize("path", ["/api/v1/cooperation/agreements",
                                  "/api/v1/cooperation/agreements.xlsx",
                                  "/api/v1/cooperation/meetings",
                                  "/api/v1/ecology/compensation/statements"])
def test_a_year_out_of_range_is_refused_by_the_api(client: TestClient, session: Session,
                                                   coop: Coop, path: str, year: str) -> None:
    xiangdong_agreement(session, coop.office)
    assert refused(client.get(path, params={"year": year})) == [(None, "query.year")]
    assert count(session, Agreement) == 1


@pytest.mark.parametrize("path", ["/cooperation/agreements", "/cooperation/agreements.xlsx",
                                  "/cooperation/meetings"])
def test_a_year_out_of_range_is_refused_by_the_pages(client: TestClient, path: str) -> None:
    for year in ("-1", "10000"):
        response = client.get(path, params={"year": year})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert "year" in response.text
    assert client.get(path, params={"year": "2025"}).status_code == 200


# ---- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    f"/api/v1/cooperation/agreements/{ID_MAX + 1}",
    "/api/v1/cooperation/agreements/99999999999999999999999",
    "/api/v1/cooperation/tasks/0/events",
    f"/api/v1/ecology/compensation/statements/{ID_MAX + 1}",
    f"/api/v1/ecology/compensation/statements/{2**70}/statement.pdf",
])
def test_an_id_beyond_a_bigint_is_refused_by_the_api(client: TestClient, session: Session,
                                                     office: dict[str, str],
                                                     path: str) -> None:
    columns = refused(client.get(path, headers=office))
    assert len(columns) == 1 and columns[0][1].startswith("path.")


def test_an_id_beyond_a_bigint_is_refused_on_writes_and_pages(
    client: TestClient, session: Session, coop: Coop, office: dict[str, str]
) -> None:
    tokens = count(session, ApiToken)
    assert refused(client.delete(f"/api/v1/tokens/{ID_MAX + 1}", headers=office)) == [
        (None, "path.token_id")]
    assert count(session, ApiToken) == tokens
    body = {"title": "报送方案", "owner_org_id": ID_MAX + 1, "deadline": "2030-01-01"}
    assert refused(client.post("/api/v1/cooperation/tasks", json=body, headers=office)) == [
        (None, "owner_org_id")]
    assert count(session, Task) == 0
    # The largest id passes the edge. SQLite's ids are 64-bit: not found. PostgreSQL's
    # INTEGER ids stop at 2**31-1: the database's "out of range" is answered as a 422.
    largest = client.get(f"/api/v1/cooperation/agreements/{ID_MAX}")
    if session.get_bind().dialect.name == "sqlite":
        assert largest.status_code == 404
    else:
        assert refused(largest) == []
    for page in (f"/cooperation/agreements/{ID_MAX + 1}", f"/cooperation/projects/{2**64}",
                 f"/ecology/compensation/{2**64}"):
        response = client.get(page)
        assert response.status_code in (404, 422), page
        assert response.headers["content-type"].startswith("text/html")


# ---- money and numbers ----------------------------------------------------------------------


PROJECT = {"name": "萍醴快速通道", "field": "transport", "owner": "萍乡市交通运输局",
           "owner_place_code": "360300"}


@pytest.mark.parametrize("budget", ["1e30", 1e30, "1000000000000000", "12.345", "-1", "NaN",
                                    "Infinity", "-Infinity", "1e309"])
def test_a_budget_a_bigint_of_fen_cannot_hold_is_refused(
    client: TestClient, session: Session, office: dict[str, str], budget: object
) -> None:
    response = client.post("/api/v1/cooperation/projects", json={**PROJECT, "budget": budget},
                           headers=office)
    assert refused(response) == [(None, "budget")]
    assert count(session, Project) == 0


def test_the_largest_budget_is_stored_to_the_fen(client: TestClient, session: Session,
                                                 office: dict[str, str]) -> None:
    response = client.post("/api/v1/cooperation/projects",
                           json={**PROJECT, "budget": "999999999999999.99"}, headers=office)
    assert response.status_code == 201, response.text
    assert response.json()["budget"] == "999999999999999.99"


def test_an_infinite_or_huge_indicator_value_is_refused(client: TestClient, session: Session,
                                                        office: dict[str, str]) -> None:
    for value in ("Infinity", "1e30", "NaN"):
        response = client.post("/api/v1/cooperation/indicators/anything/values",
                               json={"period": "2025", "value": value}, headers=office)
        assert refused(response) == [(None, "value")]


# ---- agreements -----------------------------------------------------------------------------


def test_a_null_status_is_refused_and_the_agreement_is_unchanged(
    client: TestClient, session: Session, coop: Coop, office: dict[str, str]
) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    session.commit()
    for body in ({"status": None}, {"summary": None}, {"status": None, "summary": "x"}):
        response = client.patch(f"/api/v1/cooperation/agreements/{agreement_id}", json=body,
                                headers=office)
        assert (None, next(iter(body))) in refused(response)
    stored = session.get_one(Agreement, agreement_id)
    session.refresh(stored)
    assert (stored.status, stored.summary) == ("in_force", "")
    # Clearing the expiry date with null stays allowed.
    cleared = client.patch(f"/api/v1/cooperation/agreements/{agreement_id}",
                           json={"expires_on": None}, headers=office)
    assert cleared.status_code == 200 and cleared.json()["expires_on"] is None


def test_the_same_party_twice_is_refused_and_nothing_is_written(
    client: TestClient, session: Session, office: dict[str, str]
) -> None:
    parties = count(session, Party)
    body = {"title": "萍乡—醴陵合作协议", "field": "transport", "signed_on": "2024-05-01",
            "parties": [{"name": "萍乡市人民政府"}, {"name": "醴陵市人民政府"},
                        {"name": " 萍乡市人民政府"}]}
    response = client.post("/api/v1/cooperation/agreements", json=body, headers=office)
    assert refused(response) == [(3, "parties")]
    assert "萍乡市人民政府" in response.json()["errors"][0]["reason"]
    assert count(session, Agreement) == 0 and count(session, Party) == parties


def test_the_same_party_twice_in_a_workbook_row_is_refused(
    files_client: TestClient, session: Session, office: dict[str, str]
) -> None:
    rows = [HEADER, GOOD_ROWS[0],
            (2, "重复签署单位的协议", "萍乡市人民政府、萍乡市人民政府", "2023-03-08", "产业",
             "履行中")]
    files = {"file": ("协议清单.xlsx", xlsx(rows), XLSX)}
    response = files_client.post("/api/v1/cooperation/agreements/import?confirm=true",
                                 files=files, headers=office)
    assert (3, "签署单位") in refused(response)
    assert count(session, Agreement) == 0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1948-12-31", "2200-01-01"])
def test_a_date_at_the_ends_of_the_calendar_is_refused(
    client: TestClient, session: Session, office: dict[str, str], day: str
) -> None:
    body = {"title": "萍乡—醴陵合作协议", "field": "transport", "signed_on": day,
            "parties": [{"name": "萍乡市人民政府"}]}
    assert refused(client.post("/api/v1/cooperation/agreements", json=body,
                               headers=office)) == [(None, "signed_on")]
    assert refused(client.get("/api/v1/cooperation/dashboard", params={"as_of": day})) == [
        (None, "query.as_of")]
    assert count(session, Agreement) == 0


# ---- readings: times, infinite values --------------------------------------------------------


@pytest.fixture
def jinyushi(session: Session) -> Section:
    section = Section(code="jinyushi", name="金鱼石", river="萍水河", basin="渌水",
                      province_code="360000", county_code="360313", level="national",
                      target_class=3, is_border=True)
    session.add(section)
    session.commit()
    return section


@pytest.mark.parametrize(("time", "reason"), [
    ("0001-01-01T00:00:00+14:00", "超出"),
    ("9999-12-31T23:59:59-12:00", "超出"),
    ("1988-04-17T02:30:00", "不存在"),  # clocks went from 02:00 to 03:00
    ("1988-09-11T01:30:00", "歧义"),  # this hour happened twice
])
def test_a_reading_time_that_cannot_be_read_is_refused(
    client: TestClient, session: Session, people: People, jinyushi: Section, time: str,
    reason: str
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    push = {"readings": [
        {"section": "jinyushi", "time": "2025-08-01T08:00:00", "item": "nh3n", "value": "0.1"},
        {"section": "jinyushi", "time": time, "item": "nh3n", "value": "0.1"}]}
    response = client.post("/api/v1/ecology/readings", json=push, headers=headers)
    assert refused(response) == [(2, "time")]
    assert reason in response.json()["errors"][0]["reason"]
    assert count(session, Reading) == 0


def test_an_aware_time_in_the_summer_of_1988_is_stored_as_that_instant(
    client: TestClient, session: Session, people: People, jinyushi: Section
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    push = {"readings": [{"section": "jinyushi", "time": "1988-07-01T03:00:00Z",
                          "item": "nh3n", "value": "0.1"}]}
    assert client.post("/api/v1/ecology/readings", json=push,
                       headers=headers).status_code == 200
    stored = session.scalars(select(Reading)).one()
    assert stored.measured_at.utcoffset() is not None
    assert stored.measured_at.astimezone().timestamp() == 583729200  # 1988-07-01T03:00Z


def test_an_infinite_pushed_value_is_refused(client: TestClient, session: Session,
                                             people: People, jinyushi: Section) -> None:
    headers = {**token_for(session, people.jiangxi_editor),
               "Content-Type": "application/json"}
    for raw in ("1e309", "Infinity", "NaN"):
        content = ('{"readings": [{"section": "jinyushi", "time": "2025-08-01T08:00:00", '
                   f'"item": "nh3n", "value": {raw}}}]}}')
        response = client.post("/api/v1/ecology/readings", content=content, headers=headers)
        assert response.status_code == 422, (raw, response.text)
        assert response.json()["error"] == "invalid_input"
    assert count(session, Reading) == 0


# ---- strings --------------------------------------------------------------------------------


def test_a_nul_character_or_an_overlong_string_is_refused(
    client: TestClient, session: Session, people: People
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    section = {"code": "x1", "name": "断面\x00", "river": "萍水河", "basin": "渌水",
               "county_code": "360313"}
    assert refused(client.post("/api/v1/ecology/sections", json=section,
                               headers=headers)) == [(None, "name")]
    section["name"] = "断" * 61
    assert refused(client.post("/api/v1/ecology/sections", json=section,
                               headers=headers)) == [(None, "name")]
    assert refused(client.get("/api/v1/ecology/sections", params={"basin": "渌\x00"})) == [
        (None, "query.basin")]
    assert refused(client.get("/api/v1/cooperation/agreements", params={"q": "x" * 121})) == [
        (None, "query.q")]
    assert count(session, Section) == 0


def test_valid_bounded_inputs_still_pass(client: TestClient, session: Session,
                                         office: dict[str, str]) -> None:
    body = {"title": "萍乡—醴陵合作协议", "field": "transport", "signed_on": "1949-10-01",
            "expires_on": "2199-12-31",
            "parties": [{"name": "萍乡市人民政府"}, {"name": "醴陵市人民政府"}]}
    created = client.post("/api/v1/cooperation/agreements", json=body, headers=office)
    assert created.status_code == 201, created.text
    listed = client.get("/api/v1/cooperation/agreements", params={"year": 1949}).json()
    assert [a["signed_on"] for a in listed] == [date(1949, 10, 1).isoformat()]


# ---- page forms -----------------------------------------------------------------------------


def test_a_form_with_out_of_range_values_comes_back_with_the_reasons(
    client: TestClient, session: Session, coop: Coop
) -> None:
    assert login(client, "coop", PASSWORD) == 303
    token = csrf_of(client.get("/cooperation/tasks/new").text)
    response = client.post("/cooperation/tasks/new", data={
        "csrf_token": token, "title": "编制联合监测方案", "owner_org_id": str(2**64),
        "deadline": "9999-12-31"}, follow_redirects=False)
    assert response.status_code == 422
    assert "1949–2199" in response.text and "Value error" not in response.text
    budget = client.post("/cooperation/projects/new", data={
        "csrf_token": token, **PROJECT, "budget": "1e30"}, follow_redirects=False)
    assert budget.status_code == 422
    assert count(session, Task) == 0 and count(session, Project) == 0
