"""Columns every two-party statement carries, as mixins a domain's models take on, and the
one history table of every domain's statements.

A domain keeps its own tables (``ecology_statement``, later ``medical_clearing_statement``)
and adds what is its own (the year or month, its lines); the shared part reads and writes
only the columns below. Party codes are six-digit division codes: the statements are
between two provinces' (or counties') bodies, identified by their place.

Contract for a domain's models (checked by the toy domain in tests/kit/test_statements.py):
the statement model has a ``changes`` relationship (its recomputations and adjustments,
ordered by id) and the change model a ``statement_id`` column.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from coopzone.db import AwareDateTime, Base, Money, now


class TwoPartyStatement:
    """A statement between ``party_a`` and ``party_b`` (sorted codes, the key with the
    domain's period): the net ``amount`` ``payer_code`` owes ``payee_code`` and its life
    cycle (see :mod:`coopzone.kit.statements.machine`)."""

    __audit_exclude__ = ("lock_version",)

    if TYPE_CHECKING:  # the domain's relationship (see the contract above)
        changes: list[Any]

    id: Mapped[int] = mapped_column(primary_key=True)
    party_a: Mapped[str] = mapped_column(String(6))
    party_b: Mapped[str] = mapped_column(String(6))
    payer_code: Mapped[str] = mapped_column(String(6))
    payee_code: Mapped[str] = mapped_column(String(6))
    amount: Mapped[Decimal] = mapped_column(Money())
    state: Mapped[str] = mapped_column(String(10), default="computed")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    computed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    payer_confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    payer_confirmed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    payee_confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    payee_confirmed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    paid_on: Mapped[date | None] = mapped_column(Date, default=None)
    voucher_no: Mapped[str | None] = mapped_column(String(60), default=None)
    paid_recorded_by: Mapped[str | None] = mapped_column(String(120), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    # Optimistic lock: every UPDATE checks and bumps it, so a change based on a stale read
    # is refused (StaleDataError → 409) instead of overwriting a concurrent one.
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.lock_version}


class TwoPartyChange:
    """What a recomputation found for a statement: ``recomputed`` (an unpaid statement was
    updated; ``recorded``) or ``adjustment`` (it was paid, so it stays as paid and the
    difference is settled separately: ``open`` → ``settled``).

    ``old_*``/``new_*`` are the net before and after; ``payer_code``, ``payee_code`` and
    ``amount`` the difference as a payment; ``lines`` the domain's changed lines."""

    __audit_exclude__ = ("lock_version",)

    if TYPE_CHECKING:  # the domain's foreign key (see the contract above)
        statement_id: int

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer)
    old_payer_code: Mapped[str] = mapped_column(String(6))
    old_amount: Mapped[Decimal] = mapped_column(Money())
    new_payer_code: Mapped[str] = mapped_column(String(6))
    new_amount: Mapped[Decimal] = mapped_column(Money())
    payer_code: Mapped[str] = mapped_column(String(6))
    payee_code: Mapped[str] = mapped_column(String(6))
    amount: Mapped[Decimal] = mapped_column(Money())
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    created_by: Mapped[str] = mapped_column(String(120))
    settled_on: Mapped[date | None] = mapped_column(Date, default=None)
    voucher_no: Mapped[str | None] = mapped_column(String(60), default=None)
    settled_by: Mapped[str | None] = mapped_column(String(120), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.lock_version}


class StatementEvent(Base):
    """One step in a statement's history: computed, confirmed by a side, paid (with its
    voucher), closed, recomputed, an adjustment recorded or settled. ``book`` names the
    domain's statement table, so every domain's history lives here."""

    __tablename__ = "kit_statement_event"
    __audit_skip__ = True  # it is itself a log
    __table_args__ = (Index("ix_kit_statement_event_book_statement", "book", "statement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    book: Mapped[str] = mapped_column(String(60))
    statement_id: Mapped[int] = mapped_column(Integer)
    change_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    party_code: Mapped[str | None] = mapped_column(String(6), default=None)
    amount: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
