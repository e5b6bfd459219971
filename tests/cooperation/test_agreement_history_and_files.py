"""Agreement status changed by PATCH or by a workbook goes through the workflow (history rows
on the agreement page), and an applied workbook is kept by its hash: the same file twice adds
nothing and says so. Refusals write nothing."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from coopzone.config import get_settings
from coopzone.cooperation import service
from coopzone.cooperation.importers import read_agreements
from coopzone.cooperation.models import Agreement, AgreementEvent, AgreementImport
from coopzone.cooperation.schemas import AgreementCreate, AgreementUpdate, PartyIn
from coopzone.db import make_engine
from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.migrate import upgrade
from tests.accounts.test_access import csrf_of, login
from tests.helpers import (
    GOOD_ROWS,
    HEADER,
    PASSWORD,
    SECRET,
    Coop,
    count,
    database_url,
    token_for,
    xiangdong_agreement,
    xlsx,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def events(session: Session, agreement_id: int) -> list[tuple[str, str, str, str, str]]:
    return [(e.action, e.from_state, e.to_state, e.actor, e.note)
            for e in service.agreement_history(session, agreement_id)]


def signed_agreement(session: Session, coop: Coop) -> int:
    agreement = service.create_agreement(session, coop.office, AgreementCreate(
        title="湘东—醴陵待生效协议",
        parties=[PartyIn(name="萍乡市湘东区人民政府"), PartyIn(name="萍乡市人民政府")],
        field="ecology", signed_on=date(2024, 4, 1), status="signed"))
    session.commit()
    return agreement.id


def by_title(session: Session, text: str) -> Agreement:
    return service.list_agreements(session, service.AgreementFilter(q=text))[0]


# ---- PATCH ----------------------------------------------------------------------------------


def test_a_patch_that_moves_the_status_leaves_history_rows_shown_on_the_page(
        client: TestClient, session: Session, coop: Coop) -> None:
    agreement_id = signed_agreement(session, coop)
    headers = token_for(session, coop.people.jiangxi_editor)
    url = f"/api/v1/cooperation/agreements/{agreement_id}"
    # signed → expired skips a step: the history shows each move the machine allows.
    done = client.patch(url, headers=headers,
                        json={"status": "expired", "expires_on": "2025-03-31"})
    assert done.status_code == 200 and done.json()["status"] == "expired"
    session.expire_all()
    assert events(session, agreement_id) == [
        ("in_force", "signed", "in_force", "xiangdong", ""),
        ("expired", "in_force", "expired", "xiangdong", "")]
    last = service.agreement_history(session, agreement_id)[-1]
    assert last.effective_on == date(2025, 3, 31)
    assert session.get(Agreement, agreement_id).expires_on == date(2025, 3, 31)  # type: ignore[union-attr]
    page = client.get(f"/cooperation/agreements/{agreement_id}").text
    table = page[page.index('id="agreement-history"'):]
    table = table[:table.index("</table>")]
    assert "状态变更记录" in page and "操作人" in table
    assert re.findall(r'<tr data-action="(\w+)">', table) == ["in_force", "expired"]
    assert "已签署 → 履行中" in table and "履行中 → 已到期" in table
    assert "xiangdong" in table and "2025-03-31" in table
    # The same status again is no move: no row.
    assert client.patch(url, headers=headers, json={"status": "expired"}).status_code == 200
    assert count(session, AgreementEvent) == 2


def test_refused_patches_write_no_history(client: TestClient, session: Session,
                                          coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    session.commit()
    url = f"/api/v1/cooperation/agreements/{agreement_id}"
    jiangxi = token_for(session, coop.people.jiangxi_editor)
    assert client.patch(url, headers=jiangxi, json={"status": "terminated"}).status_code == 200
    assert count(session, AgreementEvent) == 1
    back = client.patch(url, headers=jiangxi, json={"status": "in_force"})
    assert back.status_code == 409 and "不能改回" in back.json()["detail"]
    not_theirs = client.patch(url, headers=token_for(session, coop.people.hunan_editor),
                              json={"status": "expired"})
    assert not_theirs.status_code == 403
    read_only = client.patch(url, headers=token_for(session, coop.people.jiangxi_editor,
                                                    ["read"]), json={"status": "expired"})
    assert read_only.status_code == 403
    assert client.patch(url, headers=jiangxi, json={"status": "nonsense"}).status_code == 422
    session.expire_all()
    assert count(session, AgreementEvent) == 1
    assert session.get(Agreement, agreement_id).status == "terminated"  # type: ignore[union-attr]


def test_update_agreement_moves_through_the_machine_on_the_stored_record(
        session: Session, coop: Coop) -> None:
    agreement_id = signed_agreement(session, coop)
    service.update_agreement(session, coop.jiangxi, agreement_id,
                             AgreementUpdate(status="in_force", summary="已生效"))
    agreement = service.get_agreement(session, agreement_id)
    assert (agreement.status, agreement.summary) == ("in_force", "已生效")
    assert events(session, agreement_id) == [("in_force", "signed", "in_force", "xiangdong", "")]
    with pytest.raises(Forbidden):
        service.update_agreement(session, coop.hunan, agreement_id,
                                 AgreementUpdate(status="terminated"))
    with pytest.raises(Conflict):
        service.update_agreement(session, coop.jiangxi, agreement_id,
                                 AgreementUpdate(status="signed"))
    assert count(session, AgreementEvent) == 1
    assert service.status_path("signed", "terminated") == ["in_force", "terminated"]
    assert service.status_path("expired", "expired") == []


# ---- import: history ------------------------------------------------------------------------


def test_an_imported_status_change_leaves_history_rows_naming_the_file(
        session: Session, coop: Coop) -> None:
    first = xlsx([HEADER, *GOOD_ROWS])
    service.import_agreements(session, coop.office, read_agreements(first),
                              filename="第一批.xlsx", sha256=hashlib.sha256(first).hexdigest())
    assert count(session, AgreementEvent) == 0  # new agreements: no move yet
    changed = list(GOOD_ROWS)
    changed[0] = (*changed[0][:5], "已到期")
    changed[2] = (*changed[2][:5], "已终止")
    second = xlsx([HEADER, *changed])
    service.import_agreements(session, coop.office, read_agreements(second),
                              filename="第二批.xlsx", sha256=hashlib.sha256(second).hexdigest())
    note = "导入工作簿：第二批.xlsx"
    assert events(session, by_title(session, "互联互通").id) == [
        ("expired", "in_force", "expired", "coop", note)]
    assert events(session, by_title(session, "红色文旅").id) == [
        ("in_force", "signed", "in_force", "coop", note),
        ("terminated", "in_force", "terminated", "coop", note)]
    assert events(session, by_title(session, "产业园区").id) == []
    assert by_title(session, "红色文旅").status == "terminated"


def test_a_refused_import_writes_no_history_and_no_applied_file(
        session: Session, coop: Coop) -> None:
    ended = list(GOOD_ROWS)
    ended[0] = (*ended[0][:5], "已终止")
    content = xlsx([HEADER, *ended])
    service.import_agreements(session, coop.office, read_agreements(content),
                              sha256=hashlib.sha256(content).hexdigest())
    session.flush()
    before = (count(session, AgreementEvent), count(session, AgreementImport))
    assert before == (0, 1)  # new agreements: no move
    back = xlsx([HEADER, *GOOD_ROWS])  # 已终止 → 履行中 again
    with pytest.raises(InvalidInput) as refused:
        service.import_agreements(session, coop.office, read_agreements(back),
                                  sha256=hashlib.sha256(back).hexdigest())
    assert refused.value.errors[0].column == "状态"
    assert (count(session, AgreementEvent), count(session, AgreementImport)) == before
    assert by_title(session, "互联互通").status == "terminated"


# ---- import: the same file twice ------------------------------------------------------------


def test_the_same_workbook_twice_through_the_api_adds_nothing_and_says_so(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    content = xlsx([HEADER, *GOOD_ROWS])
    headers = token_for(session, coop.office_editor)
    url = "/api/v1/cooperation/agreements/import"

    def send(confirm: bool, lang: str = "zh_CN") -> dict[str, object]:
        response = files_client.post(f"{url}?confirm={str(confirm).lower()}&lang={lang}",
                                     headers=headers,
                                     files={"file": ("协议.xlsx", content, XLSX)})
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    first = send(True)
    assert (first["applied"], first["duplicate_file"], first["new"]) == (True, False, 3)
    stored = session.scalars(select(AgreementImport)).all()
    assert [(a.sha256, a.filename, a.rows, a.added, a.changed, a.applied_by)
            for a in stored] == [(hashlib.sha256(content).hexdigest(), "协议.xlsx", 3, 3, 0,
                                  "coop")]
    # Someone corrects an agreement afterwards; the old file again changes nothing back.
    agreement = by_title(session, "红色文旅")
    service.update_agreement(session, coop.office, agreement.id,
                             AgreementUpdate(status="in_force"))
    session.commit()
    before = (count(session, Agreement), count(session, AgreementEvent),
              count(session, AgreementImport))
    preview = send(False)
    assert (preview["duplicate_file"], preview["new"], preview["changed"]) == (True, 0, 0)
    again = send(True)
    assert (again["applied"], again["duplicate_file"]) == (False, True)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 3)
    assert again["summary"] == "这个文件已经导入过，再次导入不会增加任何记录"
    assert send(True, "en")["summary"] == (
        "this file was imported before: importing it again adds nothing")
    session.expire_all()
    assert (count(session, Agreement), count(session, AgreementEvent),
            count(session, AgreementImport)) == before
    assert by_title(session, "红色文旅").status == "in_force"


def test_a_duplicate_is_answered_only_to_those_who_may_import_its_rows(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    content = xlsx([HEADER, (1, "湘东区—萍乡市生态协议", "萍乡市湘东区人民政府、萍乡市人民政府",
                             "2024-01-02", "生态", "履行中")])
    url = "/api/v1/cooperation/agreements/import?confirm=true"
    ok = files_client.post(url, headers=token_for(session, coop.people.jiangxi_editor),
                           files={"file": ("a.xlsx", content, XLSX)})
    assert ok.status_code == 200 and ok.json()["new"] == 1
    refused = files_client.post(url, headers=token_for(session, coop.people.hunan_editor),
                                files={"file": ("a.xlsx", content, XLSX)})
    assert refused.status_code == 422 and "辖区" in refused.json()["detail"]
    assert count(session, AgreementImport) == 1


def test_the_import_page_says_a_file_was_applied_before(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    content = xlsx([HEADER, *GOOD_ROWS])
    assert login(files_client, "coop", PASSWORD) == 303
    token = csrf_of(files_client.get("/cooperation/agreements/import").text)

    def preview() -> str:
        response = files_client.post("/cooperation/agreements/import",
                                     data={"csrf_token": token},
                                     files={"file": ("协议清单.xlsx", content, XLSX)})
        assert response.status_code == 200
        return response.text

    sha = hashlib.sha256(content).hexdigest()
    assert f'name="sha256" value="{sha}"' in preview()
    done = files_client.post("/cooperation/agreements/import/confirm",
                             data={"csrf_token": token, "sha256": sha})
    assert done.status_code == 200 and 'id="import-applied"' in done.text
    assert count(session, Agreement) == 3 and count(session, AgreementImport) == 1
    page = preview()
    assert "这个文件已经导入过，再次导入不会增加任何记录" in page
    assert re.search(r'<button type="submit"\s+disabled>', page)
    again = files_client.post("/cooperation/agreements/import/confirm",
                              data={"csrf_token": token, "sha256": sha})
    assert again.status_code == 200 and "这个文件已经导入过" in again.text
    assert count(session, Agreement) == 3 and count(session, AgreementImport) == 1


def test_the_cli_keeps_the_applied_file(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The command applies a workbook once; the same file again adds nothing and says so (a
    database of its own: the command commits)."""
    from coopzone.cli.main import app

    url = database_url(tmp_path_factory, "coopzone_coop10_cli")
    upgrade(url)
    book = tmp_path / "协议.xlsx"
    book.write_bytes(xlsx([HEADER, *GOOD_ROWS]))
    for key, value in {"COOPZONE_DATABASE_URL": url, "COOPZONE_DATA_DIR": str(tmp_path / "var"),
                       "COOPZONE_ENV": "test", "COOPZONE_SECRET_KEY": SECRET}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    try:
        get_settings.cache_clear()
        first = runner.invoke(app, ["cooperation", "import-agreements", str(book), "--confirm"])
        assert first.exit_code == 0, first.output
        assert "new 3, changed 0, unchanged 0" in first.output
        again = runner.invoke(app, ["cooperation", "import-agreements", str(book), "--confirm"])
        assert again.exit_code == 0, again.output
        assert "这个文件已经导入过" in again.output
    finally:
        get_settings.cache_clear()
    engine = make_engine(url)
    try:
        with Session(engine) as check:
            assert [(a.filename, a.added) for a in check.scalars(select(AgreementImport))] == [
                ("协议.xlsx", 3)]
            assert count(check, Agreement) == 3
    finally:
        engine.dispose()
