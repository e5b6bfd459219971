"""跨省通办 pages: the clerk's work list (mine, due soon, overdue, waiting for 补正) and the
department's incoming list, the search, the statistics, the items, windows and agreements, and
the Excel export of every list with the page's filters (applicants masked).

This is the one router the app includes: the case pages and their forms live in
``case_pages`` and the catalogue's forms in ``catalogue_pages``, included first, so that
``/services/cases/new`` is matched before ``/services/cases/{case_id}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.gov_services import case_pages, catalogue_pages, service
from coopzone.gov_services.models import CASE_STATES, MODES
from coopzone.gov_services.presentation_web import (
    MODE_NAMES,
    STAT_GROUP_NAMES,
    STATE_NAMES,
    TAB_NAMES,
    TABS,
    case_filters,
    choice_param,
    deadline_words,
    filter_rows,
    item_names,
    list_params,
    month_param,
    organisation_names,
    page_clock,
    page_context,
    percent,
    place_names,
    refuse_param,
    window_names,
)
from coopzone.gov_services.service import CaseRow, CaseSearch
from coopzone.gov_services.service.clock import Clock
from coopzone.kit.exporting import ExportColumn, attachment_headers, export_list
from coopzone.kit.listing import ListParams, Page
from coopzone.kit.validation import Key
from coopzone.web.i18n import translations
from coopzone.web.listing import ListView
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)
for forms_router in (case_pages.router, catalogue_pages.router):
    router.include_router(forms_router)

# An export holds at most this many rows (the page says so when a list is longer).
EXPORT_MAX = 10_000
GROUPS = tuple(STAT_GROUP_NAMES)


def _names(session: Session, rows: list[CaseRow]) -> dict[str, Any]:
    """What a list of cases refers to, by id or code: items, windows, departments, places."""
    return {"items": item_names(session), "windows": window_names(session),
            "orgs": organisation_names(session, [r.department_id for r in rows]),
            "places": place_names(session, [r.handling_place_code for r in rows])}


def _tab_list(session: Session, principal: Principal, tab: str, f: CaseSearch,
              params: ListParams, on: Clock) -> Page[CaseRow]:
    if tab == "incoming":
        return service.incoming(session, principal, params, f=f, platform=on)
    return service.work_list(session, principal, tab, params, f=f, platform=on)


def _query_of(request: Request, *drop: str) -> str:
    """The page's query string without its page and language (an export's filters)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items()
                      if k not in ("page", "lang", *drop)])


@router.get("/services", response_class=HTMLResponse)
def work(request: Request, session: SessionDep, settings: SettingsDep,
         principal: CurrentUser, tab: Key | None = None, page: Key | None = None,
         per_page: Key | None = None, sort: Key | None = None,
         order: Key | None = None) -> Response:
    """A clerk's work list, by tab; every tab filterable and exportable."""
    chosen = choice_param("tab", tab, TABS) or "mine"
    f = case_filters(request)
    result = _tab_list(session, principal, chosen, f, list_params(page, per_page, sort, order),
                       page_clock(request))
    return render(request, "gov_services/work.html", page_context(
        request, principal, tab=chosen, tabs=TABS, rows=result.items,
        lv=ListView(request, result), f=f, query=_query_of(request),
        soon_days=settings.due_soon_days, item_options=sorted(item_names(session).items(),
                                                              key=lambda kv: kv[1]),
        states=CASE_STATES, modes=MODES, **_names(session, result.items)))


@router.get("/services/search", response_class=HTMLResponse)
def search(request: Request, session: SessionDep, principal: CurrentUser,
           page: Key | None = None, per_page: Key | None = None, sort: Key | None = None,
           order: Key | None = None) -> Response:
    """Cases the user may read, by applicant (a name fragment or a whole ID number),
    item, tracking number, state, mode and dates of application; applicants masked."""
    f = case_filters(request)
    result = service.search_cases(session, principal, f,
                                  list_params(page, per_page, sort, order),
                                  platform=page_clock(request))
    return render(request, "gov_services/search.html", page_context(
        request, principal, rows=result.items, lv=ListView(request, result), f=f,
        query=_query_of(request), item_options=sorted(item_names(session).items(),
                                                      key=lambda kv: kv[1]),
        states=CASE_STATES, modes=MODES, **_names(session, result.items)))


# ---- exports ----------------------------------------------------------------------------------


def case_columns(session: Session, rows: list[CaseRow], locale: str
                 ) -> list[ExportColumn[CaseRow]]:
    """The columns of an exported case list: applicants masked as on the page."""
    t = translations(locale).gettext
    names = _names(session, rows)
    return [
        ExportColumn("业务协同编号", "Case number", lambda r: r.number),
        ExportColumn("申请人", "Applicant", lambda r: r.applicant_name),
        ExportColumn("证件号码", "ID number", lambda r: r.id_number),
        ExportColumn("事项", "Item", lambda r: names["items"].get(r.item_id, "")),
        ExportColumn("办理方式", "Handling mode", lambda r: t(MODE_NAMES[r.mode])),
        ExportColumn("收件窗口", "Window",
                     lambda r: names["windows"].get(r.window_id or 0, "")),
        ExportColumn("办理部门", "Department", lambda r: names["orgs"].get(r.department_id, "")),
        ExportColumn("办理地", "Handling place",
                     lambda r: names["places"].get(r.handling_place_code, "")),
        ExportColumn("状态", "State", lambda r: t(STATE_NAMES[r.state])),
        ExportColumn("申请时间", "Applied at",
                     lambda r: r.applied_at.strftime("%Y-%m-%d %H:%M")),
        ExportColumn("办结时限", "Deadline",
                     lambda r: deadline_words(r.deadline, r.deadline_reason, t)),
        ExportColumn("是否逾期", "Overdue", lambda r: t(N_("Overdue")) if r.overdue else ""),
        ExportColumn("快递单号", "Tracking number", lambda r: r.tracking_number or ""),
    ]


