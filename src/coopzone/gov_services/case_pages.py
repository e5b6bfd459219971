"""The case page (办件): the applicant (masked; in full only with the personal-data
permission, audited by the service), the item, the clock, the timeline, and the forms of the
steps the reader may take now; the evaluation (好差评) and the follow-up of a 差评; the form of
a new case at a window. A refused form comes back as the page with the message, the reasons
and what was typed, with the refusal's status; nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.roles import SERVICE_DEPARTMENT, SERVICE_WINDOW
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.api.deps import CurrentUser, SessionDep
from coopzone.cooperation.form_pages import lines, parse, refusal
from coopzone.errors import CoopzoneError, Forbidden, NotFound
from coopzone.gov_services import service
from coopzone.gov_services.models import (
    APPLICANT_KINDS,
    GRADES,
    MODES,
    Evaluation,
    FollowUp,
)
from coopzone.gov_services.presentation_web import (
    GRADE_NAMES,
    MODE_NAMES,
    clerk_kinds,
    clock_deadline,
    departments,
    organisation_names,
    page_clock,
    page_context,
    place_names,
)
from coopzone.gov_services.schemas import (
    CaseCreate,
    EvaluationCreate,
    FollowUpAnswer,
    PostagePauseIn,
    StepIn,
)
from coopzone.gov_services.service.clock import Clock
from coopzone.gov_services.service.permissions import is_window_clerk, may_department
from coopzone.kit.validation import Id
from coopzone.web.i18n import translations
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

LABELS = {
    "action": N_("Case step"), "note": N_("Note or reason"),
    "formal_check_ok": N_("Formal check passed"), "identity_checked": N_("Identity checked"),
    "materials": N_("Materials (one a line)"), "tracking_number": N_("Tracking number"),
    "outcome": N_("Outcome"), "first_day": N_("First day in the post"),
    "last_day": N_("Last day in the post"), "grade": N_("Grade"), "comment": N_("Comment"),
    "rectification": N_("Rectification"), "reply": N_("Reply to the applicant"),
    "applicant_kind": N_("Applicant kind"), "applicant_name": N_("Applicant name"),
    "id_number": N_("ID number or unified social credit code"), "phone": N_("Phone"),
    "address": N_("Address"), "address_place_code": N_("Address place code"),
    "item_id": N_("Service item"), "mode": N_("Handling mode"),
    "window_id": N_("Collecting window"),
    "department_id": N_("Handling department"),
    "handling_place_code": N_("Handling place code"),
    "materials_received": N_("Materials received (one a line)"),
    "at": N_("Time of the step"), "view": N_("List"),
}
# The steps that need the reader to type something; the others are one button.
STEP_FORMS = ("collect", "send", "refuse", "request_correction", "complete_correction",
              "deliver")


def _evaluation(session: Session, case_id: int) -> tuple[Evaluation | None, FollowUp | None]:
    evaluation = session.scalar(select(Evaluation).where(Evaluation.case_id == case_id))
    if evaluation is None:
        return None, None
    followup = session.scalar(select(FollowUp).where(FollowUp.evaluation_id == evaluation.id))
    return evaluation, followup


def case_page(request: Request, session: Session, principal: Principal, case_id: int,
              full: bool = False, form: str = "", values: dict[str, Any] | None = None,
              refused: CoopzoneError | None = None) -> Response:
    view = service.case_view(session, principal, case_id, full=full,
                             platform=page_clock(request))
    case = service.get_case(session, case_id)
    evaluation, followup = _evaluation(session, case_id)
    gettext = translations(locale_of(request)).gettext
    actions = [a for a in view.actions if a != "evaluate"]
    decide = [a for a in actions if a in ("approve", "deny")]
    may_answer = (followup is not None and followup.state == "open"
                  and principal.may_write_scope()
                  and principal.is_member(followup.owner_org_id, WRITE_ROLES))
    orgs = organisation_names(session, [case.department_id,
                                        *([followup.owner_org_id] if followup else [])])
    places = place_names(session, [c for c in (case.collect_place_code,
                                               case.handling_place_code) if c])
    return render(request, "gov_services/case.html", page_context(
        request, principal, v=view, c=view.clock, item=case.item, window=case.window,
        pauses=list(case.pauses), orgs=orgs, places=places,
        deadline_shown=clock_deadline(view.clock, gettext),
        steps=[a for a in actions if a not in ("approve", "deny")], decide=decide,
        step_forms=STEP_FORMS, may_evaluate="evaluate" in view.actions and evaluation is None,
        may_postage=(case.state == "accepted" and case.item.postage_pauses
                     and may_department(principal, case)),
        evaluation=evaluation, followup=followup, may_answer=may_answer,
        grade_options=[(g, GRADE_NAMES[g]) for g in GRADES],
        form=form, values=values or {}, labels=LABELS,
        **refusal(refused, locale=locale_of(request))),
        status_code=refused.status_code if refused else 200)


@router.get("/services/cases/new", response_class=HTMLResponse)
def new_case(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return _new_case_page(request, session, principal, {"applicant_kind": "person"})


def _new_case_page(request: Request, session: Session, principal: Principal,
                   values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    kinds = clerk_kinds(principal)
    if not kinds & {SERVICE_WINDOW, SERVICE_DEPARTMENT}:
        raise Forbidden("只有跨省通办窗口或办理部门的工作人员可以登记申请",
                        detail=f"{principal.label} is no window or department clerk")
    windows = [w for w in service.list_windows(session) if is_window_clerk(principal, w)]
    depts = departments(session)
    places = place_names(session, [d.place_code for d in depts])
    return render(request, "gov_services/case_new.html", page_context(
        request, principal, values=values, labels=LABELS,
        items_options=[(i.id, i.name) for i in service.list_items(session)],
        window_options=[(w.id, w.name) for w in windows],
        departments=[(d.id, f"{d.name}（{places.get(d.place_code, d.place_code)}）")
                     for d in depts],
        applicant_kinds=APPLICANT_KINDS, mode_options=[(m, MODE_NAMES[m]) for m in MODES],
        **refusal(refused, locale=locale_of(request))),
        status_code=refused.status_code if refused else 200)


@router.post("/services/cases/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_case(request: Request, session: SessionDep, principal: CurrentUser,
                applicant_kind: Annotated[str, Form()] = "",
                applicant_name: Annotated[str, Form()] = "",
                id_number: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
                address: Annotated[str, Form()] = "",
                address_place_code: Annotated[str, Form()] = "",
                item_id: Annotated[str, Form()] = "", mode: Annotated[str, Form()] = "",
                window_id: Annotated[str, Form()] = "",
                department_id: Annotated[str, Form()] = "",
                handling_place_code: Annotated[str, Form()] = "",
                materials_received: Annotated[str, Form()] = "") -> Response:
    """申请 at a window (or online, by the department): the case, then its page."""
    values: dict[str, Any] = {
        "applicant_kind": applicant_kind, "applicant_name": applicant_name,
        "id_number": id_number, "phone": phone, "address": address,
        "address_place_code": address_place_code, "item_id": item_id, "mode": mode,
        "window_id": window_id, "department_id": department_id,
        "handling_place_code": handling_place_code}
    try:
        data = parse(request, CaseCreate, {**values,
                                           "materials_received": lines(materials_received)})
        case = service.create_case(session, principal, data, platform=page_clock(request))
    except CoopzoneError as exc:
        session.rollback()
        return _new_case_page(request, session, principal,
                              {**values, "materials_received": materials_received}, exc)
    return RedirectResponse(f"/services/cases/{case.id}", status_code=303)


@router.get("/services/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, session: SessionDep, principal: CurrentUser,
         case_id: Id) -> Response:
    return case_page(request, session, principal, case_id)


@router.post("/services/cases/{case_id}/full", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def case_in_full(request: Request, session: SessionDep, principal: CurrentUser,
                 case_id: Id) -> Response:
    """The applicant in full, for a holder of the personal-data permission (one audit
    row); shown on this answer only, never kept in a link."""
    response = case_page(request, session, principal, case_id, full=True)
    response.headers["Cache-Control"] = "no-store"
    return response


def _case_form(request: Request, session: Session, principal: Principal, case_id: int,
               form: str, values: dict[str, Any], schema: type[M],
               write: Callable[[M, Clock], object], anchor: str,
               parsed: dict[str, Any] | None = None) -> Response:
    """A form of the case page: ``values`` (as typed; ``parsed`` where they need reading
    first) checked against ``schema`` and written by ``write`` on the page's clock, then back
    to the case at ``anchor``. Refused: nothing written, the page again with the message, the
    reasons and what was typed, with the refusal's status."""
    try:
        write(parse(request, schema, values if parsed is None else parsed), page_clock(request))
    except CoopzoneError as exc:
        session.rollback()
        return case_page(request, session, principal, case_id, form=form, values=values,
                         refused=exc)
    return RedirectResponse(f"/services/cases/{case_id}#{anchor}", status_code=303)


