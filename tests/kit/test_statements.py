"""The shared two-party statement, on a toy domain that is not ecology: monthly clearing
between two provinces' medical-insurance agencies (what medical clearing will be). Its
models take the kit's mixins on their own tables; its policy says which agency acts for
which province. Refusals write nothing: no field, no version, no history row."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Connection, ForeignKey, MetaData, String, func, inspect, select, text
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.base import ExecutableOption

from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.kit import statements as kit
from coopzone.kit.statements import StatementEvent, TwoPartyChange, TwoPartyStatement
from coopzone.kit.workflow import Workflow

JIANGXI, HUNAN = "360000", "430000"


class ToyBase(DeclarativeBase):
    metadata = MetaData()  # not the platform's: these tables live only inside a test


class Clearing(TwoPartyStatement, ToyBase):
    """One month's clearing of cross-province medical bills."""

    __tablename__ = "toy_medical_clearing"

    month: Mapped[str] = mapped_column(String(7))
    changes: Mapped[list[ClearingChange]] = relationship(
        back_populates="statement", lazy="raise", order_by="ClearingChange.id")


class ClearingChange(TwoPartyChange, ToyBase):
    __tablename__ = "toy_medical_clearing_change"

    statement_id: Mapped[int] = mapped_column(ForeignKey("toy_medical_clearing.id"))
    statement: Mapped[Clearing] = relationship(back_populates="changes", lazy="raise")


@dataclass(frozen=True)
class Agency:
    label: str
    provinces: frozenset[str]
    read_only: bool = False


def acts_for(agency: Agency, party: str) -> bool:
    return not agency.read_only and party in agency.provinces


def refuse_read_only(agency: Agency) -> None:
    if agency.read_only:
        raise Forbidden("只读账号", detail="read only")


def _loaded() -> Sequence[ExecutableOption]:
    return (selectinload(Clearing.changes),)


BOOK: kit.Book[Clearing, ClearingChange, Agency] = kit.Book(
    Clearing, ClearingChange,
    kit.Sides(acts_for, lambda code: f"{code}医保经办机构", refuse_read_only), _loaded,
    what="清算单")

HN = Agency("湖南省医保中心", frozenset({HUNAN}))
JX = Agency("江西省医保中心", frozenset({JIANGXI}))
NATIONAL = Agency("国家医保局", frozenset({HUNAN, JIANGXI}))
STRANGER = Agency("广东省医保中心", frozenset({"440000"}))
PAID_ON = date(2025, 8, 20)


@pytest.fixture
def tables(connection: Connection) -> None:
    ToyBase.metadata.create_all(connection)  # rolled back with the test's transaction


@pytest.fixture
def clearing(session: Session, tables: None) -> Clearing:
    """July 2025: Hunan's patients were treated in Jiangxi for 1,234,567.89 yuan net."""
    row = Clearing(month="2025-07", party_a=JIANGXI, party_b=HUNAN, payer_code=HUNAN,
                   payee_code=JIANGXI, amount=Decimal("1234567.89"))
    session.add(row)
    session.flush()
    kit.computed(session, BOOK, row, "system")
    session.commit()  # the savepoint: a refusal's rollback keeps the statement
    return row


def events(session: Session, clearing: Clearing) -> list[tuple[str, str, str, str | None]]:
    return [(e.action, e.from_state, e.to_state, e.party_code)
            for e in kit.history(session, BOOK, clearing.id)]


def snapshot(session: Session, clearing: Clearing) -> tuple[object, ...]:
    session.expire_all()
    row = session.get_one(Clearing, clearing.id)
    count = session.scalar(select(func.count()).select_from(StatementEvent)) or 0
    return (row.state, row.lock_version, row.payer_confirmed_by, row.payee_confirmed_by,
            row.paid_on, row.voucher_no, row.closed_by, count)


