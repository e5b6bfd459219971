"""Cooperation pages: the dashboard (驾驶舱, public parts without login), agreements, meetings,
projects, leading-group tasks and indicators, and the Excel export of every list.

This is the one router the app includes: the entry forms live in their own modules
(``agreement_pages``, ``project_pages``, ``office_pages``, ``indicator_pages``) and their routes
are included first, so that ``/cooperation/agreements/new`` is matched before
``/cooperation/agreements/{agreement_id}``."""

from __future__ import annotations

import mimetypes
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from coopzone.api.listing import PageListParamsDep
from coopzone.cooperation import (
    agreement_pages,
    export_pages,
    indicator_pages,
    office_pages,
    project_pages,
    service,
    task_pages,
)
from coopzone.cooperation.agreement_pages import agreement_page
from coopzone.cooperation.api import AgreementFilterDep
from coopzone.cooperation.indicator_pages import indicator_page
from coopzone.cooperation.models import Project
from coopzone.cooperation.presentation_web import (
    FIELD_NAMES,
    PROJECT_STATUS_NAMES,
    UNIT_EN,
    agreement_filters,
    num,
    page_context,
    xlsx_response,
)
from coopzone.cooperation.project_pages import project_page
from coopzone.errors import NotFound
from coopzone.kit.exporting import (
    CSV_MEDIA_TYPE,
    ExportColumn,
    attachment_headers,
    csv_bytes,
    export_list,
    workbook,
)
from coopzone.kit.listing import ListParams, sort_rows
from coopzone.kit.validation import Day, Id, Key, Year
from coopzone.web.i18n import translations
from coopzone.web.listing import ListView, query_with
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)
for forms_router in (office_pages.router, task_pages.router, agreement_pages.router,
                     project_pages.router, indicator_pages.router, export_pages.router):
    router.include_router(forms_router)


def ecology_rows(figures: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The ecology module's headline figures as (label msgid, formatted value) rows."""
    if not figures:
        return []
    rows: list[tuple[str, str]] = []
    streak = figures.get("jinyushi_streak_months")
    if streak is not None:
        rows.append((N_("Jinyushi national section: months in a row meeting its target"),
                     num(streak)))
    share = figures.get("basin_sections_good_share")
    if share is not None:
        sections = figures.get("basin_sections")
        rows.append((N_("Basin sections of good quality"), f"{num(Decimal(str(share)) * 100, 1)}%"
                     + (f" ({num(sections)})" if sections is not None else "")))
    paid = figures.get("compensation_paid_to_jiangxi")
    if paid is not None:
        rows.append((N_("Eco-compensation paid by Hunan to Jiangxi (10,000 yuan)"),
                     num(Decimal(str(paid)) / 10000)))
    return rows


# ---- dashboard --------------------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, settings: SettingsDep,
              principal: OptionalUser, as_of: Day | None = None) -> Response:
    d = service.dashboard(session, as_of, with_tasks=principal is not None)
    english = locale_of(request) == "en"
    chart = {
        "byField": [{"code": f, "count": n, "link": f"/cooperation/agreements?field={f}"}
                    for f, n in d.by_field],
        "byCounty": [{"code": c, "name": name, "count": n,
                      "link": f"/cooperation/agreements?county={c}"}
                     for c, name, n in d.by_county],
        "byYear": [{"year": y, "count": n, "link": f"/cooperation/agreements?year={y}"}
                   for y, n in d.by_year],
    }
    gettext = translations(locale_of(request)).gettext
    return render(request, "cooperation/dashboard.html", page_context(
        session, principal, d=d, chart=chart, english=english, eco=ecology_rows(d.ecology),
        soon_days=settings.due_soon_days,
        field_labels={code: gettext(label) for code, label in FIELD_NAMES.items()},
        unit_names=UNIT_EN))


@router.get("/dashboard/unit/{code}", response_class=HTMLResponse)
def unit_panel(request: Request, session: SessionDep, principal: OptionalUser,
               code: Key) -> Response:
    """The panel shown when a unit of the map is clicked (an htmx fragment)."""
    return render(request, "cooperation/unit_panel.html",
                  page_context(session, principal, u=service.unit_panel(session, code)))


# ---- index and agreements --------------------------------------------------------------------


