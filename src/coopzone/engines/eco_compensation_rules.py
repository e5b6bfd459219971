"""One function per rule shape: terms + evaluated periods → settlement lines with their working.

Pure (stdlib + decimal). Called by ``coopzone.engines.eco_compensation``; each function
documents the agreement clause it models. Texts are Chinese, numbers filled in, so a page can
show the working as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from coopzone.engines.eco_compensation_terms import (
    WORST_CLASS,
    Agreement,
    ClassBetRule,
    ClassStepRule,
    Flow,
    IndexChangeRule,
    IndexThresholdRule,
    ItemPenaltyRule,
    LineStatus,
    MissingPolicy,
    PenaltySegment,
    PeriodResult,
    PooledFundRule,
    Round,
    Rounding,
    Rule,
    SettlementLine,
    Step,
    class_name,
)

ZERO = Decimal(0)
_QUANTUM = {Rounding.YUAN: Decimal(1), Rounding.FEN: Decimal("0.01")}


def yuan(amount: Decimal) -> str:
    """1000000 → "1,000,000"; keeps fen when there are any."""
    return f"{amount:,}"


def num(value: Decimal, places: int = 4) -> str:
    """A measured or computed value for display, trailing zeros trimmed."""
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{shown:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Context:
    """What every rule function needs besides its own terms."""

    agreement: Agreement
    round: Round
    data: Mapping[tuple[str, str], PeriodResult]

    def name(self, party_id: str) -> str:
        return self.agreement.party_name(party_id)

    def result(self, section: str, period: str) -> PeriodResult | None:
        return self.data.get((section, period))

    def line(
        self, rule: Rule, section: str, period: str, flow: Flow | None, amount: Decimal,
        steps: Sequence[Step], status: LineStatus = LineStatus.ACCRUED,
    ) -> SettlementLine:
        year = int(period[:4])
        moves = flow is not None and amount != ZERO and status is LineStatus.ACCRUED
        return SettlementLine(
            agreement=self.agreement.id, round=self.round.id, rule_id=rule.id, rule=rule.kind,
            section=section, period=period, year=year,
            due=self.agreement.settlement.due_date(year),
            payer=flow.payer if moves and flow else None,
            payee=flow.payee if moves and flow else None,
            amount=amount if moves else ZERO, status=status, steps=tuple(steps),
        )

    def pays(self, flow: Flow, amount: Decimal) -> str:
        return f"{self.name(flow.payer)} 付 {self.name(flow.payee)} {yuan(amount)} 元"

    def finish(self, raw: Decimal, cap: Decimal | None, steps: list[Step]) -> Decimal:
        """Apply the rule's cap, then the agreement's rounding; record both when they bite."""
        amount = raw
        if cap is not None and amount > cap:
            steps.append(Step("cap", f"封顶 {yuan(cap)} 元：{yuan(amount)} → {yuan(cap)} 元"))
            amount = cap
        quantum = _QUANTUM[self.agreement.rounding]
        rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
        if rounded != amount:
            unit = "元" if self.agreement.rounding is Rounding.YUAN else "分"
            steps.append(Step("rounding", f"四舍五入到{unit}：{amount} → {yuan(rounded)} 元"))
        return rounded


def missing_line(
    ctx: Context, rule: Rule, section: str, period: str, reason: str, steps: list[Step]
) -> SettlementLine:
    """Skip or hold a period without valid data (never counted as a pass)."""
    policy = ctx.agreement.missing_data
    if policy is MissingPolicy.HOLD:
        steps.append(Step("policy", f"{reason}：按协议缺测规则 hold，本期挂起待复核，暂不计金额"))
        return ctx.line(rule, section, period, None, ZERO, steps, LineStatus.HELD)
    steps.append(Step("policy", f"{reason}：按协议缺测规则 skip，本期不计补偿（不视为达标）"))
    return ctx.line(rule, section, period, None, ZERO, steps, LineStatus.SKIPPED)


def fail_step(reason: str, counted_as: str) -> Step:
    return Step("policy", f"{reason}：按协议缺测规则 fail，本期视为不达标（按{counted_as}计）")


def usable_class(res: PeriodResult | None) -> int | None:
    if res is None or not res.valid or res.water_class is None:
        return None
    return res.water_class


def why_missing(res: PeriodResult | None, items: Sequence[str] = ()) -> str:
    if res is None:
        return "无监测数据"
    if not res.valid:
        return f"数据无效{f'（{res.note}）' if res.note else ''}"
    lacking = [i for i in items if i not in res.means]
    if lacking:
        return f"缺少 {'、'.join(lacking)} 均值"
    return "无水质类别"


def class_input(section: str, period: str, res: PeriodResult | None) -> Step:
    cls = usable_class(res)
    if cls is None:
        return Step("input", f"{section} {period} 无有效水质类别（{why_missing(res)}）")
    return Step("input", f"{section} {period} 水质类别 {class_name(cls)}")


# --- shape 1: binary bet ------------------------------------------------------------------


def _section_class(
    rule: ClassBetRule | ClassStepRule, period: str, ctx: Context
) -> tuple[int, list[Step]] | SettlementLine:
    """The section's class for the period with its input step, or the line that the
    agreement's missing-data policy gives (a failing class under ``fail``)."""
    res = ctx.result(rule.section, period)
    steps = [class_input(rule.section, period, res)]
    cls = usable_class(res)
    if cls is not None:
        return cls, steps
    if ctx.agreement.missing_data is not MissingPolicy.FAIL:
        return missing_line(ctx, rule, rule.section, period, why_missing(res), steps)
    steps.append(fail_step(why_missing(res), "劣V"))
    return WORST_CLASS, steps


