"""What every 跨省通办 page shares: the names of the stored codes (English message ids,
Chinese from the catalogue), the clock in words, query parameters read with a clear
message, names of the records a list refers to, and the context each template gets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import Organisation
from coopzone.accounts.roles import SERVICE_DEPARTMENT, SERVICE_WINDOW, SERVICES_OFFICE
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.api.deps import get_settings_dep
from coopzone.errors import InvalidInput, RowError
from coopzone.gov_services.models import CASE_STATES, MODES, Item, Window
from coopzone.gov_services.service import CaseClock, CaseSearch
from coopzone.gov_services.service.clock import Clock
from coopzone.kit.identity import IdentifierError, mask_resident_id, validate_resident_id
from coopzone.kit.listing import DEFAULT_PER_PAGE, ListParams
from coopzone.places.models import Place
from coopzone.web.i18n import translations
from coopzone.web.templating import N_, locale_of

STATE_NAMES = {"applied": N_("Applied"), "collected": N_("Collected"), "sent": N_("Sent on"),
               "accepted": N_("Accepted for handling"), "not_accepted": N_("Not accepted"),
               "correction": N_("Waiting for correction"), "decided": N_("Decided"),
               "delivered": N_("Delivered"), "evaluated": N_("Evaluated"),
               "archived": N_("Archived")}
ACTION_NAMES = {"apply": N_("Application"),
                "collect": N_("Collect (formal check, identity check)"),
                "send": N_("Send to the department"), "accept": N_("Accept for handling"),
                "refuse": N_("Refuse to accept"), "request_correction": N_("Ask for correction"),
                "complete_correction": N_("Correction completed"),
                "approve": N_("Decide (granted)"), "deny": N_("Decide (denied)"),
                "decide": N_("Decide"), "deliver": N_("Deliver the result"),
                "evaluate": N_("Evaluation"), "archive": N_("Archive"),
                "postage_pause": N_("Clock paused for postage")}
MODE_NAMES = {"online": N_("Fully online"), "proxy": N_("Collected elsewhere on behalf"),
              "joint": N_("Handled jointly by several places")}
APPLICANT_KIND_NAMES = {"person": N_("Person"), "enterprise": N_("Enterprise")}
OUTCOME_NAMES = {"granted": N_("Granted (outcome)"), "denied": N_("Denied")}
GRADE_NAMES = {"very_satisfied": N_("Very satisfied"), "satisfied": N_("Satisfied"),
               "basic": N_("Basically satisfied"), "dissatisfied": N_("Dissatisfied"),
               "very_dissatisfied": N_("Very dissatisfied")}
FOLLOWUP_STATE_NAMES = {"open": N_("Waiting for an answer"), "answered": N_("Answered")}
PAUSE_KIND_NAMES = {"correction": N_("Correction"), "postage": N_("Postage")}
DEPARTMENT_KIND_NAMES = {
    "public_security": N_("Public security"),
    "human_resources_social_security": N_("Human resources and social security"),
    "market_regulation": N_("Market regulation"), "civil_affairs": N_("Civil affairs"),
    "housing": N_("Housing provident fund, housing"), "medical_insurance": N_("Medical insurance"),
    "taxation": N_("Taxation"), "natural_resources": N_("Natural resources"),
    "ecology": N_("Ecology and environment"), "education": N_("Education"),
    "health": N_("Health"), "transport": N_("Transport"), "justice": N_("Justice (notary)"),
    "other": N_("Other")}
CERTAINTY_NAMES = {"[V]": N_("Verified"), "[S]": N_("From a single source"),
                   "[U]": N_("Unverified")}
TAB_NAMES = {"mine": N_("My cases"), "due_soon": N_("Due soon"), "overdue": N_("Overdue"),
             "correction": N_("Waiting for correction"), "incoming": N_("Incoming")}
TABS = tuple(TAB_NAMES)
STAT_GROUP_NAMES = {"item": N_("Service item"), "mode": N_("Handling mode"),
                    "collect_place": N_("Collecting place"),
                    "handling_place": N_("Handling place"), "window": N_("Window"),
                    "month": N_("Month")}

_NO_CALENDAR = re.compile(r"no calendar for (\d{4})")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def reason_words(reason: str | None, gettext: Callable[[str], str]) -> str:
    """A stored clock reason ("no calendar for 2027", "paused for correction", …) in the
    reader's language."""
    if not reason:
        return ""
    match = _NO_CALENDAR.fullmatch(reason)
    if match:
        return gettext("unknown: no calendar for %(year)s") % {"year": match.group(1)}
    if reason == "paused for correction":
        return gettext("unknown while the clock is paused for correction")
    if reason == "no time limit":
        return gettext("no time limit")
    return gettext("unknown")


