"""A staged import file belongs to its import: only the user who staged it, or one who may
import into the same target, downloads (``/cooperation/files/<hash>``) or confirms it; anyone
else is answered as for a file that does not exist (404), and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import User
from coopzone.cooperation.service.permissions import AGREEMENTS_IMPORT
from coopzone.ecology.models import ImportBatch, Reading, Section
from coopzone.ecology.monitoring import READINGS_IMPORT
from coopzone.errors import NotFound
from coopzone.kit.importing import stage, staged
from coopzone.kit.models import Document, StagedImport
from tests.ecology.test_readings import count, sections, write_csv
from tests.helpers import PASSWORD, People, token_for, xlsx

__all__ = ["sections"]  # the fixture

PREVIEW = "/api/v1/ecology/imports/preview"
CONFIRM = "/api/v1/ecology/imports/confirm"
UNKNOWN = "0" * 64


def _finance_editor(session: Session) -> User:
    """An editor of a finance bureau: writes somewhere, but never monitoring data."""
    org = accounts.create_organisation(session, "湖南省财政厅", "finance_bureau", "430000")
    user = accounts.create_user(session, "hn-finance", PASSWORD, "湖南财政")
    accounts.grant_role(session, user, org, "editor")
    session.commit()
    return user


def _state(session: Session, data_dir: Path) -> tuple[object, ...]:
    session.expire_all()
    return (count(session, Reading), count(session, ImportBatch), count(session, Document),
            count(session, StagedImport),
            sorted(str(p) for p in data_dir.rglob("*") if p.is_file()),
            [(r.item, r.value) for r in session.scalars(select(Reading).order_by(Reading.id))])


def test_a_staged_readings_file_is_only_for_its_stager_and_those_who_may_import_readings(
    client: TestClient, session: Session, people: People, sections: list[Section],
    tmp_path: Path
) -> None:
    stager = token_for(session, people.jiangxi_editor)
    first = write_csv(tmp_path / "a.csv", ["金鱼石,2020-01-05,总磷,0.05"])
    assert client.post("/api/v1/ecology/imports", headers=stager, files={
        "file": ("a.csv", first.read_bytes(), "text/csv")}).json()["added"] == 1
    second = write_csv(tmp_path / "b.csv", ["金鱼石,2020-01-05,总磷,0.08"])
    preview = client.post(PREVIEW, headers=stager, files={
        "file": ("b.csv", second.read_bytes(), "text/csv")})
    assert preview.status_code == 200, preview.text
    token = preview.json()["token"]
    doc = session.scalars(select(Document).where(Document.sha256 == token)).one()
    assert [(s.target, s.user_id) for s in session.scalars(select(StagedImport))] == [
        (READINGS_IMPORT, people.jiangxi_editor.id)]

    finance = token_for(session, _finance_editor(session))
    viewer = token_for(session, people.viewer)
    read_only = token_for(session, people.jiangxi_editor, ["read"])
    data_dir = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    before = _state(session, data_dir)
    json = {**finance, "accept": "application/json"}
    unknown = client.get(f"/cooperation/files/{UNKNOWN}", headers=json)
    assert unknown.status_code == 404
    for headers in (finance, viewer):
        refused = client.get(f"/cooperation/files/{token}", headers={
            **headers, "accept": "application/json"})
        assert refused.status_code == 404
        # The same answer as for a hash nobody staged: nothing says the file exists.
        assert refused.json()["detail"] == unknown.json()["detail"] == "没有这个文件"
        page = client.get(f"/cooperation/files/{token}", headers=headers)
        assert page.status_code == 404 and "没有这个文件" in page.text
        assert "b.csv" not in page.text
    confirm = client.post(CONFIRM, headers=finance, json={"token": token})
    assert confirm.status_code == 404 and confirm.json()["detail"] == "没有这个文件"
    # A read-only token is refused before the file is looked at.
    assert client.post(CONFIRM, headers=read_only, json={"token": token}).status_code == 403
    assert _state(session, data_dir) == before

    # The stager, and another ecology bureau (it may import readings), download it.
    for headers in (stager, token_for(session, people.hunan_editor)):
        got = client.get(f"/cooperation/files/{token}", headers=headers)
        assert got.status_code == 200 and got.content == second.read_bytes()
    assert doc.filename == "b.csv"
    done = client.post(CONFIRM, headers=stager, json={"token": token})
    assert done.status_code == 200, done.text
    assert (done.json()["added"], done.json()["updated"]) == (0, 1)


def test_the_readings_confirm_page_refuses_another_users_file_with_nothing_changed(
    client: TestClient, session: Session, people: People, sections: list[Section],
    tmp_path: Path
) -> None:
    """The upload page's confirmation: a finance bureau's editor who knows the hash gets
    the page's 404 (没有这个文件), and no reading is written."""
    data_dir = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    doc = stage(session, data_dir / "files", "b.csv",
                "断面名称,监测时间,项目,浓度\n金鱼石,2020-01-05,总磷,0.08\n".encode(),
                "xiangdong", target=READINGS_IMPORT, user_id=people.jiangxi_editor.id)
    session.commit()
    finance = _finance_editor(session)
    form = client.get("/login").text
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"username": finance.username, "password": PASSWORD,
                                       "csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    page = client.get("/ecology/import").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    before = _state(session, data_dir)
    response = client.post("/ecology/import/confirm", data={"token": doc.sha256,
                                                            "csrf_token": csrf})
    assert response.status_code == 404 and "没有这个文件" in response.text
    assert "b.csv" not in response.text
    assert _state(session, data_dir) == before