def class_bet(rule: ClassBetRule, period: str, ctx: Context) -> list[SettlementLine]:
    """渌水 R1 (2019): "若当月水质类别达到或优于国家考核目标Ⅲ类" Hunan pays Jiangxi 100万,
    otherwise Jiangxi pays Hunan; R2 "差异化补偿" through the per-class table."""
    found = _section_class(rule, period, ctx)
    if isinstance(found, SettlementLine):
        return [found]
    cls, steps = found
    head = f"{period} {rule.section} 类别 {class_name(cls)}"
    if rule.by_class:
        return [_by_class(rule, period, ctx, cls, head, steps)]
    if rule.pass_ is None or rule.fail is None:
        raise ValueError(f"rule {rule.id}: class_bet needs pass and fail, or by_class")
    target = class_name(rule.target_class)
    if cls <= rule.target_class:
        flow, text = rule.pass_, f"{head} ≤ 目标 {target}"
    else:
        flow, text = rule.fail, f"{head} > 目标 {target}（劣于目标）"
    steps.append(Step("formula", f"{text} → {ctx.pays(flow, rule.amount)}"))
    amount = ctx.finish(rule.amount, rule.cap, steps)
    return [ctx.line(rule, rule.section, period, flow, amount, steps)]


def _by_class(
    rule: ClassBetRule, period: str, ctx: Context, cls: int, head: str, steps: list[Step]
) -> SettlementLine:
    transfer = rule.by_class.get(cls)
    if transfer is None or transfer.amount == ZERO:
        steps.append(Step("formula", f"{head}，按分类表 → 不需支付"))
        return ctx.line(rule, rule.section, period, None, ZERO, steps)
    flow = Flow(transfer.payer, transfer.payee)
    steps.append(Step("formula", f"{head}，按分类表 → {ctx.pays(flow, transfer.amount)}"))
    amount = ctx.finish(transfer.amount, rule.cap, steps)
    return ctx.line(rule, rule.section, period, flow, amount, steps)


# --- shape 2: per class step ---------------------------------------------------------------


def class_step(rule: ClassStepRule, period: str, ctx: Context) -> list[SettlementLine]:
    """黄河 豫→鲁 2021 (a): each class better than Ⅲ → Shandong pays Henan 6,000万; each class
    worse → Henan pays Shandong 6,000万; exactly Ⅲ → nothing."""
    found = _section_class(rule, period, ctx)
    if isinstance(found, SettlementLine):
        return [found]
    cls, steps = found
    diff = cls - rule.target_class
    head = f"{period} {rule.section} 类别 {class_name(cls)}，目标 {class_name(rule.target_class)}"
    if diff == 0:
        steps.append(Step("formula", f"{head}，等于目标 → 不需支付"))
        return [ctx.line(rule, rule.section, period, None, ZERO, steps)]
    flow, word = (rule.better, "好") if diff < 0 else (rule.worse, "差")
    raw = rule.amount_per_step * abs(diff)
    steps.append(Step(
        "formula",
        f"{head}，{word} {abs(diff)} 级 → {abs(diff)} × {yuan(rule.amount_per_step)} = "
        f"{yuan(raw)} 元，{ctx.name(flow.payer)} 付 {ctx.name(flow.payee)}",
    ))
    amount = ctx.finish(raw, rule.cap, steps)
    return [ctx.line(rule, rule.section, period, flow, amount, steps)]


