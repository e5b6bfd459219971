"""Compensation pages and API: public figures, state changes only for permitted users, with
the form's CSRF token or an API token with the write scope."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts.service import principal_for
from coopzone.api.app import create_app
from coopzone.ecology import ledger
from coopzone.ecology.models import Statement
from tests.ecology.ledger_support import (
    Finance,
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)
from tests.helpers import PASSWORD, People, make_settings, token_for


@pytest.fixture
def finance(session: Session) -> Finance:
    return make_finance(session)


@pytest.fixture
def statement(session: Session, finance: Finance) -> Statement:
    section = make_section(session)
    write_months(session, section, months((2019, 7), (2019, 12)), frozenset({(2019, 9)}))
    load_agreements(session)
    created = ledger.compute_statements(session, "lushui", date(2020, 1, 1)).created[0]
    session.commit()
    return ledger.get_statement(session, created)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def login(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_the_compensation_page_shows_terms_strip_and_figures(
    client: TestClient, statement: Statement
) -> None:
    page = client.get("/ecology/compensation")
    assert page.status_code == 200
    html = page.text
    assert "渌水流域横向生态保护补偿协议（第一轮）" in html
    assert "金鱼石断面当月水质达到或优于III类：湖南省付江西省 1,000,000 元；" in html
    assert "已核实（转载或二手来源）" in html and "假设（占位，待核实）" in html
    assert html.count('data-period="2019-') == 6
    assert 'class="cls-4" title="2019-09 金鱼石: IV' in html
    assert re.search(r'data-figure="streak">3<', html)  # 2019-10..12
    assert 'data-figure="paid-430000-360000">0.00<' in html
    assert 'data-party="360000"><td>江西省 (360000)</td><td class="num">4,000,000.00' in html
    assert "/ecology/compensation/recompute" not in html  # not logged in


def test_the_statement_page_by_year_and_by_id_shows_every_line(
    client: TestClient, statement: Statement
) -> None:
    by_year = client.get("/ecology/compensation/2019")
    by_id = client.get(f"/ecology/compensation/{statement.id}")
    assert by_year.status_code == by_id.status_code == 200
    html = by_id.text
    assert 'data-figure="amount">4,000,000.00<' in html
    assert html.count('<tr data-period="2019-') == 6
    assert ("2019-09 金鱼石 类别 IV &gt; 目标 III（劣于目标） → 江西省 付 湖南省 1,000,000 元"
            in html)
    assert "/confirm" not in html  # anonymous: no buttons
    assert client.get("/ecology/compensation/2018").status_code == 404
    xlsx = client.get("/ecology/compensation/2019/statement.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get(f"/ecology/compensation/{statement.id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_confirm_through_the_page_needs_login_csrf_and_the_right_bureau(
    client: TestClient, session: Session, statement: Statement, people: People
) -> None:
    url = f"/ecology/compensation/{statement.id}/confirm"
    anonymous = client.post(url, data={"csrf_token": "x"}, follow_redirects=False)
    assert anonymous.status_code == 403  # the form token is checked first
    login(client, "viewer")
    page = client.get(f"/ecology/compensation/{statement.id}")
    assert "/confirm" not in page.text
    refused = client.post(url, data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})

    login(client, "hn-finance")
    page = client.get(f"/ecology/compensation/{statement.id}")
    assert 'name="party_code" value="430000"' in page.text
    assert 'name="party_code" value="360000"' not in page.text
    assert client.post(url, data={"party_code": "430000"}).status_code == 403  # no CSRF
    done = client.post(url, data={"csrf_token": csrf_of(page.text), "party_code": "430000"},
                       follow_redirects=False)
    assert done.status_code == 303
    session.expire_all()
    assert ledger.get_statement(session, statement.id).payer_confirmed_by == "hn-finance"


def test_api_state_changes_follow_the_permissions(
    client: TestClient, session: Session, statement: Statement, finance: Finance,
    people: People
) -> None:
    base = f"/api/v1/ecology/compensation/statements/{statement.id}"
    viewer = token_for(session, people.viewer)
    hunan = token_for(session, finance.hunan)
    hunan_read = token_for(session, finance.hunan, ["read"])
    jiangxi = token_for(session, finance.jiangxi)

    assert client.post(f"{base}/confirm").status_code == 401
    assert client.post(f"{base}/confirm", headers=viewer).status_code == 403
    assert client.post(f"{base}/confirm", headers=hunan_read).status_code == 403
    refused = client.post(f"{base}/confirm", json={"party_code": "360000"}, headers=hunan)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert client.get(base).json()["payee_confirmed_at"] is None

    assert client.post(f"{base}/confirm", headers=hunan).json()["state"] == "computed"
    confirmed = client.post(f"{base}/confirm", headers=jiangxi).json()
    assert confirmed["state"] == "confirmed"
    payment = {"paid_on": "2020-04-20", "voucher_no": "湘财付〔2020〕001号"}
    assert client.post(f"{base}/pay", json=payment, headers=jiangxi).status_code == 403
    paid = client.post(f"{base}/pay", json=payment, headers=hunan).json()
    assert (paid["state"], paid["voucher_no"], paid["paid_on"]) == (
        "paid", "湘财付〔2020〕001号", "2020-04-20")
    assert client.post(f"{base}/close", headers=hunan).status_code == 403
    assert client.post(f"{base}/close", headers=jiangxi).json()["state"] == "closed"
    again = client.post(f"{base}/pay", json=payment, headers=hunan)
    assert again.status_code == 409

    total = client.get("/api/v1/ecology/compensation/total-paid",
                       params={"payer": "430000", "payee": "360000"}).json()
    assert total["amount"] == "4000000.00"
    body = client.get(base).json()
    assert len(body["lines"]) == 6 and body["lines"][2]["water_class"] == 4
    assert body["lines"][2]["steps"][-1]["kind"] == "formula"
    listed = client.get("/api/v1/ecology/compensation/statements",
                        params={"series": "lushui"}).json()
    assert [(s["year"], s["amount"], s["state"]) for s in listed] == [
        (2019, "4000000.00", "closed")]
    series = client.get("/api/v1/ecology/compensation/series/lushui").json()
    assert series["streak"] == 3 and len(series["months"]) == 6
    agreements = client.get("/api/v1/ecology/compensation/agreements").json()
    assert "lushui-2019" in {a["id"] for a in agreements}


def test_api_recompute_shows_the_difference(
    client: TestClient, session: Session, statement: Statement, finance: Finance,
    people: People
) -> None:
    url = "/api/v1/ecology/compensation/recompute"
    body = {"series": "lushui", "as_of": "2020-01-01"}
    assert client.post(url, json=body, headers=token_for(session, people.viewer)).status_code \
        == 403
    unchanged = client.post(url, json=body, headers=token_for(session, finance.jiangxi)).json()
    assert unchanged["unchanged"] == 1 and unchanged["updated"] == []


def test_the_payment_form_and_recompute_follow_the_platforms_clock(
    engine: Engine, session_factory: sessionmaker[Session], session: Session,
    statement: Statement, finance: Finance
) -> None:
    """One clock: the statement page's payment date and a recomputation from the page use the
    settings' as-of date, not the server's."""
    for user in (finance.hunan, finance.jiangxi):
        ledger.confirm(session, principal_for(session, user.id), statement.id)
    session.commit()
    app = create_app(make_settings(str(engine.url), as_of=date(2020, 3, 31)), session_factory)
    client = TestClient(app)
    login(client, "hn-finance")
    html = client.get(f"/ecology/compensation/{statement.id}").text
    assert 'name="paid_on" value="2020-03-31"' in html
    response = client.post("/ecology/compensation/recompute",
                           data={"series": "lushui", "csrf_token": csrf_of(html)},
                           follow_redirects=False)
    assert response.status_code == 303
    session.expire_all()
    # As of 2020-03-31 the statements run through 2020-02, not up to the server's today.
    through = {s.through for s in ledger.list_statements(session, "lushui")}
    assert through and max(through) <= "2020-02"
