"""Two-party statements (period, parties, lines, confirm by each side, pay with a voucher,
close, adjustments after payment), shared by every domain that settles money between two
bodies: the eco-compensation ledger (ecology) and, next, monthly medical clearing.

* :mod:`.machine` — the states and the transitions table (pure);
* :mod:`.models` — the column mixins of a statement and of its changes, and the history
  table every domain shares;
* :mod:`.service` — the actions (each locks, checks the side, the state and the version
  before writing, and records a history row) and the figures.

A domain supplies what is its own: which periods and rules, how lines are computed, and a
:class:`Sides` policy saying who acts for which party.
"""

from coopzone.kit.statements.machine import (
    ACTION_NAMES,
    ADJUSTMENT,
    ADJUSTMENT_TRANSITIONS,
    CHANGE_STATE_NAMES,
    OPEN,
    PAID,
    RECOMPUTED,
    RECORDED,
    SETTLED,
    STATE_NAMES,
    STATEMENT_TRANSITIONS,
    STATES,
    UNPAID,
    Transition,
    state_name,
)
from coopzone.kit.statements.models import StatementEvent, TwoPartyChange, TwoPartyStatement
from coopzone.kit.statements.service import (
    Actor,
    Book,
    Payments,
    Sides,
    checked_payment,
    close,
    computed,
    confirm,
    confirmable,
    direction,
    effective_signed,
    get,
    get_change,
    history,
    may,
    payments,
    record_change,
    record_history,
    record_payment,
    reopen,
    settle_adjustment,
    signed,
    total_paid,
)

__all__ = [
    "ACTION_NAMES", "ADJUSTMENT", "ADJUSTMENT_TRANSITIONS", "CHANGE_STATE_NAMES", "OPEN", "PAID",
    "RECOMPUTED", "RECORDED", "SETTLED", "STATEMENT_TRANSITIONS", "STATES", "STATE_NAMES",
    "UNPAID", "Actor", "Book", "Payments", "Sides", "StatementEvent", "Transition",
    "TwoPartyChange", "TwoPartyStatement", "checked_payment", "close", "computed", "confirm",
    "confirmable", "direction", "effective_signed", "get", "get_change", "history", "may",
    "payments", "record_change", "record_history", "record_payment", "reopen", "settle_adjustment",
    "signed", "state_name", "total_paid"
]