# --- shape 5: index change with cap --------------------------------------------------------


def previous_period(period: str) -> str:
    if len(period) == 4:
        return str(int(period) - 1)
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def _index(
    means: Mapping[str, Decimal], items: Sequence[str], reference: Mapping[str, Decimal]
) -> tuple[Decimal, str]:
    """I = (1/n) Σ C_i / C_III,i, with the filled-in formula."""
    terms = [means[i] / reference[i] for i in items]
    index = sum(terms, ZERO) / len(items)
    parts = " + ".join(f"{num(means[i])}/{num(reference[i])}" for i in items)
    return index, f"({parts}) / {len(items)} = {num(index)}"


def _has_items(res: PeriodResult | None, items: Sequence[str]) -> bool:
    return res is not None and res.valid and all(i in res.means for i in items)


def index_change(rule: IndexChangeRule, period: str, ctx: Context) -> list[SettlementLine]:
    """黄河 豫→鲁 2021 (b): key-pollutant index (COD, NH3-N, TP) year on year; each point of
    improvement → Shandong pays Henan 100万, each point worse → Henan pays 100万; cap 4,000万."""
    prev = previous_period(period)
    now_res, prev_res = ctx.result(rule.section, period), ctx.result(rule.section, prev)
    steps: list[Step] = []
    for label, res in ((period, now_res), (prev, prev_res)):
        if _has_items(res, rule.items) and res is not None:
            shown = ", ".join(f"{i} {num(res.means[i])}" for i in rule.items)
            steps.append(Step("input", f"{rule.section} {label} 均值 {shown}"))
    if not (_has_items(now_res, rule.items) and _has_items(prev_res, rule.items)):
        bad = now_res if not _has_items(now_res, rule.items) else prev_res
        bad_period = period if bad is now_res else prev
        reason = f"{bad_period} {why_missing(bad, rule.items)}"
        if ctx.agreement.missing_data is MissingPolicy.FAIL:
            # "fail" has no defined amount for a change term: hold it rather than guess.
            steps.append(Step("policy", f"{reason}：fail 对变化项无确定金额，挂起待复核"))
            return [ctx.line(rule, rule.section, period, None, ZERO, steps, LineStatus.HELD)]
        return [missing_line(ctx, rule, rule.section, period, reason, steps)]
    assert now_res is not None and prev_res is not None
    return [_index_change_line(rule, period, prev, now_res, prev_res, ctx, steps)]


def _index_change_line(
    rule: IndexChangeRule, period: str, prev: str, now_res: PeriodResult,
    prev_res: PeriodResult, ctx: Context, steps: list[Step],
) -> SettlementLine:
    now_i, now_text = _index(now_res.means, rule.items, rule.reference)
    prev_i, prev_text = _index(prev_res.means, rule.items, rule.reference)
    steps.append(Step("value", f"I({period}) = {now_text}"))
    steps.append(Step("value", f"I({prev}) = {prev_text}"))
    if rule.change == "relative":
        change = (prev_i - now_i) / prev_i * 100
        how = f"(I({prev}) − I({period})) / I({prev}) × 100"
    else:
        change = (prev_i - now_i) * 100
        how = f"(I({prev}) − I({period})) × 100"
    points = change.to_integral_value(rounding=ROUND_DOWN)
    steps.append(Step(
        "value", f"改善幅度 = {how} = {num(change, 2)} 个百分点 → 计 {points:f} 个整百分点"
    ))
    if points == ZERO:
        steps.append(Step("formula", "不足 1 个百分点 → 不需支付"))
        return ctx.line(rule, rule.section, period, None, ZERO, steps)
    flow = rule.improve if points > 0 else rule.worsen
    raw = abs(points) * rule.rate_per_point
    steps.append(Step(
        "formula",
        f"{abs(points):f} × {yuan(rule.rate_per_point)} = {yuan(raw)} 元，"
        f"{ctx.name(flow.payer)} 付 {ctx.name(flow.payee)}",
    ))
    amount = ctx.finish(raw, rule.cap, steps)
    return ctx.line(rule, rule.section, period, flow, amount, steps)


# --- shape 3: index threshold --------------------------------------------------------------


