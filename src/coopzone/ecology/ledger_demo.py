"""Demo ledger for 渌水 (series ``lushui``), computed from the stored demo readings.

The figures are never typed: the statements come from the readings through the engine. Only
the bureaus' acts are raw demo records: both finance bureaus confirm each year 2019–2024 in
March of the next year, Hunan pays in April (before the 30 April due date) with a voucher
number, and Jiangxi closes the statements through 2023 on receipt. 2025 stays computed
(accruing). Idempotent: statements already paid are left alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from coopzone.db import SHANGHAI
from coopzone.ecology import ledger
from coopzone.ecology.models import Statement
from coopzone.kit import statements as kit

SERIES = "lushui"
PAID_YEARS = range(2019, 2025)
CLOSED_YEARS = range(2019, 2024)
BUREAUS = {"360000": "江西省财政厅", "430000": "湖南省财政厅"}
VOUCHER_PREFIX = {"360000": "赣财付", "430000": "湘财付"}


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


DEMO_ACTOR = "演示数据"  # who the history names for what the demo loader did


def _record(session: Session, statement: Statement, action: str, before: str, actor: str,
            party: str, at: datetime, note: str = "") -> None:
    kit.record_history(session, ledger.BOOK, statement, action, before, actor, party, at, note)


def load_ledger_demo(session: Session, as_of: date = date(2025, 9, 30)) -> None:
    """Load the built-in agreements, compute the 渌水 statements up to ``as_of`` and record
    the demo confirmations, payments and closings."""
    ledger.sync_builtin_agreements(session, created_by=DEMO_ACTOR)
    ledger.compute_statements(session, SERIES, as_of, actor=DEMO_ACTOR)
    bureaus = ledger.finance_bureaus(session, BUREAUS)
    label = {code: bureaus[code].name if code in bureaus else name
             for code, name in BUREAUS.items()}
    for statement in ledger.list_statements(session, SERIES):
        year = statement.year
        if year not in PAID_YEARS or statement.state in ledger.PAID:
            continue
        nxt = year + 1
        payer = label.get(statement.payer_code, statement.payer_code)
        payee = label.get(statement.payee_code, statement.payee_code)
        statement.payer_confirmed_at, statement.payer_confirmed_by = _at(nxt, 3, 10), payer
        _record(session, statement, "confirm", "computed", payer, statement.payer_code,
                _at(nxt, 3, 10))
        statement.payee_confirmed_at, statement.payee_confirmed_by = _at(nxt, 3, 12), payee
        statement.state = "confirmed"
        _record(session, statement, "confirm", "computed", payee, statement.payee_code,
                _at(nxt, 3, 12))
        statement.paid_on = date(nxt, 4, 20)
        prefix = VOUCHER_PREFIX.get(statement.payer_code, "财付")
        statement.voucher_no = f"{prefix}〔{nxt}〕{40 + year % 100}号"
        statement.paid_recorded_by = payer
        statement.state = "paid"
        _record(session, statement, "pay", "confirmed", payer, statement.payer_code,
                _at(nxt, 4, 20), f"{statement.paid_on.isoformat()} 凭证号 {statement.voucher_no}")
        if year in CLOSED_YEARS:
            statement.closed_at, statement.closed_by = _at(nxt, 4, 28), payee
            statement.state = "closed"
            _record(session, statement, "close", "paid", payee, statement.payee_code,
                    _at(nxt, 4, 28))
    session.flush()
