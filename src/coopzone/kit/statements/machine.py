"""The life cycle of a two-party statement as a transitions table of the shared workflow kit
(:mod:`coopzone.kit.workflow`; declarations only, no database access here).

A statement is computed → confirmed by both sides → paid (with a voucher, by the payer) →
closed (by the payee, on receipt). A recomputation that changes the figure both sides
agreed to takes an unpaid statement back to ``computed`` (they confirm again); a paid or
closed statement is never rewritten: the difference becomes an adjustment, settled by its
own payer (open → settled).

Each transition names the states it leaves, the state it reaches and the side that may make
it (the workflow's ``who``: the name of the rule that decides); who acts for a side is the
domain's policy (:class:`coopzone.kit.statements.Sides`), turned into the workflow's rules
per domain by :func:`coopzone.kit.statements.service.flows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from coopzone.kit import workflow

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
class Transition(workflow.Transition):
    """One move of the life cycle: a :class:`coopzone.kit.workflow.Transition` whose rule
    (``who``) is a side, with the words a refusal uses. ``target`` is reached at once, except
    for ``confirm`` (``both``): the statement stays ``computed`` until each side has
    confirmed."""

    verb: str = ""  # what the actor does, for refusals: "只有…可以{verb}"
    both: bool = False

    @property
    def side(self) -> Side:
        return cast(Side, self.who)

    def allowed_from(self, state: str) -> bool:
        return state in self.sources


STATEMENT_TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("compute", ("",), COMPUTED, "system", verb="核算结算单"),
    # Confirming again from ``confirmed`` is allowed and changes nothing (two bureaus that
    # click at the same time both succeed; neither confirmation is lost).
    Transition("confirm", UNPAID, CONFIRMED, "either", verb="确认结算单", both=True),
    Transition("pay", (CONFIRMED,), PAID_STATE, "payer", verb="登记付款"),
    Transition("close", (PAID_STATE,), CLOSED, "payee", verb="确认收款并关闭结算单"),
    Transition("reopen", UNPAID, COMPUTED, "system", verb="重新核算"),
)}

ADJUSTMENT_TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("settle", (OPEN,), SETTLED, "payer", verb="结清调整"),
)}

# What each action reads as in a statement's history.
ACTION_NAMES = {"compute": "核算", "confirm": "确认", "pay": "登记付款",
                "close": "确认收款并结清", "reopen": "重新核算，金额变化，须重新确认",
                "recompute": "重新核算", "adjust": "记录调整", "settle": "结清调整"}


def state_name(state: str) -> str:
    return STATE_NAMES.get(state, CHANGE_STATE_NAMES.get(state, state))
