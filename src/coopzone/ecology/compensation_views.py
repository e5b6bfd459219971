"""What the compensation pages and the JSON API both show, computed in the service layer
(neither edge calls the other): the agreements' terms in plain Chinese, a series' overview,
which months rest on unreviewed data, and a statement's downloadable file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from coopzone.ecology import ledger, monitoring, statements
from coopzone.ecology.models import Statement
from coopzone.engines.eco_compensation import (
    Agreement,
    ClassBetRule,
    ClassStepRule,
    Flow,
    IndexChangeRule,
    IndexThresholdRule,
    ItemPenaltyRule,
    PooledFundRule,
    Rule,
    class_name,
)
from coopzone.engines.water_quality import item_spec
from coopzone.engines.water_quality_gb3838 import ITEM_CODES
from coopzone.errors import NotFound

CERTAINTY = {"verified": "已核实（原始文本）", "verified-secondary": "已核实（转载或二手来源）",
             "unverified": "未核实（文献背景）", "assumed": "假设（占位，待核实）",
             "illustrative": "示例，并非真实协议"}
MISSING = {"hold": "缺测的期间挂起待复核，不计金额", "skip": "缺测的期间不计补偿（不视为达标）",
           "fail": "缺测的期间按不达标计"}
PERIOD = {"month": "当月", "year": "当年"}
ROLE = {"upstream": "上游", "downstream": "下游", "contributor": "出资方"}
# The parts of a figure's place in an agreement file ("rules[0].amount"), in Chinese.
FIELD_WORDS = {
    "allocations": "分配比例", "amount": "金额", "amount_per_item": "每项超标金额",
    "amount_per_step": "每级金额", "baseline": "基准值", "by_class": "分类别金额",
    "cap": "封顶金额", "contributions": "出资比例", "due": "清缴期限", "fail": "不达标时的付款方向",
    "k0": "系数 k0", "missing_data": "缺测处理", "pass": "达标时的付款方向",
    "rate_per_point": "每变化一个点的金额", "reference": "比较基准", "rounds": "轮次",
    "rules": "规则", "segments": "分段", "settlement": "结算", "start": "起始月份",
    "end": "终止月份", "total": "资金总额", "weights": "权重",
}


def field_label(path: str) -> str:
    """Where a figure stands in the terms, in words: "rules[0].amount" → "第1条规则·金额"."""
    out: list[str] = []
    for part in path.split("."):
        name, _sep, index = part.partition("[")
        word = FIELD_WORDS.get(name, name)
        out.append(f"第{int(index.rstrip(']')) + 1}{'轮' if name == 'rounds' else '条'}{word}"
                   .replace("轮轮次", "轮") if index.rstrip("]").isdigit() else word)
    return "·".join(out)


def _round_name(number: int, round_id: str) -> str:
    """"第1轮（R1）"; a round id that is a word ("example") is left out."""
    return f"第{number}轮" + (f"（{round_id}）" if re.fullmatch(r"R\d+", round_id) else "")


def _item_names(codes: Iterable[str]) -> str:
    return "、".join(item_spec(c).name_zh if c in ITEM_CODES else c for c in codes)


def _source_urls(urls: Iterable[str]) -> list[str]:
    """Only web addresses become links (an uploaded file could carry anything)."""
    return [u for u in urls if u.startswith(("http://", "https://"))]


def _money(amount: Decimal) -> str:
    return f"{amount:,}"


# ---- plain-Chinese description of the terms -----------------------------------------------


def _pays(agreement: Agreement, flow: Flow | None, amount: Decimal) -> str:
    if flow is None:
        return "无支付"
    return (f"{agreement.party_name(flow.payer)}付{agreement.party_name(flow.payee)} "
            f"{_money(amount)} 元")


def _rule_text(agreement: Agreement, rule: Rule) -> str:
    when = PERIOD[agreement.evaluation.period]
    match rule:
        case ClassBetRule(by_class=by_class) if by_class:
            groups: dict[str, list[str]] = {}
            for cls in sorted(by_class):
                t = by_class[cls]
                text = (f"{agreement.party_name(t.payer)}付{agreement.party_name(t.payee)} "
                        f"{_money(t.amount)} 元" if t else "无支付")
                groups.setdefault(text, []).append(class_name(cls))
            parts = "；".join(f"{'、'.join(c)}类：{t}" for t, c in groups.items())
            return f"{rule.section}断面按{when}水质类别分档补偿——{parts}。"
        case ClassBetRule():
            target = class_name(rule.target_class)
            return (f"{rule.section}断面{when}水质达到或优于{target}类："
                    f"{_pays(agreement, rule.pass_, rule.amount)}；劣于{target}类："
                    f"{_pays(agreement, rule.fail, rule.amount)}。")
        case ClassStepRule():
            target = class_name(rule.target_class)
            return (f"{rule.section}断面{when}水质每优于{target}类一个类别："
                    f"{_pays(agreement, rule.better, rule.amount_per_step)}；每劣于一个类别："
                    f"{_pays(agreement, rule.worse, rule.amount_per_step)}；恰为{target}类不支付。")
        case IndexChangeRule():
            return (f"{rule.section}断面关键污染物指数（{_item_names(rule.items)}）与上期相比"
                    f"每改善 1 个百分点：{_pays(agreement, rule.improve, rule.rate_per_point)}；"
                    f"每恶化 1 个百分点：{_pays(agreement, rule.worsen, rule.rate_per_point)}。")
        case IndexThresholdRule():
            return (f"{rule.section}断面补偿指数 P = {rule.k0} × Σ kᵢ·Cᵢ/Cᵢ₀，"
                    f"P ≤ {rule.threshold}：{_pays(agreement, rule.pass_, rule.amount)}；"
                    f"P > {rule.threshold}：{_pays(agreement, rule.fail, rule.amount)}。")
        case PooledFundRule():
            return (f"共同出资设立补偿资金 {_money(rule.total)} 元，按出资比例缴纳、按分配比例"
                    f"拨付；断面不达标的一方分配额按约定转给其他方。")
        case ItemPenaltyRule():
            return (f"每个断面每期每一项超标污染物，由上游付下游 {_money(rule.amount_per_item)} 元"
                    f"（项目：{_item_names(rule.limits)}）。")
    return rule.kind  # pragma: no cover - every kind is matched above


def _cap(rule: Rule) -> str:
    return f"每期封顶 {_money(rule.cap)} 元。" if rule.cap is not None else ""


def describe(agreement: Agreement) -> dict[str, Any]:
    """The agreement's terms as plain Chinese sentences, with the certainty of each figure."""
    parties = "、".join(f"{p.name}（{p.code}，{ROLE.get(p.role, p.role)}）"
                       for p in agreement.parties)
    sections = "、".join(s.name + (f"（又作 {'、'.join(s.aliases)}）" if s.aliases else "")
                        for s in agreement.sections)
    ev = agreement.evaluation
    items = _item_names(ev.items) if ev.items else "全部参评项目（国家考核类别）"
    terms = agreement.settlement
    due = f"{terms.due_month:02d}-{terms.due_day:02d}"
    return {
        "parties": parties,
        "sections": sections,
        "evaluation": (f"按 GB 3838-2002 单因子评价{'当月' if ev.period == 'month' else '全年'}"
                       f"水质类别，评价项目：{items}，目标 {class_name(ev.target_class)} 类。"),
        "rules": [_rule_text(agreement, rule) + _cap(rule) for rule in agreement.rules],
        "rounds": [f"{_round_name(i, r.id)}：{r.start:%Y-%m} 至 {r.end:%Y-%m}"
                   for i, r in enumerate(agreement.rounds, start=1)],
        "settlement": (f"{'按月' if terms.accrual == 'monthly' else '按年'}核算，按年清缴，"
                       f"结算年度之后第 {terms.due_year_offset} 年的 {due} 前付清；"
                       f"{MISSING[agreement.missing_data.value]}。"),
        "certainty": CERTAINTY.get(agreement.source.label, agreement.source.label),
        "summary": agreement.source.summary,
        "urls": list(agreement.source.urls),
        "links": _source_urls(agreement.source.urls),
        "version": statements.version_label(agreement.version),
        "figures": [{"field": f.field, "field_name": field_label(f.field),
                     "certainty": CERTAINTY.get(f.label, f.label),
                     "label": f.label, "note": f.note, "urls": list(f.urls)}
                    for f in agreement.source.figures],
    }


