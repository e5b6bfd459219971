"""Figures of the compensation ledger: totals paid, balances per party, each month's class
against the target (the month strip), the compliance streak, and why a statement leaves a
month of its year out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.models import Organisation
from coopzone.ecology import monitoring
from coopzone.ecology.ledger.actions import BOOK, FINANCE, PAID
from coopzone.ecology.ledger.agreements import agreement_of, series_terms
from coopzone.ecology.ledger.computation import series_results
from coopzone.ecology.models import AgreementVersion, Statement, StatementLine
from coopzone.engines.eco_compensation import Agreement
from coopzone.kit import statements as kit

ZERO = Decimal(0)


Payments = kit.Payments


def payments(session: Session, payer_code: str, payee_code: str,
             as_of: date | None = None) -> Payments:
    """The statements paid and the adjustments settled from ``payer_code`` to
    ``payee_code`` (by ``as_of`` when given), with their ids."""
    return kit.payments(session, BOOK, payer_code, payee_code, as_of)


def total_paid(session: Session, payer_code: str, payee_code: str,
               as_of: date | None = None) -> Decimal:
    """What ``payer_code`` has paid ``payee_code`` (by ``as_of`` when given): the net of every
    paid or closed statement in that direction, plus settled adjustments in that direction."""
    return kit.total_paid(session, BOOK, payer_code, payee_code, as_of)


def finance_bureaus(session: Session, codes: Iterable[str]) -> dict[str, Organisation]:
    """The finance bureau organisation of each party code (kind + province)."""
    wanted = set(codes)
    orgs = session.scalars(select(Organisation).where(
        Organisation.kind == FINANCE, Organisation.place_code.in_(wanted))
        .order_by(Organisation.id))
    found: dict[str, Organisation] = {}
    for org in orgs:
        found.setdefault(org.place_code, org)
    return found


@dataclass(frozen=True)
class PartyBalance:
    code: str
    name: str
    receivable: Decimal  # nets computed in its favour
    payable: Decimal  # nets computed against it
    received: Decimal  # paid to it (statements and settled adjustments)
    paid: Decimal  # paid by it

    @property
    def balance(self) -> Decimal:
        """Computed net position: positive = the party is owed money overall."""
        return self.receivable - self.payable

    @property
    def outstanding(self) -> Decimal:
        """What is still to move, from the party's side (positive: still to receive)."""
        return (self.receivable - self.received) - (self.payable - self.paid)


def balances(session: Session, series: str) -> list[PartyBalance]:
    """Running balance per party of a series: computed nets and what has been paid."""
    terms = series_terms(session, series)
    names = {p.code: p.name for _v, a in terms for p in a.parties}
    statements = session.scalars(select(Statement).where(Statement.series == series)
                                 .options(selectinload(Statement.changes))).all()
    sums: dict[str, dict[str, Decimal]] = {c: defaultdict(lambda: ZERO) for c in names}
    for s in statements:
        sums[s.payee_code]["receivable"] += s.amount
        sums[s.payer_code]["payable"] += s.amount
        if s.state in PAID:
            sums[s.payee_code]["received"] += s.amount
            sums[s.payer_code]["paid"] += s.amount
        for c in s.changes:
            if c.kind != "adjustment":
                continue
            sums[c.payee_code]["receivable"] += c.amount
            sums[c.payer_code]["payable"] += c.amount
            if c.state == "settled":
                sums[c.payee_code]["received"] += c.amount
                sums[c.payer_code]["paid"] += c.amount
    return [PartyBalance(code, names[code], sums[code]["receivable"], sums[code]["payable"],
                         sums[code]["received"], sums[code]["paid"]) for code in sorted(names)]


@dataclass(frozen=True)
class StripMonth:
    period: str
    section: str
    water_class: int | None
    target: int

    @property
    def compliant(self) -> bool | None:
        return None if self.water_class is None else self.water_class <= self.target


