"""Writes check the stored record as it is and as it will be: the workbook import (the hole
of issue 9: an editor rewrote another jurisdiction's agreement by naming itself as a party),
the agreement's one-way status on every path, and uploads refused before anything is kept."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation import service
from coopzone.cooperation.importers import read_agreements
from coopzone.cooperation.models import Agreement, AgreementParty, Document, Party
from coopzone.cooperation.schemas import AgreementStatusChange, AgreementUpdate
from coopzone.errors import Conflict, InvalidInput
from tests.helpers import HEADER, PASSWORD, Coop, count, token_for, xiangdong_agreement, xlsx

TITLE = "湘东—醴陵协议"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT = "/api/v1/cooperation/agreements/import"


def state(session: Session, agreement_id: int) -> tuple[object, ...]:
    session.expire_all()
    a = service.get_agreement(session, agreement_id)
    return (a.status, a.summary, [ap.party.name for ap in a.parties],
            count(session, Agreement), count(session, Party), count(session, AgreementParty),
            count(session, AuditLog), count(session, Document))


def files_in(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def hijack_book(parties: str = "萍乡市湘东区人民政府、醴陵市人民政府", status: str = "已终止"
                ) -> bytes:
    """A row with the stored agreement's title that names the importer's county as a party
    and rewrites status and summary."""
    return xlsx([(*HEADER, "主要内容"),
                 (1, TITLE, parties, "2023-04-01", "生态", status, "已由醴陵改写")])


def test_an_editor_cannot_rewrite_another_jurisdictions_agreement_by_naming_itself(
        session: Session, coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)  # 湘东区 and 萍乡市, no Hunan party
    session.commit()
    before = state(session, agreement_id)
    rows = read_agreements(hijack_book())
    with pytest.raises(InvalidInput) as refused:
        service.import_agreements(session, coop.hunan, rows)  # 醴陵's editor
    assert refused.value.message == "有 1 行不在你的辖区内，未导入任何记录"
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "协议名称")]
    assert "萍乡市湘东区人民政府、萍乡市人民政府" in refused.value.errors[0].reason
    with pytest.raises(InvalidInput):  # the preview refuses it the same way
        service.check_import(session, coop.hunan, rows)
    assert state(session, agreement_id) == before


def test_over_the_api_the_hijack_is_422_and_keeps_no_file(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    session.commit()
    before = state(session, agreement_id)
    headers = token_for(session, coop.people.hunan_editor)
    for url in (IMPORT, f"{IMPORT}?confirm=true"):
        response = files_client.post(url, headers=headers,
                                     files={"file": ("协议.xlsx", hijack_book(), XLSX)})
        assert response.status_code == 422
        assert response.json()["detail"] == "有 1 行不在你的辖区内，未导入任何记录"
        assert response.json()["errors"][0]["column"] == "协议名称"
    assert state(session, agreement_id)[:-2] == before[:-2]  # rows (but the tokens' audit)
    assert count(session, Document) == 0 and files_in(tmp_path) == []


def test_a_party_may_not_import_itself_out_of_the_agreement(session: Session,
                                                            coop: Coop) -> None:
    """As it will be: 湘东's editor may change the agreement, not hand it to 醴陵 alone."""
    agreement_id = xiangdong_agreement(session, coop.office)
    session.commit()
    before = state(session, agreement_id)
    with pytest.raises(InvalidInput) as refused:
        service.import_agreements(session, coop.jiangxi,
                                  read_agreements(hijack_book(parties="醴陵市人民政府")))
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "签署单位")]
    assert state(session, agreement_id) == before


