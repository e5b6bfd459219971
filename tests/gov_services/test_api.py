"""The 跨省通办 JSON API: the same permissions as the service (role, side, read tokens), the
applicant masked in every read and list, the audit row of a full view, nothing written on a
refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts.models import AuditLog, User
from coopzone.accounts.service import Principal
from coopzone.api.app import create_app
from coopzone.config import get_settings
from coopzone.gov_services.models import Case, CaseEvent, Evaluation, FollowUp, Item
from tests.gov_services.conftest import World, resident_id
from tests.gov_services.test_pages import log_in
from tests.helpers import make_settings, token_for

API = "/api/v1/services"


def auth(session: Session, who: Principal, scopes: list[str] | None = None) -> dict[str, str]:
    user = session.get(User, who.user_id)
    assert user is not None
    return token_for(session, user, scopes)


def n(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def views(session: Session) -> int:
    """Audit rows of full views (token creation is audited too)."""
    session.expire_all()
    return int(session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "view")) or 0)


def written(session: Session) -> tuple[int, ...]:
    return tuple(n(session, m) for m in (Case, CaseEvent, Evaluation, FollowUp, AuditLog))


def application(w: World, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "applicant_kind": "person", "applicant_name": "张小三", "id_number": resident_id(),
        "phone": "13812345678", "address": "湖南省醴陵市某路1号", "item_id": w.item.id,
        "mode": "proxy", "window_id": w.jx_window.id, "department_id": w.hn_dept.id,
        "materials_received": ["身份证复印件"], "applied_at": "2025-09-22T10:00:00"}
    body.update(over)
    return body


def test_a_case_through_the_api_masked_on_every_read(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    window, dept = auth(session, w.jx_window_clerk), auth(session, w.hn_dept_clerk)
    response = client.post(f"{API}/cases", json=application(w), headers=window)
    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["applicant_name"], case["id_number"], case["phone"], case["full"]) == (
        "张*三", "4302**********" + resident_id()[-4:], "138****5678", False)
    assert case["state"] == "applied" and case["actions"] == ["collect"]
    path = f"{API}/cases/{case['id']}"
    steps = [(window, {"action": "collect", "formal_check_ok": True, "identity_checked": True}),
             (window, {"action": "send", "tracking_number": "SF1234567890"}),
             (dept, {"action": "accept"}),
             (dept, {"action": "decide", "outcome": "granted"}),
             (dept, {"action": "deliver"})]
    for headers, body in steps:
        response = client.post(f"{path}/steps", json=body, headers=headers)
        assert response.status_code == 200, (body, response.text)
    shown = response.json()
    assert shown["state"] == "delivered" and shown["outcome"] == "granted"
    assert [e["action"] for e in shown["events"]] == [
        "apply", "collect", "send", "accept", "approve", "deliver"]
    assert shown["clock"]["used"] is not None and shown["clock"]["limit"] == 10
    evaluated = client.post(f"{path}/evaluation", json={"grade": "dissatisfied",
                                                        "comment": "等候时间长"}, headers=window)
    assert evaluated.status_code == 201, evaluated.text
    followup = evaluated.json()["followup"]
    assert followup["state"] == "open"
    listed = client.get(f"{API}/followups", headers=window).json()
    assert [f["id"] for f in listed] == [followup["id"]]
    answered = client.post(f"{API}/followups/{followup['id']}/answer", headers=window,
                           json={"rectification": "增设窗口", "reply": "已电话回访"})
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    # Lists are masked too, with the paging headers.
    listing = client.get(f"{API}/cases", headers=dept, params={"per_page": 1})
    assert listing.status_code == 200
    assert listing.headers["X-Total-Count"] == "1" and 'rel="last"' in listing.headers["Link"]
    assert [(r["applicant_name"], r["phone"]) for r in listing.json()] == [
        ("张*三", "138****5678")]
    assert resident_id() not in listing.text and "张小三" not in listing.text


def test_wrong_side_wrong_role_and_read_tokens_write_nothing(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    case = w.apply(session)
    session.commit()
    path = f"{API}/cases/{case.id}/steps"
    collect = {"action": "collect", "formal_check_ok": True, "identity_checked": True}
    window, read_token = auth(session, w.jx_window_clerk), auth(session, w.jx_window_clerk,
                                                               ["read"])
    dept = auth(session, w.hn_dept_clerk)
    refusals = [
        (auth(session, w.hn_dept_clerk), collect),  # the department does not collect
        (auth(session, w.hn_window_clerk), collect),  # another province's window
        (auth(session, w.hn_viewer), {"action": "accept"}),  # a viewer
        (auth(session, w.jx_window_clerk, ["read"]), collect),  # the clerk's read token
        (auth(session, w.admin), collect),  # a platform administrator is no clerk
    ]
    before = written(session)  # tokens made (and audited) first
    for headers, body in refusals:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden"
    assert client.post(path, json=collect).status_code == 401
    # A step in the wrong state (409) and an unknown one (422).
    assert client.post(path, json={"action": "send"}, headers=window).status_code == 409
    assert client.post(path, json={"action": "fly"}, headers=window).status_code == 422
    # Creating a case: a read token, the other side.
    assert client.post(f"{API}/cases", json=application(w),
                       headers=read_token).status_code == 403
    assert client.post(f"{API}/cases", json=application(w), headers=dept).status_code == 403
    assert written(session) == before


def test_a_full_view_needs_the_permission_and_writes_one_audit_row(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    case = w.apply(session)
    session.commit()
    path = f"{API}/cases/{case.id}"
    audits = views(session)
    clerk = client.get(path, params={"full": "true"}, headers=auth(session, w.hn_dept_clerk))
    assert clerk.status_code == 403
    assert views(session) == audits
    masked = client.get(path, headers=auth(session, w.hn_dept_admin))
    assert masked.json()["applicant_name"] == "张*三" and masked.json()["may_see_full"]
    assert views(session) == audits  # a masked read is not audited
    full = client.get(path, params={"full": "true"},
                      headers=auth(session, w.hn_dept_admin, ["read"]))
    assert full.status_code == 200, full.text
    body = full.json()
    assert (body["applicant_name"], body["id_number"], body["phone"], body["full"]) == (
        "张小三", resident_id(), "13812345678", True)
    assert views(session) == audits + 1
    row = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert row is not None
    assert (row.action, row.entity, row.entity_id, row.actor) == (
        "view", "gov_services_case", str(case.id), "hnhead")
    # Someone who may not read the case at all (a Jiangxi department): 403, no audit row.
    other = client.get(path, params={"full": "true"}, headers=auth(session, w.jx_dept_clerk))
    assert other.status_code == 403
    assert views(session) == audits + 1


def test_lists_are_scoped_and_masked(client: TestClient, session: Session,
                                     world: World) -> None:
    w = world
    w.accepted(session, day=date(2025, 9, 24))
    w.apply(session, applicant_name="李四光", id_number=resident_id(seq="456"))
    session.commit()
    dept = auth(session, w.hn_dept_clerk)
    mine = client.get(f"{API}/work/mine", headers=dept)
    assert mine.status_code == 200 and mine.headers["X-Total-Count"] == "2"
    assert {r["applicant_name"] for r in mine.json()} == {"张*三", "李*光"}
    overdue = client.get(f"{API}/work/overdue", headers=dept)
    assert overdue.headers["X-Total-Count"] == "1" and overdue.json()[0]["overdue"]
    assert client.get(f"{API}/work/sideways", headers=dept).status_code == 422
    # A Jiangxi department reads neither (collected in Jiangxi, handled in Hunan).
    other = client.get(f"{API}/cases", headers=auth(session, w.jx_dept_clerk))
    assert other.headers["X-Total-Count"] == "0"
    # The supervising office of the window's place reads both, masked.
    office = client.get(f"{API}/cases", headers=auth(session, w.office),
                        params={"applicant": "李"})
    assert [r["applicant_name"] for r in office.json()] == ["李*光"]
    stats = client.get(f"{API}/statistics", params={"by": "mode"}, headers=dept).json()
    assert [(s["key"], s["cases"]) for s in stats] == [("proxy", 2)]
    assert client.get(f"{API}/statistics", params={"by": "colour"},
                      headers=dept).status_code == 422
    assert client.get(f"{API}/cases").status_code == 401


def test_items_windows_and_agreements(client: TestClient, session: Session,
                                      world: World) -> None:
    w = world
    items = client.get(f"{API}/items")  # a public guide
    assert items.status_code == 200 and [i["code"] for i in items.json()] == ["T-001"]
    body = {"code": "T-002", "name": "社保关系转移（测试）", "department_kind":
            "human_resources_social_security", "modes": ["online"], "statutory_days": 15}
    before = n(session, Item)
    assert client.post(f"{API}/items", json=body,
                       headers=auth(session, w.jx_window_clerk)).status_code == 403
    assert client.post(f"{API}/items", json=body,
                       headers=auth(session, w.office, ["read"])).status_code == 403
    assert n(session, Item) == before
    made = client.post(f"{API}/items", json=body, headers=auth(session, w.office))
    assert made.status_code == 201 and made.json()["mode_list"] == ["online"]
    changed = client.patch(f"{API}/items/{made.json()['id']}", json={"promised_days": 20},
                           headers=auth(session, w.office))
    assert changed.status_code == 422  # longer than the statutory limit
    windows = client.get(f"{API}/windows", params={"place_code": "360300"}).json()
    assert [x["name"] for x in windows] == ["湘东区跨省通办窗口"]
    renamed = client.patch(f"{API}/windows/{w.jx_window.id}", json={"opening_hours": "全天"},
                           headers=auth(session, w.office))
    assert renamed.status_code == 200 and renamed.json()["opening_hours"] == "全天"
    # The Hunan office may not change a Jiangxi window.
    other_office = client.patch(f"{API}/windows/{w.jx_window.id}", json={"address": "某处"},
                                headers=auth(session, w.hn_dept_clerk))
    assert other_office.status_code == 403
    assert client.get(f"{API}/agreements").json() == []
    assert client.get(f"{API}/agreements/999").status_code == 404


@pytest.fixture
def process_as_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[date]:
    """The process's own settings (the environment) say another day than the apps below: a
    request that read them instead of its app's would count from this day."""
    monkeypatch.setenv("COOPZONE_AS_OF", "2024-01-02")
    get_settings.cache_clear()
    assert get_settings().today() == date(2024, 1, 2)
    yield date(2024, 1, 2)
    get_settings.cache_clear()  # before the environment is restored: nothing keeps 2024