def deadline_words(deadline: date | None, reason: str | None,
                   gettext: Callable[[str], str]) -> str:
    if deadline is not None:
        return deadline.isoformat()
    return reason_words(reason, gettext) or "—"


def clock_deadline(c: CaseClock, gettext: Callable[[str], str]) -> str:
    return deadline_words(c.deadline, c.reason, gettext)


# ---- query parameters -------------------------------------------------------------------------


# The query parameters of the lists as a Chinese message names them.
PARAM_NAMES = {"tab": "列表", "page": "页码", "per_page": "每页条数", "applicant": "申请人",
               "item": "事项", "tracking_number": "快递单号", "state": "状态",
               "mode": "办理方式", "applied_from": "申请日期起", "applied_to": "申请日期止",
               "handling_place": "办理地", "collect_place": "收件地", "by": "分组",
               "month_from": "起始月份", "month_to": "截止月份", "kind": "部门类别",
               "signed_from": "签署日期起", "signed_to": "签署日期止", "place": "地区",
               "side": "协议一方", "q": "关键词"}


def refuse_param(column: str, reason: str) -> InvalidInput:
    name = PARAM_NAMES.get(column, "")
    return InvalidInput(f"查询条件“{name}”有误：{reason}" if name else f"查询条件有误：{reason}",
                        [RowError(None, column, reason)],
                        detail=f"bad query parameter {column}")


def int_param(name: str, raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise refuse_param(name, "应为正整数")
    return int(text)


def date_param(name: str, raw: str | None) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise refuse_param(name, "应为日期，如 2025-09-30") from None
    if not 1990 <= day.year <= 2100:
        raise refuse_param(name, "日期应在 1990 年至 2100 年之间")
    return day


def month_param(name: str, raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not _MONTH.fullmatch(text):
        raise refuse_param(name, "应为月份，如 2025-09")
    return text


def choice_param(name: str, raw: str | None, choices: Iterable[str]) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    options = list(choices)
    if text not in options:
        raise refuse_param(name, "请从列表中选择")
    return text


def place_param(name: str, raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{6}", text):
        raise refuse_param(name, "应为 6 位地区代码")
    return text


def list_params(page: str | None, per_page: str | None, sort: str | None,
                order: str | None) -> ListParams:
    """Paging read from the query with Chinese messages (never a 500 or an English one)."""
    return ListParams.parse(int_param("page", page), int_param("per_page", per_page),
                            sort, order, default_per_page=DEFAULT_PER_PAGE, max_per_page=200)


def case_filters(request: Request) -> CaseSearch:
    """The filters of a case list, from the query string (the same for its export)."""
    q = request.query_params
    text = (q.get("applicant") or "").strip()
    tracking = (q.get("tracking_number") or "").strip()
    if len(text) > 120 or len(tracking) > 40 or "\x00" in text + tracking:
        raise refuse_param("applicant" if len(text) > 120 else "tracking_number", "过长")
    applied_from = date_param("applied_from", q.get("applied_from"))
    applied_to = date_param("applied_to", q.get("applied_to"))
    if applied_from and applied_to and applied_to < applied_from:
        raise refuse_param("applied_to", "结束日期不能早于开始日期")
    return CaseSearch(
        applicant=text or None, item_id=int_param("item", q.get("item")),
        tracking_number=tracking or None,
        state=choice_param("state", q.get("state"), CASE_STATES),
        mode=choice_param("mode", q.get("mode"), MODES),
        applied_from=applied_from, applied_to=applied_to,
        handling_place_code=place_param("handling_place", q.get("handling_place")),
        collect_place_code=place_param("collect_place", q.get("collect_place")),
        applicant_kind=choice_param("applicant_kind", q.get("applicant_kind"),
                                    APPLICANT_KIND_NAMES),
        applicant_province=place_param("applicant_province", q.get("applicant_province")),
        collect_within=place_param("collect_within", q.get("collect_within")),
        collected=True if choice_param("collected", q.get("collected"), ("1",)) else None)


# The dashboard's "Hunan residents served in person" links here with the last four.
FILTER_KEYS = ("applicant", "item", "tracking_number", "state", "mode", "applied_from",
               "applied_to", "handling_place", "collect_place", "applicant_kind",
               "applicant_province", "collect_within", "collected")


def filter_rows(session: Session, f: CaseSearch, gettext: Callable[[str], str]
                ) -> list[tuple[str, str]]:
    """The filters in words (label, value), for the exported file's second sheet."""
    items = item_names(session)
    places = place_names(session, [c for c in (f.handling_place_code, f.collect_place_code,
                                               f.applicant_province, f.collect_within) if c])
    values = [
        (N_("Applicant or ID number"), _masked_query(f.applicant)),
        (N_("Service item"), items.get(f.item_id, str(f.item_id)) if f.item_id else None),
        (N_("Tracking number"), f.tracking_number),
        (N_("State"), gettext(STATE_NAMES[f.state]) if f.state else None),
        (N_("Handling mode"), gettext(MODE_NAMES[f.mode]) if f.mode else None),
        (N_("Applied from"), f.applied_from.isoformat() if f.applied_from else None),
        (N_("Applied until"), f.applied_to.isoformat() if f.applied_to else None),
        (N_("Handling place"), places.get(f.handling_place_code or "", f.handling_place_code)),
        (N_("Collecting place"), places.get(f.collect_place_code or "", f.collect_place_code)),
        (N_("Applicant kind"),
         gettext(APPLICANT_KIND_NAMES[f.applicant_kind]) if f.applicant_kind else None),
        (N_("Applicant's province"),
         places.get(f.applicant_province or "", f.applicant_province)),
        (N_("Collected at a window in"), places.get(f.collect_within or "", f.collect_within)),
        (N_("Collected at a window"), gettext(N_("Yes")) if f.collected else None),
    ]
    return [(gettext(label), value) for label, value in values if value]


def _masked_query(text: str | None) -> str | None:
    """A searched ID number is written masked into an exported file, as its rows are."""
    if not text:
        return text
    try:
        return mask_resident_id(validate_resident_id(text))
    except IdentifierError:
        return text


# ---- names of the records a page refers to --------------------------------------------------


def item_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Item.id, Item.name))}


