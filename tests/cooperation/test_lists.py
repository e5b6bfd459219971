"""Every list page and API list endpoint: paged in SQL with the total in one COUNT, sorted by a
whitelist with a stable id tiebreak, searched by an escaped keyword; bad parameters are a 422
(the API's error body, a Chinese message on pages), never a 500; the language switch keeps
the query."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.cooperation.models import Agreement
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementStatusChange,
    MeetingCreate,
    PartyIn,
)
from coopzone.kit.listing import ListParams, Sorting, contains, count, paginate
from tests.accounts.test_access import login
from tests.helpers import PASSWORD, Coop, People, new_task, token_for

SORTING = Sorting({"signed_on": Agreement.signed_on, "title": Agreement.title},
                  default="signed_on", default_order="desc", tiebreak=Agreement.id)


def _agreements(session: Session, coop: Coop, titles: list[tuple[str, date]]) -> list[int]:
    return [service.create_agreement(session, coop.office, AgreementCreate(
        title=title, parties=[PartyIn(name="萍乡市人民政府")], field="ecology",
        signed_on=day)).id for title, day in titles]


def test_pages_count_once_and_break_ties_by_id(session: Session, coop: Coop) -> None:
    same_day = date(2024, 5, 1)
    ids = _agreements(session, coop, [(f"协议{n}", same_day) for n in range(5)]
                      + [("更早的协议", date(2020, 1, 1))])
    query = select(Agreement)
    assert count(session, query) == 6
    first = paginate(session, query, ListParams(1, 2), SORTING)
    second = paginate(session, query, ListParams(2, 2), SORTING)
    last = paginate(session, query, ListParams(3, 2), SORTING)
    # Newest first; the five of the same day in descending id, never shuffled across pages.
    assert [a.id for a in first.items + second.items + last.items] == [*reversed(ids[:5]), ids[5]]
    assert (first.total, first.pages, first.has_previous, first.has_next) == (6, 3, False, True)
    assert (last.first_index, last.last_index, last.has_next) == (5, 6, False)
    beyond = paginate(session, query, ListParams(9, 2), SORTING)
    assert (beyond.items, beyond.total, beyond.first_index) == ([], 6, 0)
    ascending = paginate(session, query, ListParams(1, 6, "signed_on", "asc"), SORTING)
    assert [a.id for a in ascending.items] == [ids[5], *ids[:5]]


def test_the_keyword_is_a_literal_not_a_pattern(session: Session, coop: Coop) -> None:
    _agreements(session, coop, [("完成率100%协议", date(2024, 1, 1)),
                                ("完成率1000协议", date(2024, 1, 2)),
                                ("a_b 协议", date(2024, 1, 3)), ("axb 协议", date(2024, 1, 4)),
                                ("ABC 协议", date(2024, 1, 5))])

    def titles(q: str) -> list[str]:
        keyword = contains(q, [Agreement.title])
        assert keyword is not None
        return sorted(session.scalars(select(Agreement.title).where(keyword)))

    assert titles("100%") == ["完成率100%协议"]
    assert titles("a_b") == ["a_b 协议"]
    assert titles("abc") == ["ABC 协议"]  # case-insensitive
    assert titles("'; DROP TABLE") == []


def test_the_agreement_api_pages_with_headers_and_a_bare_list(
        client: TestClient, session: Session, coop: Coop) -> None:
    ids = _agreements(session, coop, [(f"协议{n}", date(2020 + n, 1, 1)) for n in range(7)])
    session.commit()
    first = client.get("/api/v1/cooperation/agreements", params={"per_page": 3})
    assert first.status_code == 200
    assert [a["id"] for a in first.json()] == [ids[6], ids[5], ids[4]]
    assert (first.headers["x-total-count"], first.headers["x-page"],
            first.headers["x-per-page"]) == ("7", "1", "3")
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"',
                                                        first.headers["link"]))
    assert sorted(links) == ["first", "last", "next"]
    assert "page=2" in links["next"] and "per_page=3" in links["next"]
    assert "page=3" in links["last"]
    last = client.get(links["last"])
    assert [a["id"] for a in last.json()] == [ids[0]]
    assert 'rel="prev"' in last.headers["link"] and 'rel="next"' not in last.headers["link"]
    by_title = client.get("/api/v1/cooperation/agreements",
                          params={"sort": "title", "order": "desc", "per_page": 2}).json()
    assert [a["title"] for a in by_title] == ["协议6", "协议5"]
    searched = client.get("/api/v1/cooperation/agreements", params={"q": "协议3"})
    assert ([a["id"] for a in searched.json()], searched.headers["x-total-count"]) == (
        [ids[3]], "1")


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 10**9}, {"sort": "unknown"},
                                    {"order": "up"}, {"page": "abc"}, {"page": 10**30}])
def test_bad_list_parameters_answer_422(client: TestClient, params: dict[str, object]) -> None:
    refused = client.get("/api/v1/cooperation/agreements", params=params)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid_input"
    assert [e["column"].split(".")[-1] for e in body["errors"]] == [next(iter(params))]


def test_every_api_list_is_paged_and_refuses_an_unknown_sort(
        client: TestClient, session: Session, coop: Coop, people: People) -> None:
    new_task(session, coop)
    admin = token_for(session, people.admin)
    for path in ("/api/v1/cooperation/agreements", "/api/v1/cooperation/meetings",
                 "/api/v1/cooperation/projects", "/api/v1/cooperation/tasks",
                 "/api/v1/cooperation/indicators",
                 "/api/v1/organisations", "/api/v1/audit", "/api/v1/ecology/sections",
                 "/api/v1/ecology/compensation/statements"):
        listed = client.get(path, headers=admin, params={"per_page": 1})
        assert listed.status_code == 200, path
        assert int(listed.headers["x-total-count"]) >= len(listed.json()), path
        assert len(listed.json()) <= 1 and listed.headers["x-per-page"] == "1", path
        refused = client.get(path, headers=admin, params={"sort": "nope"})
        assert refused.status_code == 422, path
        assert refused.json()["errors"][0]["column"] == "sort", path
        assert client.get(path, headers=admin, params={"per_page": 0}).status_code == 422


def test_the_openapi_schema_documents_the_paging_headers(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    get = schema["paths"]["/api/v1/cooperation/agreements"]["get"]
    assert set(get["responses"]["200"]["headers"]) == {"X-Total-Count", "X-Page",
                                                        "X-Per-Page", "Link"}
    assert {p["name"] for p in get["parameters"]} >= {"page", "per_page", "sort", "order", "q"}
    assert "title" in get["x-sort-keys"]


def test_the_audit_api_keeps_its_limit(client: TestClient, session: Session,
                                       people: People) -> None:
    admin = token_for(session, people.admin)
    listed = client.get("/api/v1/audit", headers=admin, params={"limit": 2})
    assert len(listed.json()) == 2 and listed.headers["x-per-page"] == "2"
    ids = [r["id"] for r in client.get("/api/v1/audit", headers=admin).json()]
    assert ids == sorted(ids, reverse=True)


def test_the_agreements_page_has_a_pager_sortable_headers_and_a_search_box(
        client: TestClient, session: Session, coop: Coop) -> None:
    _agreements(session, coop, [(f"协议{n}", date(2020 + n, 1, 1)) for n in range(5)])
    session.commit()
    page = client.get("/cooperation/agreements",
                      params={"per_page": 2, "page": 2, "field": "ecology"}).text
    assert 'data-count="5"' in page
    assert 'data-page="2" data-pages="3" data-total="5"' in page
    assert "第 3–4 条，共 5 条" in page and "第 2 / 3 页" in page
    assert 'href="/cooperation/agreements?per_page=2&amp;field=ecology&amp;page=3"' in page
    assert 'href="/cooperation/agreements?per_page=2&amp;field=ecology"' in page  # page 1
    assert ('href="/cooperation/agreements?per_page=2&amp;field=ecology&amp;sort=title'
            '&amp;order=asc"') in page
    assert 'aria-sort="descending" data-sort="signed_on"' in page
    assert 'name="q" type="search"' in page
    # The language switch keeps the filters, the page and the sort.
    assert 'href="?per_page=2&amp;page=2&amp;field=ecology&amp;lang=en"' in page
    english = client.get("/cooperation/agreements",
                         params={"per_page": 2, "sort": "title", "lang": "en"}).text
    assert "1–2 of 5" in english and "Page 1 of 3" in english
    assert 'aria-sort="ascending" data-sort="title"' in english


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 10**9}, {"sort": "unknown"}])
def test_a_bad_parameter_on_a_page_is_a_clear_message(client: TestClient,
                                                      params: dict[str, object]) -> None:
    refused = client.get("/cooperation/agreements", params=params)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert any(word in refused.text for word in ("页码应在", "每页条数应在", "不能按“unknown”排序"))


def test_every_list_page_is_paged(client: TestClient, session: Session, coop: Coop,
                                  people: People) -> None:
    service.create_meeting(session, coop.office, MeetingCreate(
        title="湘赣边联席会议", kind="joint_meeting", series="湘赣边", held_on=date(2024, 3, 1),
        place="萍乡", host="萍乡市人民政府", our_role="host", members=[], resolutions=[]))
    new_task(session, coop, title="报送方案100%")
    new_task(session, coop, title="另一项事项")
    session.commit()
    assert login(client, "admin", PASSWORD) == 303
    for path in ("/cooperation/agreements", "/cooperation/meetings", "/cooperation/projects",
                 "/cooperation/tasks", "/admin/audit"):
        page = client.get(path, params={"per_page": 1})
        assert page.status_code == 200, path
        assert 'class="pager"' in page.text and 'name="q" type="search"' in page.text, path
        assert client.get(path, params={"sort": "nope"}).status_code == 422, path
    tasks = client.get("/cooperation/tasks", params={"q": "100%"}).text
    assert "报送方案100%" in tasks and "另一项事项" not in tasks
    meetings = client.get("/cooperation/meetings", params={"q": "萍乡"}).text
    assert 'data-count="1"' in meetings


def test_every_documented_sort_key_sorts(client: TestClient, session: Session, coop: Coop,
                                         people: People) -> None:
    """Each list's sort keys, as the OpenAPI schema lists them, answer 200 both ways."""
    new_task(session, coop)
    _agreements(session, coop, [("甲协议", date(2021, 1, 1)), ("乙协议", date(2022, 1, 1))])
    admin = token_for(session, people.admin)
    schema = client.get("/api/v1/openapi.json").json()
    paged_paths = {path: op["get"]["x-sort-keys"] for path, op in schema["paths"].items()
                   if "x-sort-keys" in op.get("get", {})}
    assert len(paged_paths) == 13
    for path, keys in paged_paths.items():
        path = path.replace("{view}", "mine")  # the services work lists
        for key in keys:
            for order in ("asc", "desc"):
                answer = client.get(path, headers=admin, params={"sort": key, "order": order})
                assert answer.status_code == 200, (path, key, order)


