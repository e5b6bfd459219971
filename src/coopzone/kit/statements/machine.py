"""The life cycle of a two-party statement as a transitions table (pure: no database).

A statement is computed → confirmed by both sides → paid (with a voucher, by the payer) →
closed (by the payee, on receipt). A recomputation that changes the figure both sides
agreed to takes an unpaid statement back to ``computed`` (they confirm again); a paid or
closed statement is never rewritten: the difference becomes an adjustment, settled by its
own payer (open → settled).

Each transition names the states it leaves, the state it reaches and the side that may make
it; who acts for a side is the domain's policy (:class:`coopzone.kit.statements.Sides`).
The table is kept as data so that it can move onto a shared workflow kit unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["either", "payer", "payee", "system"]

COMPUTED, CONFIRMED, PAID_STATE, CLOSED = "computed", "confirmed", "paid", "closed"
STATES = (COMPUTED, CONFIRMED, PAID_STATE, CLOSED)
UNPAID = (COMPUTED, CONFIRMED)
PAID = (PAID_STATE, CLOSED)
STATE_NAMES = {COMPUTED: "已核算，待双方确认", CONFIRMED: "双方已确认，待付款",
               PAID_STATE: "已付款，待收款方确认", CLOSED: "已结清"}

# A change a recomputation records: ``recomputed`` (an unpaid statement updated: recorded)
# or ``adjustment`` (a paid statement left as paid: open until settled; recorded if zero).
RECOMPUTED, ADJUSTMENT = "recomputed", "adjustment"
RECORDED, OPEN, SETTLED = "recorded", "open", "settled"
CHANGE_STATE_NAMES = {RECORDED: "已记录", OPEN: "待结清", SETTLED: "已结清"}


@dataclass(frozen=True)
class Transition:
    """One move of the life cycle. ``target`` is reached at once, except for ``confirm``
    (``both``): the statement stays ``computed`` until each side has confirmed."""

    action: str
    sources: tuple[str, ...]
    target: str
    side: Side
    verb: str  # what the actor does, for refusals: "只有…可以{verb}"
    both: bool = False

    def allowed_from(self, state: str) -> bool:
        return state in self.sources


STATEMENT_TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("compute", ("",), COMPUTED, "system", "核算结算单"),
    # Confirming again from ``confirmed`` is allowed and changes nothing (two bureaus that
    # click at the same time both succeed; neither confirmation is lost).
    Transition("confirm", UNPAID, CONFIRMED, "either", "确认结算单", both=True),
    Transition("pay", (CONFIRMED,), PAID_STATE, "payer", "登记付款"),
    Transition("close", (PAID_STATE,), CLOSED, "payee", "确认收款并关闭结算单"),
    Transition("reopen", UNPAID, COMPUTED, "system", "重新核算"),
)}

ADJUSTMENT_TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("settle", (OPEN,), SETTLED, "payer", "结清调整"),
)}

# What each action reads as in a statement's history.
ACTION_NAMES = {"compute": "核算", "confirm": "确认", "pay": "登记付款",
                "close": "确认收款并结清", "reopen": "重新核算，金额变化，须重新确认",
                "recompute": "重新核算", "adjust": "记录调整", "settle": "结清调整"}


def state_name(state: str) -> str:
    return STATE_NAMES.get(state, CHANGE_STATE_NAMES.get(state, state))
