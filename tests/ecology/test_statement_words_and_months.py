"""What a finance bureau reads on a statement besides the figures: the net in Chinese
capitals (大写金额) on the page, the Excel and the PDF; the months of the year that move no
money, each with its reason; the history of each step; and forms that ask before they
confirm or pay, refused when the figure changed since the page was shown."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.service import principal_for
from coopzone.db import SHANGHAI
from coopzone.ecology import ledger, statements
from coopzone.ecology.models import ImportBatch, Reading, Section, Statement
from coopzone.kit.statements import StatementEvent
from tests.ecology.ledger_support import (
    GOOD,
    Finance,
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)
from tests.ecology.test_compensation_pages import csrf_of, login
from tests.helpers import token_for

HUNAN = "430000"
BEFORE = {f"2019-{m:02d}": "早于协议起始月份（2019-07 起执行）" for m in range(1, 7)}


@pytest.fixture
def finance(session: Session) -> Finance:
    return make_finance(session)


@pytest.fixture
def statement(session: Session, finance: Finance) -> Statement:
    """2019: July–November measured (September Class IV), December not yet: held."""
    section = make_section(session)
    write_months(session, section, months((2019, 7), (2019, 11)), frozenset({(2019, 9)}))
    load_agreements(session)
    created = ledger.compute_statements(session, "lushui", date(2020, 1, 1)).created[0]
    session.commit()
    return ledger.get_statement(session, created)


def test_left_out_months_say_why(session: Session, statement: Statement) -> None:
    left_out = {m.period: m.reason for m in ledger.left_out_months(session, statement)}
    assert left_out == {**BEFORE, "2019-12": "金鱼石：挂起待复核（无监测数据）"}
    # As of mid-2019 the months after June are not computed yet.
    assert statement.amount == 3_000_000


def test_a_month_awaiting_review_says_so(session: Session, statement: Statement) -> None:
    """December's readings were entered by hand at 金鱼石 and await Hunan's review: they do
    not count yet, and the statement says that is why December is held."""
    section = make_section_of(session)
    batch = ImportBatch(filename="12月.xlsx", sha256="0" * 64, source="manual", rows=5,
                        created_by="jx-editor", review_state="entered", review_parties=HUNAN)
    session.add(batch)
    session.flush()
    at = datetime(2019, 12, 10, 8, tzinfo=SHANGHAI)
    session.add_all(Reading(section_id=section.id, measured_at=at, item=item, value=value,
                            batch_id=batch.id) for item, value in GOOD.items())
    session.flush()
    ledger.compute_statements(session, "lushui", date(2020, 1, 1))
    left_out = {m.period: m.reason for m in ledger.left_out_months(session, statement)}
    assert left_out["2019-12"] == "金鱼石：挂起待复核（人工录入的数据待协议另一方生态环境部门审核）"
    assert statement.amount == 3_000_000  # December still held


def test_months_not_yet_computed_say_so(session: Session, finance: Finance) -> None:
    section = make_section(session)
    write_months(session, section, months((2019, 7), (2019, 9)))
    load_agreements(session)
    created = ledger.compute_statements(session, "lushui", date(2019, 10, 15)).created[0]
    s = ledger.get_statement(session, created)
    left_out = {m.period: m.reason for m in ledger.left_out_months(session, s)}
    assert left_out == {**BEFORE, **{
        f"2019-{m}": "核算截至 2019-09，本月尚未核算（月份未结束）" for m in (10, 11, 12)}}


def test_the_page_shows_words_left_out_months_and_history(
    client: TestClient, session: Session, statement: Statement
) -> None:
    html = client.get(f"/ecology/compensation/{statement.id}").text
    assert 'data-figure="amount-words">人民币叁佰万元整<' in html
    assert 'data-figure="net-words">净额大写：人民币叁佰万元整<' in html
    rows = re.findall(r'<tr data-left-out="([\d-]+)"><td>[\d-]+</td><td>([^<]+)</td>', html)
    assert dict(rows) == {**BEFORE, "2019-12": "金鱼石：挂起待复核（无监测数据）"}
    assert html.count('<tr data-event="compute">') == 1
    assert "ask-first.js" not in html  # no forms for anonymous visitors


def test_the_forms_ask_first_and_carry_the_version_they_show(
    client: TestClient, session: Session, statement: Statement
) -> None:
    login(client, "hn-finance")
    html = client.get(f"/ecology/compensation/{statement.id}").text
    assert '<script src="/static/js/ask-first.js"></script>' in html
    assert ('data-confirm="代表湖南省确认本结算单：湖南省付江西省 3,000,000.00 元'
            '（人民币叁佰万元整）？"') in html
    shown = statement.lock_version
    assert f'name="lock_version" value="{shown}"' in html
    script = client.get("/static/js/ask-first.js")
    assert script.status_code == 200 and "window.confirm" in script.text

    # The figure changes before the bureau clicks: December's data arrive, a recomputation.
    write_months(session, make_section_of(session), [(2019, 12)])
    ledger.compute_statements(session, "lushui", date(2020, 1, 1))
    session.commit()
    events = session.scalar(select(func.count()).select_from(StatementEvent))
    refused = client.post(f"/ecology/compensation/{statement.id}/confirm", data={
        "csrf_token": csrf_of(html), "party_code": "430000",
        "lock_version": str(shown)}, follow_redirects=False)
    assert refused.status_code == 409
    session.expire_all()
    stored = ledger.get_statement(session, statement.id)
    assert stored.payer_confirmed_at is None and stored.amount == 4_000_000
    assert stored.lock_version == shown + 1  # the recomputation's, not the refused action's
    assert session.scalar(select(func.count()).select_from(StatementEvent)) == events


def make_section_of(session: Session) -> Section:
    return session.scalars(select(Section).where(Section.name == "金鱼石")).one()


def test_the_api_gives_the_words_and_refuses_a_stale_version(
    client: TestClient, session: Session, statement: Statement, finance: Finance
) -> None:
    base = f"/api/v1/ecology/compensation/statements/{statement.id}"
    body = client.get(base).json()
    assert body["amount_in_words"] == "叁佰万元整" and body["lock_version"] == 1
    hunan = token_for(session, finance.hunan)
    stale = client.post(f"{base}/confirm", json={"lock_version": 7}, headers=hunan)
    assert stale.status_code == 409 and stale.json()["error"] == "conflict"
    assert client.get(base).json()["payer_confirmed_at"] is None
    done = client.post(f"{base}/confirm", json={"lock_version": 1}, headers=hunan).json()
    assert done["payer_confirmed_by"] == "hn-finance" and done["lock_version"] == 2


def test_the_excel_carries_words_left_out_months_and_history(
    session: Session, statement: Statement, finance: Finance
) -> None:
    ledger.confirm(session, principal_for(session, finance.hunan.id), statement.id)
    wb = load_workbook(io.BytesIO(statements.statement_xlsx(session, statement.id)))
    ws = wb["结算单"]
    header = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 19)}
    assert header["净额大写"] == "人民币叁佰万元整"
    words = {ws.cell(r, 8).value: ws.cell(r, 10).value for r in range(1, ws.max_row + 1)
             if ws.cell(r, 8).value in ("湖南省→江西省", "江西省→湖南省", "净额")}
    assert words == {"湖南省→江西省": "人民币肆佰万元整", "江西省→湖南省": "人民币壹佰万元整",
                     "净额": "人民币叁佰万元整"}
    texts = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "净额大写：人民币叁佰万元整" in texts
    title = texts.index(statements.LEFT_OUT_TITLE) + 1
    rows = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(title + 2, ws.max_row + 1)}
    assert rows == {**BEFORE, "2019-12": "金鱼石：挂起待复核（无监测数据）"}
    history = [[c.value for c in row] for row in wb["经办记录"].iter_rows(min_row=2)]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in history] == [
        ("核算", "已核算，待双方确认", "—", "system", "3,000,000.00（人民币叁佰万元整）"),
        ("确认", "已核算，待双方确认", "湖南省", "hn-finance",
         "3,000,000.00（人民币叁佰万元整）")]


def test_the_pdf_prints_the_words_and_the_left_out_months(
    session: Session, statement: Statement, tmp_path: Path
) -> None:
    assert shutil.which("pdftotext") is not None
    path = tmp_path / "s.pdf"
    path.write_bytes(statements.statement_pdf(session, statement.id))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "人民币叁佰万元整" in flat and "净额大写：人民币叁佰万元整" in flat
    assert "本年度未计入金额的月份及原因" in flat
    assert "早于协议起始月份（2019-07起执行）" in flat and "挂起待复核（无监测数据）" in flat


def test_the_pdf_prints_the_history_who_when_from_to_and_why(
    session: Session, statement: Statement, finance: Finance, tmp_path: Path
) -> None:
    hunan = principal_for(session, finance.hunan.id)
    ledger.confirm(session, hunan, statement.id)
    ledger.confirm(session, principal_for(session, finance.jiangxi.id), statement.id)
    ledger.record_payment(session, hunan, statement.id, date(2020, 3, 2), "湘财付7号",
                          today=date(2020, 3, 5))
    doc = statements.document(session, statement.id)
    assert [row[1:6] for row in doc.history_table()] == [
        ("核算", "—", "已核算，待双方确认", "—", "system"),
        ("确认", "已核算，待双方确认", "已核算，待双方确认", "湖南省", "hn-finance"),
        ("确认", "已核算，待双方确认", "双方已确认，待付款", "江西省", "jx-finance"),
        ("登记付款", "双方已确认，待付款", "已付款，待收款方确认", "湖南省", "hn-finance")]
    assert doc.history_table()[3][7] == "2020-03-02 凭证号 湘财付7号"
    assert doc.history_table()[0][0] == doc.history[0].at.astimezone(SHANGHAI).strftime(
        "%Y-%m-%d %H:%M")
    path = tmp_path / "s.pdf"
    path.write_bytes(statements.statement_pdf(session, statement.id))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "经办记录" in flat and "办前状态" in flat and "说明（理由）" in flat
    assert "jx-finance" in flat and "湘财付7号" in flat and "登记付款" in flat
    # Chinese by default: none of the machine's codes reach the paper.
    assert not re.search(r"\b(confirm|pay|computed|confirmed|paid)\b", text)


def test_the_demo_statements_carry_their_history(session: Session) -> None:
    from coopzone.ecology.demo import load_ecology_demo
    from coopzone.ecology.ledger_demo import load_ledger_demo

    load_ecology_demo(session)
    make_finance(session)
    load_ledger_demo(session)
    load_ledger_demo(session)  # idempotent: no second set of steps
    found = {s.year: s for s in ledger.list_statements(session, "lushui")}
    steps = [(e.action, e.to_state, e.actor, e.at.date().isoformat())
             for e in ledger.history(session, found[2023].id)]
    assert steps[1:] == [
        ("confirm", "computed", "湖南省财政厅", "2024-03-10"),
        ("confirm", "confirmed", "江西省财政厅", "2024-03-12"),
        ("pay", "paid", "湖南省财政厅", "2024-04-20"),
        ("close", "closed", "江西省财政厅", "2024-04-28")]
    assert steps[0][:3] == ("compute", "computed", "演示数据")
    assert [e.action for e in ledger.history(session, found[2025].id)] == ["compute"]