# ---- views ---------------------------------------------------------------------------------


def series_overview(session: Session, series: str,
                    with_statements: bool = True) -> dict[str, Any]:
    """The figures of one series: strip, streak, balances, statements, totals paid
    (``with_statements=False``: the caller pages the statements itself)."""
    terms = ledger.series_terms(session, series)
    names = {p.code: p.name for _v, a in terms for p in a.parties}
    strip = ledger.month_strip(session, series)
    codes = sorted(names)
    paid = [{"payer": names[a], "payee": names[b], "payer_code": a, "payee_code": b,
             "amount": ledger.total_paid(session, a, b)}
            for a in codes for b in codes if a != b]
    return {
        "series": series,
        "title": terms[0][1].title.split("（")[0],
        "names": names,
        "strip": strip,
        "streak": ledger.compliant_streak(strip),
        "passed": sum(1 for m in strip if m.compliant),
        "failed": sum(1 for m in strip if m.compliant is False),
        "balances": ledger.balances(session, series),
        "statements": ledger.list_statements(session, series) if with_statements else [],
        "paid": paid,
        # Months left out until the other party's ecology bureau reviews their readings.
        "unreviewed": monitoring.pending_months_by_name(
            session, {n for _v, a in terms for s in a.sections for n in (s.name, *s.aliases)}),
    }


def resolve(session: Session, ref: str, series: str | None = None) -> Statement | list[Statement]:
    """A statement by id, or the statements of a settlement year (1900–2999 are years)."""
    if not (ref.isascii() and ref.isdigit()) or len(ref) > 18:
        raise NotFound(f"没有结算单 {ref}", detail=f"unknown statement {ref}")
    number = int(ref)
    if 1900 <= number <= 2999:
        found = ledger.list_statements(session, series, number)
        if not found:
            raise NotFound(f"{number} 年没有结算单", detail=f"no statement for {number}")
        return ledger.get_statement(session, found[0].id) if len(found) == 1 else found
    return ledger.get_statement(session, number)


def unreviewed_in_year(session: Session, statement: Statement) -> dict[str, list[str]]:
    """Section → months of the statement's year that rest on unreviewed readings."""
    names = {ln.section for ln in statement.lines}
    prefix = f"{statement.year:04d}-"
    found = monitoring.pending_months_by_name(session, names)
    return {name: [m for m in months if m.startswith(prefix)]
            for name, months in found.items() if any(m.startswith(prefix) for m in months)}


def statement_file(session: Session, ref: str, series: str | None,
                   ext: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of a statement's Excel (``xlsx``) or PDF file."""
    found = resolve(session, ref, series)
    statement = found[0] if isinstance(found, list) else found
    if ext == "xlsx":
        body = statements.statement_xlsx(session, statement.id)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = statements.statement_pdf(session, statement.id)
        media = "application/pdf"
    return body, media, statements.filename(statement, ext)