def window_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Window.id, Window.name))}


def organisation_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    query = select(Organisation.id, Organisation.name)
    if ids is not None:
        query = query.where(Organisation.id.in_(list(set(ids))))
    return {i: n for i, n in session.execute(query)}


def place_names(session: Session, codes: Iterable[str] | None = None) -> dict[str, str]:
    query = select(Place.code, Place.name)
    if codes is not None:
        query = query.where(Place.code.in_(list(set(codes))))
    return {c: n for c, n in session.execute(query)}


def departments(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(
        Organisation.kind == SERVICE_DEPARTMENT).order_by(Organisation.place_code,
                                                          Organisation.name)))


def clerk_kinds(principal: Principal | None) -> set[str]:
    """The kinds of 跨省通办 organisations the principal works in as an editor or admin."""
    if principal is None or not principal.may_write_scope():
        return set()
    return {r.kind for r in principal.roles if r.role in WRITE_ROLES
            and r.kind in (SERVICE_WINDOW, SERVICE_DEPARTMENT, SERVICES_OFFICE)}


def page_clock(request: Request) -> Clock:
    """The page's clock: the settings its app was built with (their as-of date, else today in
    Asia/Shanghai), never the process's."""
    return Clock(get_settings_dep(request))


def page_context(request: Request, principal: Principal | None, **extra: Any
                 ) -> dict[str, Any]:
    """The context of every 跨省通办 template, with ``extra`` on top."""
    gettext = translations(locale_of(request)).gettext
    kinds = clerk_kinds(principal)
    ctx: dict[str, Any] = {
        "state_names": STATE_NAMES, "action_names": ACTION_NAMES, "mode_names": MODE_NAMES,
        "applicant_kind_names": APPLICANT_KIND_NAMES, "outcome_names": OUTCOME_NAMES,
        "grade_names": GRADE_NAMES, "followup_state_names": FOLLOWUP_STATE_NAMES,
        "pause_kind_names": PAUSE_KIND_NAMES, "department_kind_names": DEPARTMENT_KIND_NAMES,
        "certainty_names": CERTAINTY_NAMES, "tab_names": TAB_NAMES,
        "group_names": STAT_GROUP_NAMES,
        "may_create_case": bool(kinds & {SERVICE_WINDOW, SERVICE_DEPARTMENT}),
        "is_services_office": SERVICES_OFFICE in kinds,
        "deadline_words": lambda d, r: deadline_words(d, r, gettext),
        "percent": percent,
    }
    ctx.update(extra)
    return ctx


def percent(value: Any) -> str:
    """An on-time rate (0.9231) as 92.3%; none: —."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"