def test_an_app_with_an_as_of_date_counts_every_case_from_it(
        engine: Engine, session_factory: sessionmaker[Session], session: Session,
        world: World, process_as_of: date) -> None:
    """One clock: an app built with ``as_of`` (a demo) applies, accepts, counts days left and
    finds cases overdue on that date, whatever the process's settings or the machine's date."""
    w = world
    window, dept = auth(session, w.jx_window_clerk), auth(session, w.hn_dept_clerk)
    url = str(engine.url)
    early = create_app(make_settings(url, as_of=date(2025, 10, 9)), session_factory)
    late = create_app(make_settings(url, as_of=date(2025, 10, 24)), session_factory)
    with TestClient(early) as client:
        body = application(w)
        del body["applied_at"]  # now, on the app's clock
        created = client.post(f"{API}/cases", json=body, headers=window)
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["applied_at"].startswith("2025-10-09T")
        path = f"{API}/cases/{case['id']}"
        for headers, step in ((window, {"action": "collect", "formal_check_ok": True,
                                        "identity_checked": True}),
                              (window, {"action": "send"}), (dept, {"action": "accept"})):
            response = client.post(f"{path}/steps", json=step, headers=headers)
            assert response.status_code == 200, (step, response.text)
        accepted = response.json()
        # Accepted on Thursday 9 October 2025 (after National Day): 10 working days, with
        # the make-up Saturday of 11 October, end on Wednesday the 22nd.
        assert accepted["accepted_at"].startswith("2025-10-09T")
        assert (accepted["deadline"], accepted["clock"]["deadline"]) == ("2025-10-22",) * 2
        assert {k: accepted["clock"][k] for k in ("started_on", "used", "left", "overdue")} == {
            "started_on": "2025-10-09", "used": 0, "left": 10, "overdue": False}
        assert client.get(f"{API}/overdue", headers=dept).json() == []
        assert client.get(f"{API}/work/overdue", headers=dept).json() == []
    with TestClient(late) as client:
        shown = client.get(path, headers=dept).json()
        assert {k: shown["clock"][k] for k in ("deadline", "used", "left", "overdue")} == {
            "deadline": "2025-10-22", "used": 12, "left": -2, "overdue": True}
        assert [r["id"] for r in client.get(f"{API}/overdue", headers=dept).json()] == [
            case["id"]]
        assert [(r["id"], r["overdue"]) for r in client.get(
            f"{API}/work/overdue", headers=dept).json()] == [(case["id"], True)]
        # The pages read the same clock: the work list's overdue tab shows the case.
        log_in(client, "hndept")
        assert case["number"] in client.get("/services?tab=overdue").text
