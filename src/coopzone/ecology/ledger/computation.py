"""Computing the compensation ledger from the stored readings: which months (every month
before the platform's today), which rules (the series' current agreement versions, settled by
``coopzone.engines.eco_compensation``), the lines of each yearly statement between two
parties, and what a recomputation changes.

* A statement is one settlement year of one agreement series (``lushui`` = lushui-2019 +
  lushui-2022) between two parties, keyed by their division codes (430000 湖南省, 360000
  江西省). Its lines are the engine's settlement lines with their working.
* Recomputing after late data updates an unpaid statement (the difference per line and for
  the year is recorded; confirmations are reset when the net changes). A paid or closed
  statement is never rewritten: the difference becomes an adjustment to settle separately.
* A line the recomputation no longer produces (an amended agreement dropped the month or
  the rule) is withdrawn: it stays on record with amount 0 and status ``withdrawn``, and
  the change lists it like any other difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.service import Principal
from coopzone.db import now
from coopzone.ecology.evaluation import monthly_evaluations
from coopzone.ecology.ledger.actions import BOOK, PAID, require_recompute
from coopzone.ecology.ledger.agreements import series_terms
from coopzone.ecology.models import (
    AgreementVersion,
    Section,
    Statement,
    StatementChange,
    StatementLine,
)
from coopzone.ecology.readings import readings_frame, section_frames
from coopzone.ecology.readings_cache import Grown, over_sections, per_section_grown
from coopzone.ecology.settlement_adapter import (
    grow_period_results,
    judges_months,
    section_results,
)
from coopzone.engines.eco_compensation import (
    Agreement,
    NetLine,
    PeriodResult,
    Settlement,
    SettlementLine,
    settle_each,
)
from coopzone.kit import statements as kit
from coopzone.kit.statements import ADJUSTMENT, RECOMPUTED, direction, signed

ZERO = Decimal(0)
LineKey = tuple[str, str, str, str]  # agreement, rule id, section, period
WITHDRAWN = "withdrawn"


# ---- the stored readings of a series ---------------------------------------------------------


def _section_names(agreements: Iterable[Agreement]) -> set[str]:
    return {name for a in agreements for s in a.sections for name in (s.name, *s.aliases)}


def _section_ids(session: Session, agreements: Sequence[Agreement]) -> list[int]:
    names = _section_names(agreements)
    return list(session.scalars(select(Section.id).where(Section.name.in_(names))))


def series_readings(session: Session, agreements: Sequence[Agreement]) -> pl.DataFrame:
    """Stored readings of the sections the agreements assess, named as they name them."""
    return readings_frame(session, _section_ids(session, agreements), key="name")


def series_results(session: Session,
                   terms: Sequence[tuple[AgreementVersion, Agreement]]
                   ) -> list[tuple[Agreement, list[PeriodResult]]]:
    """Each agreement's period results on the stored readings; cached until the readings of
    its sections change (or another agreement version is current). Read-only.

    Sections are judged independently, so each section's results are a cache entry of their
    own, grown by the periods that receive readings (a station push judges its month again,
    not the series' history)."""
    ids = _section_ids(session, [a for _v, a in terms])

    def compute() -> list[tuple[Agreement, list[PeriodResult]]]:
        return [(a, _agreement_results(session, a, ids)) for _v, a in terms]

    return over_sections(session, ("series results", tuple(v.id for v, _a in terms)), ids,
                         compute)


def _agreement_results(session: Session, agreement: Agreement,
                       ids: list[int]) -> list[PeriodResult]:
    frames = section_frames(session, ids, key="name")
    # An agreement that judges plain months reads each section's monthly evaluation, the
    # one every page shows (cached and grown once for all), instead of judging again.
    monthly = ({i: e.value for i, e in monthly_evaluations(session, ids).items()}
               if judges_months(agreement) else {})

    def build(i: int) -> tuple[list[PeriodResult], tuple[object, int]]:
        frame = frames[i]
        return (section_results(frame.value.frame, agreement, monthly.get(i)),
                (frame.lineage, frame.value.frame.height))

    def grow(i: int, old: Grown[list[PeriodResult]]
             ) -> tuple[list[PeriodResult], tuple[object, int]] | None:
        frame = frames[i]
        lineage, height = old.mark
        if lineage is not frame.lineage:
            return None  # the frame was read again whole
        grown = grow_period_results(old.value, frame.value.frame, frame.value.frame[height:],
                                    agreement, monthly.get(i))
        return None if grown is None else (grown, (frame.lineage, frame.value.frame.height))

    # Keyed by what the results depend on (how the agreement evaluates): versions that
    # evaluate alike (lushui-2019 and lushui-2022) share one entry per section.
    terms = agreement.evaluation
    kind = ("period results", terms.period, terms.water_body, terms.items)
    parts = per_section_grown(session, kind, ids, build, grow)
    return sorted((r for i in ids for r in parts[i].value), key=lambda r: (r.section, r.period))


def month_before(as_of: date) -> str:
    """The last complete month before ``as_of``: a month is settled once it is over."""
    year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class _Computed:
    """One computed line with what the ledger stores beside it."""

    line: SettlementLine
    version_id: int
    payer_code: str | None
    payee_code: str | None
    water_class: int | None

    @property
    def key(self) -> LineKey:
        return (self.line.agreement, self.line.rule_id, self.line.section, self.line.period)


@dataclass
class _Group:
    year: int
    pair: tuple[str, str]
    lines: list[_Computed] = field(default_factory=list)
    net: NetLine | None = None


def _codes(agreement: Agreement) -> dict[str, str]:
    return {p.id: p.code for p in agreement.parties}


def _default_pair(agreement: Agreement) -> tuple[str, str]:
    """Lines that move no money (held, skipped, zero) belong to the statement of the
    agreement's first two parties (for 渌水: 江西省 and 湖南省)."""
    a, b = agreement.parties[0].code, agreement.parties[1].code
    return (a, b) if a <= b else (b, a)


def _groups(terms: Sequence[tuple[AgreementVersion, Agreement]], settlement: Settlement,
            classes: dict[tuple[str, str], int | None]) -> dict[tuple[int, tuple[str, str]],
                                                                _Group]:
    by_id = {a.id: (v, a) for v, a in terms}
    groups: dict[tuple[int, tuple[str, str]], _Group] = {}
    party_codes: dict[str, str] = {}
    for line in settlement.lines:
        version, agreement = by_id[line.agreement]
        codes = _codes(agreement)
        party_codes.update(codes)
        payer = codes[line.payer] if line.payer else None
        payee = codes[line.payee] if line.payee else None
        if payer and payee:
            pair = (payer, payee) if payer <= payee else (payee, payer)
        else:
            pair = _default_pair(agreement)
        group = groups.setdefault((line.year, pair), _Group(line.year, pair))
        group.lines.append(_Computed(line, version.id, payer, payee,
                                     classes.get((line.section, line.period))))
    for net in settlement.net:
        payer, payee = party_codes[net.payer], party_codes[net.payee]
        pair = (payer, payee) if payer <= payee else (payee, payer)
        if (net.year, pair) in groups:
            groups[(net.year, pair)].net = net
    return groups


def _class_index(agreement: Agreement,
                 results: Iterable[PeriodResult]) -> dict[tuple[str, str], int | None]:
    canonical = {alias: s.name for s in agreement.sections for alias in (s.name, *s.aliases)}
    return {(canonical.get(r.section, r.section), r.period): r.water_class for r in results}


@dataclass
class RecomputeResult:
    series: str
    through: str
    created: list[int] = field(default_factory=list)  # statement ids
    updated: list[int] = field(default_factory=list)  # change ids (kind recomputed)
    adjustments: list[int] = field(default_factory=list)  # change ids (kind adjustment)
    unchanged: int = 0


def recompute(session: Session, principal: Principal, series: str,
              as_of: date) -> RecomputeResult:
    """Compute (or recompute) a series' statements from the stored readings, as of the
    platform's today (the caller passes the settings' ``today()``: one clock)."""
    require_recompute(session, principal, series)
    return compute_statements(session, series, as_of, principal.label)


def compute_statements(session: Session, series: str, as_of: date,
                       actor: str = "system") -> RecomputeResult:
    """Settle the series over every month before ``as_of`` and bring the ledger in line.

    For the edges that act as the system (demo loader, scheduled jobs); users go through
    :func:`recompute`, which checks their rights first.
    """
    terms = series_terms(session, series)
    through = month_before(as_of)
    pairs = series_results(session, terms)
    classes: dict[tuple[str, str], int | None] = {}
    for agreement, results in pairs:
        classes.update(_class_index(agreement, results))
    settlement = settle_each(pairs, None, through)
    groups = _groups(terms, settlement, classes)
    result = RecomputeResult(series, through)
    version_ids = [v.id for v, _a in terms]
    # Locked: a payment recorded meanwhile must not be overwritten by this recomputation.
    existing = {(s.year, (s.party_a, s.party_b)): s for s in session.scalars(
        select(Statement).where(Statement.series == series)
        .options(selectinload(Statement.lines), selectinload(Statement.changes))
        .with_for_update(of=Statement).execution_options(populate_existing=True))}
    for key in existing:  # a statement no longer produced at all: an empty group
        groups.setdefault(key, _Group(key[0], key[1]))
    for key in sorted(groups):
        group = groups[key]
        statement = existing.get(key)
        if statement is None:
            result.created.append(_create(session, series, group, through, version_ids,
                                          actor).id)
            continue
        change = _refresh(session, statement, group, through, version_ids, actor)
        if change is None:
            result.unchanged += 1
        elif change.kind == "adjustment":
            result.adjustments.append(change.id)
        else:
            result.updated.append(change.id)
    session.flush()
    return result


def _net_of(group: _Group) -> tuple[str, str, Decimal, Decimal, Decimal]:
    """(payer, payee, net, gross payer→payee, gross payee→payer) of a group, in codes."""
    flows: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for c in group.lines:
        if c.payer_code and c.payee_code and c.line.status.value == "accrued":
            flows[(c.payer_code, c.payee_code)] += c.line.amount
    a, b = group.pair
    ab, ba = flows[(a, b)], flows[(b, a)]
    return (a, b, ab - ba, ab, ba) if ab >= ba else (b, a, ba - ab, ba, ab)


def _apply_totals(statement: Statement, group: _Group, through: str,
                  version_ids: list[int]) -> None:
    payer, payee, net, gross, back = _net_of(group)
    statement.payer_code, statement.payee_code, statement.amount = payer, payee, net
    statement.gross_payer_to_payee, statement.gross_payee_to_payer = gross, back
    if group.lines:
        statement.due = group.lines[0].line.due
    statement.through = through
    statement.held = sum(1 for c in group.lines if c.line.status.value == "held")
    statement.skipped = sum(1 for c in group.lines if c.line.status.value == "skipped")
    statement.agreement_versions = version_ids


def _steps(line: SettlementLine) -> list[dict[str, str]]:
    return [{"kind": s.kind, "text": s.text} for s in line.steps]


def _new_line(c: _Computed) -> StatementLine:
    ln = c.line
    return StatementLine(
        agreement_version_id=c.version_id, agreement=ln.agreement, round=ln.round,
        rule_id=ln.rule_id, rule=ln.rule, section=ln.section, period=ln.period,
        water_class=c.water_class, payer_code=c.payer_code, payee_code=c.payee_code,
        amount=ln.amount, status=ln.status.value, steps=_steps(ln))


def _create(session: Session, series: str, group: _Group, through: str,
            version_ids: list[int], actor: str) -> Statement:
    statement = Statement(series=series, year=group.year, party_a=group.pair[0],
                          party_b=group.pair[1], state="computed", revision=1)
    _apply_totals(statement, group, through, version_ids)
    statement.lines = [_new_line(c) for c in group.lines]
    session.add(statement)
    session.flush()
    kit.computed(session, BOOK, statement, actor)
    return statement


@dataclass(frozen=True)
class _Known:
    payer: str | None
    amount: Decimal
    status: str
    water_class: int | None


def _known(line: StatementLine) -> _Known:
    return _Known(line.payer_code, line.amount, line.status, line.water_class)


def _diff(old: _Known | None, new: _Computed) -> dict[str, Any] | None:
    ln = new.line
    after = _Known(new.payer_code, ln.amount, ln.status.value, new.water_class)
    if old is not None and (old.payer, old.amount, old.status) == (
            after.payer, after.amount, after.status):
        return None
    return {
        "agreement": ln.agreement, "rule_id": ln.rule_id, "section": ln.section,
        "period": ln.period,
        "old_payer": old.payer if old else None, "old_amount": str(old.amount if old else ZERO),
        "old_status": old.status if old else None,
        "old_class": old.water_class if old else None,
        "new_payer": after.payer, "new_payee": new.payee_code, "new_amount": str(after.amount),
        "new_status": after.status, "new_class": after.water_class,
        "new_steps": _steps(ln),
    }


def _withdrawal(key: LineKey, old: _Known) -> dict[str, Any]:
    """The change entry of a line the recomputation no longer produces."""
    agreement, rule_id, section, period = key
    return {
        "agreement": agreement, "rule_id": rule_id, "section": section, "period": period,
        "old_payer": old.payer, "old_amount": str(old.amount), "old_status": old.status,
        "old_class": old.water_class, "new_payer": None, "new_payee": None,
        "new_amount": "0", "new_status": WITHDRAWN, "new_class": old.water_class,
        "new_steps": [{"kind": "note", "text": "重新核算不再产生此项（协议已修订），撤销"}],
    }


def _withdrawals(known: dict[LineKey, _Known], group: _Group) -> list[dict[str, Any]]:
    produced = {c.key for c in group.lines}
    return [_withdrawal(key, old) for key, old in known.items()
            if key not in produced and old.status != WITHDRAWN]


def _line_key(line: StatementLine) -> LineKey:
    return (line.agreement, line.rule_id, line.section, line.period)


def _refresh(session: Session, statement: Statement, group: _Group, through: str,
             version_ids: list[int], actor: str) -> StatementChange | None:
    if statement.state in PAID:
        return _adjust(session, statement, group, actor)
    stored = {_line_key(ln): ln for ln in statement.lines}
    diffs = [d for c in group.lines if (d := _diff(
        _known(stored[c.key]) if c.key in stored else None, c)) is not None]
    withdrawn = _withdrawals({k: _known(ln) for k, ln in stored.items()}, group)
    diffs += withdrawn
    old_payer, old_amount = statement.payer_code, statement.amount
    old_signed = signed(old_payer, old_amount, statement.party_a)
    revision = statement.revision + 1 if diffs else statement.revision
    for c in group.lines:  # steps and classes follow the data even when amounts do not
        line = stored.get(c.key)
        if line is None:
            statement.lines.append(_new_line(c))
            continue
        if (line.payer_code, line.amount, line.status) != (
                c.payer_code, c.line.amount, c.line.status.value):
            line.previous_payer_code, line.previous_amount = line.payer_code, line.amount
            line.previous_status, line.changed_in_revision = line.status, revision
        line.payer_code, line.payee_code = c.payer_code, c.payee_code
        line.amount, line.status = c.line.amount, c.line.status.value
        line.water_class, line.steps = c.water_class, _steps(c.line)
        line.agreement_version_id, line.round = c.version_id, c.line.round
    for d in withdrawn:
        _withdraw(stored[(d["agreement"], d["rule_id"], d["section"], d["period"])], revision,
                  d["new_steps"])
    _apply_totals(statement, group, through, version_ids)
    if not diffs:
        return None
    statement.revision = revision
    statement.computed_at = now()
    if signed(statement.payer_code, statement.amount, statement.party_a) != old_signed:
        # The figure both bureaus agreed to has changed: they confirm again.
        kit.reopen(session, BOOK, statement, actor)
    return kit.record_change(session, BOOK, statement, RECOMPUTED, (old_payer, old_amount),
                             (statement.payer_code, statement.amount), diffs, actor, revision)


def _withdraw(line: StatementLine, revision: int, steps: list[dict[str, str]]) -> None:
    line.previous_payer_code, line.previous_amount = line.payer_code, line.amount
    line.previous_status, line.changed_in_revision = line.status, revision
    line.payer_code = line.payee_code = None
    line.amount, line.status, line.steps = ZERO, WITHDRAWN, [*line.steps, *steps]


def effective_lines(statement: Statement) -> dict[LineKey, _Known]:
    """A paid statement's lines as last known: the stored lines, then each adjustment's new
    values in order."""
    known = {_line_key(ln): _known(ln) for ln in statement.lines}
    for change in statement.changes:
        if change.kind != "adjustment":
            continue
        for d in change.lines:
            key = (d["agreement"], d["rule_id"], d["section"], d["period"])
            known[key] = _Known(d["new_payer"], Decimal(d["new_amount"]), d["new_status"],
                                d.get("new_class"))
    return known


def effective_signed(statement: Statement) -> Decimal:
    """The paid net plus every adjustment, signed (positive: party_a pays)."""
    return kit.effective_signed(statement)


def _adjust(session: Session, statement: Statement, group: _Group,
            actor: str) -> StatementChange | None:
    """A paid statement stays as paid; a changed result becomes an adjustment entry."""
    known = effective_lines(statement)
    diffs = [d for c in group.lines if (d := _diff(known.get(c.key), c)) is not None]
    diffs += _withdrawals(known, group)
    if not diffs:
        return None
    a, b = statement.party_a, statement.party_b
    before = effective_signed(statement)
    net_payer, _net_payee, net, _gross, _back = _net_of(group)
    after = signed(net_payer, net, a)
    old_payer, _old_payee, old_amount = direction(before, a, b)
    new_payer, _new_payee, new_amount = direction(after, a, b)
    return kit.record_change(session, BOOK, statement, ADJUSTMENT, (old_payer, old_amount),
                             (new_payer, new_amount), diffs, actor, statement.revision)

