"""Cooperation JSON API under /api/v1/cooperation: parse, call one service function, present."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import Field

from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.api.listing import ListParamsDep, paged, set_page_headers
from coopzone.config import Settings
from coopzone.cooperation import service
from coopzone.cooperation.exporters import workbook
from coopzone.cooperation.importers import read_agreements
from coopzone.cooperation.importers import template as agreement_template
from coopzone.cooperation.models import Agreement, Meeting, Project
from coopzone.cooperation.presentation_web import agreement_filters
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementUpdate,
    DocumentRead,
    ExtensionCreate,
    ExtensionDecision,
    ImportPreviewRead,
    ImportRowRead,
    IndicatorRead,
    IndicatorValueRead,
    MeetingCreate,
    MeetingRead,
    ObligationCreate,
    ObligationRead,
    ObligationReportCreate,
    ObligationReportRead,
    PartyRead,
    ProjectCreate,
    ProjectRead,
    ProjectReportCreate,
    ReportedValueIn,
    ResolutionRead,
    TaskAction,
    TaskCreate,
    TaskDetailRead,
    TaskEventRead,
    TaskExtensionRead,
    TaskFileRead,
    TaskRead,
    TaskReplyRead,
)
from coopzone.cooperation.service.permissions import AGREEMENTS_IMPORT
from coopzone.errors import InvalidInput, NotFound, RowError
from coopzone.kit import uploads
from coopzone.kit.exporting import attachment_headers
from coopzone.kit.importing import english, request_locale, stage, template_name
from coopzone.kit.listing import Page
from coopzone.kit.validation import Day, Id, Key, LongText, Str, Year
from coopzone.web.links import record_link

router = APIRouter(prefix="/cooperation", tags=["cooperation"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def agreement_read(a: Agreement, full: bool = False) -> AgreementRead:
    return AgreementRead(
        id=a.id, title=a.title, field=a.field, signed_on=a.signed_on, signed_at=a.signed_at,
        term_years=a.term_years, expires_on=a.expires_on, in_force_on=a.in_force_on,
        status=a.status, summary=a.summary,
        parties=[PartyRead.model_validate(ap.party) for ap in a.parties],
        document=DocumentRead.model_validate(a.document) if a.document else None,
        obligations=[ObligationRead.model_validate(o) for o in a.obligations] if full else [],
    )


def meeting_read(m: Meeting) -> MeetingRead:
    return MeetingRead(
        id=m.id, title=m.title, kind=m.kind, series=m.series, held_on=m.held_on, place=m.place,
        host=m.host, our_role=m.our_role,
        members=[{"name": mm.party.name, "role": mm.role} for mm in m.members],
        resolutions=[ResolutionRead.model_validate(r) for r in m.resolutions],
    )


def project_read(p: Project) -> ProjectRead:
    return ProjectRead(
        id=p.id, code=p.code, name=p.name, field=p.field, owner=p.owner,
        owner_place_code=p.owner_place_code, budget=p.budget, status=p.status,
        started_on=p.started_on, planned_finish=p.planned_finish,
        percent_complete=service.percent_complete(p),
        sites=[{"name": s.name, "county_code": s.county_code} for s in p.sites],
        milestones=[{"name": m.name, "due_on": m.due_on, "done_on": m.done_on}
                    for m in p.milestones],
    )


async def agreement_filter(county: Key | None = None, status: Key | None = None,
                     field: Key | None = None, party: Key | None = None,
                     year: Year | None = None, signed_to: Day | None = None,
                     q: Key | None = None,
                     in_force_at: Day | None = None,
                     zone_county: bool = False) -> service.AgreementFilter:
    """The agreement list's query parameters (empty strings from forms count as unset).
    ``async``: it only parses, so FastAPI runs it without a hand-over to the thread pool."""
    return service.AgreementFilter(county or None, status or None, field or None,
                                   party or None, year, signed_to, q or None, in_force_at,
                                   zone_county)


AgreementFilterDep = Annotated[service.AgreementFilter, Depends(agreement_filter)]


def _upload(file: UploadFile | None, settings: Settings) -> service.Upload | None:
    """An optional file field, received within the upload limit under a clean name."""
    if file is None or not file.filename:
        return None
    with uploads.receive(file, settings, "document") as received:
        return service.Upload(received.name, received.read_bytes())


# ---- agreements -----------------------------------------------------------------------------


@router.get("/agreements", response_model=list[AgreementRead],
            **paged(list(service.AGREEMENT_SORTING.keys)))
def list_agreements(request: Request, response: Response, session: SessionDep,
                    f: AgreementFilterDep, params: ListParamsDep) -> list[AgreementRead]:
    """Agreements, newest signing first; ``q`` searches the title, summary and place of
    signing."""
    def compute() -> Page[AgreementRead]:
        page = service.page_agreements(session, f, params)
        return Page([agreement_read(a) for a in page.items], page.total, page.page,
                    page.per_page, page.sort, page.order)

    result = service.cached_agreement_page(session, "api records", f, params, compute)
    set_page_headers(response, request, result)
    return list(result.items)


@router.get("/agreements.xlsx", response_class=Response)
def export_agreements(request: Request, session: SessionDep,
                      f: AgreementFilterDep, params: ListParamsDep) -> Response:
    """The agreements as an Excel workbook with the import headers (it imports again); the
    filters applied are listed on its second sheet (筛选条件). Every row the filters select,
    in the list's order: ``sort`` and ``order`` as for ``GET /agreements`` (``page`` and
    ``per_page`` are ignored)."""
    rows = service.agreement_rows(service.agreements_in_order(session, f, params))
    locale = request_locale(request.query_params.get("lang"),
                            request.headers.get("accept-language", ""))
    return _xlsx("agreements.xlsx", workbook("合作协议", service.AGREEMENT_HEADERS, rows,
                                             agreement_filters(session, f, locale)))


def _xlsx(name: str, content: bytes) -> Response:
    return Response(content, media_type=XLSX,
                    headers=attachment_headers(name))


@router.post("/agreements", response_model=AgreementRead, status_code=201)
def create_agreement(session: SessionDep, principal: CurrentUser,
                     body: AgreementCreate) -> AgreementRead:
    return agreement_read(service.create_agreement(session, principal, body))


@router.get("/agreements/{agreement_id}", response_model=AgreementRead)
def get_agreement(session: SessionDep, agreement_id: Id) -> AgreementRead:
    return agreement_read(service.get_agreement(session, agreement_id, full=True), full=True)


@router.patch("/agreements/{agreement_id}", response_model=AgreementRead)
def update_agreement(session: SessionDep, principal: CurrentUser, agreement_id: Id,
                     body: AgreementUpdate) -> AgreementRead:
    return agreement_read(service.update_agreement(session, principal, agreement_id, body))


@router.post("/agreements/{agreement_id}/document", response_model=AgreementRead)
def upload_document(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
                    agreement_id: Id, file: Annotated[UploadFile, File()]) -> AgreementRead:
    service.require_agreement_write(principal, service.get_agreement(session, agreement_id))
    with uploads.receive(file, settings, "document") as received:
        content = received.read_bytes()
    agreement = service.attach_document(session, principal, agreement_id,
                                        settings.data_dir / "files", received.name, content)
    return agreement_read(agreement)


@router.post("/agreements/{agreement_id}/obligations", response_model=ObligationRead,
             status_code=201)
def add_obligation(session: SessionDep, principal: CurrentUser, agreement_id: Id,
                   body: ObligationCreate) -> Any:
    obligation = service.add_obligation(session, principal, agreement_id, body)
    session.refresh(obligation)
    agreement = service.get_agreement(session, agreement_id, full=True)
    return next(o for o in agreement.obligations if o.id == obligation.id)


@router.post("/obligations/{obligation_id}/reports", response_model=ObligationReportRead,
             status_code=201)
def report_obligation(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
                      obligation_id: Id, reported_on: Annotated[Day, Form()],
                      text: Annotated[LongText, Form(min_length=1)],
                      done: Annotated[bool, Form()] = False,
                      evidence: Annotated[UploadFile | None, File()] = None) -> Any:
    """Progress on an obligation, with an optional evidence file (multipart form); the file
    is stored only once the report has been accepted."""
    data = ObligationReportCreate(reported_on=reported_on, text=text, done=done)
    return service.report_obligation_with_evidence(
        session, principal, obligation_id, data, settings.data_dir / "files",
        _upload(evidence, settings))


@router.get("/agreements/import/template.xlsx", response_class=Response)
def agreements_template(lang: Key | None = None) -> Response:
    """The agreements workbook to fill in: the headers ``POST /agreements/import`` reads and
    one example row (Chinese; ``?lang=en`` for English headers)."""
    locale = "en" if english(lang) else "zh_CN"
    return _xlsx(template_name("合作协议", "agreements", locale), agreement_template(locale))


@router.post("/agreements/import", response_model=ImportPreviewRead)
def import_agreements(request: Request, session: SessionDep, settings: SettingsDep,
                      principal: CurrentUser, file: Annotated[UploadFile, File()],
                      confirm: Annotated[bool, Query()] = False) -> ImportPreviewRead:
    """Preview (default) or, with ``confirm=true``, apply an agreements workbook.

    All or nothing: a workbook with any bad row is refused whole with every row, column and
    reason (Chinese unless ``?lang=en``). Importing the same workbook twice adds nothing:
    ``duplicate_file`` says the content was applied before (``summary`` in words). The
    template is ``GET /agreements/import/template.xlsx``."""
    service.require_may_import(principal)  # a viewer's or read token's upload stores nothing
    locale = request_locale(request.query_params.get("lang"),
                            request.headers.get("accept-language", ""))
    with uploads.receive(file, settings, "agreements.xlsx") as received:
        content = received.read_bytes()
    rows = read_agreements(content, received.display, uploads.Limits.of(settings), locale)
    sha256 = hashlib.sha256(content).hexdigest()
    if confirm:
        result = service.import_agreements(session, principal, rows,
                                           filename=received.display, sha256=sha256)
    else:
        service.check_import(session, principal, rows, sha256=sha256)
        result = service.preview_agreements(session, rows, sha256)
    doc = stage(session, settings.data_dir / "files", received.name, content, principal.label,
                target=AGREEMENTS_IMPORT, user_id=principal.user_id)
    return ImportPreviewRead(
        sha256=doc.sha256, filename=doc.filename, applied=confirm and not result.duplicate_file,
        duplicate_file=result.duplicate_file, summary=result.summary(locale),
        new=result.count("new"),
        changed=result.count("changed"), unchanged=result.count("unchanged"),
        rows=[ImportRowRead(row=r.row, title=r.key, action=r.action, changes=r.changes)
              for r in result.rows])


# ---- meetings ---------------------------------------------------------------------------------


@router.get("/meetings", response_model=list[MeetingRead],
            **paged(list(service.MEETING_SORTING.keys)))
def list_meetings(request: Request, response: Response, session: SessionDep,
                  params: ListParamsDep, kind: Key | None = None, series: Key | None = None,
                  our_role: Key | None = None, year: Year | None = None,
                  q: Key | None = None) -> list[MeetingRead]:
    """Meetings, latest first; ``q`` searches the title, place and host."""
    f = service.MeetingFilter(kind or None, series or None, our_role or None, year, q or None)
    result = service.page_meetings(session, f, params)
    set_page_headers(response, request, result)
    return [meeting_read(m) for m in result.items]


@router.post("/meetings", response_model=MeetingRead, status_code=201)
def create_meeting(session: SessionDep, principal: CurrentUser,
                   body: MeetingCreate) -> MeetingRead:
    meeting = service.create_meeting(session, principal, body)
    return meeting_read(service.get_meeting(session, meeting.id))


class _ResolutionTask(TaskAction):
    owner_org_id: Id
    deadline: Day
    title: Str | None = Field(default=None, min_length=2, max_length=200)


@router.post("/resolutions/{resolution_id}/task", response_model=TaskRead, status_code=201)
def resolution_to_task(session: SessionDep, principal: CurrentUser, resolution_id: Id,
                       body: _ResolutionTask) -> Any:
    return service.resolution_to_task(session, principal, resolution_id, body.owner_org_id,
                                      body.deadline, body.title)


# ---- projects ---------------------------------------------------------------------------------


@router.get("/projects", response_model=list[ProjectRead],
            **paged(list(service.PROJECT_SORTING.keys)))
def list_projects(request: Request, response: Response, session: SessionDep,
                  params: ListParamsDep, county: Key | None = None,
                  q: Key | None = None) -> list[ProjectRead]:
    """Platform projects; ``q`` searches the code, name and owner."""
    result = service.page_projects(session, county or None, q or None, params)
    set_page_headers(response, request, result)
    return [project_read(p) for p in result.items]


@router.post("/projects", response_model=ProjectRead, status_code=201)
def create_project(session: SessionDep, principal: CurrentUser,
                   body: ProjectCreate) -> ProjectRead:
    return project_read(service.create_project(session, principal, body))


@router.post("/projects/{project_id}/reports", response_model=ProjectRead, status_code=201)
def report_project(session: SessionDep, principal: CurrentUser, project_id: Id,
                   body: ProjectReportCreate) -> ProjectRead:
    service.report_project(session, principal, project_id, body)
    return project_read(service.get_project(session, project_id))


# ---- tasks ------------------------------------------------------------------------------------


def task_detail_read(d: service.TaskDetail) -> TaskDetailRead:
    t = d.task
    return TaskDetailRead.model_validate({
        **TaskRead.model_validate(t).model_dump(),
        "replies": [TaskReplyRead.model_validate(r) for r in d.replies],
        "files": [TaskFileRead(filename=a.document.filename, sha256=a.document.sha256,
                               size=a.document.size, reply_id=a.reply_id, added_by=a.added_by)
                  for a in d.attachments],
        "extensions": [TaskExtensionRead.model_validate(e) for e in d.extensions],
        "events": [TaskEventRead.model_validate(e) for e in t.events],
    })


def _uploads(files: list[UploadFile] | None, settings: Settings) -> list[service.Upload]:
    out = []
    for file in files or []:
        received = _upload(file, settings)
        if received is not None:
            out.append(received)
    return out


@router.get("/tasks", response_model=list[TaskRead], **paged(list(service.TASK_SORTING.keys)))
def list_tasks(request: Request, response: Response, session: SessionDep, settings: SettingsDep,
               principal: CurrentUser, params: ListParamsDep, state: Key | None = None,
               overdue: bool = False, due_soon: bool = False, mine: bool = False,
               q: Key | None = None) -> list[Any]:
    """Tasks, nearest deadline first; ``overdue`` and ``due_soon`` (within the
    ``due_soon_days`` setting) count from the platform's today, per assignee; ``mine``:
    assigned to one of my organisations; ``q`` searches the titles. Only the tasks the
    caller may read (``task.read``: a member of an organisation of the zone)."""
    org_ids = tuple(r.organisation_id for r in principal.roles) if mine else None
    result = service.page_tasks(session, service.TaskFilter(
        state or None, org_ids, overdue, due_soon, settings.today(), settings.due_soon_days,
        reader=principal), params, q or None)
    set_page_headers(response, request, result)
    return list(result.items)


@router.post("/tasks", response_model=TaskRead, status_code=201)
def create_task(session: SessionDep, principal: CurrentUser, body: TaskCreate) -> Any:
    """The cooperation office assigns a task to ``owner_org_id`` and the organisations of
    ``assignee_org_ids``."""
    return service.create_task(session, principal, body)


@router.get("/tasks/{task_id}", response_model=TaskDetailRead)
def get_task(session: SessionDep, principal: CurrentUser, task_id: Id) -> TaskDetailRead:
    return task_detail_read(service.task_detail(session, task_id, principal))


@router.get("/tasks/{task_id}/events", response_model=list[TaskEventRead])
def task_events(session: SessionDep, principal: CurrentUser, task_id: Id) -> list[Any]:
    service.require_task_read(session, principal, task_id)
    return list(service.get_task(session, task_id).events)


@router.post("/tasks/{task_id}/attachments", response_model=TaskDetailRead, status_code=201)
def attach_to_task(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
                   task_id: Id, files: Annotated[list[UploadFile], File()]) -> TaskDetailRead:
    """The office adds files to the task (multipart, one or more ``files``)."""
    service.require_office(principal, "为督办事项添加附件")
    service.attach_to_task(session, principal, task_id, settings.data_dir / "files",
                           _uploads(files, settings))
    return task_detail_read(service.task_detail(session, task_id))


@router.post("/tasks/{task_id}/replies", response_model=TaskReplyRead, status_code=201)
def reply_to_task(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
                  task_id: Id, text: Annotated[LongText, Form()] = "",
                  org_id: Annotated[Id | None, Form()] = None,
                  evidence: Annotated[list[UploadFile] | None, File()] = None) -> Any:
    """An assignee organisation's editors answer, with evidence files (multipart)."""
    return service.add_reply(session, principal, task_id, text, settings.data_dir / "files",
                             _uploads(evidence, settings), org_id)