def _export(request: Request, session: Session, title: str, name: str,
            rows: list[CaseRow], f: CaseSearch, extra: list[tuple[str, str]]) -> Response:
    locale = locale_of(request)
    t = translations(locale).gettext
    filters = [*extra, *filter_rows(session, f, t)]
    out = export_list(title, case_columns(session, rows, locale), rows, name=name,
                      filters=filters, locale=locale)
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))


EXPORT_PARAMS = ListParams(page=1, per_page=EXPORT_MAX)


@router.get("/services/work.xlsx")
def work_xlsx(request: Request, session: SessionDep, principal: CurrentUser,
              tab: Key | None = None) -> Response:
    """The work list's tab as the page shows it (same filters), applicants masked."""
    chosen = choice_param("tab", tab, TABS) or "mine"
    f = case_filters(request)
    result = _tab_list(session, principal, chosen, f, EXPORT_PARAMS, page_clock(request))
    t = translations(locale_of(request)).gettext
    return _export(request, session, t(TAB_NAMES[chosen]), f"services-{chosen}",
                   result.items, f, [(t(N_("List")), t(TAB_NAMES[chosen]))])


@router.get("/services/search.xlsx")
def search_xlsx(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    """The search's cases (same filters), applicants masked."""
    f = case_filters(request)
    result = service.search_cases(session, principal, f, EXPORT_PARAMS,
                                  platform=page_clock(request))
    t = translations(locale_of(request)).gettext
    return _export(request, session, t(N_("Cases")), "services-cases", result.items, f, [])


# ---- statistics -------------------------------------------------------------------------------


def _stat_params(by: str | None, month_from: str | None, month_to: str | None
                 ) -> tuple[str, str | None, str | None]:
    group = choice_param("by", by, GROUPS) or "item"
    first, last = month_param("month_from", month_from), month_param("month_to", month_to)
    if first and last and last < first:
        raise refuse_param("month_to", "结束月份不能早于开始月份")
    return group, first, last


def _stat_label(row: service.StatRow, by: str, t: Callable[[str], str]) -> str:
    if by == "mode" and row.key in MODE_NAMES:
        return t(MODE_NAMES[row.key])
    if not row.label:
        return t(N_("None (fully online)")) if by in ("window", "collect_place") else "—"
    return row.label


@router.get("/services/statistics", response_class=HTMLResponse)
def statistics(request: Request, session: SessionDep, principal: CurrentUser,
               by: Key | None = None, month_from: Key | None = None,
               month_to: Key | None = None) -> Response:
    """Cases by item, mode, place, window or month with the on-time rate and the average
    working days; the evaluations (好差评) by window."""
    group, first, last = _stat_params(by, month_from, month_to)
    t = translations(locale_of(request)).gettext
    rows = service.case_statistics(session, principal, group, first, last)
    return render(request, "gov_services/statistics.html", page_context(
        request, principal, by=group, groups=GROUPS, rows=rows, month_from=first or "",
        month_to=last or "", label=lambda r: _stat_label(r, group, t),
        evaluations=service.evaluation_statistics(session, principal),
        query=_query_of(request)))


@router.get("/services/statistics.xlsx")
def statistics_xlsx(request: Request, session: SessionDep, principal: CurrentUser,
                    by: Key | None = None, month_from: Key | None = None,
                    month_to: Key | None = None) -> Response:
    group, first, last = _stat_params(by, month_from, month_to)
    locale = locale_of(request)
    t = translations(locale).gettext
    rows = service.case_statistics(session, principal, group, first, last)
    columns: list[ExportColumn[service.StatRow]] = [
        ExportColumn(t(STAT_GROUP_NAMES[group]), t(STAT_GROUP_NAMES[group]),
                     lambda r: _stat_label(r, group, t)),
        ExportColumn("办件数", "Cases", lambda r: r.cases),
        ExportColumn("已办结", "Decided", lambda r: r.decided),
        ExportColumn("按时办结", "On time",
                     lambda r: r.on_time if r.on_time_rate is not None else None),
        ExportColumn("按时办结率", "On-time rate", lambda r: percent(r.on_time_rate)),
        ExportColumn("平均用时（工作日）", "Average working days",
                     lambda r: r.avg_working_days),
    ]
    filters = [(t(N_("Grouped by")), t(STAT_GROUP_NAMES[group]))]
    if first:
        filters.append((t(N_("From month")), first))
    if last:
        filters.append((t(N_("To month")), last))
    out = export_list(t(N_("Case statistics")), columns, rows, name=f"services-stats-{group}",
                      filters=filters, locale=locale)
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))
