"""Forms on platform projects: create one in your jurisdiction, choosing the counties it touches,
and on a project's page report progress (with an attachment), choose its sites, add milestones,
mark them done, correct and delete them. Only editors of the owner's place see and may use the
page's forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.cooperation import service
from coopzone.cooperation.form_pages import parse, render_form, upload
from coopzone.cooperation.schemas import (
    MilestoneDone,
    MilestoneIn,
    ProjectCreate,
    ProjectReportCreate,
    SitesChoice,
)
from coopzone.db import now
from coopzone.errors import CoopzoneError
from coopzone.kit.validation import Id
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_

router = APIRouter(include_in_schema=False)

PROJECT_LABELS = {"name": N_("Project name"), "field": N_("Field"),
                  "owner": N_("Owner organisation"), "owner_place_code": N_("Place"),
                  "budget": N_("Budget (yuan)"), "started_on": N_("Start date"),
                  "summary": N_("Description"), "sites": N_("Sites")}
# The forms of a project's page share one set of labels.
PROJECT_PAGE_LABELS = {"reported_on": N_("Date"), "percent_complete": N_("Percent complete"),
                       "text": N_("Report"), "attachment": N_("Attachment"),
                       "name": N_("Milestone"), "due_on": N_("Due"), "done_on": N_("Done on"),
                       "sites": N_("Sites")}
REPORT_FORM = "report"
NEW_MILESTONE = "new-milestone"
SITES_FORM = "sites"


def edit_form(milestone_id: int) -> str:
    return f"edit-{milestone_id}"


def delete_form(milestone_id: int) -> str:
    return f"delete-{milestone_id}"


def _project_form(request: Request, session: Session, principal: Principal,
                  values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    return render_form(request, session, principal, "project_form.html", values,
                       PROJECT_LABELS, refused, places=service.project_places(session),
                       counties=service.unit_names(session),
                       organisations=sorted(service.organisation_names(session).values()))


@router.get("/cooperation/projects/new", response_class=HTMLResponse)
def project_new(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    service.require_write_role(principal, "登记平台项目")
    return _project_form(request, session, principal, {})


@router.post("/cooperation/projects/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def project_create(request: Request, session: SessionDep, principal: CurrentUser,
                   name: Annotated[str, Form()] = "", field: Annotated[str, Form()] = "",
                   owner: Annotated[str, Form()] = "",
                   owner_place_code: Annotated[str, Form()] = "",
                   budget: Annotated[str, Form()] = "", started_on: Annotated[str, Form()] = "",
                   summary: Annotated[str, Form()] = "",
                   sites: Annotated[list[str] | None, Form()] = None) -> Response:
    """A platform project; the platform gives it its code (place code and a number). Each
    chosen county becomes a site named after it."""
    values = {"name": name, "field": field, "owner": owner,
              "owner_place_code": owner_place_code, "budget": budget,
              "started_on": started_on, "summary": summary, "sites": sites or []}
    try:
        # People write 1,250,000: the thousands separators are not part of the number.
        data = parse(request, ProjectCreate, values | {
            "budget": budget.replace(",", ""),
            "sites": [{"county_code": c} for c in dict.fromkeys(sites or [])]})
        project = service.create_project(session, principal, data)
    except CoopzoneError as exc:
        session.rollback()
        return _project_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/projects/{project.id}", status_code=303)


def project_page(request: Request, session: Session, principal: Principal | None,
                 project_id: int, form: int | str | None = None,
                 values: dict[str, Any] | None = None,
                 refused: CoopzoneError | None = None) -> Response:
    """The project with its milestones and reports; ``form`` is the form a refusal belongs to
    (REPORT_FORM, SITES_FORM, NEW_MILESTONE, a milestone's id for its done form, or
    edit_form / delete_form of a milestone)."""
    p = service.get_project(session, project_id)
    today = now().date().isoformat()
    return render_form(
        request, session, principal, "project.html",
        values or {"reported_on": today, "done_on": today}, PROJECT_PAGE_LABELS, refused,
        file_field="attachment", p=p, percent=service.percent_complete(p),
        counties=service.unit_names(session),
        may_report=principal is not None and service.may_report_project(principal, p),
        documents=service.documents_by_id(session, (r.attachment_id for r in p.reports)),
        form_for=form, report_form=REPORT_FORM, new_milestone=NEW_MILESTONE,
        sites_form=SITES_FORM)


@router.post("/cooperation/projects/{project_id}/reports", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def project_report(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, project_id: Id,
                   reported_on: Annotated[str, Form()] = "",
                   percent_complete: Annotated[str, Form()] = "",
                   text: Annotated[str, Form()] = "",
                   attachment: Annotated[UploadFile | None, File()] = None) -> Response:
    """Progress on a platform project: percent complete, a text, an optional attachment."""
    values = {"reported_on": reported_on, "percent_complete": percent_complete, "text": text}
    try:
        service.report_project_with_attachment(
            session, principal, project_id, parse(request, ProjectReportCreate, values),
            settings.data_dir / "files", upload(attachment, settings))
    except CoopzoneError as exc:
        session.rollback()
        return project_page(request, session, principal, project_id, REPORT_FORM, values, exc)
    return RedirectResponse(f"/cooperation/projects/{project_id}#reports", status_code=303)


@router.post("/cooperation/projects/{project_id}/milestones", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def milestone_add(request: Request, session: SessionDep, principal: CurrentUser,
                  project_id: Id, name: Annotated[str, Form()] = "",
                  due_on: Annotated[str, Form()] = "") -> Response:
    values = {"name": name, "due_on": due_on}
    try:
        milestone = service.add_milestone(session, principal, project_id,
                                          parse(request, MilestoneIn, values))
    except CoopzoneError as exc:
        session.rollback()
        return project_page(request, session, principal, project_id, NEW_MILESTONE, values,
                            exc)
    return RedirectResponse(f"/cooperation/projects/{project_id}#milestone-{milestone.id}",
                            status_code=303)


def _change_milestone(request: Request, session: Session, principal: Principal,
                      milestone_id: int, form: str | int, values: dict[str, str] | None,
                      change: Callable[[], object], anchor: str = "") -> Response:
    """Run ``change``; a refusal shows the project page with ``form`` open, else the
    browser goes back to the milestone (or to ``anchor``)."""
    project_id = service.get_milestone(session, milestone_id).project_id
    try:
        change()
    except CoopzoneError as exc:
        session.rollback()
        return project_page(request, session, principal, project_id, form, values, exc)
    return RedirectResponse(
        f"/cooperation/projects/{project_id}#{anchor or f'milestone-{milestone_id}'}",
        status_code=303)


@router.post("/cooperation/milestones/{milestone_id}/done", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def milestone_done(request: Request, session: SessionDep, principal: CurrentUser,
                   milestone_id: Id, done_on: Annotated[str, Form()] = "") -> Response:
    values = {"done_on": done_on}
    return _change_milestone(
        request, session, principal, milestone_id, milestone_id, values,
        lambda: service.complete_milestone(session, principal, milestone_id,
                                           parse(request, MilestoneDone, values)))


@router.post("/cooperation/milestones/{milestone_id}/edit", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def milestone_edit(request: Request, session: SessionDep, principal: CurrentUser,
                   milestone_id: Id, name: Annotated[str, Form()] = "",
                   due_on: Annotated[str, Form()] = "",
                   done_on: Annotated[str, Form()] = "") -> Response:
    """Correct a milestone; a blank done date leaves it (or makes it again) not done."""
    values = {"name": name, "due_on": due_on, "done_on": done_on}
    return _change_milestone(
        request, session, principal, milestone_id, edit_form(milestone_id), values,
        lambda: service.update_milestone(session, principal, milestone_id,
                                         parse(request, MilestoneIn, values)))


@router.post("/cooperation/milestones/{milestone_id}/delete", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def milestone_delete(request: Request, session: SessionDep, principal: CurrentUser,
                     milestone_id: Id) -> Response:
    return _change_milestone(
        request, session, principal, milestone_id, delete_form(milestone_id), None,
        lambda: service.delete_milestone(session, principal, milestone_id), "milestones")


@router.post("/cooperation/projects/{project_id}/sites", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def project_sites(request: Request, session: SessionDep, principal: CurrentUser,
                  project_id: Id,
                  sites: Annotated[list[str] | None, Form()] = None) -> Response:
    """The counties the project touches; none chosen leaves it without sites."""
    values = {"sites": sites or []}
    try:
        service.choose_sites(session, principal, project_id,
                             parse(request, SitesChoice, values))
    except CoopzoneError as exc:
        session.rollback()
        return project_page(request, session, principal, project_id, SITES_FORM, values, exc)
    return RedirectResponse(f"/cooperation/projects/{project_id}", status_code=303)