@router.post("/tasks/{task_id}/extensions", response_model=TaskExtensionRead, status_code=201)
def ask_extension(session: SessionDep, principal: CurrentUser, task_id: Id,
                  body: ExtensionCreate) -> Any:
    """An assignee's editors ask for a later deadline, with a reason."""
    return service.request_extension(session, principal, task_id, body.new_deadline,
                                     body.reason, body.org_id)


@router.post("/tasks/{task_id}/extensions/{extension_id}/{decision}",
             response_model=TaskExtensionRead)
def decide_extension(session: SessionDep, principal: CurrentUser, task_id: Id,
                     extension_id: Id, decision: Key,
                     body: ExtensionDecision | None = None) -> Any:
    """``grant`` or ``refuse`` (with a ``note``): the cooperation office decides."""
    extension = service.get_extension(session, extension_id)
    if extension.task_id != task_id:
        raise NotFound(f"督办事项 {task_id} 没有编号为 {extension_id} 的延期申请",
                       detail=f"extension {extension_id} is not of task {task_id}")
    return service.decide_extension(session, principal, extension_id, decision,
                                    body.note if body else "")


@router.post("/tasks/{task_id}/{action}", response_model=TaskRead)
def move_task(session: SessionDep, principal: CurrentUser, task_id: Id, action: Key,
              body: TaskAction | None = None) -> Any:
    """``start``, ``submit`` (an assignee organisation's editors), ``accept`` or ``return``
    (the cooperation office; a return needs a note). ``org_id`` names the assignee when the
    task has several."""
    return service.move_task(session, principal, task_id, action, body.note if body else "",
                             body.org_id if body else None)


