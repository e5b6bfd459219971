"""The life cycle of a two-party statement, for any domain: confirm by each side, pay with a
voucher, close on receipt, settle an adjustment; recomputations reopen unpaid statements and
record differences; every step goes into the statement's history.

A domain describes its statements once as a :class:`Book` (its statement and change
models, how to load them, and its :class:`Sides` policy: who acts for which party) and
calls these functions. Each action locks the row (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's IMMEDIATE write transaction already excludes other writers), re-reads it, checks
the actor's side, the state (the transitions table in :mod:`.machine`) and, when the
caller says which version it saw, ``lock_version``, all before writing anything. Nothing
here commits: the edge owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from coopzone.config import get_settings
from coopzone.db import now
from coopzone.errors import Conflict, CoopzoneError, Forbidden, InvalidInput, RowError, found
from coopzone.kit.statements.machine import (
    ACTION_NAMES,
    ADJUSTMENT,
    ADJUSTMENT_TRANSITIONS,
    CHANGE_STATE_NAMES,
    OPEN,
    PAID,
    RECORDED,
    STATE_NAMES,
    STATEMENT_TRANSITIONS,
    Transition,
    state_name,
)
from coopzone.kit.statements.models import StatementEvent, TwoPartyChange, TwoPartyStatement
from coopzone.kit.workflow import Moved, Rule, Workflow
from coopzone.kit.workflow import Transition as WorkflowTransition

ZERO = Decimal("0.00")


class Actor(Protocol):
    """Whoever acts: a principal of the accounts domain, or the system."""

    @property
    def label(self) -> str: ...


S = TypeVar("S", bound=TwoPartyStatement)
C = TypeVar("C", bound=TwoPartyChange)
A = TypeVar("A", bound=Actor)
R = TypeVar("R")


def _code(code: str) -> str:
    return code


def _anyone(actor: Any) -> None:
    return None


@dataclass(frozen=True)
class Sides(Generic[A]):
    """The domain's answer to "who acts for which party".

    ``acts_for(actor, party_code)``: whether the actor may act for that side (e.g. the
    party's finance bureau, or a platform administrator). ``who(party_code)``: how a
    refusal names the body that may (e.g. "湖南省财政部门"). ``check_actor(actor)``: a
    refusal that comes before anything else (e.g. a read-only API token)."""

    acts_for: Callable[[A, str], bool]
    who: Callable[[str], str] = _code
    check_actor: Callable[[A], None] = _anyone


@dataclass(frozen=True)
class Book(Generic[S, C, A]):
    """One domain's statements."""

    statement: type[S]
    change: type[C]
    sides: Sides[A]
    options: Callable[[], Sequence[ExecutableOption]] = field(default=lambda: ())
    what: str = "结算单"

    @property
    def name(self) -> str:
        """The key of this book's history rows: the statement table's name."""
        return str(getattr(self.statement, "__tablename__"))  # noqa: B009 - set on the model

    @cached_property
    def flow(self) -> StatementFlow[A, S]:
        """The statements' machine on kit.workflow, with this book's sides as its rules."""
        return flows(self)[0]

    @cached_property
    def adjustment_flow(self) -> StatementFlow[A, C]:
        """The adjustments' machine (open → settled by their payer)."""
        return flows(self)[1]


# ---- reading ---------------------------------------------------------------------------------


def get(session: Session, book: Book[S, C, A], statement_id: int, lock: bool = False) -> S:
    """A statement with what the book loads beside it. ``lock=True`` before a state change:
    the row is locked until the transaction ends and read afresh, so two concurrent payments
    cannot both see it ``confirmed``."""
    model = book.statement
    query = select(model).where(model.id == statement_id).options(*book.options())
    if lock:
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    return found(session.scalar(query), book.what, "statement", statement_id)


def get_change(session: Session, book: Book[S, C, A], change_id: int, lock: bool = False) -> C:
    change = (session.get(book.change, change_id, with_for_update=True, populate_existing=True)
              if lock else session.get(book.change, change_id))
    return found(change, "调整", "change", change_id)


def history(session: Session, book: Book[S, C, A], statement_id: int) -> list[StatementEvent]:
    """Every step of a statement in the order it was recorded."""
    return list(session.scalars(select(StatementEvent).where(
        StatementEvent.book == book.name, StatementEvent.statement_id == statement_id)
        .order_by(StatementEvent.id)))


# ---- the workflow of a book (kit.workflow) ---------------------------------------------------


@dataclass(frozen=True)
class _System:
    """The platform itself making a move (a recomputation): it acts under a name."""

    label: str


VERBS = {a: t.verb for a, t in (*STATEMENT_TRANSITIONS.items(), *ADJUSTMENT_TRANSITIONS.items())}


@dataclass(frozen=True)
class StatementFlow(Workflow[A, R]):
    """The shared workflow with the statements' words: a move from the wrong state says
    which state it needs (“须为…”), and :meth:`apply` makes a move on a record the caller
    already holds locked and is changing (a recomputation), in the same flush."""

    what: str = "结算单"

    def check(self, principal: A, record: R, action: str, reason: str = "") -> WorkflowTransition:
        t = self.transition(action)
        state = self.state_of(record)
        if self.rules[t.who].allows(principal, record) and state not in t.sources:
            needed = "或".join(state_name(s) for s in t.sources)
            raise Conflict(f"{self.what}当前为“{state_name(state)}”，不能{VERBS[action]}"
                           f"（须为“{needed}”）",
                           detail=f"cannot {action} a {state} {self.what}")
        return super().check(principal, record, action, reason)

    def apply(self, session: Session, principal: A, record: R, action: str,
              reason: str = "") -> Moved[R]:
        """Check and make one move without reading the record again (the caller locked it
        and has unflushed changes of its own); adds the history row, does not flush."""
        t = self.check(principal, record, action, reason)
        moved = Moved(record, t, self.state_of(record), t.target, principal.label, now(),
                      reason.strip())
        setattr(record, self.state_attr, t.target)
        if self.history is not None:
            session.add(self.history(record, moved))
        return moved


def _side_rule(sides: Sides[A], side: str) -> Rule[A, Any]:
    """The workflow rule of a side: the payer's, the payee's or either party's body."""

    def parties(record: Any) -> tuple[str, ...]:
        if side == "payer":
            return (record.payer_code,)
        if side == "payee":
            return (record.payee_code,)
        return (record.payer_code, record.payee_code)

    def allows(actor: A, record: Any) -> bool:
        return any(sides.acts_for(actor, code) for code in parties(record))

    def refuse(actor: A, record: Any, action: str) -> CoopzoneError:
        codes = parties(record)
        if len(codes) > 1:
            return Forbidden(f"只有付款方或收款方可以{VERBS[action]}",
                             detail=f"{actor.label} acts for neither party")
        return Forbidden(f"只有{sides.who(codes[0])}可以{VERBS[action]}",
                         detail=f"{actor.label} may not {action} for party {codes[0]}")

    return Rule(allows, refuse)


def _by_the_platform(actor: Any, record: Any) -> bool:
    """``system`` moves (a recomputation's reopen) are the platform's, never a user's."""
    return isinstance(actor, _System)


def flows(book: Book[S, C, A]) -> tuple[StatementFlow[A, S], StatementFlow[A, C]]:
    """The book's two machines on kit.workflow: its statements' and its adjustments'. Their
    history rows go to ``kit_statement_event`` (the statement's, keyed by ``book``), with the
    side the move was for and the amount at that moment."""
    rules: dict[str, Rule[A, Any]] = {side: _side_rule(book.sides, side)
                                      for side in ("payer", "payee", "either")}
    rules["system"] = Rule(_by_the_platform)

    def statement_row(statement: S, moved: Moved[S]) -> StatementEvent:
        # The state the move left the statement in: a first confirmation keeps it computed.
        return _row(book, statement.id, moved.action, moved.from_state, statement.state,
                    moved.by, moved.extra.get("party"), statement.amount, moved.reason,
                    at=moved.at)

    def change_row(change: C, moved: Moved[C]) -> StatementEvent:
        return _row(book, change.statement_id, moved.action, moved.from_state, change.state,
                    moved.by, change.payer_code, change.amount, moved.reason, change.id,
                    moved.at)

    labels = {**STATE_NAMES, **CHANGE_STATE_NAMES}
    statement_flow: StatementFlow[A, S] = StatementFlow(
        name=book.what, transitions=tuple(STATEMENT_TRANSITIONS.values()), rules=rules,
        history=statement_row, state_labels=labels, action_labels=ACTION_NAMES, what=book.what)
    change_flow: StatementFlow[A, C] = StatementFlow(
        name="调整", transitions=tuple(ADJUSTMENT_TRANSITIONS.values()), rules=rules,
        history=change_row, state_labels=labels, action_labels=ACTION_NAMES, what="调整")
    return statement_flow, change_flow


# ---- checks (all before any write) -----------------------------------------------------------


def _require_side(book: Book[S, C, A], actor: A, party_code: str, t: Transition) -> None:
    if not book.sides.acts_for(actor, party_code):
        raise Forbidden(f"只有{book.sides.who(party_code)}可以{t.verb}",
                        detail=f"{actor.label} may not {t.action} for party {party_code}")


def _require_version(book: Book[S, C, A], row: TwoPartyStatement | TwoPartyChange,
                     expected: int | None) -> None:
    """The caller saw version ``expected``; a change made since (a recomputation that moved
    the figure, another bureau's action) is a conflict: the user looks again."""
    if expected is not None and row.lock_version != expected:
        raise Conflict(f"{book.what}已被他人修改，请刷新页面核对后重试",
                       detail=f"stale lock_version {expected}, stored {row.lock_version}")


def _row(book: Book[S, C, A], statement_id: int, action: str, before: str, after: str,
         actor: str, party: str | None = None, amount: Decimal | None = None, note: str = "",
         change_id: int | None = None, at: datetime | None = None) -> StatementEvent:
    return StatementEvent(book=book.name, statement_id=statement_id, change_id=change_id,
                          action=action, from_state=before, to_state=after, party_code=party,
                          amount=amount, note=note, actor=actor, at=at or now())


def _event(session: Session, book: Book[S, C, A], statement_id: int, action: str,
           before: str, after: str, actor: str, party: str | None = None,
           amount: Decimal | None = None, note: str = "", change_id: int | None = None,
           at: datetime | None = None) -> None:
    """A history row for a step that is no move of the machine (the first computation, a
    recomputation's change, a step loaded from paper)."""
    session.add(_row(book, statement_id, action, before, after, actor, party, amount, note,
                     change_id, at))


def record_history(session: Session, book: Book[S, C, A], statement: S, action: str,
                   before: str, actor: str, party: str | None, at: datetime,
                   note: str = "") -> None:
    """A step taken outside these actions (records loaded from paper, the demo), dated when
    it happened; the statement's fields are the caller's to set."""
    _event(session, book, statement.id, action, before, statement.state, actor, party,
           statement.amount, note, at=at)


def checked_payment(paid_on: date, voucher_no: str, today: date | None = None) -> str:
    """A payment needs a voucher number and a date that is not after ``today`` (the
    platform's today: the settings' as-of date, else Asia/Shanghai's)."""
    voucher = voucher_no.strip()
    errors = []
    if not voucher:
        errors.append(RowError(None, "voucher_no", "请填写付款凭证号"))
    if paid_on > (today or get_settings().today()):
        errors.append(RowError(None, "paid_on", "付款日期不能晚于今天"))
    if errors:
        raise InvalidInput("请填写付款凭证号，付款日期不能晚于今天", errors)
    return voucher


# ---- the life cycle --------------------------------------------------------------------------
#
# Each action: the actor's own refusal (a read-only token), then the statement locked and read
# afresh, the side (403) and the state (409) by the book's workflow, the version the caller saw
# (409) and the input (422), all before any write; then the workflow's move, which writes the
# state, the fields of the move and one history row in one flush.


def sides_of(statement: TwoPartyStatement) -> tuple[str, str]:
    return (statement.payer_code, statement.payee_code)


def confirmable(book: Book[S, C, A], actor: A | None, statement: S) -> list[str]:
    """The sides ``actor`` may still confirm (what a page offers)."""
    if actor is None or not may(book, actor, "confirm", statement):
        return []
    done = {statement.payer_code: statement.payer_confirmed_at,
            statement.payee_code: statement.payee_confirmed_at}
    return [c for c in sides_of(statement) if done[c] is None and book.sides.acts_for(actor, c)]


def may(book: Book[S, C, A], actor: A | None, action: str, statement: S) -> bool:
    """Whether ``actor`` may make ``action`` (confirm, pay, close) on the statement now."""
    return actor is not None and action in book.flow.available(actor, statement, (action,))


def confirm(session: Session, book: Book[S, C, A], actor: A, statement_id: int,
            party_code: str | None = None, expected_version: int | None = None) -> S:
    """One side confirms the figure; when both have, the statement is ``confirmed``.

    Without ``party_code`` the actor confirms for the one side it acts for (an actor who
    acts for both, such as an administrator, must say which). Confirming a side again
    changes nothing."""
    t = STATEMENT_TRANSITIONS["confirm"]
    book.sides.check_actor(actor)
    statement = get(session, book, statement_id, lock=True)
    sides = sides_of(statement)
    choose = [RowError(None, "party_code", "请选择 " + " 或 ".join(sides))]
    if party_code is None:
        mine = [c for c in sides if book.sides.acts_for(actor, c)]
        if not mine:
            raise Forbidden(f"只有付款方或收款方可以{t.verb}",
                            detail=f"{actor.label} acts for neither party")
        if len(mine) > 1:
            raise InvalidInput("请指明代表哪一方确认", choose)
        party_code = mine[0]
    if party_code not in sides:
        raise InvalidInput(f"{party_code} 不是本{book.what}的当事方", choose)
    _require_side(book, actor, party_code, t)
    book.flow.check(actor, statement, "confirm")
    _require_version(book, statement, expected_version)
    payer = party_code == statement.payer_code
    if (statement.payer_confirmed_at if payer else statement.payee_confirmed_at) is not None:
        return statement  # this side has confirmed already

    def effects(s: S, moved: Moved[S]) -> None:
        if payer:
            s.payer_confirmed_at, s.payer_confirmed_by = moved.at, moved.by
        else:
            s.payee_confirmed_at, s.payee_confirmed_by = moved.at, moved.by
        if not (s.payer_confirmed_at and s.payee_confirmed_at):
            s.state = moved.from_state  # ``both``: confirmed once each side has

    book.flow.move(session, actor, statement, "confirm", effects=effects,
                   extra={"party": party_code})
    return statement


def record_payment(session: Session, book: Book[S, C, A], actor: A, statement_id: int,
                   paid_on: date, voucher_no: str, expected_version: int | None = None,
                   today: date | None = None) -> S:
    """The payer records the payment of a confirmed statement, with its voucher."""
    book.sides.check_actor(actor)
    statement = get(session, book, statement_id, lock=True)
    book.flow.check(actor, statement, "pay")
    _require_version(book, statement, expected_version)
    voucher = checked_payment(paid_on, voucher_no, today)

    def effects(s: S, moved: Moved[S]) -> None:
        s.paid_on, s.voucher_no, s.paid_recorded_by = paid_on, voucher, moved.by

    book.flow.move(session, actor, statement, "pay", f"{paid_on.isoformat()} 凭证号 {voucher}",
                   effects=effects, extra={"party": statement.payer_code})
    return statement


def close(session: Session, book: Book[S, C, A], actor: A, statement_id: int,
          expected_version: int | None = None) -> S:
    """The payee confirms receipt and closes a paid statement."""
    book.sides.check_actor(actor)
    statement = get(session, book, statement_id, lock=True)
    book.flow.check(actor, statement, "close")
    _require_version(book, statement, expected_version)

    def effects(s: S, moved: Moved[S]) -> None:
        s.closed_at, s.closed_by = moved.at, moved.by

    book.flow.move(session, actor, statement, "close", effects=effects,
                   extra={"party": statement.payee_code})
    return statement


def settle_adjustment(session: Session, book: Book[S, C, A], actor: A, change_id: int,
                      paid_on: date, voucher_no: str, expected_version: int | None = None,
                      today: date | None = None) -> C:
    """The paying side of an adjustment (to a paid statement) records that it was settled."""
    book.sides.check_actor(actor)
    change = get_change(session, book, change_id, lock=True)
    if change.kind != ADJUSTMENT or change.state != OPEN:
        raise Conflict("这不是待结清的调整", detail=f"change is {change.kind}/{change.state}")
    book.adjustment_flow.check(actor, change, "settle")
    _require_version(book, change, expected_version)
    voucher = checked_payment(paid_on, voucher_no, today)

    def effects(c: C, moved: Moved[C]) -> None:
        c.settled_on, c.voucher_no, c.settled_by = paid_on, voucher, moved.by

    book.adjustment_flow.move(session, actor, change, "settle",
                              f"{paid_on.isoformat()} 凭证号 {voucher}", effects=effects)
    return change


# ---- what a computation does to the life cycle --------------------------------------------


def computed(session: Session, book: Book[S, C, A], statement: S, actor: str) -> None:
    """Note a newly computed statement in its history (after it has an id): it is created in
    ``computed``, so this is the machine's ``compute`` step from no state."""
    _event(session, book, statement.id, "compute", "", statement.state, actor,
           amount=statement.amount)


def reopen(session: Session, book: Book[S, C, A], statement: S, actor: str) -> None:
    """The figure both sides agreed to has changed: an unpaid statement goes back to
    ``computed`` and both confirm again. The recomputation holds the statement locked and
    has changed it: the move is made on it as it is (no fresh read)."""
    if not STATEMENT_TRANSITIONS["reopen"].allowed_from(statement.state):
        raise Conflict(f"{book.what}已付款，不能重新核算", detail=f"statement is {statement.state}")
    statement.payer_confirmed_at = statement.payer_confirmed_by = None
    statement.payee_confirmed_at = statement.payee_confirmed_by = None
    flow: StatementFlow[Any, S] = book.flow
    flow.apply(session, _System(actor), statement, "reopen", f"第 {statement.revision} 次核算")


def signed(payer: str, amount: Decimal, party_a: str) -> Decimal:
    """A net as a signed amount: positive when ``party_a`` pays."""
    return amount if payer == party_a else -amount


def direction(value: Decimal, a: str, b: str) -> tuple[str, str, Decimal]:
    """A signed amount (positive: ``a`` pays) as (payer, payee, amount)."""
    return (a, b, value) if value >= 0 else (b, a, -value)


def effective_signed(statement: TwoPartyStatement) -> Decimal:
    """The statement's net plus every adjustment, signed (positive: party_a pays)."""
    total = signed(statement.payer_code, statement.amount, statement.party_a)
    for change in statement.changes:
        if change.kind == ADJUSTMENT:
            total += signed(change.payer_code, change.amount, statement.party_a)
    return total


def record_change(session: Session, book: Book[S, C, A], statement: S, kind: str,
                  old: tuple[str, Decimal], new: tuple[str, Decimal],
                  lines: list[dict[str, Any]], actor: str, revision: int) -> C:
    """What a recomputation found, as a change of ``statement``: ``recomputed`` (the unpaid
    statement was updated) or ``adjustment`` (it is paid: the difference, if any, is open
    until its payer settles it). ``old``/``new`` are (payer, amount) of the net."""
    a, b = statement.party_a, statement.party_b
    payer, payee, amount = direction(signed(new[0], new[1], a) - signed(old[0], old[1], a),
                                     a, b)
    state = OPEN if kind == ADJUSTMENT and amount else RECORDED
    make: Callable[..., C] = book.change  # a mapped class: keyword arguments per column
    change = make(
        statement_id=statement.id, kind=kind, state=state, revision=revision,
        old_payer_code=old[0], old_amount=old[1], new_payer_code=new[0], new_amount=new[1],
        payer_code=payer, payee_code=payee, amount=amount, lines=lines, created_by=actor)
    statement.changes.append(change)
    session.flush()
    _event(session, book, statement.id, "adjust" if kind == ADJUSTMENT else "recompute",
           statement.state, statement.state, actor, payer, amount,
           f"第 {revision} 次核算", change.id)
    return change


# ---- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payments:
    """What one party paid another by a date: the statements and settled adjustments."""

    total: Decimal
    statement_ids: tuple[int, ...]
    adjustment_ids: tuple[int, ...]


def payments(session: Session, book: Book[S, C, A], payer_code: str, payee_code: str,
             as_of: date | None = None) -> Payments:
    """The paid or closed statements in that direction (paid on or before ``as_of`` when
    given) and the adjustments settled in that direction (settled by ``as_of``)."""
    s, c = book.statement, book.change
    statements = select(s.id, s.amount).where(
        s.payer_code == payer_code, s.payee_code == payee_code, s.state.in_(PAID))
    adjustments = select(c.id, c.amount).where(
        c.payer_code == payer_code, c.payee_code == payee_code, c.kind == ADJUSTMENT,
        c.state == "settled")
    if as_of is not None:
        statements = statements.where(s.paid_on <= as_of)
        adjustments = adjustments.where(c.settled_on <= as_of)
    # Summed in Python: few rows, and the Money type turns each stored fen back into yuan.
    paid = session.execute(statements.order_by(s.id)).all()
    settled = session.execute(adjustments.order_by(c.id)).all()
    return Payments(sum((r.amount for r in (*paid, *settled)), ZERO),
                    tuple(r.id for r in paid), tuple(r.id for r in settled))


def total_paid(session: Session, book: Book[S, C, A], payer_code: str, payee_code: str,
               as_of: date | None = None) -> Decimal:
    """What ``payer_code`` has paid ``payee_code`` (by ``as_of`` when given): the net of every
    paid or closed statement in that direction, plus settled adjustments in that direction."""
    return payments(session, book, payer_code, payee_code, as_of).total

