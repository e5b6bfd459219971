"""Editing the 跨省通办 catalogue: items (事项), windows (窗口) and 跨省通办 agreements, on their
pages (a form filled in with what is stored; a refused save shown again with its Chinese
reasons) and through the API's PATCH. The same rights as creating: ``gov_item.manage`` for
items, ``gov_place.manage`` over the stored record's places for windows and agreements,
checked before anything is read from the request; every refusal writes nothing (not even an
audit row); every save leaves its before and after in the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import AuditLog, User
from coopzone.accounts.service import Principal
from coopzone.cooperation.models import Agreement
from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.gov_services import service
from coopzone.gov_services.models import (
    Item,
    KstbAgreement,
    KstbAgreementItem,
    KstbAgreementPlace,
    Window,
    WindowItem,
)
from coopzone.gov_services.schemas import (
    ItemCreate,
    ItemUpdate,
    KstbAgreementCreate,
    KstbAgreementUpdate,
    WindowUpdate,
)
from tests.accounts.test_access import csrf_of, login
from tests.gov_services.conftest import World, _principal
from tests.helpers import PASSWORD, token_for

API = "/api/v1/services"


def log_in(client: TestClient, username: str) -> str:
    assert login(client, username, PASSWORD) == 303
    return csrf_of(client.get("/services/items").text)


def principal(session: Session, username: str) -> Principal:
    return accounts.principal_for(session, accounts.get_user_by_name(session, username).id)


def auth(session: Session, who: Principal) -> dict[str, str]:
    user = session.get(User, who.user_id)
    assert user is not None
    return token_for(session, user)


def audit_rows(session: Session, entity: str, entity_id: int | None = None
               ) -> list[AuditLog]:
    session.expire_all()
    query = select(AuditLog).where(AuditLog.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == str(entity_id))
    return list(session.scalars(query.order_by(AuditLog.id)))


def audits(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count(AuditLog.id))) or 0)


def item_state(session: Session, item_id: int) -> dict[str, Any]:
    session.expire_all()
    item = session.get(Item, item_id)
    assert item is not None
    return {c: getattr(item, c) for c in ("code", "name", "department", "department_kind",
                                          "modes", "statutory_days", "promised_days",
                                          "postage_pauses", "materials", "fees",
                                          "legal_basis", "certainty", "note", "active")}


def window_state(session: Session, window_id: int) -> tuple[Any, ...]:
    session.expire_all()
    w = session.get(Window, window_id)
    assert w is not None
    items = sorted(session.scalars(select(WindowItem.item_id).where(
        WindowItem.window_id == window_id)))
    return (w.name, w.place_code, w.organisation_id, w.opening_hours, w.address, items)


def kstb_state(session: Session, kstb_id: int) -> tuple[Any, ...]:
    session.expire_all()
    row = session.get(KstbAgreement, kstb_id)
    assert row is not None
    places = sorted(session.execute(select(KstbAgreementPlace.side, KstbAgreementPlace.place_code)
                                    .where(KstbAgreementPlace.kstb_id == kstb_id)).all())
    items = sorted(session.scalars(select(KstbAgreementItem.item_id).where(
        KstbAgreementItem.kstb_id == kstb_id)))
    return (row.note, places, items)


def item_form(w: World, token: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token, "name": w.item.name, "department": "公安部",
        "department_kind": "public_security", "modes": ["proxy", "online"],
        "statutory_days": "20", "promised_days": "8", "materials": "居民身份证\n户口簿",
        "fees": "不收费", "legal_basis": "《户口登记条例》", "source_title": "",
        "source_url": "", "certainty": "[S]", "note": "承诺时限缩短", "active": "1"}
    data.update(over)
    return data


# ---- items ------------------------------------------------------------------------------------


def test_the_office_edits_an_item_on_its_page_with_an_audit_row(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    session.commit()
    token = log_in(client, "pxoffice")
    listing = client.get("/services/items").text
    assert f'href="/services/items/{w.item.id}/edit"' in listing
    page = client.get(f"/services/items/{w.item.id}/edit")
    assert page.status_code == 200
    assert "修改事项：户口迁移（测试）" in page.text and "T-001" in page.text
    assert 'value="户口迁移（测试）"' in page.text and 'value="10"' in page.text
    assert "居民身份证\n户口簿" in page.text  # materials one a line
    assert f'action="/services/items/{w.item.id}/edit"' in page.text
    before = audits(session)
    done = client.post(f"/services/items/{w.item.id}/edit", data=item_form(w, token),
                       follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    state = item_state(session, w.item.id)
    assert state["promised_days"] == 8 and state["modes"] == "proxy,online"
    assert state["code"] == "T-001" and state["certainty"] == "[S]"
    assert state["fees"] == "不收费" and state["note"] == "承诺时限缩短"
    rows = audit_rows(session, "gov_services_item", w.item.id)
    assert audits(session) > before
    last = rows[-1]
    assert last.action == "update" and last.actor == "pxoffice"
    assert last.before is not None and last.after is not None
    assert last.before["promised_days"] == 10 and last.after["promised_days"] == 8
    assert last.after["modes"] == "proxy,online"
    # A time limit left blank is cleared; an unticked box puts the item out of use.
    cleared = client.post(f"/services/items/{w.item.id}/edit", follow_redirects=False,
                          data=item_form(w, token, promised_days="", active=""))
    assert cleared.status_code == 303
    state = item_state(session, w.item.id)
    assert state["promised_days"] is None and state["active"] is False


@pytest.mark.parametrize(("over", "reason"), [
    ({"promised_days": "30"}, "承诺时限不能长于法定时限"),
    ({"statutory_days": "abc"}, "未保存任何内容"),
    ({"statutory_days": "-1"}, "未保存任何内容"),
    ({"modes": ["bogus"]}, "办理方式应为"),
    ({"modes": []}, "未保存任何内容"),
    ({"name": ""}, "未保存任何内容"),
    ({"department_kind": "nowhere"}, "未保存任何内容"),
    ({"certainty": "[X]"}, "未保存任何内容"),
    ({"name": "名\x00称"}, "未保存任何内容"),
], ids=["promised", "letters", "negative", "mode", "no-mode", "no-name", "kind", "certainty",
        "nul"])
def test_a_refused_item_edit_shows_the_form_again_in_chinese_and_writes_nothing(
        client: TestClient, session: Session, world: World, over: dict[str, Any],
        reason: str) -> None:
    w = world
    session.commit()
    token = log_in(client, "pxoffice")
    before, written = item_state(session, w.item.id), audits(session)
    refused = client.post(f"/services/items/{w.item.id}/edit", data=item_form(w, token, **over))
    assert refused.status_code == 422
    assert reason in refused.text and 'id="item-form"' in refused.text
    assert "承诺时限缩短" in refused.text  # what was typed is shown again
    assert item_state(session, w.item.id) == before and audits(session) == written


def test_an_item_name_taken_by_another_is_a_conflict(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    service.create_item(session, w.office, ItemCreate(
        code="T-002", name="社保转移（测试）", department_kind="other", modes=["online"]))
    session.commit()
    token = log_in(client, "pxoffice")
    before = item_state(session, w.item.id)
    taken = client.post(f"/services/items/{w.item.id}/edit",
                        data=item_form(w, token, name="社保转移（测试）"))
    assert taken.status_code == 409 and "事项“社保转移（测试）”已存在" in taken.text
    assert item_state(session, w.item.id) == before


def test_only_supervising_offices_edit_items(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    session.commit()
    before, written = item_state(session, w.item.id), audits(session)
    anonymous = client.get(f"/services/items/{w.item.id}/edit")
    assert 'id="item-form"' not in anonymous.text and "登录" in anonymous.text
    for clerk in ("jxwin", "hndept"):
        token = log_in(client, clerk)
        assert f"/services/items/{w.item.id}/edit" not in client.get("/services/items").text
        assert client.get(f"/services/items/{w.item.id}/edit").status_code == 403
        refused = client.post(f"/services/items/{w.item.id}/edit", data=item_form(w, token))
        assert refused.status_code == 403 and "只有政务服务管理部门" in refused.text
    assert item_state(session, w.item.id) == before and audits(session) == written
    assert client.get("/services/items/999999/edit").status_code == 403  # no hint either
    log_in(client, "pxoffice")
    assert client.get("/services/items/999999/edit").status_code == 404


def test_item_patch_refuses_nulls_and_wrong_roles_and_writes_nothing(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    office, clerk = auth(session, w.office), auth(session, w.jx_window_clerk)
    before, written = item_state(session, w.item.id), audits(session)
    for body in ({"name": None}, {"department_kind": None}, {"materials": None},
                 {"active": None}, {"modes": None, "note": None}, {"promised_days": 99},
                 {"modes": ["online", "bogus"]}, {"statutory_days": "x"}):
        answer = client.patch(f"{API}/items/{w.item.id}", json=body, headers=office)
        assert answer.status_code == 422, (body, answer.text)
    assert client.patch(f"{API}/items/{w.item.id}", json={"note": "越权"},
                        headers=clerk).status_code == 403
    assert item_state(session, w.item.id) == before and audits(session) == written
    done = client.patch(f"{API}/items/{w.item.id}", headers=office,
                        json={"promised_days": None, "source_title": "国务院客户端"})
    assert done.status_code == 200, done.text
    assert done.json()["promised_days"] is None and done.json()["source_title"] == "国务院客户端"
    assert audit_rows(session, "gov_services_item", w.item.id)[-1].after == {
        "promised_days": None, "source_title": "国务院客户端"}


# ---- windows ----------------------------------------------------------------------------------


def window_form(w: World, token: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token, "name": w.jx_window.name, "place_code": "360313",
        "organisation_id": str(w.jx_window.organisation_id),
        "opening_hours": "工作日 8:30-17:30", "address": "湘东区政务服务中心一楼",
        "item_ids": [str(w.item.id)]}
    data.update(over)
    return data


def test_the_office_of_the_windows_place_edits_it_with_an_audit_row(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    session.commit()
    token = log_in(client, "pxoffice")
    listing = client.get("/services/windows").text
    # 萍乡's office edits the 湘东区 window, not the 醴陵市 one (株洲's office set that up).
    assert f'id="edit-window-{w.jx_window.id}"' in listing
    assert f'id="edit-window-{w.hn_window.id}"' not in listing
    page = client.get(f"/services/windows/{w.jx_window.id}/edit")
    assert page.status_code == 200 and "修改窗口" in page.text
    assert 'value="湘东区跨省通办窗口"' in page.text and 'value="工作日 9:00-17:00"' in page.text
    done = client.post(f"/services/windows/{w.jx_window.id}/edit",
                       data=window_form(w, token), follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    assert window_state(session, w.jx_window.id) == (
        "湘东区跨省通办窗口", "360313", w.jx_window.organisation_id, "工作日 8:30-17:30",
        "湘东区政务服务中心一楼", [w.item.id])
    change = audit_rows(session, "gov_services_window", w.jx_window.id)[-1]
    assert change.action == "update" and change.actor == "pxoffice"
    assert change.before == {"opening_hours": "工作日 9:00-17:00", "address": ""}
    assert audit_rows(session, "gov_services_window_item")[-1].action == "insert"
    # No item ticked: the window takes every item again.
    again = client.post(f"/services/windows/{w.jx_window.id}/edit", follow_redirects=False,
                        data=window_form(w, token, item_ids=[]))
    assert again.status_code == 303 and window_state(session, w.jx_window.id)[5] == []


def test_windows_of_another_place_or_for_another_role_are_refused_before_any_write(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    session.commit()
    jx, hn, written = (window_state(session, w.jx_window.id),
                       window_state(session, w.hn_window.id), audits(session))
    token = log_in(client, "pxoffice")
    # The other side's window (醴陵市, Hunan): neither its form nor a save.
    assert client.get(f"/services/windows/{w.hn_window.id}/edit").status_code == 403
    refused = client.post(f"/services/windows/{w.hn_window.id}/edit",
                          data=window_form(w, token, name="醴陵市跨省通办窗口",
                                           place_code="430281",
                                           organisation_id=str(w.hn_window.organisation_id)))
    assert refused.status_code == 403 and "只有政务服务管理部门" in refused.text
    # Its own window moved to the other province: refused on the new place.
    moved = client.post(f"/services/windows/{w.jx_window.id}/edit",
                        data=window_form(w, token, place_code="430281",
                                         organisation_id=str(w.hn_window.organisation_id)))
    assert moved.status_code == 403
    # A window clerk is no supervising office, even of its own window.
    token = log_in(client, "jxwin")
    assert 'id="edit-window-' not in client.get("/services/windows").text
    assert client.get(f"/services/windows/{w.jx_window.id}/edit").status_code == 403
    assert client.post(f"/services/windows/{w.jx_window.id}/edit",
                       data=window_form(w, token)).status_code == 403
    assert window_state(session, w.jx_window.id) == jx
    assert window_state(session, w.hn_window.id) == hn and audits(session) == written


@pytest.mark.parametrize(("over", "status", "reason"), [
    ({"name": ""}, 422, "未保存任何内容"),
    ({"name": "醴陵市跨省通办窗口"}, 409, "已存在"),
    ({"place_code": "36031"}, 422, "未保存任何内容"),
    ({"place_code": "360399"}, 404, "360399"),
    ({"organisation_id": "abc"}, 422, "未保存任何内容"),
    ({"organisation_id": "99999999"}, 404, "机构"),
    ({"item_ids": ["abc"]}, 422, "未保存任何内容"),
    ({"item_ids": ["999999"]}, 404, "事项"),
], ids=["no-name", "taken", "short-code", "unknown-place", "org-letters", "unknown-org",
        "item-letters", "unknown-item"])
def test_a_refused_window_edit_is_shown_again_and_writes_nothing(
        client: TestClient, session: Session, world: World, over: dict[str, Any],
        status: int, reason: str) -> None:
    w = world
    session.commit()
    token = log_in(client, "pxoffice")
    before, written = window_state(session, w.jx_window.id), audits(session)
    refused = client.post(f"/services/windows/{w.jx_window.id}/edit",
                          data=window_form(w, token, **over))
    assert refused.status_code == status and reason in refused.text
    assert 'id="window-form"' in refused.text and "湘东区政务服务中心一楼" in refused.text
    assert window_state(session, w.jx_window.id) == before and audits(session) == written


def test_a_window_with_cases_keeps_its_place_and_organisation(
        session: Session, world: World) -> None:
    w = world
    own = w.jx_window.organisation_id
    other_org = accounts.create_organisation(session, "湘东区第二政务服务中心",
                                             "service_window", "360313")
    session.flush()
    # Without cases it may pass to another window organisation of its place, and back.
    moved = service.update_window(session, w.office, w.jx_window.id,
                                  WindowUpdate(organisation_id=other_org.id))
    assert moved.organisation_id == other_org.id
    service.update_window(session, w.office, w.jx_window.id, WindowUpdate(organisation_id=own))
    w.apply(session)
    session.commit()
    before = window_state(session, w.jx_window.id)
    with pytest.raises(Conflict, match="已有办件"):
        service.update_window(session, w.office, w.jx_window.id,
                              WindowUpdate(organisation_id=other_org.id))
    session.rollback()
    assert window_state(session, w.jx_window.id) == before
    with pytest.raises(InvalidInput, match="窗口信息有误"):  # a department is no window
        service.update_window(session, w.office, w.jx_window.id,
                              WindowUpdate(organisation_id=w.jx_dept.id))
    session.rollback()
    with pytest.raises(InvalidInput, match="窗口信息有误"):  # outside its organisation's place
        service.update_window(session, w.office, w.jx_window.id,
                              WindowUpdate(place_code="360321"))
    session.rollback()
    assert window_state(session, w.jx_window.id) == before


def test_window_patch_checks_the_stored_window_first(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    zz = auth(session, principal(session, "zzoffice"))
    px = auth(session, w.office)
    before, written = window_state(session, w.jx_window.id), audits(session)
    # 株洲's office may not touch the 湘东区 window, not even to move it into Hunan.
    assert client.patch(f"{API}/windows/{w.jx_window.id}", headers=zz, json={
        "place_code": "430281", "organisation_id": w.hn_window.organisation_id}
        ).status_code == 403
    assert client.patch(f"{API}/windows/{w.jx_window.id}", headers=zz,
                        json={"opening_hours": "全天"}).status_code == 403
    for body in ({"name": None}, {"place_code": None}, {"opening_hours": None},
                 {"organisation_id": "x"}, {"item_ids": ["x"]}):
        answer = client.patch(f"{API}/windows/{w.jx_window.id}", headers=px, json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert client.patch(f"{API}/windows/{w.jx_window.id}", headers=px,
                        json={"organisation_id": 99999999}).status_code == 404
    assert window_state(session, w.jx_window.id) == before and audits(session) == written
    done = client.patch(f"{API}/windows/{w.jx_window.id}", headers=px,
                        json={"address": "湘东区峡山口街道", "item_ids": [w.item.id]})
    assert done.status_code == 200 and done.json()["item_ids"] == [w.item.id]
    assert done.json()["address"] == "湘东区峡山口街道"


# ---- 跨省通办 agreements ------------------------------------------------------------------------


def registered(session: Session, w: World) -> KstbAgreement:
    agreement = Agreement(title="湘东—醴陵跨省通办合作协议", field="public_services",
                          signed_on=date(2023, 5, 1), status="in_force")
    session.add(agreement)
    session.flush()
    row = service.create_kstb_agreement(session, w.office, KstbAgreementCreate(
        agreement_id=agreement.id, collect_place_codes=["360313"],
        handle_place_codes=["430281"], note="首批"))
    session.commit()
    return row


def kstb_form(token: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": token, "collect_place_codes": "360313\n360321",
                            "handle_place_codes": "430281", "item_ids": [], "note": "第二批"}
    data.update(over)
    return data


def test_an_office_of_one_of_its_places_edits_an_agreement_with_an_audit_row(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    row = registered(session, w)
    token = log_in(client, "pxoffice")
    assert f'id="edit-kstb-{row.id}"' in client.get("/services/agreements").text
    page = client.get(f"/services/agreements/{row.id}/edit")
    assert page.status_code == 200 and "修改跨省通办协议" in page.text
    assert "湘东—醴陵跨省通办合作协议" in page.text and "360313</textarea>" in page.text
    assert 'value="首批"' in page.text or ">首批</textarea>" in page.text
    done = client.post(f"/services/agreements/{row.id}/edit", follow_redirects=False,
                       data=kstb_form(token, item_ids=[str(w.item.id)]))
    assert done.status_code == 303, done.text[:500]
    assert kstb_state(session, row.id) == (
        "第二批", [("collect", "360313"), ("collect", "360321"), ("handle", "430281")],
        [w.item.id])
    note = audit_rows(session, "gov_services_kstb_agreement", row.id)[-1]
    assert note.action == "update" and note.actor == "pxoffice"
    assert note.before == {"note": "首批"} and note.after == {"note": "第二批"}
    assert any(a.action == "insert" and a.after and a.after["place_code"] == "360321"
               for a in audit_rows(session, "gov_services_kstb_place"))
    # The Hunan side's office (株洲市, over 醴陵市) is a party too: it may edit.
    log_in(client, "zzoffice")
    assert client.get(f"/services/agreements/{row.id}/edit").status_code == 200


def test_agreement_edits_refused_for_others_and_for_bad_input_write_nothing(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    row = registered(session, w)
    yc_org = accounts.create_organisation(session, "宜春市政务服务管理局", "services_office",
                                          "360900")
    _principal(session, "ycoffice", yc_org, "editor")
    session.commit()
    before, written = kstb_state(session, row.id), audits(session)
    for outsider in ("ycoffice", "jxwin", "hndept"):
        token = log_in(client, outsider)
        assert f'id="edit-kstb-{row.id}"' not in client.get("/services/agreements").text
        assert client.get(f"/services/agreements/{row.id}/edit").status_code == 403
        refused = client.post(f"/services/agreements/{row.id}/edit", data=kstb_form(token))
        assert refused.status_code == 403, outsider
    token = log_in(client, "pxoffice")
    for over, status, reason in (
            ({"handle_place_codes": "360313"}, 422, "分属不同省份"),
            ({"handle_place_codes": ""}, 422, "未保存任何内容"),
            ({"collect_place_codes": "36031x"}, 422, "未保存任何内容"),
            ({"collect_place_codes": "360399"}, 404, "360399"),
            ({"item_ids": ["999999"]}, 404, "事项"),
            ({"item_ids": ["x"]}, 422, "未保存任何内容"),
            # Moved wholly out of 萍乡's jurisdiction (宜春's county and 醴陵): not its own.
            ({"collect_place_codes": "360902"}, 403, "只有政务服务管理部门")):
        answer = client.post(f"/services/agreements/{row.id}/edit",
                             data=kstb_form(token, **over), follow_redirects=False)
        assert answer.status_code == status and reason in answer.text, over
        assert 'id="kstb-form"' in answer.text and "第二批" in answer.text
        assert kstb_state(session, row.id) == before and audits(session) == written


def test_agreement_patch_refuses_nulls_and_outsiders(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    row = registered(session, w)
    px, clerk = auth(session, w.office), auth(session, w.jx_window_clerk)
    before, written = kstb_state(session, row.id), audits(session)
    for body in ({"collect_place_codes": None}, {"note": None}, {"handle_place_codes": []},
                 {"item_ids": [0]}, {"collect_place_codes": ["430281"],
                                     "handle_place_codes": ["430102"]}):
        answer = client.patch(f"{API}/agreements/{row.id}", headers=px, json=body)
        assert answer.status_code in (403, 422), (body, answer.text)
    assert client.patch(f"{API}/agreements/{row.id}", headers=clerk,
                        json={"note": "越权"}).status_code == 403
    assert kstb_state(session, row.id) == before and audits(session) == written
    done = client.patch(f"{API}/agreements/{row.id}", headers=px, json={"note": "互认"})
    assert done.status_code == 200 and done.json()["note"] == "互认"


def test_the_service_checks_the_stored_record_before_the_new_one(
        session: Session, world: World) -> None:
    """A refused edit raises before it changes anything in the session."""
    w = world
    zz = principal(session, "zzoffice")
    row = registered(session, w)
    with pytest.raises(Forbidden):
        service.update_window(session, zz, w.jx_window.id, WindowUpdate(name="改名窗口"))
    assert not session.dirty and not session.new and not session.deleted
    with pytest.raises(Forbidden):
        service.update_item(session, w.jx_window_clerk, w.item.id, ItemUpdate(note="x"))
    assert not session.dirty
    yc_org = accounts.create_organisation(session, "宜春市政务服务管理局", "services_office",
                                          "360900")
    yc = _principal(session, "ycoffice", yc_org, "editor")
    session.commit()
    with pytest.raises(Forbidden):
        service.update_kstb_agreement(session, yc, row.id, KstbAgreementUpdate(
            collect_place_codes=["360902"]))
    assert not session.dirty and not session.new and not session.deleted