# ---- indicators and the dashboard ------------------------------------------------------------


@router.get("/indicators", response_model=list[IndicatorRead],
            **paged(list(service.INDICATOR_SORTING.keys)))
def list_indicators(request: Request, response: Response, session: SessionDep,
                    params: ListParamsDep, q: Key | None = None,
                    source: Key | None = None) -> list[Any]:
    """The indicators in their dashboard order; ``q`` searches the code, names and reporter,
    ``source`` is ``computed`` or ``reported``."""
    result = service.page_indicators(session, params, q or None, source or None)
    set_page_headers(response, request, result)
    return list(result.items)


@router.get("/indicators/{code}/values", response_model=list[IndicatorValueRead])
def indicator_values(session: SessionDep, code: Key) -> list[Any]:
    return list(service.history(session, service.get_indicator(session, code).id))


@router.post("/indicators/{code}/values", response_model=IndicatorValueRead, status_code=201)
def report_indicator(session: SessionDep, principal: CurrentUser, code: Key,
                     body: ReportedValueIn) -> Any:
    return service.report_value(session, principal, code, body.period, body.value)


@router.post("/indicators/snapshot", response_model=list[IndicatorValueRead])
def snapshot(session: SessionDep, settings: SettingsDep, principal: CurrentUser, period: Key,
             as_of: Day | None = None) -> list[Any]:
    """Compute and store every computed indicator for a period (office only)."""
    service.require_office(principal, "生成指标快照")
    if not service.valid_period(period):
        raise InvalidInput("期间格式应为 2025、2025-Q3 或 2025-09",
                           [RowError(None, "period", "YYYY, YYYY-Qn or YYYY-MM")])
    return service.snapshot(session, period, as_of, principal.label, today=settings.today())


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


@router.get("/dashboard")
def dashboard(session: SessionDep, as_of: Day | None = None) -> dict[str, Any]:
    """The public figures of the dashboard, each with a link to its records."""
    d = service.dashboard(session, as_of)
    return {
        "as_of": d.as_of.isoformat(),
        "totals": d.totals,
        "indicators": [{"code": c.indicator.code, "name": c.indicator.name,
                        "unit": c.indicator.unit, "target": _jsonable(c.indicator.target),
                        "value": _jsonable(c.value), "link": record_link(c.source),
                        "source": c.source_note,
                        "trend": [[p, _jsonable(v)] for p, v in c.trend]} for c in d.cards],
        "by_field": [{"field": f, "count": n,
                      "link": f"/cooperation/agreements?field={f}"} for f, n in d.by_field],
        "by_county": [{"code": code, "name": name, "count": n,
                       "link": f"/cooperation/agreements?county={code}"}
                      for code, name, n in d.by_county],
        "projects": [{"code": p.code, "name": p.name, "percent_complete": pc,
                      "link": f"/cooperation/projects/{p.id}"} for p, pc in d.projects],
        "ecology": {k: _jsonable(v) for k, v in (d.ecology or {}).items()},
    }