def test_a_party_still_imports_its_own_changes(session: Session, coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    session.commit()
    service.import_agreements(session, coop.jiangxi, read_agreements(hijack_book()))
    assert state(session, agreement_id)[:3] == (
        "terminated", "已由醴陵改写", ["萍乡市湘东区人民政府", "醴陵市人民政府"])


def terminated(session: Session, coop: Coop) -> int:
    agreement_id = xiangdong_agreement(session, coop.office)
    service.change_agreement_status(session, coop.office, agreement_id, AgreementStatusChange(
        status="terminated", effective_on=date(2024, 6, 30)))
    session.commit()
    return agreement_id


@pytest.mark.parametrize("status", ["signed", "in_force", "expired"])
def test_a_terminated_agreement_cannot_be_patched_back(
        client: TestClient, session: Session, coop: Coop, status: str) -> None:
    agreement_id = terminated(session, coop)
    before = state(session, agreement_id)
    response = client.patch(f"/api/v1/cooperation/agreements/{agreement_id}",
                            json={"status": status},
                            headers=token_for(session, coop.people.jiangxi_editor))
    assert response.status_code == 409
    assert re.fullmatch("协议当前状态为“已终止”，不能改回“.+”", response.json()["detail"])
    assert state(session, agreement_id)[:-2] == before[:-2]
    with pytest.raises(Conflict):
        service.update_agreement(session, coop.jiangxi, agreement_id,
                                 AgreementUpdate(status=status))


def test_patch_moves_the_status_on_and_refuses_null(client: TestClient, session: Session,
                                                    coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)  # in force
    session.commit()
    headers = token_for(session, coop.people.jiangxi_editor)
    url = f"/api/v1/cooperation/agreements/{agreement_id}"
    refused = client.patch(url, json={"status": None}, headers=headers)
    assert refused.status_code == 422
    assert [e["column"] for e in refused.json()["errors"]] == ["status"]
    assert client.patch(url, json={"status": "signed"}, headers=headers).status_code == 409
    moved = client.patch(url, json={"status": "expired"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["status"] == "expired"
    assert client.patch(url, json={"status": "terminated"}, headers=headers).status_code == 409


def test_the_status_form_and_the_import_cannot_move_it_back(session: Session,
                                                            coop: Coop) -> None:
    agreement_id = terminated(session, coop)
    before = state(session, agreement_id)
    with pytest.raises(Conflict):
        service.change_agreement_status(session, coop.jiangxi, agreement_id,
                                        AgreementStatusChange(status="in_force",
                                                              effective_on=date(2024, 7, 1)))
    rows = read_agreements(xlsx([HEADER, (1, TITLE, "萍乡市湘东区人民政府、萍乡市人民政府",
                                          "2023-04-01", "生态", "已签署")]))
    with pytest.raises(InvalidInput) as refused:
        service.import_agreements(session, coop.jiangxi, rows)
    assert refused.value.message.startswith("有 1 行的协议状态不能改回")
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "状态")]
    assert state(session, agreement_id) == before


def login(client: TestClient, username: str) -> str:
    def csrf(html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match is not None
        return match.group(1)

    token = csrf(client.get("/login").text)
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": token})
    return csrf(client.get("/cooperation/agreements/import").text)


def test_a_viewers_preview_upload_stores_nothing(files_client: TestClient, session: Session,
                                                 coop: Coop, tmp_path: Path) -> None:
    book = xlsx([HEADER, (1, "新协议", "萍乡市湘东区人民政府", "2024-05-01", "生态", "已签署")])
    token = login(files_client, "viewer")
    page = files_client.post("/cooperation/agreements/import", data={"csrf_token": token},
                             files={"file": ("协议.xlsx", book, XLSX)})
    assert page.status_code == 403
    api = files_client.post(IMPORT, files={"file": ("协议.xlsx", book, XLSX)},
                            headers=token_for(session, coop.people.viewer))
    assert api.status_code == 403 and api.json()["error"] == "forbidden"
    read = files_client.post(IMPORT, files={"file": ("协议.xlsx", book, XLSX)},
                             headers=token_for(session, coop.office_editor, ["read"]))
    assert read.status_code == 403
    assert count(session, Document) == 0 and count(session, Agreement) == 0
    assert files_in(tmp_path) == []


def test_an_obligation_report_by_a_stranger_keeps_no_evidence_file(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    """The API stored the evidence before checking who reported: no longer."""
    from coopzone.cooperation.schemas import ObligationCreate

    agreement_id = xiangdong_agreement(session, coop.office)
    obligation = service.add_obligation(session, coop.office, agreement_id, ObligationCreate(
        description="建设监测站", owner="萍乡市湘东区人民政府"))
    session.commit()
    for user in (coop.people.hunan_editor, coop.people.viewer):
        response = files_client.post(
            f"/api/v1/cooperation/obligations/{obligation.id}/reports",
            headers=token_for(session, user), data={"reported_on": "2025-09-01", "text": "x"},
            files={"evidence": ("证明.pdf", b"%PDF-1.4 evidence")})
        assert response.status_code == 403
    assert count(session, Document) == 0 and files_in(tmp_path) == []
    done = files_client.post(
        f"/api/v1/cooperation/obligations/{obligation.id}/reports",
        headers=token_for(session, coop.people.jiangxi_editor),
        data={"reported_on": "2025-09-01", "text": "已建成"},
        files={"evidence": ("..\\证明.pdf", b"%PDF-1.4 evidence")})
    assert done.status_code == 201, done.text
    doc = session.scalars(select(Document)).one()
    assert doc.filename == "证明.pdf"
    assert files_in(tmp_path) == [tmp_path / "files" / doc.sha256]


BROKEN = "协议.xlsx 不是 Excel 工作簿（.xlsx）："


@pytest.mark.parametrize(("content", "reason"), [
    (b"not a workbook", "内容是其他格式的文件（可能只是改了扩展名）"),
    (xlsx([HEADER])[:700], "文件不完整或已损坏（可能没有上传完整）")])
def test_a_broken_workbook_is_a_clear_422(files_client: TestClient, session: Session,
                                          coop: Coop, tmp_path: Path, content: bytes,
                                          reason: str) -> None:
    detail = BROKEN + reason
    response = files_client.post(IMPORT, files={"file": ("协议.xlsx", content, XLSX)},
                                 headers=token_for(session, coop.office_editor))
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert count(session, Document) == 0 and files_in(tmp_path) == []