@router.get("/cooperation", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    d = service.dashboard(session, with_tasks=False)
    return render(request, "cooperation/index.html", page_context(session, principal, d=d))


@router.get("/cooperation/agreements", response_class=HTMLResponse)
def agreements(request: Request, session: SessionDep, principal: OptionalUser,
               f: AgreementFilterDep, params: PageListParamsDep, view: Key | None = None
               ) -> Response:
    result = service.agreement_list_rows(session, f, params)
    counties = service.unit_names(session)
    by_county = sorted(service.agreements_by_county(session, f).items(),
                       key=lambda t: (-t[1], t[0])) if view == "county" else []
    return render(request, "cooperation/agreements.html", page_context(
        session, principal, rows=result.items, lv=ListView(request, result), f=f,
        counties=counties, by_county=by_county, view=view, query=f.query_string(),
        # The exports list what the page lists, in the page's order (every page of it).
        export_query=f.query_string(sort=params.sort, order=params.order)))


def _agreements_export(request: Request, session: Session, f: service.AgreementFilter,
                       params: ListParams, fmt: str) -> Response:
    rows = service.agreement_rows(service.agreements_in_order(session, f, params))
    if fmt == "csv":
        return Response(csv_bytes(service.AGREEMENT_HEADERS, rows), media_type=CSV_MEDIA_TYPE,
                        headers=attachment_headers("agreements.csv"))
    filters = agreement_filters(session, f, locale_of(request))
    return xlsx_response("agreements.xlsx", workbook("合作协议", service.AGREEMENT_HEADERS, rows,
                                                     filters))


@router.get("/cooperation/agreements.xlsx")
def agreements_xlsx(request: Request, session: SessionDep, f: AgreementFilterDep,
                    params: PageListParamsDep) -> Response:
    """The agreements the page shows (same filters, same order, every page), as the import
    workbook; the filters are on its second sheet."""
    return _agreements_export(request, session, f, params, "xlsx")


@router.get("/cooperation/agreements.csv")
def agreements_csv(request: Request, session: SessionDep, f: AgreementFilterDep,
                   params: PageListParamsDep) -> Response:
    """The agreements the page shows (same filters, same order, every page), as CSV with the
    import headers."""
    return _agreements_export(request, session, f, params, "csv")


@router.get("/cooperation/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement(request: Request, session: SessionDep, principal: OptionalUser,
              agreement_id: Id) -> Response:
    return agreement_page(request, session, principal, agreement_id)


@router.get("/cooperation/files/{sha256}")
def download(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
             sha256: Key) -> Response:
    """A stored file; one attached to tasks only to a reader of one of them (404 else)."""
    doc = service.readable_document(session, principal, sha256)
    path = service.document_path(settings.data_dir / "files", doc)
    media = mimetypes.guess_type(doc.filename)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers=attachment_headers(doc.filename))


# ---- meetings, projects ------------------------------------------------------------------------


@router.get("/cooperation/meetings", response_class=HTMLResponse)
def meetings(request: Request, session: SessionDep, principal: OptionalUser,
             params: PageListParamsDep, kind: Key | None = None, series: Key | None = None,
             our_role: Key | None = None, year: Year | None = None,
             q: Key | None = None) -> Response:
    f = service.MeetingFilter(kind or None, series or None, our_role or None, year, q or None)
    result = service.page_meetings(session, f, params)
    return render(request, "cooperation/meetings.html", page_context(
        session, principal, rows=result.items, lv=ListView(request, result), f=f,
        tasks=service.tasks_by_resolution(session),
        export_query=query_with(request, page=None, per_page=None)))


@router.get("/cooperation/projects", response_class=HTMLResponse)
def projects(request: Request, session: SessionDep, principal: OptionalUser,
             params: PageListParamsDep, county: Key | None = None,
             q: Key | None = None) -> Response:
    result = service.page_projects(session, county or None, q or None, params)
    rows = [(p, service.percent_complete(p)) for p in result.items]
    return render(request, "cooperation/projects.html", page_context(
        session, principal, rows=rows, lv=ListView(request, result), county=county, q=q or "",
        counties=service.unit_names(session),
        export_query=query_with(request, page=None, per_page=None)))


@router.get("/cooperation/projects/{project_id}", response_class=HTMLResponse)
def project(request: Request, session: SessionDep, principal: OptionalUser,
            project_id: Id) -> Response:
    return project_page(request, session, principal, project_id)


# ---- tasks ------------------------------------------------------------------------------------