def test_a_staged_agreements_workbook_is_not_for_a_viewer(
    client: TestClient, session: Session, people: People, tmp_path: Path
) -> None:
    book = xlsx([("序号", "协议名称", "签署单位", "签署日期", "领域", "状态"),
                 (1, "湘东—醴陵协议", "湘东区人民政府、醴陵市人民政府", "2024-01-02", "生态",
                  "已签署")])
    editor = token_for(session, people.jiangxi_editor)
    preview = client.post("/api/v1/cooperation/agreements/import", headers=editor,
                          files={"file": ("协议.xlsx", book)})
    assert preview.status_code == 200, preview.text
    sha256 = preview.json()["sha256"]
    assert [(s.target, s.user_id) for s in session.scalars(select(StagedImport))] == [
        (AGREEMENTS_IMPORT, people.jiangxi_editor.id)]
    before = (count(session, Document), count(session, StagedImport))
    for headers in (token_for(session, people.viewer),
                    token_for(session, _finance_editor(session), ["read"])):
        assert client.get(f"/cooperation/files/{sha256}", headers=headers).status_code == 404
    assert (count(session, Document), count(session, StagedImport)) == before
    got = client.get(f"/cooperation/files/{sha256}", headers=editor)
    assert got.status_code == 200 and got.content == book


def test_staged_checks_the_target_the_stager_and_the_right(
    session: Session, people: People, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    doc = stage(session, files, "b.csv", b"a,b\n1,2\n", "xiangdong", suffix=".csv",
                target=READINGS_IMPORT, user_id=people.jiangxi_editor.id)
    # The same content staged again by the same user for the same import: one row.
    stage(session, files, "b.csv", b"a,b\n1,2\n", "xiangdong", suffix=".csv",
          target=READINGS_IMPORT, user_id=people.jiangxi_editor.id)
    assert count(session, StagedImport) == 1
    finance = accounts.principal_for(session, _finance_editor(session).id)
    viewer = accounts.principal_for(session, people.viewer.id)
    stager = accounts.principal_for(session, people.jiangxi_editor.id)
    liling = accounts.principal_for(session, people.hunan_editor.id)
    assert staged(session, files, doc.sha256, target=READINGS_IMPORT,
                  principal=stager)[1] == b"a,b\n1,2\n"
    assert staged(session, files, doc.sha256, target=READINGS_IMPORT,
                  principal=liling)[0].id == doc.id
    for principal in (finance, viewer):
        with pytest.raises(NotFound):
            staged(session, files, doc.sha256, target=READINGS_IMPORT, principal=principal)
    # Staged for readings, it is no agreements workbook, not even for its stager.
    with pytest.raises(NotFound):
        staged(session, files, doc.sha256, target=AGREEMENTS_IMPORT, principal=stager)