def month_strip(session: Session, series: str) -> list[StripMonth]:
    """Each month's class at the series' sections, from the first round's start to the last
    month with data, judged against the agreement's target (pass/fail)."""
    terms = series_terms(session, series)
    first = min(r.start for _v, a in terms for r in a.rounds)
    start = f"{first.year:04d}-{first.month:02d}"
    months: dict[tuple[str, str], StripMonth] = {}
    for agreement, results in series_results(session, terms):
        canonical = {n: s.name for s in agreement.sections for n in (s.name, *s.aliases)}
        target = agreement.evaluation.target_class
        for r in results:
            if len(r.period) == 7 and r.period >= start:
                section = canonical.get(r.section, r.section)
                months[(section, r.period)] = StripMonth(r.period, section, r.water_class,
                                                         target)
    return [months[k] for k in sorted(months, key=lambda k: (k[0], k[1]))]


def compliant_streak(strip: Sequence[StripMonth]) -> int:
    """Consecutive compliant months ending at the last month with data (one section)."""
    streak = 0
    for month in reversed(strip):
        if month.compliant:
            streak += 1
        else:
            break
    return streak


def series_names(session: Session) -> list[str]:
    """Series that have statements."""
    return list(session.scalars(select(Statement.series).distinct().order_by(Statement.series)))

# ---- months a statement leaves out -----------------------------------------------------------


@dataclass(frozen=True)
class LeftOut:
    """A month of a statement's year that moves no money, and why."""

    period: str
    reason: str


_STATUS_REASON = {"held": "挂起待复核", "skipped": "不计补偿", "withdrawn": "协议修订后撤销"}


PENDING_REVIEW = "人工录入的数据待协议另一方生态环境部门审核"


def _line_reason(line: StatementLine, pending: bool = False) -> str:
    """A held or skipped line's own reason (the engine's policy step: "无监测数据：…"), or
    that its month rests on readings not yet reviewed (they are not counted until then)."""
    base = _STATUS_REASON.get(line.status, line.status)
    policy = [s["text"] for s in line.steps if s.get("kind") == "policy"]
    detail = policy[-1].split("：")[0] if policy and line.status != "withdrawn" else ""
    if pending and line.status in ("held", "skipped"):
        detail = PENDING_REVIEW
    return f"{line.section}：{base}" + (f"（{detail}）" if detail else "")


def _outside_rounds(period: str, agreements: Sequence[Agreement]) -> str | None:
    rounds = sorted((r for a in agreements for r in a.rounds), key=lambda r: r.start)
    first, last = rounds[0].start, max(r.end for r in rounds)
    if period < f"{first:%Y-%m}":
        return f"早于协议起始月份（{first:%Y-%m} 起执行）"
    if period > f"{last:%Y-%m}":
        return f"协议期已于 {last:%Y-%m} 结束"
    if not any(f"{r.start:%Y-%m}" <= period <= f"{r.end:%Y-%m}" for r in rounds):
        return "不在协议任何一轮的期限内"
    return None


def left_out_months(session: Session, statement: Statement) -> list[LeftOut]:
    """Each month of the statement's year with no accrued line, with the reason: held for
    review or not counted (no data, data not valid, readings awaiting review), after the
    last month computed, before the agreement or between its rounds, or withdrawn by an
    amended agreement. Agreements judged by the year have no months to leave out."""
    lines = statement.lines
    if any(len(ln.period) != 7 for ln in lines):
        return []
    ids = statement.agreement_versions or []
    versions = [session.get_one(AgreementVersion, i) for i in ids]
    agreements = ([agreement_of(v) for v in versions] if versions
                  else [a for _v, a in series_terms(session, statement.series)])
    by_month: dict[str, list[StatementLine]] = defaultdict(list)
    for line in lines:
        by_month[line.period].append(line)
    pending = {(name, month) for name, found in
               monitoring.pending_months_by_name(session, {ln.section for ln in lines}).items()
               for month in found}
    out = []
    for month in range(1, 13):
        period = f"{statement.year:04d}-{month:02d}"
        found = by_month.get(period, [])
        if any(ln.status == "accrued" for ln in found):
            continue
        if found:
            reason = "；".join(dict.fromkeys(
                _line_reason(ln, (ln.section, period) in pending) for ln in found))
        elif (outside := _outside_rounds(period, agreements)) is not None:
            reason = outside
        elif period > statement.through:
            reason = f"核算截至 {statement.through}，本月尚未核算（月份未结束）"
        else:
            reason = "本月没有结算行"
        out.append(LeftOut(period, reason))
    return out
