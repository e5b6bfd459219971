"""Yearly statements as Excel and PDF, every line with its working, in Chinese."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.accounts.service import principal_for
from coopzone.ecology import ledger, statements
from coopzone.ecology.models import Statement
from tests.ecology.ledger_support import (
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)


@pytest.fixture
def statement(session: Session) -> Statement:
    section = make_section(session)
    finance = make_finance(session)
    write_months(session, section, months((2019, 7), (2019, 12)), frozenset({(2019, 9)}))
    load_agreements(session)
    created = ledger.compute_statements(session, "lushui", date(2020, 1, 1)).created[0]
    ledger.confirm(session, principal_for(session, finance.hunan.id), created)
    return ledger.get_statement(session, created)


def test_the_excel_statement_has_every_line_and_its_working(
    session: Session, statement: Statement
) -> None:
    wb = load_workbook(io.BytesIO(statements.statement_xlsx(session, statement.id)))
    ws = wb["结算单"]
    assert ws["A1"].value == "渌水流域横向生态保护补偿协议 2019 年度结算单"
    header = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 18)}
    assert header["致"] == "湖南省财政厅、江西省财政厅"
    assert header["净额（元）"] == 4000000
    assert header["清缴期限"] == "2020-04-30"
    assert header["状态"] == "已核算，待双方确认"
    assert header["付款方确认"].startswith("hn-finance，")
    assert header["收款方确认"] == "—"
    assert header["协议"] == "lushui-2019 第1版：渌水流域横向生态保护补偿协议（第一轮）（2019）"
    first = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "月份")
    assert [c.value for c in ws[first]] == list(statements.HEADERS)
    rows = [[c.value for c in ws[r]] for r in range(first + 1, first + 7)]
    assert [r[0] for r in rows] == [f"2019-{m:02d}" for m in range(7, 13)]
    september = rows[2]
    assert september[1:10] == ["金鱼石", "IV类", "lushui-2019", "R1", "水质类别对赌", "江西省",
                               "湖南省", 1000000, "计入"]
    assert september[10] == ("1. 金鱼石 2019-09 水质类别 IV\n"
                             "2. 2019-09 金鱼石 类别 IV > 目标 III（劣于目标） → 江西省 付 湖南省 "
                             "1,000,000 元")
    totals = {ws.cell(r, 8).value: ws.cell(r, 9).value
              for r in range(first + 7, ws.max_row + 1) if ws.cell(r, 8).value}
    assert totals == {"湖南省→江西省": 5000000, "江西省→湖南省": 1000000, "净额": 4000000}
    assert ws.cell(first + 1, 9).number_format == "#,##0.00"


def test_the_pdf_statement_embeds_the_chinese_font(
    session: Session, statement: Statement, tmp_path: Path
) -> None:
    pdf = statements.statement_pdf(session, statement.id)
    assert pdf.startswith(b"%PDF-")
    assert b"CoopzoneSansSC" in pdf and b"/FontFile2" in pdf
    assert statements.font_path().stat().st_size < 12_000_000
    # make test installs poppler-utils: no pdftotext is a failure, not a skip.
    assert shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) not installed"
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "渌水流域横向生态保护补偿协议 2019 年度结算单" in text
    assert "4,000,000.00" in text and "湖南省财政厅" in text
    assert "劣于目标" in text and "2019-12" in text


def test_statement_documents_follow_the_state(session: Session, statement: Statement) -> None:
    doc = statements.document(session, statement.id)
    assert doc.net_text == ("2019 年净额：湖南省 付 江西省 4,000,000.00 元（湖南省→江西省 "
                            "5,000,000.00 元，反向 1,000,000.00 元），2020-04-30 前清缴")
    assert doc.bureaus == {"360000": "江西省财政厅", "430000": "湖南省财政厅"}
    assert statement.amount == Decimal("4000000.00")
