"""Lists and statistics of cases, in SQL (indexed filters, GROUP BY), returning plain
dataclasses with the applicant masked.

* :func:`work_list` — a clerk's list: ``mine`` (open cases of the principal's windows and
  departments), ``due_soon`` (running, deadline within the ``due_soon_days`` setting),
  ``overdue`` (running past the deadline), ``correction`` (waiting for 补正). Indexes:
  (window_id, state), (department_id, state), (state, deadline).
* :func:`incoming` — a department's cases waiting to be accepted.
* :func:`search_cases` — by applicant (a name fragment, or an ID number/USCC whole), item,
  tracking number, state, mode, application dates; scoped to what the principal may read.
* :func:`case_statistics` — by item, mode, collecting or handling place, window or month:
  cases, decided, on time, on-time rate, average working days (of decided cases); read from
  the summary of :mod:`.summary` (:func:`recompute_statistics`: the same from the cases).
* :func:`evaluation_statistics` — 好差评 by window (or owner organisation).
* :func:`residents_served` — distinct applicants of a province (from their ID's first two
  digits or address code) over cases collected in another province.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.db import SHANGHAI
from coopzone.errors import InvalidInput, RowError
from coopzone.gov_services.models import (
    GRADES,
    MODE_LABELS,
    Case,
    Evaluation,
    FollowUp,
    Item,
    Window,
)
from coopzone.gov_services.service import clock, summary
from coopzone.gov_services.service.permissions import org_ids, read_filter
from coopzone.gov_services.service.privacy import mask_applicant_name, mask_id_number
from coopzone.gov_services.service.summary import GROUPS, StatRow, ratio
from coopzone.kit.identity import IdentifierError, mask_phone, validate_resident_id
from coopzone.kit.listing import ListParams, Page, Sorting, contains, paginate
from coopzone.places.models import Place

OPEN_STATES = ("applied", "collected", "sent", "accepted", "correction", "decided",
               "not_accepted", "delivered", "evaluated")
VIEWS = ("mine", "due_soon", "overdue", "correction")
CASE_SORTING = Sorting({"applied": Case.applied_at, "deadline": Case.deadline,
                        "number": Case.number, "state": Case.state},
                       default="applied", tiebreak=Case.id, default_order="desc")
WORK_SORTING = Sorting({"deadline": Case.deadline, "applied": Case.applied_at,
                        "number": Case.number}, default="deadline", tiebreak=Case.id)


@dataclass(frozen=True)
class CaseRow:
    """One case in a list (applicant masked)."""

    id: int
    number: str
    applicant_kind: str
    applicant_name: str
    id_number: str
    phone: str
    item_id: int
    mode: str
    window_id: int | None
    department_id: int
    handling_place_code: str
    state: str
    applied_at: datetime
    deadline: date | None
    deadline_reason: str | None
    tracking_number: str | None
    overdue: bool


def _row(c: Case, today: date) -> CaseRow:
    return CaseRow(c.id, c.number, c.applicant_kind,
                   mask_applicant_name(c.applicant_kind, c.applicant_name),
                   mask_id_number(c.applicant_kind, c.id_number), mask_phone(c.phone),
                   c.item_id, c.mode, c.window_id, c.department_id, c.handling_place_code,
                   c.state, c.applied_at, c.deadline, c.deadline_reason, c.tracking_number,
                   clock.is_overdue(c, today))


def _page(session: Session, query: Select[Any], params: ListParams, sorting: Sorting,
          today: date) -> Page[CaseRow]:
    page = paginate(session, query, params, sorting)
    return Page([_row(c, today) for c in page.items], page.total, page.page, page.per_page,
                page.sort, page.order)


def _scoped(principal: Principal) -> Select[Any]:
    query = select(Case)
    condition = read_filter(principal)
    return query if condition is None else query.where(condition)


def _mine(principal: Principal) -> ColumnElement[bool]:
    orgs = org_ids(principal)
    if not orgs:
        return false()
    windows = select(Window.id).where(Window.organisation_id.in_(orgs))
    return or_(Case.window_id.in_(windows), Case.department_id.in_(orgs))


def work_list(session: Session, principal: Principal, view: str = "mine",
              params: ListParams | None = None, today: date | None = None,
              soon_days: int | None = None, f: CaseSearch | None = None,
              platform: clock.Clock | None = None) -> Page[CaseRow]:
    """A clerk's list of the cases of their own windows and departments (see the module
    docstring for the views), narrowed by the filters ``f`` where given; ``today`` and
    ``soon_days`` default to the ``platform`` clock's."""
    if view not in VIEWS:
        raise InvalidInput(f"未知的列表“{view}”", [RowError(None, "view", "、".join(VIEWS))])
    on = clock.process_clock(platform)
    today = today or on.today()
    soon = on.settings.due_soon_days if soon_days is None else soon_days
    query = select(Case).where(_mine(principal))
    if view == "mine":
        query = query.where(Case.state.in_(OPEN_STATES))
    elif view == "due_soon":
        query = query.where(Case.state.in_(clock.RUNNING_STATES), Case.deadline >= today,
                            Case.deadline <= today + timedelta(days=soon))
    elif view == "overdue":
        query = query.where(Case.state.in_(clock.RUNNING_STATES), Case.deadline < today)
    else:
        query = query.where(Case.state == "correction")
    if f is not None:
        query = apply_filters(query, f)
    return _page(session, query, params or ListParams(), WORK_SORTING, today)