def test_a_clearing_goes_computed_confirmed_paid_closed_with_its_history(
    session: Session, clearing: Clearing
) -> None:
    assert inspect(Clearing).version_id_col is Clearing.__table__.c.lock_version
    kit.confirm(session, BOOK, HN, clearing.id)
    assert (clearing.state, clearing.payer_confirmed_by) == ("computed", "湖南省医保中心")
    kit.confirm(session, BOOK, JX, clearing.id)
    assert (clearing.state, clearing.payee_confirmed_by) == ("confirmed", "江西省医保中心")
    kit.confirm(session, BOOK, JX, clearing.id)  # again: nothing changes
    kit.record_payment(session, BOOK, HN, clearing.id, PAID_ON, " 湘医保付〔2025〕7号 ",
                       today=date(2025, 9, 1))
    assert (clearing.state, clearing.voucher_no, clearing.paid_on) == (
        "paid", "湘医保付〔2025〕7号", PAID_ON)
    assert kit.total_paid(session, BOOK, HUNAN, JIANGXI) == Decimal("1234567.89")
    kit.close(session, BOOK, JX, clearing.id)
    assert (clearing.state, clearing.closed_by) == ("closed", "江西省医保中心")
    assert clearing.lock_version == 5  # created, two confirmations, paid, closed
    assert events(session, clearing) == [
        ("compute", "", "computed", None), ("confirm", "computed", "computed", HUNAN),
        ("confirm", "computed", "confirmed", JIANGXI), ("pay", "confirmed", "paid", HUNAN),
        ("close", "paid", "closed", JIANGXI)]
    pay = kit.history(session, BOOK, clearing.id)[3]
    assert (pay.actor, pay.amount, pay.note) == (
        "湖南省医保中心", Decimal("1234567.89"), "2025-08-20 凭证号 湘医保付〔2025〕7号")


def test_one_agency_acting_for_both_says_which_side(session: Session, clearing: Clearing) -> None:
    before = snapshot(session, clearing)
    with pytest.raises(InvalidInput) as refused:
        kit.confirm(session, BOOK, NATIONAL, clearing.id)
    assert [e.column for e in refused.value.errors] == ["party_code"]
    with pytest.raises(InvalidInput):
        kit.confirm(session, BOOK, NATIONAL, clearing.id, "440000")
    assert snapshot(session, clearing) == before
    kit.confirm(session, BOOK, NATIONAL, clearing.id, HUNAN)
    kit.confirm(session, BOOK, NATIONAL, clearing.id, JIANGXI)
    assert clearing.state == "confirmed"


def test_the_wrong_side_may_not_confirm_and_nothing_is_written(
    session: Session, clearing: Clearing
) -> None:
    before = snapshot(session, clearing)
    for agency, party in ((HN, JIANGXI), (JX, HUNAN), (STRANGER, None), (STRANGER, HUNAN),
                          (Agency("湖南只读", frozenset({HUNAN}), read_only=True), HUNAN)):
        with pytest.raises(Forbidden):
            kit.confirm(session, BOOK, agency, clearing.id, party)
    assert snapshot(session, clearing) == before
    assert events(session, clearing) == [("compute", "", "computed", None)]


def test_no_payment_before_both_sides_confirmed_and_never_twice(
    session: Session, clearing: Clearing
) -> None:
    kit.confirm(session, BOOK, HN, clearing.id)
    before = snapshot(session, clearing)
    with pytest.raises(Conflict, match="须为“双方已确认，待付款”"):
        kit.record_payment(session, BOOK, HN, clearing.id, PAID_ON, "湘001")
    with pytest.raises(Conflict):  # nor closed before it is paid
        kit.close(session, BOOK, JX, clearing.id)
    assert snapshot(session, clearing) == before

    kit.confirm(session, BOOK, JX, clearing.id)
    before = snapshot(session, clearing)
    with pytest.raises(Forbidden):  # the payee does not record the payment
        kit.record_payment(session, BOOK, JX, clearing.id, PAID_ON, "赣001")
    with pytest.raises(InvalidInput) as refused:  # no voucher, a date in the future
        kit.record_payment(session, BOOK, HN, clearing.id, date(2999, 1, 1), " ")
    assert {e.column for e in refused.value.errors} == {"voucher_no", "paid_on"}
    assert snapshot(session, clearing) == before

    kit.record_payment(session, BOOK, HN, clearing.id, PAID_ON, "湘001")
    before = snapshot(session, clearing)
    with pytest.raises(Conflict):  # a second payment
        kit.record_payment(session, BOOK, HN, clearing.id, PAID_ON, "湘002")
    with pytest.raises(Forbidden):  # the payer does not close
        kit.close(session, BOOK, HN, clearing.id)
    with pytest.raises(Conflict):  # a paid clearing is not confirmed again
        kit.confirm(session, BOOK, JX, clearing.id)
    assert snapshot(session, clearing) == before
    assert clearing.voucher_no == "湘001"