def index_threshold(rule: IndexThresholdRule, period: str, ctx: Context) -> list[SettlementLine]:
    """新安江 (2011 试点实施方案): P = k0 · Σ k_i · C_i / C_i0 over CODMn, NH3-N, TP, TN at 街口;
    P ≤ 1 → Zhejiang pays Anhui 1亿; P > 1 → Anhui pays Zhejiang 1亿."""
    items = tuple(rule.weights)
    res = ctx.result(rule.section, period)
    steps: list[Step] = []
    if not _has_items(res, items) or res is None:
        reason = why_missing(res, items)
        if ctx.agreement.missing_data is not MissingPolicy.FAIL:
            return [missing_line(ctx, rule, rule.section, period, reason, steps)]
        steps.append(fail_step(reason, f"P > {num(rule.threshold)}"))
        return [_threshold_line(rule, period, ctx, rule.fail, steps)]
    means = res.means
    steps.append(Step("input", f"{rule.section} {period} 均值 " + ", ".join(
        f"{i} {num(means[i])}（基准 {num(rule.baseline[i])}）" for i in items
    )))
    p = rule.k0 * sum((rule.weights[i] * means[i] / rule.baseline[i] for i in items), ZERO)
    terms = " + ".join(
        f"{num(rule.weights[i])}×{num(means[i])}/{num(rule.baseline[i])}" for i in items
    )
    steps.append(Step("value", f"P = {num(rule.k0)} × ({terms}) = {num(p)}"))
    passed = p <= rule.threshold
    mark = "≤" if passed else ">"
    steps.append(Step("value", f"P {mark} {num(rule.threshold)}"))
    return [_threshold_line(rule, period, ctx, rule.pass_ if passed else rule.fail, steps)]


def _threshold_line(
    rule: IndexThresholdRule, period: str, ctx: Context, flow: Flow, steps: list[Step]
) -> SettlementLine:
    steps.append(Step("formula", f"{period} {rule.section} → {ctx.pays(flow, rule.amount)}"))
    amount = ctx.finish(rule.amount, rule.cap, steps)
    return ctx.line(rule, rule.section, period, flow, amount, steps)


# --- shape 4: pooled fund ------------------------------------------------------------------


def _shares(total: Decimal, ratios: Mapping[str, Decimal]) -> dict[str, Decimal]:
    whole = sum(ratios.values(), ZERO)
    return {party: total * r / whole for party, r in ratios.items()}


def pooled_fund(rule: PooledFundRule, period: str, ctx: Context) -> list[SettlementLine]:
    """赤水河 2018–2020: 2亿 a year, contributed 1:5:4 (云:贵:川), allocated 3:4:3; a segment
    missing Class Ⅱ loses its owner's share to the downstream parties (清水铺: Yunnan's share
    50/50 to Guizhou and Sichuan; 鲢鱼溪: Guizhou's share to Sichuan)."""
    sections = "、".join(s.section for s in rule.segments)
    steps: list[Step] = []
    failed: list[str] = []
    for seg in rule.segments:
        res = ctx.result(seg.section, period)
        steps.append(class_input(seg.section, period, res))
        cls = usable_class(res)
        if cls is None:
            if ctx.agreement.missing_data is not MissingPolicy.FAIL:
                reason = f"{seg.section} {why_missing(res)}"
                return [missing_line(ctx, rule, sections, period, reason, steps)]
            steps.append(fail_step(f"{seg.section} {why_missing(res)}", "未达标"))
            failed.append(seg.owner)
        elif cls > seg.target_class:
            worse = f"类别 {class_name(cls)} 劣于目标 {class_name(seg.target_class)}"
            steps.append(Step(
                "value", f"{seg.section} {worse} → 扣减 {ctx.name(seg.owner)} 分配额"
            ))
            failed.append(seg.owner)
    positions = _fund_positions(rule, failed, ctx, steps)
    return _fund_lines(rule, period, sections, positions, ctx, steps)


