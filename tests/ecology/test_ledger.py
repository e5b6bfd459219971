"""The compensation ledger: agreements versioned, statements computed from stored readings,
confirmed by the right finance bureaus only, paid, closed; late data updates unpaid
statements and turns into adjustments for paid ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal, principal_for
from coopzone.ecology import ledger
from coopzone.ecology.agreement_files import BUILTIN_DIR, builtin_ids
from coopzone.ecology.models import (
    AgreementVersion,
    Reading,
    Section,
    Statement,
    StatementChange,
)
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.ecology.ledger_support import (
    Finance,
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)
from tests.helpers import People

AS_OF = date(2020, 1, 1)  # settles 2019-07..2019-12


@pytest.fixture
def section(session: Session) -> Section:
    return make_section(session)


@pytest.fixture
def finance(session: Session) -> Finance:
    return make_finance(session)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def computed_2019(session: Session, section: Section, last: tuple[int, int] = (2019, 12),
                  bad: frozenset[tuple[int, int]] = frozenset({(2019, 9)})) -> Statement:
    write_months(session, section, months((2019, 7), last), bad)
    load_agreements(session)
    result = ledger.compute_statements(session, "lushui", AS_OF)
    assert len(result.created) == 1
    return ledger.get_statement(session, result.created[0])


def paid_2019(session: Session, section: Section,
              finance: Finance) -> tuple[Statement, Principal, Principal]:
    """The 2019 statement confirmed by both bureaus and paid by Hunan; (statement, Hunan's
    and Jiangxi's finance bureau)."""
    statement = computed_2019(session, section)
    hunan = principal_for(session, finance.hunan.id)
    jiangxi = principal_for(session, finance.jiangxi.id)
    ledger.confirm(session, hunan, statement.id)
    ledger.confirm(session, jiangxi, statement.id)
    ledger.record_payment(session, hunan, statement.id, date(2020, 4, 20), "湘财付001")
    return statement, hunan, jiangxi


def test_agreements_are_stored_and_a_changed_text_is_a_new_version(session: Session) -> None:
    stored = ledger.sync_builtin_agreements(session)
    assert sorted(v.agreement_id for v in stored) == builtin_ids()
    assert {v.version_no for v in stored} == {1}
    again = ledger.sync_builtin_agreements(session)
    assert [v.id for v in again] == [v.id for v in stored]
    assert count(session, AgreementVersion) == len(builtin_ids())

    text = (BUILTIN_DIR / "lushui-2019.toml").read_text("utf-8")
    changed = text.replace('amount = "1000000"', 'amount = "1200000"')
    version, new = ledger.store_agreement(session, changed, "edited", "test")
    assert new and version.version_no == 2
    current = ledger.current_version(session, "lushui-2019")
    assert current is not None and current.id == version.id
    assert ledger.agreement_of(current).rules[0].amount == Decimal(1200000)  # type: ignore[union-attr]
    assert [v.version_no for v in ledger.version_history(session, "lushui-2019")] == [1, 2]
    assert [v.agreement_id for v in ledger.current_versions(session, "lushui")] == [
        "lushui-2019", "lushui-2022"]


def test_statement_is_computed_from_stored_readings(session: Session, section: Section) -> None:
    statement = computed_2019(session, section)
    assert (statement.series, statement.year, statement.party_a, statement.party_b) == (
        "lushui", 2019, "360000", "430000")
    assert (statement.payer_code, statement.payee_code) == ("430000", "360000")
    assert statement.gross_payer_to_payee == Decimal("5000000.00")
    assert statement.gross_payee_to_payer == Decimal("1000000.00")
    assert statement.amount == Decimal("4000000.00")
    assert statement.due == date(2020, 4, 30) and statement.through == "2019-12"
    assert statement.state == "computed" and statement.held == 0
    assert [ln.period for ln in statement.lines] == [f"2019-{m:02d}" for m in range(7, 13)]
    september = statement.lines[2]
    assert (september.water_class, september.payer_code, september.payee_code) == (
        4, "360000", "430000")
    assert september.amount == Decimal("1000000.00") and september.status == "accrued"
    assert september.steps[-1]["text"] == (
        "2019-09 金鱼石 类别 IV > 目标 III（劣于目标） → 江西省 付 湖南省 1,000,000 元")
    july = statement.lines[0]
    assert (july.water_class, july.payer_code) == (2, "430000")
    # Computing again with the same data changes nothing.
    again = ledger.compute_statements(session, "lushui", AS_OF)
    assert (again.created, again.updated, again.adjustments, again.unchanged) == ([], [], [], 1)


def test_only_each_partys_finance_bureau_confirms(
    session: Session, section: Section, finance: Finance, people: People
) -> None:
    statement = computed_2019(session, section)
    hunan = principal_for(session, finance.hunan.id)
    jiangxi = principal_for(session, finance.jiangxi.id)
    for someone, party in ((hunan, "360000"), (principal_for(session, people.viewer.id), None),
                           (principal_for(session, people.jiangxi_editor.id), "360000")):
        with pytest.raises(Forbidden):
            ledger.confirm(session, someone, statement.id, party)
    assert statement.payer_confirmed_at is None and statement.payee_confirmed_at is None
    assert statement.state == "computed"

    ledger.confirm(session, hunan, statement.id)  # Hunan is the payer
    assert statement.payer_confirmed_by == "hn-finance" and statement.state == "computed"
    with pytest.raises(Conflict):  # not yet confirmed by Jiangxi
        ledger.record_payment(session, hunan, statement.id, date(2020, 4, 20), "湘财付001")
    ledger.confirm(session, jiangxi, statement.id)
    assert statement.payee_confirmed_by == "jx-finance" and statement.state == "confirmed"

    with pytest.raises(Forbidden):  # Jiangxi is not the payer
        ledger.record_payment(session, jiangxi, statement.id, date(2020, 4, 20), "X")
    with pytest.raises(InvalidInput) as refused:  # no voucher, a date in the future
        ledger.record_payment(session, hunan, statement.id, date(2999, 1, 1), "  ")
    assert {e.column for e in refused.value.errors} == {"voucher_no", "paid_on"}
    assert statement.state == "confirmed" and statement.voucher_no is None
    ledger.record_payment(session, hunan, statement.id, date(2020, 4, 20), " 湘财付001 ")
    assert (statement.state, statement.paid_on, statement.voucher_no) == (
        "paid", date(2020, 4, 20), "湘财付001")
    with pytest.raises(Forbidden):  # the payee closes on receipt
        ledger.close(session, hunan, statement.id)
    ledger.close(session, jiangxi, statement.id)
    assert statement.state == "closed" and statement.closed_by == "jx-finance"
    with pytest.raises(Conflict):
        ledger.confirm(session, jiangxi, statement.id)
    assert ledger.total_paid(session, "430000", "360000") == Decimal("4000000.00")
    assert ledger.total_paid(session, "360000", "430000") == Decimal("0.00")


def test_a_platform_admin_may_act_for_either_side(
    session: Session, section: Section, people: People
) -> None:
    statement = computed_2019(session, section)
    admin = principal_for(session, people.admin.id)
    with pytest.raises(Exception, match="请指明"):
        ledger.confirm(session, admin, statement.id)
    ledger.confirm(session, admin, statement.id, "430000")
    ledger.confirm(session, admin, statement.id, "360000")
    assert statement.state == "confirmed"


def test_late_data_updates_an_unpaid_statement_and_shows_the_difference(
    session: Session, section: Section, finance: Finance
) -> None:
    statement = computed_2019(session, section, last=(2019, 11))
    december = statement.lines[-1]
    assert (december.period, december.status, december.amount) == (
        "2019-12", "held", Decimal("0.00"))
    assert statement.amount == Decimal("3000000.00") and statement.held == 1
    ledger.confirm(session, principal_for(session, finance.hunan.id), statement.id)
    ledger.confirm(session, principal_for(session, finance.jiangxi.id), statement.id)
    assert statement.state == "confirmed"

    write_months(session, section, [(2019, 12)])  # the December data arrive late
    result = ledger.recompute(session, principal_for(session, finance.jiangxi.id), "lushui",
                              AS_OF)
    assert len(result.updated) == 1 and result.adjustments == []
    statement = ledger.get_statement(session, statement.id)
    assert statement.amount == Decimal("4000000.00") and statement.held == 0
    assert statement.state == "computed" and statement.revision == 2
    assert statement.payer_confirmed_at is None and statement.payee_confirmed_at is None
    december = statement.lines[-1]
    assert (december.status, december.payer_code, december.amount) == (
        "accrued", "430000", Decimal("1000000.00"))
    assert (december.previous_status, december.previous_amount) == ("held", Decimal("0.00"))
    change = statement.changes[0]
    assert (change.kind, change.state, change.revision) == ("recomputed", "recorded", 2)
    assert (change.old_payer_code, change.old_amount) == ("430000", Decimal("3000000.00"))
    assert (change.new_payer_code, change.new_amount) == ("430000", Decimal("4000000.00"))
    assert (change.payer_code, change.payee_code, change.amount) == (
        "430000", "360000", Decimal("1000000.00"))
    assert [(d["period"], d["old_status"], d["new_status"], d["new_amount"])
            for d in change.lines] == [("2019-12", "held", "accrued", "1000000")]


def test_a_paid_statement_is_left_as_is_and_the_difference_is_an_adjustment(
    session: Session, section: Section, finance: Finance
) -> None:
    statement, hunan, jiangxi = paid_2019(session, section, finance)
    lines_before = [(ln.period, ln.payer_code, ln.amount, ln.status) for ln in statement.lines]

    # A corrected October reading: the month was Class IV after all.
    october = session.scalars(select(Reading).where(Reading.item == "nh3n")
                              .order_by(Reading.measured_at)).all()[3]
    assert october.measured_at.month == 10
    october.value = 1.2
    session.flush()
    result = ledger.recompute(session, jiangxi, "lushui", AS_OF)
    assert result.updated == [] and len(result.adjustments) == 1

    statement = ledger.get_statement(session, statement.id)
    assert statement.state == "paid" and statement.amount == Decimal("4000000.00")
    assert [(ln.period, ln.payer_code, ln.amount, ln.status)
            for ln in statement.lines] == lines_before
    assert all(ln.previous_amount is None for ln in statement.lines)
    adjustment = statement.changes[0]
    assert (adjustment.kind, adjustment.state) == ("adjustment", "open")
    assert (adjustment.old_payer_code, adjustment.old_amount) == ("430000", Decimal("4000000.00"))
    assert (adjustment.new_payer_code, adjustment.new_amount) == ("430000", Decimal("2000000.00"))
    assert (adjustment.payer_code, adjustment.payee_code, adjustment.amount) == (
        "360000", "430000", Decimal("2000000.00"))
    assert [(d["period"], d["old_payer"], d["new_payer"], d["new_class"])
            for d in adjustment.lines] == [("2019-10", "430000", "360000", 4)]
    assert ledger.effective_signed(statement) == Decimal("-2000000.00")

    # Recomputing again finds nothing new: the adjustment already covers the difference.
    again = ledger.recompute(session, jiangxi, "lushui", AS_OF)
    assert (again.adjustments, again.unchanged) == ([], 1)
    assert count(session, StatementChange) == 1

    with pytest.raises(Forbidden):  # Jiangxi pays the difference back
        ledger.settle_adjustment(session, hunan, adjustment.id, date(2020, 6, 1), "X")
    ledger.settle_adjustment(session, jiangxi, adjustment.id, date(2020, 6, 1), "赣财付009")
    assert (adjustment.state, adjustment.voucher_no) == ("settled", "赣财付009")
    assert ledger.total_paid(session, "430000", "360000") == Decimal("4000000.00")
    assert ledger.total_paid(session, "360000", "430000") == Decimal("2000000.00")
    hunan_balance, = (b for b in ledger.balances(session, "lushui") if b.code == "430000")
    assert (hunan_balance.payable, hunan_balance.receivable) == (
        Decimal("4000000.00"), Decimal("2000000.00"))
    assert hunan_balance.outstanding == Decimal("0.00")


def test_recompute_needs_a_bureau_of_a_party(
    session: Session, section: Section, people: People
) -> None:
    load_agreements(session)
    with pytest.raises(Forbidden):
        ledger.recompute(session, principal_for(session, people.viewer.id), "lushui", AS_OF)
    assert count(session, Statement) == 0
    # A county ecology bureau inside a party province may (it imports the readings).
    result = ledger.recompute(session, principal_for(session, people.hunan_editor.id),
                              "lushui", AS_OF)
    assert result.created != []


def test_the_demo_ledger_pays_66_million_from_the_readings(session: Session) -> None:
    from coopzone.ecology.demo import load_ecology_demo
    from coopzone.ecology.ledger_demo import load_ledger_demo

    load_ecology_demo(session)
    make_finance(session)
    load_ledger_demo(session)
    load_ledger_demo(session)  # idempotent
    assert ledger.total_paid(session, "430000", "360000") == Decimal("66000000.00")
    found = ledger.list_statements(session, "lushui")
    assert [(s.year, s.amount, s.state) for s in found] == [
        (2019, Decimal("6000000.00"), "closed"), (2020, Decimal("12000000.00"), "closed"),
        (2021, Decimal("12000000.00"), "closed"), (2022, Decimal("12000000.00"), "closed"),
        (2023, Decimal("12000000.00"), "closed"), (2024, Decimal("12000000.00"), "paid"),
        (2025, Decimal("6000000.00"), "computed")]
    assert all(s.paid_on is not None and s.paid_on < date(s.year + 1, 4, 30)
               for s in found if s.year < 2025)
    assert found[0].voucher_no == "湘财付〔2020〕59号"
    assert found[0].payer_confirmed_by == "湖南省财政厅"
    strip = ledger.month_strip(session, "lushui")
    assert (strip[0].period, strip[-1].period, len(strip)) == ("2019-07", "2025-08", 74)
    assert ledger.compliant_streak(strip) == 74


def amend_start(session: Session, start: str) -> None:
    """Store a new version of 渌水 round 1 that starts at ``start`` instead of 2019-07."""
    text = (BUILTIN_DIR / "lushui-2019.toml").read_text("utf-8")
    assert 'start = "2019-07"' in text
    ledger.store_agreement(session, text.replace('start = "2019-07"', f'start = "{start}"'),
                           "amended.toml", "test")


def test_a_line_the_amended_agreement_drops_is_withdrawn_from_an_unpaid_statement(
    session: Session, section: Section, finance: Finance
) -> None:
    statement = computed_2019(session, section)
    assert statement.amount == Decimal("4000000.00")
    amend_start(session, "2019-08")
    result = ledger.recompute(session, principal_for(session, finance.jiangxi.id), "lushui",
                              AS_OF)
    assert len(result.updated) == 1
    statement = ledger.get_statement(session, statement.id)
    assert (statement.payer_code, statement.amount, statement.revision) == (
        "430000", Decimal("3000000.00"), 2)
    july = next(ln for ln in statement.lines if ln.period == "2019-07")
    assert (july.status, july.amount, july.payer_code) == ("withdrawn", Decimal("0.00"), None)
    assert (july.previous_status, july.previous_amount, july.previous_payer_code) == (
        "accrued", Decimal("1000000.00"), "430000")
    assert july.changed_in_revision == 2 and "撤销" in july.steps[-1]["text"]
    change, = statement.changes
    assert (change.payer_code, change.payee_code, change.amount) == (
        "360000", "430000", Decimal("1000000.00"))
    assert [(d["period"], d["old_status"], d["new_status"], d["new_amount"])
            for d in change.lines] == [("2019-07", "accrued", "withdrawn", "0")]

    again = ledger.recompute(session, principal_for(session, finance.jiangxi.id), "lushui",
                             AS_OF)
    assert (again.updated, again.unchanged) == ([], 1)


def test_a_dropped_line_of_a_paid_statement_becomes_an_adjustment(
    session: Session, section: Section, finance: Finance
) -> None:
    statement, _hunan, jiangxi = paid_2019(session, section, finance)
    amend_start(session, "2019-08")
    result = ledger.recompute(session, jiangxi, "lushui", AS_OF)
    assert len(result.adjustments) == 1
    statement = ledger.get_statement(session, statement.id)
    july = next(ln for ln in statement.lines if ln.period == "2019-07")
    assert (july.status, july.amount) == ("accrued", Decimal("1000000.00"))  # as paid
    adjustment, = statement.changes
    assert (adjustment.payer_code, adjustment.payee_code, adjustment.amount) == (
        "360000", "430000", Decimal("1000000.00"))
    assert [(d["period"], d["new_status"]) for d in adjustment.lines] == [
        ("2019-07", "withdrawn")]
    assert ledger.effective_signed(statement) == Decimal("-3000000.00")
    again = ledger.recompute(session, jiangxi, "lushui", AS_OF)
    assert (again.adjustments, again.unchanged) == ([], 1)


def test_a_statement_no_longer_produced_at_all_is_withdrawn_whole(
    session: Session, section: Section, finance: Finance
) -> None:
    statement = computed_2019(session, section)
    amend_start(session, "2020-01")
    result = ledger.recompute(session, principal_for(session, finance.hunan.id), "lushui",
                              AS_OF)
    assert len(result.updated) == 1 and result.created == []
    statement = ledger.get_statement(session, statement.id)
    assert statement.amount == Decimal("0.00") and statement.state == "computed"
    assert {ln.status for ln in statement.lines} == {"withdrawn"}
    assert statement.due is not None  # the year's due date is kept