def test_an_action_on_a_figure_changed_since_it_was_read_is_refused(
    session: Session, clearing: Clearing
) -> None:
    seen = clearing.lock_version
    kit.confirm(session, BOOK, HN, clearing.id, expected_version=seen)
    assert clearing.lock_version == seen + 1
    before = snapshot(session, clearing)
    with pytest.raises(Conflict, match="已被他人修改"):  # Jiangxi's page showed version 1
        kit.confirm(session, BOOK, JX, clearing.id, expected_version=seen)
    assert snapshot(session, clearing) == before
    kit.confirm(session, BOOK, JX, clearing.id, expected_version=seen + 1)
    assert clearing.state == "confirmed"


def test_an_update_based_on_a_stale_read_fails_at_flush_and_writes_nothing(
    session: Session, clearing: Clearing
) -> None:
    stale = session.get_one(Clearing, clearing.id)
    version = stale.lock_version
    # Another transaction changes the row meanwhile (here: bypassing the ORM).
    session.execute(text("UPDATE toy_medical_clearing SET lock_version = :v, voucher_no = '其他' "
                         "WHERE id = :id"), {"v": version + 1, "id": clearing.id})
    stale.voucher_no = "覆盖"
    with pytest.raises(StaleDataError):
        session.flush()
    session.rollback()  # to the savepoint: the concurrent change is undone too
    assert snapshot(session, clearing)[1] == version
    assert session.get_one(Clearing, clearing.id).voucher_no is None


def test_a_recomputation_reopens_an_unpaid_clearing_and_adjusts_a_paid_one(
    session: Session, clearing: Clearing
) -> None:
    kit.confirm(session, BOOK, HN, clearing.id)
    kit.confirm(session, BOOK, JX, clearing.id)
    clearing.amount, clearing.revision = Decimal("1200000.00"), 2  # late bills
    kit.reopen(session, BOOK, clearing, "system")
    change = kit.record_change(session, BOOK, clearing, kit.RECOMPUTED,
                               (HUNAN, Decimal("1234567.89")), (HUNAN, Decimal("1200000.00")),
                               [], "system", 2)
    assert (clearing.state, clearing.payer_confirmed_at, clearing.payee_confirmed_at) == (
        "computed", None, None)
    assert (change.state, change.payer_code, change.amount) == (
        "recorded", JIANGXI, Decimal("34567.89"))

    kit.confirm(session, BOOK, HN, clearing.id)
    kit.confirm(session, BOOK, JX, clearing.id)
    kit.record_payment(session, BOOK, HN, clearing.id, PAID_ON, "湘001")
    with pytest.raises(Conflict):  # a paid clearing is never reopened
        kit.reopen(session, BOOK, clearing, "system")
    # A bill found after payment: Hunan owes 5,000 more, settled on its own.
    adjustment = kit.record_change(session, BOOK, clearing, kit.ADJUSTMENT,
                                   (HUNAN, Decimal("1200000.00")),
                                   (HUNAN, Decimal("1205000.00")), [], "system", 2)
    assert (adjustment.state, adjustment.payer_code, adjustment.payee_code,
            adjustment.amount) == ("open", HUNAN, JIANGXI, Decimal("5000.00"))
    assert kit.effective_signed(clearing) == Decimal("-1205000.00")  # party_a = Jiangxi
    assert kit.total_paid(session, BOOK, HUNAN, JIANGXI) == Decimal("1200000.00")

    before = snapshot(session, clearing)
    with pytest.raises(Forbidden):
        kit.settle_adjustment(session, BOOK, JX, adjustment.id, PAID_ON, "赣009")
    with pytest.raises(Conflict, match="已被他人修改"):
        kit.settle_adjustment(session, BOOK, HN, adjustment.id, PAID_ON, "湘009",
                              expected_version=adjustment.lock_version + 1)
    assert snapshot(session, clearing) == before and adjustment.state == "open"
    kit.settle_adjustment(session, BOOK, HN, adjustment.id, PAID_ON, "湘009")
    with pytest.raises(Conflict):  # settled once
        kit.settle_adjustment(session, BOOK, HN, adjustment.id, PAID_ON, "湘010")
    assert kit.total_paid(session, BOOK, HUNAN, JIANGXI) == Decimal("1205000.00")
    assert [a for a, *_ in events(session, clearing)] == [
        "compute", "confirm", "confirm", "reopen", "recompute", "confirm", "confirm", "pay",
        "adjust", "settle"]


