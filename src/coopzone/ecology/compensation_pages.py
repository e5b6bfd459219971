"""Eco-compensation pages: the agreements in plain Chinese, each month's class, balances and
the yearly statements with their working (public); confirming, paying, closing and
recomputing (logged-in finance bureaus, with the form's CSRF token)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from coopzone.ecology import ledger, statements
from coopzone.ecology.models import AgreementVersion, Statement
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
from coopzone.errors import Forbidden, InvalidInput, NotFound, RowError
from coopzone.kit.exporting import attachment_headers
from coopzone.kit.validation import EARLIEST_YEAR, LATEST_YEAR, Id, Key, Str
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, render

router = APIRouter(prefix="/ecology/compensation", include_in_schema=False)

CERTAINTY = {"verified": "已核实（原始文本）", "verified-secondary": "已核实（转载或二手来源）",
             "unverified": "未核实（文献背景）", "assumed": "假设（占位，待核实）",
             "illustrative": "示例，并非真实协议"}
MISSING = {"hold": "缺测的期间挂起待复核，不计金额", "skip": "缺测的期间不计补偿（不视为达标）",
           "fail": "缺测的期间按不达标计"}
PERIOD = {"month": "当月", "year": "当年"}
STATE_LABELS = {"computed": N_("Computed"), "confirmed": N_("Confirmed by both parties"),
                "paid": N_("Paid"), "closed": N_("Closed")}
STATUS_LABELS = {"accrued": N_("Accrued"), "held": N_("Held for review"),
                 "skipped": N_("Skipped"), "withdrawn": N_("Withdrawn")}
CHANGE_LABELS = {"recorded": N_("Recorded"), "open": N_("Open"), "settled": N_("Settled")}
ACTION_LABELS = {"compute": N_("Computed"), "confirm": N_("Confirmed"),
                 "pay": N_("Payment recorded"), "close": N_("Receipt confirmed and closed"),
                 "reopen": N_("Recomputed: the net changed, both sides confirm again"),
                 "recompute": N_("Recomputed"), "adjust": N_("Adjustment recorded"),
                 "settle": N_("Adjustment settled")}
LABELS = {"state_labels": STATE_LABELS, "status_labels": STATUS_LABELS,
          "change_labels": CHANGE_LABELS, "action_labels": ACTION_LABELS}
ROLE = {"upstream": "上游", "downstream": "下游", "contributor": "出资方"}


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
            return (f"{rule.section}断面关键污染物指数（{'、'.join(rule.items)}）与上期相比"
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
                    f"（项目：{'、'.join(rule.limits)}）。")
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
    items = "、".join(ev.items) if ev.items else "全部参评项目（国家考核类别）"
    terms = agreement.settlement
    due = f"{terms.due_month:02d}-{terms.due_day:02d}"
    return {
        "parties": parties,
        "sections": sections,
        "evaluation": (f"按 GB 3838-2002 单因子评价{'当月' if ev.period == 'month' else '全年'}"
                       f"水质类别，评价项目：{items}，目标 {class_name(ev.target_class)} 类。"),
        "rules": [_rule_text(agreement, rule) + _cap(rule) for rule in agreement.rules],
        "rounds": [f"{r.id}：{r.start:%Y-%m} 至 {r.end:%Y-%m}" for r in agreement.rounds],
        "settlement": (f"{'按月' if terms.accrual == 'monthly' else '按年'}核算，按年清缴，"
                       f"结算年度之后第 {terms.due_year_offset} 年的 {due} 前付清；"
                       f"{MISSING[agreement.missing_data.value]}。"),
        "certainty": CERTAINTY.get(agreement.source.label, agreement.source.label),
        "summary": agreement.source.summary,
        "urls": list(agreement.source.urls),
        "figures": [{"field": f.field, "certainty": CERTAINTY.get(f.label, f.label),
                     "label": f.label, "note": f.note, "urls": list(f.urls)}
                    for f in agreement.source.figures],
    }


# ---- views ---------------------------------------------------------------------------------


def series_overview(session: Session, series: str) -> dict[str, Any]:
    """The figures of one series: strip, streak, balances, statements, totals paid."""
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
        "statements": ledger.list_statements(session, series),
        "paid": paid,
    }


def _agreements(session: Session) -> list[dict[str, Any]]:
    out = []
    for version in ledger.current_versions(session):
        agreement = ledger.agreement_of(version)
        out.append({"version": version, "agreement": agreement,
                    "terms": describe(agreement),
                    "history": len(ledger.version_history(session, version.agreement_id))})
    return out


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    series = [series_overview(session, name) for name in ledger.series_names(session)]
    return render(request, "ecology/compensation.html", {
        "agreements": _agreements(session), "series": series,
        "can_recompute": principal is not None and _can_recompute(session, principal, series),
        **LABELS,
    })


def _can_recompute(session: Session, principal: Principal, series: list[dict[str, Any]]) -> bool:
    try:
        for s in series:
            ledger.require_recompute(session, principal, s["series"])
    except Forbidden:  # the button is simply not shown
        return False
    return bool(series)


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


def statement_context(session: Session, statement: Statement,
                      principal: Principal | None, today: date) -> dict[str, Any]:
    doc = statements.document(session, statement.id)
    versions = {v.id: v for v in _versions(session, statement)}

    def may(code: str) -> bool:
        return principal is not None and ledger.acts_for(principal, code)

    confirmable = [c for c in (statement.payer_code, statement.payee_code)
                   if statement.state in ledger.UNPAID and may(c)
                   and not (statement.payer_confirmed_at if c == statement.payer_code
                            else statement.payee_confirmed_at)]
    return {
        "doc": doc, "s": statement, "names": doc.names, "bureaus": doc.bureaus,
        "versions": versions, "state_name": statements.STATE_NAMES.get(statement.state),
        "status_names": statements.STATUS_NAMES, "class_label": statements.class_label,
        "confirmable": confirmable,
        "can_pay": statement.state == "confirmed" and may(statement.payer_code),
        "can_close": statement.state == "paid" and may(statement.payee_code),
        "may": may, "today": today.isoformat(),
        "effective": ledger.effective_signed(statement),
        "in_words": statements.in_words, "left_out": doc.left_out, "history": doc.history,
        **LABELS,
    }


def _versions(session: Session, statement: Statement) -> list[AgreementVersion]:
    ids = {ln.agreement_version_id for ln in statement.lines}
    return [session.get_one(AgreementVersion, i) for i in sorted(ids)]


@router.get("/{ref}", response_class=HTMLResponse)
def statement_page(request: Request, session: SessionDep, principal: OptionalUser, ref: Key,
                   series: Key | None = None) -> Response:
    found = resolve(session, ref, series)
    if isinstance(found, list):
        return render(request, "ecology/compensation_year.html",
                      {"year": int(ref), "statements": found})
    return render(request, "ecology/compensation_statement.html",
                  statement_context(session, found, principal,
                                    request.app.state.settings.today()))


def _download(session: Session, ref: str, series: str | None, ext: str) -> Response:
    found = resolve(session, ref, series)
    statement = found[0] if isinstance(found, list) else found
    body, media, name = statements.download(session, statement, ext)
    return Response(body, media_type=media, headers=attachment_headers(name))


@router.get("/{ref}/statement.xlsx")
def statement_xlsx(session: SessionDep, ref: Key, series: Key | None = None) -> Response:
    return _download(session, ref, series, "xlsx")


@router.get("/{ref}/statement.pdf")
def statement_pdf(session: SessionDep, ref: Key, series: Key | None = None) -> Response:
    return _download(session, ref, series, "pdf")


# The version of the statement the form was rendered from: an action on a figure that
# changed since (a recomputation) is refused rather than applied to what the user did not see.
LockVersion = Annotated[int | None, Form(ge=1, le=2**31 - 1)]


def _back(statement_id: int) -> RedirectResponse:
    return RedirectResponse(f"/ecology/compensation/{statement_id}", status_code=303)


def parse_day(value: str, column: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD", [RowError(None, column, value)]) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(f"日期应在 {EARLIEST_YEAR}–{LATEST_YEAR} 年之间",
                           [RowError(None, column, value)])
    return day


@router.post("/recompute", dependencies=[CsrfChecked])
def recompute(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
              series: Annotated[Str, Form(max_length=60)]) -> Response:
    ledger.recompute(session, principal, series, settings.today())
    return RedirectResponse("/ecology/compensation", status_code=303)


@router.post("/adjustments/{change_id}/settle", dependencies=[CsrfChecked])
def settle_adjustment(session: SessionDep, principal: CurrentUser, change_id: Id,
                      paid_on: Annotated[str, Form()],
                      voucher_no: Annotated[Str, Form(max_length=60)],
                      lock_version: LockVersion = None) -> Response:
    change = ledger.settle_adjustment(session, principal, change_id,
                                      parse_day(paid_on, "paid_on"), voucher_no, lock_version)
    return _back(change.statement_id)


@router.post("/{statement_id}/confirm", dependencies=[CsrfChecked])
def confirm(session: SessionDep, principal: CurrentUser, statement_id: Id,
            party_code: Annotated[Str, Form(max_length=6)] = "",
            lock_version: LockVersion = None) -> Response:
    ledger.confirm(session, principal, statement_id, party_code or None, lock_version)
    return _back(statement_id)


@router.post("/{statement_id}/pay", dependencies=[CsrfChecked])
def pay(session: SessionDep, principal: CurrentUser, statement_id: Id,
        paid_on: Annotated[str, Form()],
        voucher_no: Annotated[Str, Form(max_length=60)],
        lock_version: LockVersion = None) -> Response:
    ledger.record_payment(session, principal, statement_id, parse_day(paid_on, "paid_on"),
                          voucher_no, lock_version)
    return _back(statement_id)


@router.post("/{statement_id}/close", dependencies=[CsrfChecked])
def close(session: SessionDep, principal: CurrentUser, statement_id: Id,
          lock_version: LockVersion = None) -> Response:
    ledger.close(session, principal, statement_id, lock_version)
    return _back(statement_id)