@router.get("/cooperation/tasks", response_class=HTMLResponse)
def tasks(request: Request, session: SessionDep, settings: SettingsDep, principal: CurrentUser,
          params: PageListParamsDep, state: Key | None = None, overdue: bool = False,
          due_soon: bool = False, mine: bool = False, q: Key | None = None) -> Response:
    """The task list; overdue and due soon count from the platform's today, per assignee."""
    org_ids = tuple(r.organisation_id for r in principal.roles) if mine else None
    today = settings.today()
    result = service.page_tasks(session, service.TaskFilter(
        state or None, org_ids, overdue, due_soon, today, settings.due_soon_days,
        reader=principal), params, q or None)
    rows = result.items
    # Per task, the (assignee organisation, action) buttons the user may press now.
    moves = {t.id: [(org, a) for org, actions in service.moves_for(principal, t).items()
                    for a in actions] for t in rows}
    return render(request, "cooperation/tasks.html", page_context(
        session, principal, rows=rows, lv=ListView(request, result), q=q or "", state=state,
        overdue=overdue, due_soon=due_soon, mine=mine, today=today, moves=moves,
        orgs=service.organisation_names(session),
        is_overdue=service.is_overdue, is_due_soon=service.is_due_soon,
        on_time=service.on_time, soon_days=settings.due_soon_days,
        export_query=query_with(request, page=None, per_page=None)))


# ---- indicators ---------------------------------------------------------------------------------


@router.get("/cooperation/indicators", response_class=HTMLResponse)
def indicators(request: Request, session: SessionDep, principal: OptionalUser,
               as_of: Day | None = None) -> Response:
    cards = service.indicator_cards(session, as_of or service.data_as_of(session))
    return render(request, "cooperation/indicators.html",
                  page_context(session, principal, cards=cards, as_of=as_of))


@router.get("/cooperation/indicators/{code}", response_class=HTMLResponse)
def indicator(request: Request, session: SessionDep, principal: OptionalUser,
              code: Key) -> Response:
    return indicator_page(request, session, principal, code)


# ---- export of every list ------------------------------------------------------------------------


def project_columns(locale: str) -> list[ExportColumn[Project]]:
    """The project list's columns, for every export format and language."""
    t = translations(locale).gettext
    return [
        ExportColumn("代码", "Code", lambda p: p.code),
        ExportColumn("项目名称", "Project", lambda p: p.name),
        ExportColumn("领域", "Field", lambda p: t(FIELD_NAMES.get(p.field, p.field))),
        ExportColumn("责任单位", "Owner", lambda p: p.owner),
        ExportColumn("总投资（元）", "Budget (yuan)", lambda p: p.budget),
        ExportColumn("状态", "Status",
                     lambda p: t(PROJECT_STATUS_NAMES.get(p.status, p.status))),
        ExportColumn("开工日期", "Started on", lambda p: p.started_on),
        ExportColumn("计划完成", "Planned finish", lambda p: p.planned_finish),
        ExportColumn("完成率（%）", "Complete (%)", service.percent_complete),
        ExportColumn("站点", "Sites", lambda p: "、".join(s.name for s in p.sites)),
    ]


def _projects_export(request: Request, session: Session, county: str | None, q: str | None,
                     params: ListParams, fmt: str) -> Response:
    """The project list as the page shows it (its county and keyword, its order, every
    page), Chinese headers."""
    locale = locale_of(request)
    t = translations(locale).gettext
    filters = [(t(label), value) for label, value in (
        (N_("County"), service.unit_names(session).get(county, county) if county else None),
        (N_("Keyword"), q)) if value]
    rows = session.scalars(sort_rows(service.project_query(county, q), service.PROJECT_SORTING,
                                     params)).unique()
    out = export_list("平台项目" if locale != "en" else "Projects", project_columns(locale),
                      rows, name="projects", fmt=fmt, filters=filters, locale=locale)
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))


@router.get("/cooperation/export/projects.{fmt}")
def export_projects(request: Request, session: SessionDep, fmt: Key, params: PageListParamsDep,
                    county: Key | None = None, q: Key | None = None) -> Response:
    """The platform projects the page lists (its county and keyword ``q``, its order) as
    Excel or CSV."""
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"没有 {fmt} 格式的导出", detail=f"unknown export format {fmt}")
    return _projects_export(request, session, county or None, q or None, params, fmt)


@router.get("/cooperation/export/{kind}.xlsx")
def export(request: Request, kind: Key) -> Response:
    """The older address of the agreements export: sent on to /cooperation/agreements.xlsx
    with the page's filters (the other lists' exports are matched before this route)."""
    if kind != "agreements":
        raise NotFound(f"没有名为 {kind} 的清单", detail=f"unknown list {kind}")
    query = request.url.query
    return RedirectResponse("/cooperation/agreements.xlsx" + (f"?{query}" if query else ""),
                            status_code=307)