def test_the_agreements_pages_rows_are_the_lists_and_follow_every_change(
        session: Session, coop: Coop) -> None:
    ids = _agreements(session, coop, [("甲协议", date(2024, 5, 1)), ("乙协议", date(2023, 1, 1)),
                                      ("丙协议", date(2024, 5, 1))])
    two = service.create_agreement(session, coop.office, AgreementCreate(
        title="两方协议", parties=[PartyIn(name="醴陵市人民政府"), PartyIn(name="萍乡市人民政府")],
        field="transport", signed_on=date(2022, 3, 3)))
    session.commit()

    def shown(f: service.AgreementFilter, params: ListParams) -> tuple[object, ...]:
        page = service.agreement_list_rows(session, f, params)
        return (page.total, page.page, page.sort, page.order,
                [(r.id, r.title, list(r.party_names), r.field, r.signed_on, r.status)
                 for r in page.items])

    def listed(f: service.AgreementFilter, params: ListParams) -> tuple[object, ...]:
        page = service.page_agreements(session, f, params)
        return (page.total, page.page, page.sort, page.order,
                [(a.id, a.title, [ap.party.name for ap in a.parties], a.field, a.signed_on,
                  a.status) for a in page.items])

    everything = service.AgreementFilter()
    for f, params in ((everything, ListParams()), (everything, ListParams(2, 2)),
                      (everything, ListParams(1, 3, "title", "asc")),
                      (service.AgreementFilter(field="transport"), ListParams()),
                      (service.AgreementFilter(q="甲"), ListParams(1, 10, "id", "desc"))):
        assert shown(f, params) == listed(f, params)
    first = service.agreement_list_rows(session, everything, ListParams())
    assert [r.id for r in first.items] == [ids[2], ids[0], ids[1], two.id]
    assert first.items[-1].party_names == ("醴陵市人民政府", "萍乡市人民政府")  # in their order
    session.commit()  # a new transaction: served from the cache while nothing changed
    assert service.agreement_list_rows(session, everything, ListParams()) is first
    # A party renamed, an agreement moved on: the next page shows both.
    party = two.parties[0].party
    party.name = "醴陵市政府"
    session.commit()
    assert service.agreement_list_rows(session, everything, ListParams()).items[-1] \
        .party_names == ("醴陵市政府", "萍乡市人民政府")

    def status_of(agreement_id: int) -> str:
        page = service.agreement_list_rows(session, everything, ListParams())
        return next(r.status for r in page.items if r.id == agreement_id)

    service.change_agreement_status(session, coop.office, ids[0], AgreementStatusChange(
        status="in_force", effective_on=date(2024, 6, 1)))
    # Not committed yet: this session's own write is shown, and nothing is cached for it.
    assert status_of(ids[0]) == "in_force"
    session.rollback()
    assert status_of(ids[0]) == "signed"
    service.change_agreement_status(session, coop.office, ids[0], AgreementStatusChange(
        status="in_force", effective_on=date(2024, 6, 1)))
    session.commit()
    assert status_of(ids[0]) == "in_force"
