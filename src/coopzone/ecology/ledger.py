"""Eco-compensation ledger: stored agreement versions, yearly statements computed from the
stored readings, and their life cycle computed → confirmed → paid → closed.

Rules kept here (the pure arithmetic is ``coopzone.engines.eco_compensation``):

* Agreements are stored with their TOML text; a changed text for the same id is a new version
  and the highest version is the one used.
* A statement is one settlement year of one agreement series (``lushui`` = lushui-2019 +
  lushui-2022) between two parties, keyed by their division codes (430000 湖南省, 360000
  江西省). Its lines are the engine's settlement lines with their working.
* Both parties' finance bureaus (organisations of kind ``finance_bureau`` whose place is the
  party's code) confirm; the payer's records the payment with a date and voucher number; the
  payee's closes it on receipt. A platform administrator may act for either.
* Recomputing after late data updates an unpaid statement (the difference per line and for
  the year is recorded; confirmations are reset when the net changes). A paid or closed
  statement is never rewritten: the difference becomes an adjustment to settle separately.
* A line the recomputation no longer produces (an amended agreement dropped the month or
  the rule) is withdrawn: it stays on record with amount 0 and status ``withdrawn``, and
  the change lists it like any other difference.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts import roles
from coopzone.accounts.models import Organisation
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.db import now
from coopzone.ecology.agreement_files import BUILTIN_DIR, builtin_ids, parse_agreement
from coopzone.ecology.models import (
    AgreementVersion,
    Section,
    Statement,
    StatementChange,
    StatementLine,
)
from coopzone.ecology.readings import readings_frame
from coopzone.ecology.readings_cache import over_sections
from coopzone.ecology.settlement_adapter import period_results
from coopzone.engines.eco_compensation import (
    Agreement,
    NetLine,
    PeriodResult,
    Settlement,
    SettlementLine,
    settle_each,
)
from coopzone.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError, found

ZERO = Decimal(0)
STATES = ("computed", "confirmed", "paid", "closed")
UNPAID = ("computed", "confirmed")
PAID = ("paid", "closed")
FINANCE = "finance_bureau"
# Who may ask for a recomputation: it only re-derives figures from stored data.
RECOMPUTERS = ("finance_bureau", "ecology_bureau", "cooperation_office")

LineKey = tuple[str, str, str, str]  # agreement, rule id, section, period
WITHDRAWN = "withdrawn"


# ---- agreements ------------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def _parse(text: str, source: str) -> Agreement:
    return parse_agreement(text, source)


def agreement_of(version: AgreementVersion) -> Agreement:
    """The engine's terms of a stored version (parsed once per text)."""
    return _parse(version.text, f"{version.agreement_id} v{version.version_no}")


def current_version(session: Session, agreement_id: str) -> AgreementVersion | None:
    return session.scalar(select(AgreementVersion)
                          .where(AgreementVersion.agreement_id == agreement_id)
                          .order_by(AgreementVersion.version_no.desc()).limit(1))


def store_agreement(session: Session, text: str, source: str,
                    created_by: str) -> tuple[AgreementVersion, bool]:
    """Store an agreement text (validated); returns (current version, whether it is new).
    The same text as the current version adds nothing."""
    agreement = parse_agreement(text, source)
    current = current_version(session, agreement.id)
    if current is not None and current.sha256 == _sha(text):
        return current, False
    version = AgreementVersion(
        agreement_id=agreement.id, series=agreement.series or agreement.id,
        version_no=(current.version_no + 1) if current else 1, title=agreement.title,
        declared_version=agreement.version, text=text, sha256=_sha(text), source=source,
        created_by=created_by)
    session.add(version)
    session.flush()
    return version, True


def sync_builtin_agreements(session: Session, created_by: str = "system") -> list[AgreementVersion]:
    """Store every built-in agreement file; an edited file becomes a new version."""
    return [store_agreement(session, (BUILTIN_DIR / f"{name}.toml").read_text("utf-8"),
                            f"{name}.toml", created_by)[0]
            for name in builtin_ids()]


def save_agreement(session: Session, principal: Principal, text: str) -> AgreementVersion:
    """An administrator stores a new or amended agreement text."""
    _require_scope(principal)
    if not principal.is_platform_admin:
        raise Forbidden("只有平台管理员可以修改补偿协议", detail="platform administrator only")
    return store_agreement(session, text, "upload", principal.label)[0]