def test_the_transitions_table_is_the_life_cycle() -> None:
    table = {a: (t.sources, t.target, t.side) for a, t in kit.STATEMENT_TRANSITIONS.items()}
    assert table == {
        "compute": (("",), "computed", "system"),
        "confirm": (("computed", "confirmed"), "confirmed", "either"),
        "pay": (("confirmed",), "paid", "payer"),
        "close": (("paid",), "closed", "payee"),
        "reopen": (("computed", "confirmed"), "computed", "system"),
    }
    settle = kit.ADJUSTMENT_TRANSITIONS["settle"]
    assert (settle.sources, settle.target, settle.side) == (("open",), "settled", "payer")


def test_the_life_cycle_runs_on_the_shared_workflow(session: Session, clearing: Clearing) -> None:
    """The book's machines are kit.workflow machines built from the transitions table, with the
    book's sides as their rules: what a page offers is the workflow's ``available``."""
    flow, adjustments = BOOK.flow, BOOK.adjustment_flow
    assert isinstance(flow, Workflow) and isinstance(adjustments, Workflow)
    assert flow.transitions == tuple(kit.STATEMENT_TRANSITIONS.values())
    assert adjustments.transitions == tuple(kit.ADJUSTMENT_TRANSITIONS.values())
    # ``system`` moves are the platform's alone: no agency is offered a reopen.
    assert flow.available(HN, clearing) == ["confirm"]
    assert flow.available(STRANGER, clearing) == []
    assert flow.reachable("paid") == ("closed",)
    kit.confirm(session, BOOK, HN, clearing.id)
    kit.confirm(session, BOOK, JX, clearing.id)
    # Confirming again stays allowed (and changes nothing); only the payer pays.
    assert (flow.available(HN, clearing), flow.available(JX, clearing)) == (
        ["confirm", "pay"], ["confirm"])
    assert kit.confirmable(BOOK, HN, clearing) == [] and kit.may(BOOK, HN, "pay", clearing)
    with pytest.raises(Conflict, match="须为“已付款，待收款方确认”"):
        kit.close(session, BOOK, JX, clearing.id)
    assert [(e.action, e.to_state) for e in kit.history(session, BOOK, clearing.id)] == [
        ("compute", "computed"), ("confirm", "computed"), ("confirm", "confirmed")]


def test_the_shared_part_needs_no_domain() -> None:
    code = ("import sys, coopzone.kit.statements\n"
            "print(','.join(sorted({m.split('.')[1] for m in sys.modules "
            "if m.startswith('coopzone.')})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    # Only the platform's shared modules (the settings give the payment check its today).
    assert set(out.strip().split(",")) <= {"config", "db", "errors", "kit"}
    assert "kit" in out

