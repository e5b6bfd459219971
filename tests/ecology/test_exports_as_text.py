"""Ecology exports: a section's formula-like name stays text, its code never breaks a header."""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import quote, unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.accounts.service import principal_for
from coopzone.ecology import ledger
from coopzone.ecology.models import Section
from tests.ecology.ledger_support import (
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)

NAME = '=HYPERLINK("http://evil.example/","金鱼石")'
DISPOSITION = re.compile(r"attachment; filename=\"([ !#-\[\]-~]*)\"; "
                         r"filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)")


def test_monthly_export_names_the_file_safely_and_keeps_the_name_as_text(
    client: TestClient, session: Session
) -> None:
    code = 'x"; filename="evil.exe'
    section = Section(code=code, name=NAME, river="萍水河", basin="渌水", province_code="360000",
                      county_code="360313", level="national", target_class=3)
    session.add(section)
    session.flush()
    write_months(session, section, months((2024, 1), (2024, 2)))
    session.commit()
    response = client.get(f"/ecology/sections/{quote(code, safe='')}/monthly.xlsx")
    assert response.status_code == 200
    match = DISPOSITION.fullmatch(response.headers["content-disposition"])
    assert match, response.headers["content-disposition"]
    assert match[1] == "x filename=evil.exe-monthly.xlsx"
    assert unquote(match[2]) == code + "-monthly.xlsx"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [sheet.cell(r, 1).value for r in (2, 3)] == [NAME, NAME]
    assert {(sheet.cell(r, 1).data_type, sheet.cell(r, 1).quotePrefix) for r in (2, 3)} == {
        ("s", True)}
    assert sheet.cell(2, 2).value == "2024-01"
    numbers = [c for c in sheet[2][6:] if c.value is not None]
    assert numbers and all(c.data_type == "n" for c in numbers)


def test_statement_workbook_keeps_a_formula_like_section_name_as_text(
    client: TestClient, session: Session
) -> None:
    section = make_section(session)
    finance = make_finance(session)
    write_months(session, section, months((2019, 7), (2019, 12)), frozenset({(2019, 9)}))
    load_agreements(session)
    created = ledger.compute_statements(session, "lushui", date(2020, 1, 1)).created[0]
    ledger.confirm(session, principal_for(session, finance.hunan.id), created)
    # A line keeps the section's name as it was when computed: make it formula-like.
    ledger.get_statement(session, created).lines[2].section = NAME
    session.commit()
    response = client.get(f"/api/v1/ecology/compensation/statements/{created}/statement.xlsx")
    assert response.status_code == 200
    assert DISPOSITION.fullmatch(response.headers["content-disposition"])
    ws = load_workbook(io.BytesIO(response.content))["结算单"]
    named = [c for row in ws.iter_rows() for c in row if c.value == NAME]
    assert named and all((c.data_type, c.quotePrefix) == ("s", True) for c in named)
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    amounts = [ws.cell(c.row, 9) for c in named]
    assert all(a.data_type == "n" for a in amounts)  # amounts stay numbers