def _fund_positions(
    rule: PooledFundRule, failed: Sequence[str], ctx: Context, steps: list[Step]
) -> dict[str, Decimal]:
    paid = _shares(rule.total, rule.contributions)
    got = _shares(rule.total, rule.allocations)
    steps.append(Step("value", "出资 " + "，".join(
        f"{ctx.name(p)} {yuan(v)}" for p, v in paid.items()) + " 元"))
    steps.append(Step("value", "应分配 " + "，".join(
        f"{ctx.name(p)} {yuan(v)}" for p, v in got.items()) + " 元"))
    for seg in rule.segments:
        if seg.owner not in failed or got.get(seg.owner, ZERO) == ZERO:
            continue
        lost = got[seg.owner]
        got[seg.owner] = ZERO
        for party, share in _shares(lost, seg.redistribute).items():
            got[party] = got.get(party, ZERO) + share
        steps.append(Step("value", f"{seg.section} 未达标：{ctx.name(seg.owner)} 分配额 "
                                   f"{yuan(lost)} 元按 " + "：".join(
            f"{ctx.name(p)}{num(w)}" for p, w in seg.redistribute.items()) + " 转给下游"))
    net = {p: got.get(p, ZERO) - paid.get(p, ZERO) for p in {**paid, **got}}
    order = [p.id for p in ctx.agreement.parties if p.id in net]
    steps.append(Step("value", "净头寸（分配 − 出资）" + "，".join(
        f"{ctx.name(p)} {yuan(net[p])}" for p in order) + " 元"))
    return {p: net[p] for p in order}


def _fund_lines(
    rule: PooledFundRule, period: str, sections: str, net: Mapping[str, Decimal],
    ctx: Context, steps: list[Step],
) -> list[SettlementLine]:
    """Debtors pay creditors in party order, so the lines are deterministic."""
    owes = {p: -v for p, v in net.items() if v < ZERO}
    owed = {p: v for p, v in net.items() if v > ZERO}
    lines: list[SettlementLine] = []
    for creditor in owed:
        for debtor in owes:
            take = min(owed[creditor], owes[debtor])
            if take <= ZERO:
                continue
            owed[creditor] -= take
            owes[debtor] -= take
            flow = Flow(debtor, creditor)
            own = [*steps, Step("formula", f"{period} 资金池结算 → {ctx.pays(flow, take)}")]
            amount = ctx.finish(take, rule.cap, own)
            lines.append(ctx.line(rule, sections, period, flow, amount, own))
    if not lines:
        steps.append(Step("formula", f"{period} 各方净头寸为 0 → 不需支付"))
        lines.append(ctx.line(rule, sections, period, None, ZERO, steps))
    return lines


# --- shape 7: additive per-item penalty ----------------------------------------------------


def item_penalty(rule: ItemPenaltyRule, period: str, ctx: Context) -> list[SettlementLine]:
    """北京 2015 水环境区域补偿 (illustrative): 30万 per section, per month, per item above
    its limit (COD, NH3-N, TP), summed."""
    return [_penalty_line(rule, seg, period, ctx) for seg in rule.segments]


def _penalty_line(
    rule: ItemPenaltyRule, seg: PenaltySegment, period: str, ctx: Context
) -> SettlementLine:
    res = ctx.result(seg.section, period)
    items = tuple(rule.limits)
    steps: list[Step] = []
    if res is None or not res.valid:
        reason = why_missing(res)
        if ctx.agreement.missing_data is not MissingPolicy.FAIL:
            return missing_line(ctx, rule, seg.section, period, reason, steps)
        steps.append(fail_step(reason, "全部项目超标"))
    over: list[str] = []
    for item in items:
        mean = res.means.get(item) if res is not None and res.valid else None
        over_text = _item_check(item, mean, rule.limits[item], ctx)
        if over_text is None:
            continue
        if over_text == "missing" and ctx.agreement.missing_data is not MissingPolicy.FAIL:
            return missing_line(ctx, rule, seg.section, period, f"缺少 {item} 均值", steps)
        steps.append(Step("value", f"{seg.section} {period} {item} {over_text}"))
        over.append(item)
    flow = Flow(seg.payer, seg.payee)
    if not over:
        steps.append(Step("formula", f"{period} {seg.section} 无超标项目 → 不需支付"))
        return ctx.line(rule, seg.section, period, None, ZERO, steps)
    raw = rule.amount_per_item * len(over)
    steps.append(Step(
        "formula",
        f"{period} {seg.section} 超标 {len(over)} 项 × {yuan(rule.amount_per_item)} = "
        f"{yuan(raw)} 元，{ctx.name(flow.payer)} 付 {ctx.name(flow.payee)}",
    ))
    amount = ctx.finish(raw, rule.cap, steps)
    return ctx.line(rule, seg.section, period, flow, amount, steps)


def _item_check(item: str, mean: Decimal | None, limit: Decimal, ctx: Context) -> str | None:
    """None when within the limit; "missing" when there is no mean; else the exceedance text."""
    if mean is None:
        failing = ctx.agreement.missing_data is MissingPolicy.FAIL
        return "缺测，视为超标" if failing else "missing"
    if mean <= limit:
        return None
    return f"{num(mean)} > 限值 {num(limit)}，超标"

