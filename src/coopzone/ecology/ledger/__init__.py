"""Eco-compensation ledger: stored agreement versions, yearly statements computed from the
stored readings, and their life cycle computed → confirmed → paid → closed.

Split by purpose (callers keep importing ``coopzone.ecology.ledger``):

* :mod:`.agreements` — agreement versions: store, sync the built-in files, the current terms;
* :mod:`.computation` — which months and rules, computing the lines, recomputing (the
  difference per line, withdrawals, adjustments of paid statements);
* :mod:`.actions` — confirm, pay, close, settle an adjustment: the ecology side (who acts
  for a party) of the shared two-party statement, :mod:`coopzone.kit.statements`;
* :mod:`.figures` — totals paid, balances, the month strip and streak, left-out months.

The pure arithmetic is ``coopzone.engines.eco_compensation``.
"""

from coopzone.ecology.agreement_files import BUILTIN_DIR
from coopzone.ecology.ledger.actions import (
    BOOK,
    FINANCE,
    PAID,
    RECOMPUTERS,
    STATES,
    UNPAID,
    acts_for,
    close,
    confirm,
    get_change,
    get_statement,
    history,
    list_statements,
    offered,
    record_payment,
    require_recompute,
    settle_adjustment,
)
from coopzone.ecology.ledger.agreements import (
    agreement_of,
    current_version,
    current_versions,
    save_agreement,
    series_terms,
    store_agreement,
    sync_builtin_agreements,
    version_history,
)
from coopzone.ecology.ledger.computation import (
    WITHDRAWN,
    LineKey,
    RecomputeResult,
    compute_statements,
    effective_lines,
    effective_signed,
    month_before,
    recompute,
    series_readings,
    series_results,
)
from coopzone.ecology.ledger.figures import (
    LeftOut,
    PartyBalance,
    Payments,
    StripMonth,
    balances,
    compliant_streak,
    finance_bureaus,
    left_out_months,
    month_strip,
    payments,
    series_names,
    total_paid,
)
from coopzone.kit.statements import signed

__all__ = [
    "BOOK",
    "BUILTIN_DIR",
    "FINANCE",
    "PAID",
    "RECOMPUTERS",
    "STATES",
    "UNPAID",
    "WITHDRAWN",
    "LeftOut",
    "LineKey",
    "PartyBalance",
    "Payments",
    "RecomputeResult",
    "StripMonth",
    "acts_for",
    "agreement_of",
    "balances",
    "close",
    "compliant_streak",
    "compute_statements",
    "confirm",
    "current_version",
    "current_versions",
    "effective_lines",
    "effective_signed",
    "finance_bureaus",
    "get_change",
    "get_statement",
    "history",
    "left_out_months",
    "list_statements",
    "month_before",
    "month_strip",
    "offered",
    "payments",
    "recompute",
    "record_payment",
    "require_recompute",
    "save_agreement",
    "series_names",
    "series_readings",
    "series_results",
    "series_terms",
    "settle_adjustment",
    "signed",
    "store_agreement",
    "sync_builtin_agreements",
    "total_paid",
    "version_history",
]
