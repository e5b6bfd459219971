"""JSON API of the eco-compensation ledger: agreements, statements with their lines and
changes, balances, totals paid, and the state changes (confirm, pay, close, recompute,
settle an adjustment). Reads are public; writes need a user or a write-scoped token."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.api.listing import ListParamsDep, paged, set_page_headers
from coopzone.ecology import compensation_views, ledger, lists
from coopzone.ecology.models import Statement, StatementChange
from coopzone.kit.exporting import attachment_headers
from coopzone.kit.money import amount_in_words
from coopzone.kit.validation import Day, Id, Key, Str, Year

router = APIRouter(prefix="/ecology/compensation", tags=["ecology compensation"])


class ChangeRead(BaseModel):
    id: int
    kind: str
    state: str
    revision: int
    old_payer_code: str
    old_amount: Decimal
    new_payer_code: str
    new_amount: Decimal
    payer_code: str
    payee_code: str
    amount: Decimal
    lines: list[dict[str, Any]]
    created_at: datetime
    created_by: str
    settled_on: date | None
    voucher_no: str | None
    lock_version: int


class LineRead(BaseModel):
    period: str
    section: str
    water_class: int | None
    agreement: str
    agreement_version_id: int
    round: str
    rule_id: str
    rule: str
    payer_code: str | None
    payee_code: str | None
    amount: Decimal
    status: str
    steps: list[dict[str, str]]
    previous_payer_code: str | None
    previous_amount: Decimal | None
    previous_status: str | None


class StatementSummary(BaseModel):
    id: int
    series: str
    year: int
    payer_code: str
    payee_code: str
    amount: Decimal
    gross_payer_to_payee: Decimal
    gross_payee_to_payer: Decimal
    due: date
    through: str
    held: int
    skipped: int
    state: str
    revision: int
    lock_version: int
    payer_confirmed_at: datetime | None
    payer_confirmed_by: str | None
    payee_confirmed_at: datetime | None
    payee_confirmed_by: str | None
    paid_on: date | None
    voucher_no: str | None
    closed_at: datetime | None
    amount_in_words: str = Field(default="", description="the net in Chinese capitals (大写金额)")


class StatementRead(StatementSummary):
    lines: list[LineRead]
    changes: list[ChangeRead]


def _summary(s: Statement) -> StatementSummary:
    return StatementSummary.model_validate(s, from_attributes=True).model_copy(
        update={"amount_in_words": amount_in_words(s.amount)})


def _read(s: Statement) -> StatementRead:
    return StatementRead.model_validate(s, from_attributes=True).model_copy(
        update={"amount_in_words": amount_in_words(s.amount)})


LOCK_VERSION = ("the statement's (or adjustment's) lock_version the caller saw; a change "
                "since then answers 409 and writes nothing")


class Confirm(BaseModel):
    party_code: Str | None = Field(default=None, max_length=6,
                                   description="430000 or 360000; optional when the caller "
                                   "acts for one side only")
    lock_version: int | None = Field(default=None, ge=1, le=2**31 - 1, description=LOCK_VERSION)


class Payment(BaseModel):
    paid_on: Day
    voucher_no: Str = Field(min_length=1, max_length=60)
    lock_version: int | None = Field(default=None, ge=1, le=2**31 - 1, description=LOCK_VERSION)


class Close(BaseModel):
    lock_version: int | None = Field(default=None, ge=1, le=2**31 - 1, description=LOCK_VERSION)


class Recompute(BaseModel):
    series: Str = Field(default="lushui", max_length=60)
    as_of: Day | None = Field(default=None, description="settle months before this day; "
                               "default today")


class RecomputeRead(BaseModel):
    series: str
    through: str
    created: list[int]
    updated: list[int]
    adjustments: list[int]
    unchanged: int


class AgreementRead(BaseModel):
    id: str
    series: str
    version_no: int
    declared_version: str
    title: str
    source: str
    terms: dict[str, Any]


class AgreementText(BaseModel):
    text: Str = Field(min_length=1, max_length=200_000, description="agreement TOML")


@router.get("/agreements", response_model=list[AgreementRead])
def agreements(session: SessionDep) -> list[AgreementRead]:
    """Current version of every stored agreement, with its terms in plain Chinese."""
    return [AgreementRead(id=v.agreement_id, series=v.series, version_no=v.version_no,
                          declared_version=v.declared_version, title=v.title, source=v.source,
                          terms=compensation_views.describe(ledger.agreement_of(v)))
            for v in ledger.current_versions(session)]


@router.post("/agreements", response_model=AgreementRead, status_code=201)
def save_agreement(session: SessionDep, principal: CurrentUser,
                   body: AgreementText) -> AgreementRead:
    """Store an agreement text (platform administrators); a changed text is a new version."""
    v = ledger.save_agreement(session, principal, body.text)
    return AgreementRead(id=v.agreement_id, series=v.series, version_no=v.version_no,
                         declared_version=v.declared_version, title=v.title, source=v.source,
                         terms=compensation_views.describe(ledger.agreement_of(v)))


@router.get("/statements", response_model=list[StatementSummary],
            **paged(list(lists.STATEMENT_SORTING.keys)))
def list_statements(request: Request, response: Response, session: SessionDep,
                    params: ListParamsDep, series: Key | None = None,
                    year: Year | None = None) -> list[StatementSummary]:
    """Yearly statements by series, year and parties."""
    result = lists.page_statements(session, lists.StatementFilter(series or None, year),
                                   params)
    set_page_headers(response, request, result)
    return [_summary(s) for s in result.items]


@router.get("/statements/{statement_id}", response_model=StatementRead)
def get_statement(session: SessionDep, statement_id: Id) -> StatementRead:
    return _read(ledger.get_statement(session, statement_id))


def _file(session: Session, statement_id: int, ext: str) -> Response:
    body, media, name = compensation_views.statement_file(session, str(statement_id), None, ext)
    return Response(body, media_type=media, headers=attachment_headers(name))


@router.get("/statements/{statement_id}/statement.xlsx")
def statement_xlsx(session: SessionDep, statement_id: Id) -> Response:
    return _file(session, statement_id, "xlsx")


@router.get("/statements/{statement_id}/statement.pdf")
def statement_pdf(session: SessionDep, statement_id: Id) -> Response:
    return _file(session, statement_id, "pdf")


@router.post("/statements/{statement_id}/confirm", response_model=StatementRead)
def confirm(session: SessionDep, principal: CurrentUser, statement_id: Id,
            body: Confirm | None = None) -> StatementRead:
    statement = ledger.confirm(session, principal, statement_id,
                               body.party_code if body else None,
                               body.lock_version if body else None)
    return _read(statement)


@router.post("/statements/{statement_id}/pay", response_model=StatementRead)
def pay(session: SessionDep, settings: SettingsDep, principal: CurrentUser, statement_id: Id,
        body: Payment) -> StatementRead:
    return _read(ledger.record_payment(session, principal, statement_id, body.paid_on,
                                       body.voucher_no, body.lock_version, settings.today()))


@router.post("/statements/{statement_id}/close", response_model=StatementRead)
def close(session: SessionDep, principal: CurrentUser, statement_id: Id,
          body: Close | None = None) -> StatementRead:
    return _read(ledger.close(session, principal, statement_id,
                              body.lock_version if body else None))


@router.post("/recompute", response_model=RecomputeRead)
def recompute(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
              body: Recompute) -> RecomputeRead:
    """Recompute a series from the stored readings: unpaid statements are updated (the
    difference recorded), paid ones get an adjustment entry instead."""
    result = ledger.recompute(session, principal, body.series, body.as_of or settings.today())
    return RecomputeRead(series=result.series, through=result.through, created=result.created,
                         updated=result.updated, adjustments=result.adjustments,
                         unchanged=result.unchanged)


@router.post("/adjustments/{change_id}/settle", response_model=ChangeRead)
def settle_adjustment(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
                      change_id: Id, body: Payment) -> ChangeRead:
    change: StatementChange = ledger.settle_adjustment(session, principal, change_id,
                                                       body.paid_on, body.voucher_no,
                                                       body.lock_version, settings.today())
    return ChangeRead.model_validate(change, from_attributes=True)


class BalanceRead(BaseModel):
    code: str
    name: str
    receivable: Decimal
    payable: Decimal
    received: Decimal
    paid: Decimal
    balance: Decimal
    outstanding: Decimal


class SeriesRead(BaseModel):
    series: str
    streak: int
    months: list[dict[str, Any]]
    balances: list[BalanceRead]
    paid: list[dict[str, Any]]


@router.get("/series/{series}", response_model=SeriesRead)
def series(session: SessionDep, series: Key) -> SeriesRead:
    """Each month's class and pass/fail, consecutive compliant months, balances and totals."""
    view = compensation_views.series_overview(session, series)
    return SeriesRead(
        series=series, streak=view["streak"],
        months=[{"period": m.period, "section": m.section, "water_class": m.water_class,
                 "target_class": m.target, "compliant": m.compliant} for m in view["strip"]],
        balances=[BalanceRead(code=b.code, name=b.name, receivable=b.receivable,
                              payable=b.payable, received=b.received, paid=b.paid,
                              balance=b.balance, outstanding=b.outstanding)
                  for b in view["balances"]],
        paid=[{"payer_code": p["payer_code"], "payee_code": p["payee_code"],
               "amount": str(p["amount"])} for p in view["paid"]])


@router.get("/total-paid")
def total_paid(session: SessionDep, payer: Key, payee: Key) -> dict[str, str]:
    """What ``payer`` has paid ``payee`` (division codes, e.g. 430000 → 360000)."""
    return {"payer": payer, "payee": payee,
            "amount": str(ledger.total_paid(session, payer, payee))}