def _flag(raw: str) -> bool | None:
    return True if raw.strip() in ("1", "on", "yes", "true") else None


@router.post("/services/cases/{case_id}/steps", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def case_step(request: Request, session: SessionDep, principal: CurrentUser, case_id: Id,
              action: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
              formal_check_ok: Annotated[str, Form()] = "",
              identity_checked: Annotated[str, Form()] = "",
              materials: Annotated[str, Form()] = "",
              tracking_number: Annotated[str, Form()] = "",
              outcome: Annotated[str, Form()] = "") -> Response:
    """One step of the case (collect, send, accept, refuse, 补正, decide, deliver, archive)."""
    values = {"action": action, "note": note, "formal_check_ok": formal_check_ok,
              "identity_checked": identity_checked, "materials": materials,
              "tracking_number": tracking_number, "outcome": outcome}
    return _case_form(request, session, principal, case_id, f"step-{action}", values, StepIn,
                      lambda d, on: service.step(session, principal, case_id, d, platform=on),
                      "timeline", {
                          "action": action, "note": note,
                          "formal_check_ok": _flag(formal_check_ok),
                          "identity_checked": _flag(identity_checked),
                          "materials": lines(materials) or None,
                          "tracking_number": tracking_number, "outcome": outcome})


@router.post("/services/cases/{case_id}/postage", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def case_postage(request: Request, session: SessionDep, principal: CurrentUser,
                 case_id: Id, first_day: Annotated[str, Form()] = "",
                 last_day: Annotated[str, Form()] = "",
                 note: Annotated[str, Form()] = "") -> Response:
    """Days in the post that do not count, for an item whose guide says so."""
    values = {"first_day": first_day, "last_day": last_day, "note": note}
    return _case_form(request, session, principal, case_id, "postage", values, PostagePauseIn,
                      lambda d, on: service.postage_pause(session, principal, case_id,
                                                          d.first_day, d.last_day, d.note,
                                                          platform=on), "clock")


@router.post("/services/cases/{case_id}/evaluation", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def case_evaluation(request: Request, session: SessionDep, principal: CurrentUser,
                    case_id: Id, grade: Annotated[str, Form()] = "",
                    comment: Annotated[str, Form()] = "") -> Response:
    """The applicant's 好差评, recorded by the front of the case."""
    values = {"grade": grade, "comment": comment}
    return _case_form(request, session, principal, case_id, "evaluation", values,
                      EvaluationCreate, lambda d, on: service.evaluate_case(
                          session, principal, case_id, d, platform=on), "evaluation")


@router.post("/services/followups/{followup_id}/answer", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def followup_answer(request: Request, session: SessionDep, principal: CurrentUser,
                    followup_id: Id, rectification: Annotated[str, Form()] = "",
                    reply: Annotated[str, Form()] = "") -> Response:
    """The rated organisation's answer to a 差评: 整改 and 回访."""
    case_id = session.scalar(select(Evaluation.case_id).join(
        FollowUp, FollowUp.evaluation_id == Evaluation.id).where(FollowUp.id == followup_id))
    if case_id is None:
        raise NotFound(f"没有编号为 {followup_id} 的差评整改", detail="unknown follow-up")
    values = {"rectification": rectification, "reply": reply}
    return _case_form(request, session, principal, case_id, "followup", values, FollowUpAnswer,
                      lambda d, on: service.answer_followup(session, principal, followup_id, d,
                                                            platform=on), "evaluation")
