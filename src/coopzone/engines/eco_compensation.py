"""River-basin eco-compensation ("对赌") settlement engine.

Pure: stdlib and ``decimal`` only; no polars, database, settings or I/O. Input is the
agreement terms (``Agreement``, built from TOML by ``coopzone.ecology.agreement_files``) and
the evaluated periods (``PeriodResult``: section, period, class, item means, validity). Output
is a ``Settlement``: one ``SettlementLine`` per rule, section and period with its working
(inputs, formula with numbers, caps, rounding, missing-data policy), and per settlement year
the net between each two parties with the due date ("月核算、年清缴", 渌水 2019 agreement).

Rule shapes and the agreements they model (research notes §3):
  class_bet        渌水 R1 2019 (binary monthly bet vs Ⅲ), R2 2022 per-class table
  class_step       黄河 豫→鲁 2021 (a), per class step from Ⅲ
  index_change     黄河 豫→鲁 2021 (b), year-on-year key-pollutant index, capped
  index_threshold  新安江 2012– (P = k0 Σ k_i C_i / C_i0 vs 1)
  pooled_fund      赤水河 2018–2020 (1:5:4 in, 3:4:3 out, failed segment's share moves down)
  item_penalty     北京 2015 区域补偿 (fixed sum per exceeding item, additive)

Several agreements (rounds of one river, e.g. lushui-2019 then lushui-2022) settle together
with ``settle``: each one covers only its own round dates, and the nets add them up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from coopzone.engines.eco_compensation_rules import (
    ZERO,
    Context,
    class_bet,
    class_step,
    index_change,
    index_threshold,
    item_penalty,
    pooled_fund,
    yuan,
)
from coopzone.engines.eco_compensation_terms import (
    CLASS_NAMES,
    Agreement,
    ClassBetRule,
    ClassStepRule,
    Evaluation,
    Flow,
    FundSegment,
    IndexChangeRule,
    IndexThresholdRule,
    ItemPenaltyRule,
    LineStatus,
    MissingPolicy,
    NetLine,
    Party,
    PenaltySegment,
    PeriodKind,
    PeriodResult,
    PooledFundRule,
    Round,
    Rounding,
    Rule,
    Section,
    Settlement,
    SettlementLine,
    SettlementTerms,
    SourceFigure,
    SourceNotes,
    Step,
    Transfer,
    YearSummary,
    class_name,
)

__all__ = [
    "CLASS_NAMES",
    "Agreement",
    "ClassBetRule",
    "ClassStepRule",
    "Evaluation",
    "Flow",
    "FundSegment",
    "IndexChangeRule",
    "IndexThresholdRule",
    "ItemPenaltyRule",
    "LineStatus",
    "MissingPolicy",
    "NetLine",
    "Party",
    "PenaltySegment",
    "PeriodResult",
    "PooledFundRule",
    "Round",
    "Rounding",
    "Rule",
    "Section",
    "Settlement",
    "SettlementLine",
    "SettlementTerms",
    "SourceFigure",
    "SourceNotes",
    "Step",
    "Transfer",
    "YearSummary",
    "class_name",
    "compute_lines",
    "net_by_year",
    "periods_of",
    "settle",
    "settle_each",
]


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def periods_of(round_: Round, kind: PeriodKind) -> list[str]:
    """The periods a round covers: months "2019-07" … or years "2021" …"""
    if kind == "year":
        return [str(y) for y in range(round_.start.year, round_.end.year + 1)]
    first, last = _month_index(round_.start), _month_index(round_.end)
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


def in_window(period: str, start: str | None, end: str | None) -> bool:
    """Whether a period overlaps the window ``start``..``end`` (inclusive, "YYYY-MM")."""
    first, last = (f"{period}-01", f"{period}-12") if len(period) == 4 else (period, period)
    return (start is None or last >= start) and (end is None or first <= end)


def _effective(rule: Rule, round_: Round) -> Rule:
    """The rule as the round amends it (e.g. 新安江 k0 0.85 → 0.89 → 0.90)."""
    overrides = round_.overrides.get(rule.id)
    return replace(rule, **overrides) if overrides else rule


def _apply(rule: Rule, period: str, ctx: Context) -> list[SettlementLine]:
    match rule:
        case ClassBetRule():
            return class_bet(rule, period, ctx)
        case ClassStepRule():
            return class_step(rule, period, ctx)
        case IndexChangeRule():
            return index_change(rule, period, ctx)
        case IndexThresholdRule():
            return index_threshold(rule, period, ctx)
        case PooledFundRule():
            return pooled_fund(rule, period, ctx)
        case ItemPenaltyRule():
            return item_penalty(rule, period, ctx)
    raise TypeError(f"unknown rule {rule!r}")


def _index(
    agreement: Agreement, periods: Iterable[PeriodResult]
) -> dict[tuple[str, str], PeriodResult]:
    """Key results by (agreement section name, period), folding section aliases."""
    canonical = {s.name: s.name for s in agreement.sections}
    for section in agreement.sections:
        canonical.update({alias: section.name for alias in section.aliases})
    return {(canonical.get(p.section, p.section), p.period): p for p in periods}


def compute_lines(
    agreement: Agreement,
    periods: Iterable[PeriodResult],
    start: str | None = None,
    end: str | None = None,
) -> list[SettlementLine]:
    """Every settlement line of every round and rule, for periods overlapping the window.

    Periods of a round with no result still produce a line (skipped, held or failed per the
    agreement's missing-data policy), so no month is silently counted as a pass.
    """
    data = _index(agreement, periods)
    lines: list[SettlementLine] = []
    for round_ in agreement.rounds:
        ctx = Context(agreement, round_, data)
        for period in periods_of(round_, agreement.evaluation.period):
            if not in_window(period, start, end):
                continue
            for rule in agreement.rules:
                lines.extend(_apply(_effective(rule, round_), period, ctx))
    return lines


def net_by_year(lines: Sequence[SettlementLine], names: Mapping[str, str]) -> list[YearSummary]:
    """Net accrued lines per settlement year (and due date) between each two parties."""
    groups: dict[tuple[int, date], list[SettlementLine]] = defaultdict(list)
    for line in lines:
        groups[(line.year, line.due)].append(line)
    return [_year_summary(year, due, groups[(year, due)], names) for year, due in sorted(groups)]


def _year_summary(
    year: int, due: date, lines: Sequence[SettlementLine], names: Mapping[str, str]
) -> YearSummary:
    flows: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    counts: dict[frozenset[str], int] = defaultdict(int)
    for line in lines:
        if line.status is LineStatus.ACCRUED and line.payer and line.payee:
            flows[(line.payer, line.payee)] += line.amount
            counts[frozenset((line.payer, line.payee))] += 1
    nets = [
        _net_line(year, due, a, b, flows[(a, b)], flows[(b, a)], counts[pair], names)
        for pair in counts
        for a, b in [sorted(pair)]
    ]
    nets.sort(key=lambda n: (n.payer, n.payee))
    held = sum(1 for line in lines if line.status is LineStatus.HELD)
    skipped = sum(1 for line in lines if line.status is LineStatus.SKIPPED)
    return YearSummary(year, due, tuple(nets), held, skipped)


def _net_line(
    year: int, due: date, a: str, b: str, a_to_b: Decimal, b_to_a: Decimal, count: int,
    names: Mapping[str, str],
) -> NetLine:
    payer, payee, out, back = (a, b, a_to_b, b_to_a) if a_to_b >= b_to_a else (b, a, b_to_a, a_to_b)
    net = out - back
    pn, qn = names.get(payer, payer), names.get(payee, payee)
    text = (
        f"{year} 年：{pn}→{qn} {yuan(out)} 元，{qn}→{pn} {yuan(back)} 元；"
        f"净额 {pn} 付 {qn} {yuan(net)} 元，{due.isoformat()} 前清缴"
    )
    return NetLine(year, due, payer, payee, net, out, back, count, text)


def settle(
    agreements: Sequence[Agreement],
    periods: Iterable[PeriodResult],
    start: str | None = None,
    end: str | None = None,
) -> Settlement:
    """Settle one or several agreements (e.g. successive rounds) over the same data.

    Each agreement covers only its own round dates; nets add all of them up per year.
    """
    results = list(periods)
    return settle_each([(a, results) for a in agreements], start, end)


def settle_each(
    pairs: Sequence[tuple[Agreement, Iterable[PeriodResult]]],
    start: str | None = None,
    end: str | None = None,
) -> Settlement:
    """Like ``settle``, with each agreement's own evaluated periods (agreements may assess
    different items or periods)."""
    lines: list[SettlementLine] = []
    names: dict[str, str] = {}
    for agreement, periods in pairs:
        lines.extend(compute_lines(agreement, periods, start, end))
        names.update({p.id: p.name for p in agreement.parties})
    lines.sort(key=lambda line: (line.period, line.agreement, line.rule_id, line.section))
    return Settlement(tuple(lines), tuple(net_by_year(lines, names)))

