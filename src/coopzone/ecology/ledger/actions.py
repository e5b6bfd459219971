"""Statement actions of the compensation ledger: the ecology side of the shared two-party
statement (:mod:`coopzone.kit.statements`).

Both parties' finance bureaus (organisations of kind ``finance_bureau`` whose place is the
party's code) confirm; the payer's records the payment with a date and voucher number; the
payee's closes it on receipt; an adjustment's payer settles it. A platform administrator may
act for either. The life cycle, the locks, the version checks and the history are the
shared part's; what is ecological here is who acts for a party and who may recompute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from coopzone.accounts import roles
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.ecology.ledger.agreements import require_scope, series_terms
from coopzone.ecology.models import Statement, StatementChange
from coopzone.errors import Forbidden
from coopzone.kit import statements as kit
from coopzone.kit.statements import PAID, STATES, UNPAID, StatementEvent

FINANCE = "finance_bureau"
# Who may ask for a recomputation: it only re-derives figures from stored data.
RECOMPUTERS = ("finance_bureau", "ecology_bureau", "cooperation_office")
PROVINCES = {"360000": "江西省", "430000": "湖南省"}

__all__ = ["PAID", "STATES", "UNPAID"]


def acts_for(principal: Principal, party_code: str) -> bool:
    """Whether the principal may act for a party: its finance bureau (editor or admin role)
    or a platform administrator."""
    return roles.may(principal, "statement.party", [party_code])


def finance_of(party_code: str) -> str:
    """How a refusal names the body that may act for a party."""
    return f"{PROVINCES.get(party_code, party_code)}财政部门"


def _loaded() -> Sequence[ExecutableOption]:
    return (selectinload(Statement.lines), selectinload(Statement.changes))


BOOK: kit.Book[Statement, StatementChange, Principal] = kit.Book(
    Statement, StatementChange, kit.Sides(acts_for, finance_of, require_scope), _loaded)


def require_recompute(session: Session, principal: Principal, series: str) -> None:
    require_scope(principal)
    if principal.is_platform_admin:
        return
    codes = {p.code for _v, a in series_terms(session, series) for p in a.parties}
    if not any(r.kind in RECOMPUTERS and r.role in WRITE_ROLES
               and any(code[:2] == r.place_code[:2] for code in codes)
               for r in principal.roles):
        raise Forbidden("无权重新核算该补偿协议", detail="not a bureau of a party")


def get_statement(session: Session, statement_id: int, lock: bool = False) -> Statement:
    """A statement with its lines and changes (``lock=True``: locked and read afresh)."""
    return kit.get(session, BOOK, statement_id, lock)


def get_change(session: Session, change_id: int, lock: bool = False) -> StatementChange:
    return kit.get_change(session, BOOK, change_id, lock)


def list_statements(session: Session, series: str | None = None,
                    year: int | None = None) -> list[Statement]:
    query = select(Statement).order_by(Statement.series, Statement.year, Statement.party_a,
                                       Statement.party_b)
    if series is not None:
        query = query.where(Statement.series == series)
    if year is not None:
        query = query.where(Statement.year == year)
    return list(session.scalars(query.options(selectinload(Statement.changes))))


def history(session: Session, statement_id: int) -> list[StatementEvent]:
    return kit.history(session, BOOK, statement_id)


def offered(principal: Principal | None, statement: Statement) -> tuple[list[str], bool, bool]:
    """What a statement page offers ``principal``, from the statements' workflow: the sides
    it may still confirm, whether it may record the payment, whether it may close."""
    return (kit.confirmable(BOOK, principal, statement),
            kit.may(BOOK, principal, "pay", statement),
            kit.may(BOOK, principal, "close", statement))


def confirm(session: Session, principal: Principal, statement_id: int,
            party_code: str | None = None, lock_version: int | None = None) -> Statement:
    """A party's finance bureau confirms the statement; both → ``confirmed``. Without
    ``party_code`` the principal confirms for the one side it acts for (an administrator
    must say which); with ``lock_version`` the figure it saw must still be the stored one."""
    return kit.confirm(session, BOOK, principal, statement_id, party_code, lock_version)


def record_payment(session: Session, principal: Principal, statement_id: int, paid_on: date,
                   voucher_no: str, lock_version: int | None = None,
                   today: date | None = None) -> Statement:
    """The payer's finance bureau records the payment of a confirmed statement (paid on or
    before ``today``, the platform's today from the settings)."""
    return kit.record_payment(session, BOOK, principal, statement_id, paid_on, voucher_no,
                              lock_version, today)


def close(session: Session, principal: Principal, statement_id: int,
          lock_version: int | None = None) -> Statement:
    """The payee's finance bureau confirms receipt and closes a paid statement."""
    return kit.close(session, BOOK, principal, statement_id, lock_version)


def settle_adjustment(session: Session, principal: Principal, change_id: int, paid_on: date,
                      voucher_no: str, lock_version: int | None = None,
                      today: date | None = None) -> StatementChange:
    """The paying side records that an adjustment of a paid statement was settled (on or
    before ``today``, the platform's today from the settings)."""
    return kit.settle_adjustment(session, BOOK, principal, change_id, paid_on, voucher_no,
                                 lock_version, today)
