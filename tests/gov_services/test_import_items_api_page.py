"""An office's item list import, and both imports through the API (preview, confirm, read
tokens, the wrong caller: nothing written, no file kept) and the page at /services/import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import Organisation
from coopzone.errors import Forbidden, InvalidInput
from coopzone.gov_services.importers import item_template, read_item_list
from coopzone.gov_services.models import Case, ImportedFile, Item
from coopzone.gov_services.service import ledger
from coopzone.kit.models import Document
from tests.gov_services.conftest import World, _principal, resident_id
from tests.gov_services.test_api import auth
from tests.gov_services.test_import_ledger import csv_bytes, row
from tests.helpers import PASSWORD, xlsx

API = "/api/v1/services"
ITEM_HEADER = ("事项编码", "事项名称", "部门类别", "办理方式", "法定时限", "承诺时限", "申请材料")


def items_book(*rows: tuple[object, ...]) -> bytes:
    return xlsx([ITEM_HEADER, *rows])


def n(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_item_list_adds_updates_and_is_idempotent(session: Session, world: World) -> None:
    w = world
    book = items_book(("PX-001", "残疾人证办理", "民政", "全程网办、异地代收代办", 20, 10,
                       "身份证、照片"),
                      ("T-001", "户口迁移（测试）", "公安", "异地代收代办", 20, 5, ""))
    rows = read_item_list(book, "事项.xlsx")
    preview = ledger.preview_items(session, w.office, rows)
    assert [(r.key, r.action) for r in preview.rows] == [("PX-001", "new"), ("T-001", "changed")]
    assert sorted(preview.rows[1].changes) == ["materials", "modes", "promised_days"]
    assert n(session, Item) == 1  # a preview writes nothing
    done = ledger.import_items(session, w.office, rows, sha256="a" * 64,
                               filename="事项.xlsx")
    assert (done.count("new"), done.count("changed")) == (1, 1)
    new = session.scalar(select(Item).where(Item.code == "PX-001"))
    assert new is not None and (new.mode_list, new.materials, new.department_kind) == (
        ("online", "proxy"), ["身份证", "照片"], "civil_affairs")
    again = ledger.import_items(session, w.office, rows, sha256="a" * 64,
                                filename="事项.xlsx")
    assert again.duplicate_file and n(session, ImportedFile) == 1
    copy = ledger.preview_items(session, w.office, rows)
    assert {r.action for r in copy.rows} == {"unchanged"}


def test_item_list_refusals(session: Session, world: World) -> None:
    w = world
    with pytest.raises(InvalidInput) as bad:
        read_item_list(items_book(("PX-1", "某事项", "公安", "网上", 10, 20, ""),
                                  ("PX-2", "某事项二", "火星", "全程网办", 10, 5, "")), "x.xlsx")
    assert [(e.row, e.column) for e in bad.value.errors] == [(2, "办理方式"), (3, "部门类别")]
    with pytest.raises(InvalidInput) as limit:
        read_item_list(items_book(("PX-1", "某事项", "公安", "全程网办", 10, 20, "")), "x.xlsx")
    assert [(e.row, e.column, e.reason) for e in limit.value.errors] == [
        (2, "承诺时限", "承诺时限不能长于法定时限")]
    rows = read_item_list(items_book(("PX-9", "户口迁移（测试）", "公安", "全程网办", 10, 5, "")),
                          "x.xlsx")
    with pytest.raises(InvalidInput) as taken:
        ledger.import_items(session, w.office, rows, sha256="b" * 64,
                            filename="x.xlsx")
    assert [(e.row, e.column) for e in taken.value.errors] == [(2, "事项名称")]
    for who in (w.jx_window_clerk, w.hn_dept_admin):
        with pytest.raises(Forbidden):
            ledger.import_items(session, who, rows, sha256="b" * 64, filename="x.xlsx")
    assert n(session, Item) == 1 and n(session, ImportedFile) == 0
    assert read_item_list(item_template(), "模板.xlsx")[0].code == "3603001001"


def files_in(path: Path) -> list[str]:
    return sorted(p.name for p in path.rglob("*") if p.is_file())


def test_ledger_import_through_the_api(client: TestClient, session: Session, world: World,
                                       app: FastAPI) -> None:
    w = world
    data_dir: Path = app.state.settings.data_dir
    content = csv_bytes(row(), row("XD2025-0002", name="李四光",
                                   id_number=resident_id()[:-1] + (
                                       "0" if resident_id()[-1] != "0" else "1")))
    url = f"{API}/ledger/import"
    params = {"window_id": w.jx_window.id}
    window = auth(session, w.jx_window_clerk)
    refusers = [auth(session, w.jx_window_clerk, ["read"]),
                auth(session, w.hn_window_clerk), auth(session, w.office)]
    before = (n(session, Case), n(session, Document), files_in(data_dir))
    for headers in refusers:
        response = client.post(url, params={**params, "confirm": "true"}, headers=headers,
                               files={"file": ("台账.csv", csv_bytes(row()))})
        assert response.status_code == 403, response.text
    # A bad row: 422 with row/column/reason (English on request), nothing kept.
    refused = client.post(url, params={**params, "lang": "en"}, headers=window,
                          files={"file": ("台账.csv", content)})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["row"] == 3
    assert refused.json()["errors"][0]["column"] == "证件号码"
    assert (n(session, Case), n(session, Document), files_in(data_dir)) == before
    good = csv_bytes(row())
    preview = client.post(url, params=params, headers=window, files={"file": ("台账.csv", good)})
    assert preview.status_code == 200, preview.text
    assert (preview.json()["applied"], preview.json()["new"]) == (False, 1)
    assert n(session, Case) == before[0]  # the preview kept only the file
    confirmed = client.post(url, params={**params, "confirm": "true"}, headers=window,
                            files={"file": ("台账.csv", good)})
    assert confirmed.json()["applied"] and confirmed.json()["new"] == 1
    assert n(session, Case) == before[0] + 1
    twice = client.post(url, params={**params, "confirm": "true"}, headers=window,
                        files={"file": ("台账.csv", good)})
    assert twice.json()["duplicate_file"] and twice.json()["new"] == 0
    assert n(session, Case) == before[0] + 1
    template = client.get(f"{API}/ledger/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"


def _login(client: TestClient, username: str) -> str:
    def csrf(html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match is not None
        return match.group(1)
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    return csrf(client.get("/services/import").text)


def test_the_import_page_previews_then_confirms(app: FastAPI, session: Session,
                                                world: World) -> None:
    w = world
    session.commit()
    client = TestClient(app)
    assert client.get("/services/import", follow_redirects=False).status_code in (303, 401)
    csrf = _login(client, "jxwin")
    page = client.get("/services/import")
    assert "湘东区跨省通办窗口" in page.text and "ledger-template" in page.text
    form = {"csrf_token": csrf, "kind": "ledger",
            "window_id": str(w.jx_window.id)}
    bad = client.post("/services/import", data=form,
                      files={"file": ("台账.csv", csv_bytes(row(item="没有的事项")))})
    assert bad.status_code == 422 and "没有名称或编码为“没有的事项”的事项" in bad.text
    preview = client.post("/services/import", data=form,
                          files={"file": ("台账.csv", csv_bytes(row()))})
    assert preview.status_code == 200 and 'id="import-preview"' in preview.text
    assert n(session, Case) == 0
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview.text)
    assert sha is not None
    done = client.post("/services/import/confirm", data={**form, "sha256": sha.group(1)})
    assert done.status_code == 200 and 'id="import-applied"' in done.text
    assert n(session, Case) == 1
    again = client.post("/services/import/confirm", data={**form, "sha256": sha.group(1)})
    assert 'id="import-nothing"' in again.text and n(session, Case) == 1
    # The Hunan window's clerk may not import the Jiangxi window's ledger.
    other = TestClient(app)
    other_csrf = _login(other, "hnwin")
    refused = other.post("/services/import", data={**form, "csrf_token": other_csrf},
                         files={"file": ("台账.csv", csv_bytes(row("XD-2")))})
    assert refused.status_code == 403 and n(session, Case) == 1
    assert client.get("/services/import/ledger-template.xlsx").content[:2] == b"PK"
    assert client.get("/services/import/items-template.xlsx").content[:2] == b"PK"


def test_a_staged_ledger_is_confirmed_and_downloaded_by_its_clerk_alone(
        app: FastAPI, session: Session, world: World) -> None:
    """A window's ledger carries its applicants' personal data: another clerk of the same
    window, knowing the file's hash, neither confirms nor downloads it (404, as for an
    unknown file), and nothing is written; the clerk who staged it does both."""
    w = world
    org = session.get(Organisation, w.jx_window.organisation_id)
    assert org is not None
    _principal(session, "jxwin2", org, "editor")
    session.commit()
    mine, theirs = TestClient(app), TestClient(app)
    csrf = _login(mine, "jxwin")
    form = {"csrf_token": csrf, "kind": "ledger", "window_id": str(w.jx_window.id)}
    preview = mine.post("/services/import", data=form,
                        files={"file": ("台账.csv", csv_bytes(row()))})
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview.text)
    assert sha is not None
    other_csrf = _login(theirs, "jxwin2")
    refused = theirs.post("/services/import/confirm",
                          data={**form, "csrf_token": other_csrf, "sha256": sha.group(1)})
    assert refused.status_code == 404 and "没有这个文件" in refused.text
    assert n(session, Case) == 0 and n(session, ImportedFile) == 0
    assert theirs.get(f"/cooperation/files/{sha.group(1)}").status_code == 404
    assert mine.get(f"/cooperation/files/{sha.group(1)}").status_code == 200
    done = mine.post("/services/import/confirm", data={**form, "sha256": sha.group(1)})
    assert 'id="import-applied"' in done.text and n(session, Case) == 1