def overdue_list(session: Session, principal: Principal, params: ListParams | None = None,
                 today: date | None = None, platform: clock.Clock | None = None
                 ) -> Page[CaseRow]:
    """Every running case past its deadline that the principal may read (supervision)."""
    today = today or clock.process_clock(platform).today()
    query = _scoped(principal).where(Case.state.in_(clock.RUNNING_STATES),
                                     Case.deadline < today)
    return _page(session, query, params or ListParams(), WORK_SORTING, today)


def incoming(session: Session, principal: Principal, params: ListParams | None = None,
             today: date | None = None, f: CaseSearch | None = None,
             platform: clock.Clock | None = None) -> Page[CaseRow]:
    """A department's incoming cases: sent by a window, or applied online, not yet accepted
    (narrowed by the filters ``f`` where given)."""
    today = today or clock.process_clock(platform).today()
    orgs = org_ids(principal)
    query = select(Case).where(Case.department_id.in_(orgs), or_(
        Case.state == "sent", and_(Case.state == "applied", Case.window_id.is_(None))))
    if f is not None:
        query = apply_filters(query, f)
    return _page(session, query, params or ListParams(), CASE_SORTING, today)


@dataclass(frozen=True)
class CaseSearch:
    applicant: str | None = None  # a name fragment, or a whole ID number / USCC
    item_id: int | None = None
    tracking_number: str | None = None
    state: str | None = None
    mode: str | None = None
    applied_from: date | None = None
    applied_to: date | None = None  # inclusive
    handling_place_code: str | None = None
    collect_place_code: str | None = None
    # What the dashboard's "Hunan residents served in person" selects (its link's filter).
    applicant_kind: str | None = None  # person | enterprise
    applicant_province: str | None = None  # 430000: from the ID number or the address code
    collect_within: str | None = None  # collected at a window of this place or under it
    collected: bool | None = None  # True: past the window's 收件 (形式审查, 身份核验)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


def search_query(principal: Principal, f: CaseSearch) -> Select[Any]:
    """The filtered, scoped query (an export applies exactly this)."""
    return apply_filters(_scoped(principal), f)


def apply_filters(query: Select[Any], f: CaseSearch) -> Select[Any]:
    """``query`` narrowed by the filters of ``f`` (a work list's, a search's)."""
    text = (f.applicant or "").strip()
    if text:
        number = text.upper().replace(" ", "")
        with suppress(IdentifierError):
            number = validate_resident_id(number)
        by_name = contains(text, [Case.applicant_name])
        query = query.where(or_(Case.id_number == number, *(
            [by_name] if by_name is not None else [])))
    if f.item_id is not None:
        query = query.where(Case.item_id == f.item_id)
    if f.tracking_number:
        query = query.where(Case.tracking_number == f.tracking_number.strip())
    if f.state:
        query = query.where(Case.state == f.state)
    if f.mode:
        query = query.where(Case.mode == f.mode)
    if f.applied_from:
        query = query.where(Case.applied_at >= _day_start(f.applied_from))
    if f.applied_to:
        query = query.where(Case.applied_at < _day_start(f.applied_to + timedelta(days=1)))
    if f.handling_place_code:
        query = query.where(Case.handling_place_code == f.handling_place_code)
    if f.collect_place_code:
        query = query.where(Case.collect_place_code == f.collect_place_code)
    return query.where(*served_conditions(f))


def served_conditions(f: CaseSearch) -> list[ColumnElement[bool]]:
    """The applicant's kind and province, the collecting place's jurisdiction, collected."""
    out: list[ColumnElement[bool]] = []
    if f.applicant_kind:
        out.append(Case.applicant_kind == f.applicant_kind)
    if f.applicant_province:
        out.append(Case.applicant_province == f.applicant_province)
    if f.collect_within:
        code = f.collect_within  # the GB/T 2260 prefix rule of places.covers
        prefix = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") \
            else code
        out.append(Case.collect_place_code.like(f"{prefix}%"))
    if f.collected is not None:
        out.append(Case.formal_check_ok.is_(f.collected))
    return out


def search_cases(session: Session, principal: Principal, f: CaseSearch | None = None,
                 params: ListParams | None = None, today: date | None = None,
                 platform: clock.Clock | None = None) -> Page[CaseRow]:
    today = today or clock.process_clock(platform).today()
    return _page(session, search_query(principal, f or CaseSearch()), params or ListParams(),
                 CASE_SORTING, today)


# ---- statistics -------------------------------------------------------------------------------

def _check_group(by: str) -> None:
    if by not in GROUPS:
        raise InvalidInput(f"不能按“{by}”统计", [RowError(None, "by", "、".join(GROUPS))])