def current_versions(session: Session, series: str | None = None) -> list[AgreementVersion]:
    """The current version of every stored agreement (of one series), oldest round first."""
    latest = (select(AgreementVersion.agreement_id,
                     func.max(AgreementVersion.version_no).label("n"))
              .group_by(AgreementVersion.agreement_id).subquery())
    query = select(AgreementVersion).join(latest, (
        AgreementVersion.agreement_id == latest.c.agreement_id)
        & (AgreementVersion.version_no == latest.c.n))
    if series is not None:
        query = query.where(AgreementVersion.series == series)
    versions = list(session.scalars(query))
    return sorted(versions, key=lambda v: (v.series, min(r.start for r in agreement_of(v).rounds)))


def version_history(session: Session, agreement_id: str) -> list[AgreementVersion]:
    return list(session.scalars(select(AgreementVersion)
                                .where(AgreementVersion.agreement_id == agreement_id)
                                .order_by(AgreementVersion.version_no)))


def series_terms(session: Session, series: str) -> list[tuple[AgreementVersion, Agreement]]:
    versions = current_versions(session, series)
    if not versions:
        raise NotFound(f"没有补偿协议系列 {series}", detail=f"unknown agreement series {series}")
    return [(v, agreement_of(v)) for v in versions]


# ---- computing from stored readings --------------------------------------------------------


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
    its sections change (or another agreement version is current). Read-only."""
    ids = _section_ids(session, [a for _v, a in terms])

    def compute() -> list[tuple[Agreement, list[PeriodResult]]]:
        frame = readings_frame(session, ids, key="name")
        return [(a, period_results(frame, a)) for _v, a in terms]

    return over_sections(session, ("series results", tuple(v.id for v, _a in terms)), ids,
                         compute)


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
            result.created.append(_create(session, series, group, through, version_ids).id)
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
            version_ids: list[int]) -> Statement:
    statement = Statement(series=series, year=group.year, party_a=group.pair[0],
                          party_b=group.pair[1], state="computed", revision=1)
    _apply_totals(statement, group, through, version_ids)
    statement.lines = [_new_line(c) for c in group.lines]
    session.add(statement)
    session.flush()
    return statement


def signed(payer: str, amount: Decimal, party_a: str) -> Decimal:
    """A net as a signed amount: positive when ``party_a`` pays."""
    return amount if payer == party_a else -amount


def _direction(value: Decimal, a: str, b: str) -> tuple[str, str, Decimal]:
    return (a, b, value) if value >= 0 else (b, a, -value)


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
    new_signed = signed(statement.payer_code, statement.amount, statement.party_a)
    if new_signed != old_signed:
        # The figure both bureaus agreed to has changed: they confirm again.
        statement.state = "computed"
        statement.payer_confirmed_at = statement.payer_confirmed_by = None
        statement.payee_confirmed_at = statement.payee_confirmed_by = None
    payer, payee, amount = _direction(new_signed - old_signed, statement.party_a,
                                      statement.party_b)
    change = StatementChange(
        statement_id=statement.id, kind="recomputed", state="recorded", revision=revision,
        old_payer_code=old_payer, old_amount=old_amount, new_payer_code=statement.payer_code,
        new_amount=statement.amount, payer_code=payer, payee_code=payee, amount=amount,
        lines=diffs, created_by=actor)
    statement.changes.append(change)
    session.flush()
    return change


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
    total = signed(statement.payer_code, statement.amount, statement.party_a)
    for change in statement.changes:
        if change.kind == "adjustment":
            total += signed(change.payer_code, change.amount, statement.party_a)
    return total


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
    old_payer, _old_payee, old_amount = _direction(before, a, b)
    new_payer, _new_payee, new_amount = _direction(after, a, b)
    payer, payee, amount = _direction(after - before, a, b)
    change = StatementChange(
        statement_id=statement.id, kind="adjustment",
        state="open" if amount else "recorded", revision=statement.revision,
        old_payer_code=old_payer, old_amount=old_amount, new_payer_code=new_payer,
        new_amount=new_amount, payer_code=payer, payee_code=payee, amount=amount,
        lines=diffs, created_by=actor)
    statement.changes.append(change)
    session.flush()
    return change


# ---- permissions ---------------------------------------------------------------------------


def _require_scope(principal: Principal) -> None:
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")


def acts_for(principal: Principal, party_code: str) -> bool:
    """Whether the principal may act for a party: its finance bureau (editor or admin role)
    or a platform administrator."""
    return roles.may(principal, "statement.party", [party_code])


def _require_party(principal: Principal, party_code: str, what: str) -> None:
    _require_scope(principal)
    if not acts_for(principal, party_code):
        raise Forbidden(f"只有{party_code}的财政部门可以{what}",
                        detail=f"{principal.username} may not {what} for party {party_code}")


def require_recompute(session: Session, principal: Principal, series: str) -> None:
    _require_scope(principal)
    if principal.is_platform_admin:
        return
    codes = {p.code for _v, a in series_terms(session, series) for p in a.parties}
    if not any(r.kind in RECOMPUTERS and r.role in WRITE_ROLES
               and any(code[:2] == r.place_code[:2] for code in codes)
               for r in principal.roles):
        raise Forbidden("无权重新核算该补偿协议", detail="not a bureau of a party")


# ---- the life cycle ------------------------------------------------------------------------


def get_statement(session: Session, statement_id: int, lock: bool = False) -> Statement:
    """A statement with its lines and changes. ``lock=True`` for a state change: the row is
    locked until the transaction ends (SELECT … FOR UPDATE on PostgreSQL; on SQLite the
    writer's IMMEDIATE transaction already excludes other writers) and read afresh, so two
    concurrent payments cannot both see it ``confirmed``."""
    query = (select(Statement).where(Statement.id == statement_id)
             .options(selectinload(Statement.lines), selectinload(Statement.changes)))
    if lock:
        query = query.with_for_update(of=Statement).execution_options(populate_existing=True)
    return found(session.scalar(query), "结算单", "statement", statement_id)


def list_statements(session: Session, series: str | None = None,
                    year: int | None = None) -> list[Statement]:
    query = select(Statement).order_by(Statement.series, Statement.year, Statement.party_a,
                                       Statement.party_b)
    if series is not None:
        query = query.where(Statement.series == series)
    if year is not None:
        query = query.where(Statement.year == year)
    return list(session.scalars(query.options(selectinload(Statement.changes))))


def confirm(session: Session, principal: Principal, statement_id: int,
            party_code: str | None = None) -> Statement:
    """A party's finance bureau confirms the statement; both → ``confirmed``.

    Without ``party_code`` the principal confirms for the one side it acts for (an
    administrator must say which)."""
    statement = get_statement(session, statement_id, lock=True)
    if statement.state not in UNPAID:
        raise Conflict(f"结算单状态为 {statement.state}，不能再确认",
                       detail=f"statement is {statement.state}")
    sides = (statement.payer_code, statement.payee_code)
    if party_code is None:
        mine = [c for c in sides if acts_for(principal, c)]
        if len(mine) != 1:
            _require_scope(principal)
            if not mine:
                raise Forbidden("只有付款方或收款方的财政部门可以确认结算单",
                                detail="not a finance bureau of either party")
            raise InvalidInput("请指明代表哪一方确认", [RowError(None, "party_code",
                                                                  "choose " + " or ".join(sides))])
        party_code = mine[0]
    if party_code not in sides:
        raise InvalidInput(f"{party_code} 不是本结算单的当事方",
                           [RowError(None, "party_code", "choose " + " or ".join(sides))])
    _require_party(principal, party_code, "确认结算单")
    at = now()
    if party_code == statement.payer_code:
        statement.payer_confirmed_at, statement.payer_confirmed_by = at, principal.label
    else:
        statement.payee_confirmed_at, statement.payee_confirmed_by = at, principal.label
    if statement.payer_confirmed_at and statement.payee_confirmed_at:
        statement.state = "confirmed"
    session.flush()
    return statement


def record_payment(session: Session, principal: Principal, statement_id: int, paid_on: date,
                   voucher_no: str) -> Statement:
    """The payer's finance bureau records the payment of a confirmed statement."""
    statement = get_statement(session, statement_id, lock=True)
    _require_party(principal, statement.payer_code, "登记付款")
    if statement.state != "confirmed":
        raise Conflict("结算单须经双方财政部门确认后才能登记付款",
                       detail=f"statement is {statement.state}, not confirmed")
    voucher = _checked_payment(paid_on, voucher_no)
    statement.paid_on, statement.voucher_no = paid_on, voucher
    statement.paid_recorded_by, statement.state = principal.label, "paid"
    session.flush()
    return statement


def _checked_payment(paid_on: date, voucher_no: str) -> str:
    """A payment needs a voucher number and a date that is not in the future (Asia/Shanghai)."""
    voucher = voucher_no.strip()
    errors = []
    if not voucher:
        errors.append(RowError(None, "voucher_no", "required"))
    if paid_on > now().date():
        errors.append(RowError(None, "paid_on", "in the future"))
    if errors:
        raise InvalidInput("请填写付款凭证号，付款日期不能晚于今天", errors)
    return voucher


def close(session: Session, principal: Principal, statement_id: int) -> Statement:
    """The payee's finance bureau confirms receipt and closes a paid statement."""
    statement = get_statement(session, statement_id, lock=True)
    _require_party(principal, statement.payee_code, "确认收款并关闭结算单")
    if statement.state != "paid":
        raise Conflict("只有已付款的结算单可以关闭", detail=f"statement is {statement.state}")
    statement.closed_at, statement.closed_by, statement.state = now(), principal.label, "closed"
    session.flush()
    return statement


def get_change(session: Session, change_id: int, lock: bool = False) -> StatementChange:
    change = (session.get(StatementChange, change_id, with_for_update=True,
                          populate_existing=True) if lock
              else session.get(StatementChange, change_id))
    return found(change, "调整", "change", change_id)


def settle_adjustment(session: Session, principal: Principal, change_id: int, paid_on: date,
                      voucher_no: str) -> StatementChange:
    """The paying side records that an adjustment of a paid statement was settled."""
    change = get_change(session, change_id, lock=True)
    if change.kind != "adjustment" or change.state != "open":
        raise Conflict("这不是待结清的调整", detail=f"change is {change.kind}/{change.state}")
    _require_party(principal, change.payer_code, "结清调整")
    voucher = _checked_payment(paid_on, voucher_no)
    change.settled_on, change.voucher_no = paid_on, voucher
    change.settled_by, change.state = principal.label, "settled"
    session.flush()
    return change


# ---- figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payments:
    """What one party paid another by a date: the statements and settled adjustments."""

    total: Decimal
    statement_ids: tuple[int, ...]
    adjustment_ids: tuple[int, ...]


def payments(session: Session, payer_code: str, payee_code: str,
             as_of: date | None = None) -> Payments:
    """The paid or closed statements in that direction (paid on or before ``as_of`` when
    given) and the adjustments settled in that direction (settled by ``as_of``)."""
    statements = select(Statement.id, Statement.amount).where(
        Statement.payer_code == payer_code, Statement.payee_code == payee_code,
        Statement.state.in_(PAID))
    adjustments = select(StatementChange.id, StatementChange.amount).where(
        StatementChange.payer_code == payer_code, StatementChange.payee_code == payee_code,
        StatementChange.kind == "adjustment", StatementChange.state == "settled")
    if as_of is not None:
        statements = statements.where(Statement.paid_on <= as_of)
        adjustments = adjustments.where(StatementChange.settled_on <= as_of)
    # Summed in Python: few rows, and the Money type turns each stored fen back into yuan.
    paid = session.execute(statements.order_by(Statement.id)).all()
    settled = session.execute(adjustments.order_by(StatementChange.id)).all()
    return Payments(sum((r.amount for r in (*paid, *settled)), Decimal("0.00")),
                    tuple(r.id for r in paid), tuple(r.id for r in settled))


def total_paid(session: Session, payer_code: str, payee_code: str,
               as_of: date | None = None) -> Decimal:
    """What ``payer_code`` has paid ``payee_code`` (by ``as_of`` when given): the net of every
    paid or closed statement in that direction, plus settled adjustments in that direction."""
    return payments(session, payer_code, payee_code, as_of).total


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