def case_statistics(session: Session, principal: Principal, by: str = "item",
                    month_from: str | None = None, month_to: str | None = None
                    ) -> list[StatRow]:
    """Counts by ``by`` (one of GROUPS) over the cases the principal may read, months of
    application between ``month_from`` and ``month_to`` (``YYYY-MM``, inclusive), in key
    order (ids as numbers; the group without a window or collecting place last). Read from
    the summary (:mod:`.summary`), equal to :func:`recompute_statistics`."""
    _check_group(by)
    return summary.statistics(session, principal, by, month_from, month_to)


def recompute_statistics(session: Session, principal: Principal, by: str = "item",
                         month_from: str | None = None, month_to: str | None = None
                         ) -> list[StatRow]:
    """:func:`case_statistics` counted from the cases themselves (one GROUP BY over every
    case in the range: slow at a million cases): what the summary must equal."""
    _check_group(by)
    key: Any
    label: Any
    joins: list[tuple[Any, Any]] = []
    if by == "item":
        key, label = Case.item_id, Item.name
        joins.append((Item, Item.id == Case.item_id))
    elif by == "mode":
        key = label = Case.mode
    elif by == "collect_place":
        key, label = Case.collect_place_code, Place.name
        joins.append((Place, Place.code == Case.collect_place_code))
    elif by == "handling_place":
        key, label = Case.handling_place_code, Place.name
        joins.append((Place, Place.code == Case.handling_place_code))
    elif by == "window":
        key, label = Case.window_id, Window.name
        joins.append((Window, Window.id == Case.window_id))
    else:
        key = label = Case.applied_month
    decided = func.count(Case.decided_on)
    timed = func.count(Case.on_time)
    on_time = func.coalesce(func.sum(case((Case.on_time.is_(True), 1), else_=0)), 0)
    query = select(key, label, func.count(Case.id), decided, timed, on_time,
                   func.avg(Case.working_days_used)).select_from(Case)
    for target, onclause in joins:
        query = query.outerjoin(target, onclause)
    condition = read_filter(principal)
    if condition is not None:
        query = query.where(condition)
    if month_from:
        query = query.where(Case.applied_month >= month_from)
    if month_to:
        query = query.where(Case.applied_month <= month_to)
    query = query.group_by(key, label)
    out = []
    for k, lab, n, n_decided, n_timed, n_on_time, avg in session.execute(query):
        average = None if avg is None else Decimal(str(avg)).quantize(Decimal("0.01"),
                                                                      ROUND_HALF_UP)
        text = MODE_LABELS.get(str(lab), str(lab)) if by == "mode" else str(lab or "")
        out.append(StatRow("" if k is None else str(k), text, int(n), int(n_decided),
                           int(n_on_time), ratio(int(n_on_time), int(n_timed)), average))
    return sorted(out, key=lambda r: summary.sort_key(by, r.key))


@dataclass(frozen=True)
class EvaluationStat:
    window_id: int | None
    label: str
    total: int
    by_grade: dict[str, int]  # every grade, 0 where none
    bad: int  # 差评
    open_followups: int


def evaluation_statistics(session: Session, principal: Principal) -> list[EvaluationStat]:
    """好差评 by window (cases without a window: their department), over readable cases."""
    query = (select(Evaluation.window_id, Window.name, Evaluation.grade,
                    func.count(Evaluation.id), func.count(FollowUp.id).filter(
                        FollowUp.state == "open"))
             .join(Case, Case.id == Evaluation.case_id)
             .outerjoin(Window, Window.id == Evaluation.window_id)
             .outerjoin(FollowUp, FollowUp.evaluation_id == Evaluation.id))
    condition = read_filter(principal)
    if condition is not None:
        query = query.where(condition)
    query = query.group_by(Evaluation.window_id, Window.name, Evaluation.grade)
    groups: dict[int | None, dict[str, Any]] = {}
    for window_id, name, grade, n, open_n in session.execute(query):
        g = groups.setdefault(window_id, {"label": name or "全程网办（无窗口）",
                                          "grades": dict.fromkeys(GRADES, 0), "open": 0})
        g["grades"][grade] = int(n)
        g["open"] += int(open_n)
    out = []
    for window_id, g in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        grades = g["grades"]
        out.append(EvaluationStat(window_id, g["label"], sum(grades.values()), grades,
                                  grades["dissatisfied"] + grades["very_dissatisfied"],
                                  g["open"]))
    return out


def residents_served(session: Session, province_code: str, in_other_province: bool = True,
                     until: date | None = None) -> int:
    """Distinct applicants (by ID number) from ``province_code`` (e.g. 430000 湖南) whose
    cases were collected at a window of another province (``in_other_province``), or any
    case; applied up to ``until`` (inclusive). Public figure: no principal, no names."""
    query = select(func.count(func.distinct(Case.id_number))).where(
        Case.applicant_province == province_code)
    if in_other_province:
        query = query.where(Case.collect_place_code.is_not(None),
                            Case.collect_place_code.notlike(f"{province_code[:2]}%"))
    if until is not None:
        query = query.where(Case.applied_at < _day_start(until + timedelta(days=1)))
    return int(session.scalar(query) or 0)
