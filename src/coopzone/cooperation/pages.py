"""Cooperation pages: the dashboard (驾驶舱, public parts without login), agreements, meetings,
projects, leading-group tasks and indicators, with Excel import (preview, then confirm) and
export of every list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from coopzone.cooperation import service
from coopzone.cooperation.exporters import Cell, workbook
from coopzone.cooperation.importers import read_agreements
from coopzone.cooperation.schemas import (
    AgreementCreate,
    MeetingCreate,
    ObligationCreate,
    ObligationReportCreate,
    ProjectReportCreate,
    TaskCreate,
)
from coopzone.db import now
from coopzone.errors import (
    Conflict,
    CoopzoneError,
    Forbidden,
    InvalidInput,
    NotFound,
    RowError,
    Unauthorized,
)
from coopzone.web.i18n import translations
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FIELD_NAMES = {
    "transport": N_("Transport"), "industry": N_("Industry"), "ecology": N_("Ecology"),
    "public_services": N_("Public services"), "culture_tourism": N_("Culture and tourism"),
    "credit": N_("Credit"), "talent": N_("Talent"), "science": N_("Science and technology"),
    "agriculture": N_("Agriculture"), "trade": N_("Trade and logistics"), "other": N_("Other"),
}
STATUS_NAMES = {"signed": N_("Signed"), "in_force": N_("In force"), "expired": N_("Expired"),
                "terminated": N_("Terminated")}
STATE_NAMES = {"open": N_("Open"), "in_progress": N_("In progress"),
               "submitted": N_("Submitted"), "accepted": N_("Accepted")}
ACTION_NAMES = {"create": N_("Assigned"), "start": N_("Start"), "submit": N_("Submit"),
                "accept": N_("Accept"), "return": N_("Return")}
MEETING_KIND_NAMES = {"joint_meeting": N_("Joint meeting"), "forum": N_("Forum"),
                      "conference": N_("Conference")}
ROLE_NAMES = {"host": N_("Host"), "member": N_("Member"), "observer": N_("Observer")}
PROJECT_STATUS_NAMES = {"planned": N_("Planned"), "under_construction": N_("Under construction"),
                        "completed": N_("Completed"), "suspended": N_("Suspended")}


# Indicator units are stored in Chinese; their English forms for the English pages.
UNIT_EN = {"项": "", "个": "", "次": "times", "%": "%", "个月": "months", "万元": "×10,000 yuan",
           "家": "companies", "元": "yuan"}


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


def num(value: Decimal | int | float | None, places: int | None = None) -> str:
    """A figure as people write it: 212, 83.3, 6,600 (no trailing zeros)."""
    if value is None:
        return "—"
    d = Decimal(str(value))
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places))
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def spark(trend: list[tuple[str, Decimal]], width: int = 120, height: int = 28) -> str:
    """Points of an inline SVG polyline for a trend (no script needed)."""
    values = [float(v) for _p, v in trend]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
                    for i, v in enumerate(values))


def _context(session: Session, principal: Principal | None, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "reminders": service.reminders_for(session, principal),
        "is_office": principal is not None and service.is_office(principal),
        "may_create_agreement": principal is not None and service.may_create_agreement(
            principal),
        "field_names": FIELD_NAMES, "status_names": STATUS_NAMES, "state_names": STATE_NAMES,
        "action_names": ACTION_NAMES, "meeting_kind_names": MEETING_KIND_NAMES,
        "role_names": ROLE_NAMES, "project_status_names": PROJECT_STATUS_NAMES,
        "num": num, "spark": spark,
    }
    ctx.update(extra)
    return ctx


def _xlsx(name: str, content: bytes) -> Response:
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---- entry forms: parse, call one service function, present the result ------------------------

# Why a field was refused, by pydantic error type (the message ids are translated per request).
REASONS = {
    "missing": N_("Required"),
    "string_too_short": N_("At least %(min_length)s characters"),
    "string_too_long": N_("At most %(max_length)s characters"),
    "date_parsing": N_("A date such as 2025-09-30"),
    "date_from_datetime_parsing": N_("A date such as 2025-09-30"),
    "date_type": N_("A date such as 2025-09-30"),
    "int_parsing": N_("A whole number"),
    "int_type": N_("A whole number"),
    "int_from_float": N_("A whole number"),
    "less_than_equal": N_("At most %(le)s"),
    "greater_than_equal": N_("At least %(ge)s"),
    "string_pattern_mismatch": N_("Choose one of the options"),
    "too_short": N_("At least one line"),
}
FORM_REFUSED = N_("Nothing was saved: correct the fields marked below.")
TASK_LABELS = {"title": N_("Title"), "description": N_("Description"),
               "owner_org_id": N_("Owner organisation"), "deadline": N_("Deadline"),
               "resolution_id": N_("Source")}
MEETING_LABELS = {"title": N_("Title"), "kind": N_("Kind"), "series": N_("Series"),
                  "held_on": N_("Date"), "place": N_("Place"), "host": N_("Host"),
                  "our_role": N_("Our role"), "members": N_("Members"),
                  "resolutions": N_("Resolutions")}
AGREEMENT_LABELS = {"title": N_("Title"), "parties": N_("Parties"), "field": N_("Field"),
                    "signed_on": N_("Signed on"), "signed_at": N_("Place of signing"),
                    "term_years": N_("Term (years)"), "expires_on": N_("Expires on"),
                    "status": N_("Status"), "summary": N_("Summary"),
                    "document": N_("Document")}
PROJECT_REPORT_LABELS = {"reported_on": N_("Date"), "percent_complete": N_("Percent complete"),
                         "text": N_("Report"), "attachment": N_("Attachment")}
OBLIGATION_LABELS = {"reported_on": N_("Date"), "text": N_("Report"), "done": N_("Fulfilled"),
                     "evidence": N_("Evidence"), "description": N_("Obligation"),
                     "owner": N_("Owner"), "due_on": N_("Due")}
NEW_OBLIGATION = "new-obligation"


def _lines(text: str) -> list[str]:
    """Several lines of a text area -> the non-blank ones, trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parse(request: Request, schema: type[M], raw: dict[str, Any]) -> M:
    """Validate a form against its schema. Blank fields are left out, so optional ones take
    their defaults and required ones are reported as required."""
    data = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()}
    data = {k: v for k, v in data.items() if v not in ("", None, [])}
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        gettext = translations(locale_of(request)).gettext
        errors: list[RowError] = []
        for e in exc.errors():
            loc = list(e["loc"])
            reason_id = REASONS.get(e["type"])
            reason = gettext(reason_id) % dict(e.get("ctx") or {}) if reason_id else e["msg"]
            row = loc[1] + 1 if len(loc) > 1 and isinstance(loc[1], int) else None
            if row is not None:
                reason = gettext("line %(n)s: %(reason)s") % {"n": row, "reason": reason}
            errors.append(RowError(row, str(loc[0]) if loc else "", reason))
        raise InvalidInput(gettext(FORM_REFUSED), errors) from None


def _upload(file: UploadFile | None) -> service.Upload | None:
    """A file input left empty sends no file name: no upload."""
    if file is None or not file.filename:
        return None
    return service.Upload(file.filename, file.file.read())


def _refusal(exc: CoopzoneError, file_field: str = "") -> dict[str, Any]:
    """The message and the field errors of a refused form, for the page to show."""
    errors: dict[str, list[str]] = {}
    for e in getattr(exc, "errors", []):
        name = file_field if e.column == "file" and file_field else (e.column or "")
        errors.setdefault(name, []).append(e.reason)
    return {"message": exc.message, "errors": errors}


def _form(request: Request, session: Session, principal: Principal, name: str,
          values: dict[str, Any], labels: dict[str, str], refused: CoopzoneError | None = None,
          file_field: str = "", **extra: Any) -> Response:
    refusal = _refusal(refused, file_field) if refused else {"message": None, "errors": {}}
    return render(request, f"cooperation/{name}", _context(
        session, principal, values=values, labels=labels, **refusal, **extra),
        status_code=refused.status_code if refused else 200)


def _org_choices(session: Session) -> list[tuple[int, str]]:
    return sorted(service.organisation_names(session).items(), key=lambda t: t[1])


def _task_form(request: Request, session: Session, principal: Principal,
               values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    return _form(request, session, principal, "task_form.html", values, TASK_LABELS, refused,
                 orgs=_org_choices(session), resolutions=service.list_resolutions(session))


@router.get("/cooperation/tasks/new", response_class=HTMLResponse)
def task_new(request: Request, session: SessionDep, principal: CurrentUser,
             resolution: int | None = None) -> Response:
    """The assignment form; from a resolution's button it comes filled in from the resolution."""
    service.require_office(principal, "交办督办事项")
    values: dict[str, Any] = {}
    if resolution is not None:
        r = service.get_resolution(session, resolution)
        values = {"title": r.text[:200], "description": r.text, "resolution_id": str(r.id)}
    return _task_form(request, session, principal, values)


@router.post("/cooperation/tasks/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def task_create(request: Request, session: SessionDep, principal: CurrentUser,
                title: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
                owner_org_id: Annotated[str, Form()] = "", deadline: Annotated[str, Form()] = "",
                resolution_id: Annotated[str, Form()] = "") -> Response:
    values = {"title": title, "description": description, "owner_org_id": owner_org_id,
              "deadline": deadline, "resolution_id": resolution_id}
    try:
        task = service.create_task(session, principal, _parse(request, TaskCreate, values))
    except (InvalidInput, Conflict, Forbidden, NotFound) as exc:
        session.rollback()
        return _task_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/tasks#task-{task.id}", status_code=303)


def _meeting_form(request: Request, session: Session, principal: Principal,
                  values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    return _form(request, session, principal, "meeting_form.html", values, MEETING_LABELS,
                 refused)


@router.get("/cooperation/meetings/new", response_class=HTMLResponse)
def meeting_new(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    service.require_office(principal, "登记联席会议")
    return _meeting_form(request, session, principal,
                         {"kind": "joint_meeting", "our_role": "member"})


@router.post("/cooperation/meetings/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def meeting_create(request: Request, session: SessionDep, principal: CurrentUser,
                   title: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
                   series: Annotated[str, Form()] = "", held_on: Annotated[str, Form()] = "",
                   place: Annotated[str, Form()] = "", host: Annotated[str, Form()] = "",
                   our_role: Annotated[str, Form()] = "", members: Annotated[str, Form()] = "",
                   resolutions: Annotated[str, Form()] = "") -> Response:
    """A meeting with its members (one per line) and resolutions (one per line)."""
    values = {"title": title, "kind": kind, "series": series, "held_on": held_on,
              "place": place, "host": host, "our_role": our_role, "members": members,
              "resolutions": resolutions}
    try:
        data = _parse(request, MeetingCreate, values | {
            "members": [{"name": n} for n in _lines(members)],
            "resolutions": _lines(resolutions)})
        meeting = service.create_meeting(session, principal, data)
    except (InvalidInput, Conflict, Forbidden, NotFound) as exc:
        session.rollback()
        return _meeting_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/meetings#meeting-{meeting.id}", status_code=303)


def _agreement_form(request: Request, session: Session, principal: Principal,
                    values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    return _form(request, session, principal, "agreement_form.html", values, AGREEMENT_LABELS,
                 refused, file_field="document")


@router.get("/cooperation/agreements/new", response_class=HTMLResponse)
def agreement_new(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    service.require_may_create_agreement(principal)
    return _agreement_form(request, session, principal, {"status": "signed"})


@router.post("/cooperation/agreements/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def agreement_create(request: Request, session: SessionDep, settings: SettingsDep,
                     principal: CurrentUser, title: Annotated[str, Form()] = "",
                     parties: Annotated[str, Form()] = "", field: Annotated[str, Form()] = "",
                     signed_on: Annotated[str, Form()] = "",
                     signed_at: Annotated[str, Form()] = "",
                     term_years: Annotated[str, Form()] = "",
                     expires_on: Annotated[str, Form()] = "",
                     status: Annotated[str, Form()] = "", summary: Annotated[str, Form()] = "",
                     document: Annotated[UploadFile | None, File()] = None) -> Response:
    """A new agreement: parties one per line, the signed document optional."""
    values = {"title": title, "parties": parties, "field": field, "signed_on": signed_on,
              "signed_at": signed_at, "term_years": term_years, "expires_on": expires_on,
              "status": status, "summary": summary}
    try:
        data = _parse(request, AgreementCreate, values | {
            "parties": [{"name": n} for n in _lines(parties)]})
        agreement = service.create_agreement_with_document(
            session, principal, data, settings.data_dir / "files", _upload(document))
    except (InvalidInput, Conflict, Forbidden, NotFound) as exc:
        session.rollback()
        return _agreement_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/agreements/{agreement.id}", status_code=303)


def _project_page(request: Request, session: Session, principal: Principal | None,
                  project_id: int, values: dict[str, Any] | None = None,
                  refused: CoopzoneError | None = None) -> Response:
    p = service.get_project(session, project_id)
    refusal = _refusal(refused, "attachment") if refused else {"message": None, "errors": {}}
    return render(request, "cooperation/project.html", _context(
        session, principal, p=p, percent=service.percent_complete(p),
        counties=service.unit_names(session),
        may_report=principal is not None and service.may_report_project(principal, p),
        documents=service.documents_by_id(session, (r.attachment_id for r in p.reports)),
        values=values or {"reported_on": now().date().isoformat()},
        labels=PROJECT_REPORT_LABELS, **refusal),
        status_code=refused.status_code if refused else 200)


@router.post("/cooperation/projects/{project_id}/reports", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def project_report(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, project_id: int,
                   reported_on: Annotated[str, Form()] = "",
                   percent_complete: Annotated[str, Form()] = "",
                   text: Annotated[str, Form()] = "",
                   attachment: Annotated[UploadFile | None, File()] = None) -> Response:
    """Progress on a platform project: percent complete, a text, an optional attachment."""
    values = {"reported_on": reported_on, "percent_complete": percent_complete, "text": text}
    try:
        service.report_project_with_attachment(
            session, principal, project_id, _parse(request, ProjectReportCreate, values),
            settings.data_dir / "files", _upload(attachment))
    except (InvalidInput, Conflict, Forbidden) as exc:
        session.rollback()
        return _project_page(request, session, principal, project_id, values, exc)
    return RedirectResponse(f"/cooperation/projects/{project_id}#reports", status_code=303)


def _agreement_page(request: Request, session: Session, principal: Principal | None,
                    agreement_id: int, form: int | str | None = None,
                    values: dict[str, Any] | None = None,
                    refused: CoopzoneError | None = None) -> Response:
    """The agreement with its obligations; ``form`` is the form a refusal belongs to (an
    obligation's id for its progress report, or NEW_OBLIGATION)."""
    a = service.get_agreement(session, agreement_id, full=True)
    may_edit = principal is not None and service.can_edit_agreement(
        principal, [ap.party.place_code for ap in a.parties if ap.party.place_code])
    evidence = service.documents_by_id(
        session, (r.evidence_id for o in a.obligations for r in o.reports))
    refusal = _refusal(refused, "evidence") if refused else {"message": None, "errors": {}}
    return render(request, "cooperation/agreement.html", _context(
        session, principal, a=a, may_edit=may_edit, documents=evidence, form_for=form,
        owners=[(ap.party.name, ap.party.name) for ap in a.parties],
        new_obligation=NEW_OBLIGATION,
        values=values or {"reported_on": now().date().isoformat()},
        labels=OBLIGATION_LABELS, **refusal),
        status_code=refused.status_code if refused else 200)


@router.post("/cooperation/obligations/{obligation_id}/reports", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def obligation_report(request: Request, session: SessionDep, settings: SettingsDep,
                      principal: CurrentUser, obligation_id: int,
                      reported_on: Annotated[str, Form()] = "",
                      text: Annotated[str, Form()] = "", done: Annotated[str, Form()] = "",
                      evidence: Annotated[UploadFile | None, File()] = None) -> Response:
    """Progress on an agreement obligation, with an evidence file."""
    values = {"reported_on": reported_on, "text": text, "done": done}
    agreement_id = service.get_obligation(session, obligation_id).agreement_id
    try:
        service.report_obligation_with_evidence(
            session, principal, obligation_id,
            _parse(request, ObligationReportCreate, values | {"done": done == "yes"}),
            settings.data_dir / "files", _upload(evidence))
    except (InvalidInput, Conflict, Forbidden) as exc:
        session.rollback()
        return _agreement_page(request, session, principal, agreement_id, obligation_id,
                               values, exc)
    return RedirectResponse(f"/cooperation/agreements/{agreement_id}#obligation-{obligation_id}",
                            status_code=303)


@router.post("/cooperation/agreements/{agreement_id}/obligations", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def obligation_add(request: Request, session: SessionDep, principal: CurrentUser,
                   agreement_id: int, description: Annotated[str, Form()] = "",
                   owner: Annotated[str, Form()] = "",
                   due_on: Annotated[str, Form()] = "") -> Response:
    """What one party promised under the agreement, by when."""
    values = {"description": description, "owner": owner, "due_on": due_on}
    try:
        obligation = service.add_obligation(session, principal, agreement_id,
                                            _parse(request, ObligationCreate, values))
    except (InvalidInput, Conflict, Forbidden) as exc:
        session.rollback()
        return _agreement_page(request, session, principal, agreement_id, NEW_OBLIGATION,
                               values, exc)
    return RedirectResponse(
        f"/cooperation/agreements/{agreement_id}#obligation-{obligation.id}", status_code=303)


# ---- dashboard --------------------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, principal: OptionalUser,
              as_of: date | None = None) -> Response:
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
    return render(request, "cooperation/dashboard.html", _context(
        session, principal, d=d, chart=chart, english=english, eco=ecology_rows(d.ecology),
        field_labels={code: gettext(label) for code, label in FIELD_NAMES.items()},
        unit_names=UNIT_EN))


@router.get("/dashboard/unit/{code}", response_class=HTMLResponse)
def unit_panel(request: Request, session: SessionDep, principal: OptionalUser,
               code: str) -> Response:
    """The panel shown when a unit of the map is clicked (an htmx fragment)."""
    return render(request, "cooperation/unit_panel.html",
                  _context(session, principal, u=service.unit_panel(session, code)))


# ---- index and agreements --------------------------------------------------------------------


@router.get("/cooperation", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    d = service.dashboard(session, with_tasks=False)
    return render(request, "cooperation/index.html", _context(session, principal, d=d))


@router.get("/cooperation/agreements", response_class=HTMLResponse)
def agreements(request: Request, session: SessionDep, principal: OptionalUser,
               county: str | None = None, status: str | None = None, field: str | None = None,
               party: str | None = None, year: int | None = None,
               signed_to: date | None = None, q: str | None = None,
               view: str | None = None) -> Response:
    f = service.AgreementFilter(county or None, status or None, field or None, party or None,
                                year, signed_to, q or None)
    rows = service.list_agreements(session, f)
    counties = service.unit_names(session)
    by_county = sorted(service.agreements_by_county(session, f).items(),
                       key=lambda t: (-t[1], t[0])) if view == "county" else []
    return render(request, "cooperation/agreements.html", _context(
        session, principal, rows=rows, f=f, counties=counties, by_county=by_county,
        view=view, query=f.query_string()))


@router.get("/cooperation/agreements.xlsx")
def agreements_xlsx(session: SessionDep, county: str | None = None, status: str | None = None,
                    field: str | None = None, party: str | None = None,
                    year: int | None = None, signed_to: date | None = None,
                    q: str | None = None) -> Response:
    f = service.AgreementFilter(county or None, status or None, field or None, party or None,
                                year, signed_to, q or None)
    rows = service.agreement_rows(service.list_agreements(session, f))
    return _xlsx("agreements.xlsx", workbook("合作协议", service.AGREEMENT_HEADERS, rows))


@router.get("/cooperation/agreements/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return render(request, "cooperation/import.html", _context(session, principal))


@router.post("/cooperation/agreements/import", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def import_preview(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, file: Annotated[UploadFile, File()]) -> Response:
    """Step one: check the workbook and show what would change. Nothing is written except the
    uploaded file itself, kept by its hash for the confirmation."""
    content = file.file.read()
    try:
        rows = read_agreements(content, file.filename or "")
    except InvalidInput as exc:
        return render(request, "cooperation/import.html",
                      _context(session, principal, refused=exc), status_code=422)
    preview = service.preview_agreements(session, rows)
    doc = service.store_document(session, settings.data_dir / "files",
                                 file.filename or "agreements.xlsx", content, principal.label)
    return render(request, "cooperation/import.html", _context(
        session, principal, preview=preview, sha256=doc.sha256, filename=doc.filename))


@router.post("/cooperation/agreements/import/confirm", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def import_confirm(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, sha256: Annotated[str, Form()]) -> Response:
    """Step two: apply the previewed workbook, all or nothing."""
    doc = service.get_document(session, sha256)
    content = service.document_path(settings.data_dir / "files", doc).read_bytes()
    try:
        result = service.import_agreements(session, principal,
                                           read_agreements(content, doc.filename))
    except InvalidInput as exc:
        session.rollback()
        return render(request, "cooperation/import.html",
                      _context(session, principal, refused=exc), status_code=422)
    return render(request, "cooperation/import.html",
                  _context(session, principal, applied=result, filename=doc.filename))


@router.get("/cooperation/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement(request: Request, session: SessionDep, principal: OptionalUser,
              agreement_id: int) -> Response:
    return _agreement_page(request, session, principal, agreement_id)


@router.get("/cooperation/files/{sha256}")
def download(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
             sha256: str) -> Response:
    doc = service.get_document(session, sha256)
    path = service.document_path(settings.data_dir / "files", doc)
    return FileResponse(path, filename=doc.filename)


# ---- meetings, projects ------------------------------------------------------------------------


@router.get("/cooperation/meetings", response_class=HTMLResponse)
def meetings(request: Request, session: SessionDep, principal: OptionalUser,
             kind: str | None = None, series: str | None = None, our_role: str | None = None,
             year: int | None = None) -> Response:
    f = service.MeetingFilter(kind or None, series or None, our_role or None, year)
    return render(request, "cooperation/meetings.html", _context(
        session, principal, rows=service.list_meetings(session, f), f=f,
        tasks=service.tasks_by_resolution(session)))


@router.get("/cooperation/projects", response_class=HTMLResponse)
def projects(request: Request, session: SessionDep, principal: OptionalUser,
             county: str | None = None) -> Response:
    rows = [(p, service.percent_complete(p)) for p in service.list_projects(session, county)]
    return render(request, "cooperation/projects.html", _context(
        session, principal, rows=rows, county=county, counties=service.unit_names(session)))


@router.get("/cooperation/projects/{project_id}", response_class=HTMLResponse)
def project(request: Request, session: SessionDep, principal: OptionalUser,
            project_id: int) -> Response:
    return _project_page(request, session, principal, project_id)


# ---- tasks ------------------------------------------------------------------------------------


@router.get("/cooperation/tasks", response_class=HTMLResponse)
def tasks(request: Request, session: SessionDep, principal: CurrentUser,
          state: str | None = None, overdue: bool = False, due_soon: bool = False,
          mine: bool = False) -> Response:
    org_ids = tuple(r.organisation_id for r in principal.roles) if mine else None
    rows = service.list_tasks(session, service.TaskFilter(state or None, org_ids, overdue,
                                                          due_soon))
    today = now().date()
    moves = {t.id: [a for a in service.TRANSITIONS
                    if t.state in service.TRANSITIONS[a][0]
                    and service.may_move(principal, t, a)] for t in rows}
    return render(request, "cooperation/tasks.html", _context(
        session, principal, rows=rows, state=state, overdue=overdue, due_soon=due_soon,
        mine=mine, today=today, moves=moves, orgs=service.organisation_names(session),
        is_overdue=service.is_overdue, is_due_soon=service.is_due_soon,
        on_time=service.on_time))


@router.post("/cooperation/tasks/{task_id}/{action}", dependencies=[CsrfChecked])
def move_task(session: SessionDep, principal: CurrentUser, task_id: int, action: str,
              note: Annotated[str, Form()] = "") -> Response:
    service.move_task(session, principal, task_id, action, note)
    return RedirectResponse(f"/cooperation/tasks#task-{task_id}", status_code=303)


# ---- indicators ---------------------------------------------------------------------------------


@router.get("/cooperation/indicators", response_class=HTMLResponse)
def indicators(request: Request, session: SessionDep, principal: OptionalUser,
               as_of: date | None = None) -> Response:
    cards = service.indicator_cards(session, as_of or service.data_as_of(session))
    return render(request, "cooperation/indicators.html",
                  _context(session, principal, cards=cards))


@router.get("/cooperation/indicators/{code}", response_class=HTMLResponse)
def indicator(request: Request, session: SessionDep, principal: OptionalUser,
              code: str) -> Response:
    ind = service.get_indicator(session, code)
    return render(request, "cooperation/indicator.html", _context(
        session, principal, ind=ind, values=service.history(session, ind.id)))


# ---- export of every list ------------------------------------------------------------------------


def _export_rows(session: Session, kind: str) -> tuple[str, tuple[str, ...], list[list[Cell]]]:
    if kind == "agreements":
        return ("合作协议", service.AGREEMENT_HEADERS,
                service.agreement_rows(service.list_agreements(session)))
    if kind == "meetings":
        return ("联席会议", ("序号", "会议名称", "类型", "系列", "日期", "地点", "主办", "我方身份",
                         "决议"),
                [[i, m.title, m.kind, m.series, m.held_on, m.place, m.host, m.our_role,
                  "；".join(r.text for r in m.resolutions)]
                 for i, m in enumerate(service.list_meetings(session), start=1)])
    if kind == "projects":
        return ("平台项目", ("序号", "代码", "项目名称", "领域", "责任单位", "总投资（元）", "状态",
                         "开工日期", "计划完成", "完成率（%）", "站点"),
                [[i, p.code, p.name, p.field, p.owner, p.budget, p.status, p.started_on,
                  p.planned_finish, service.percent_complete(p),
                  "、".join(s.name for s in p.sites)]
                 for i, p in enumerate(service.list_projects(session), start=1)])
    if kind == "tasks":
        orgs = service.organisation_names(session)
        return ("督办事项", ("序号", "事项", "承办单位", "办理时限", "状态", "退回次数", "提交时间",
                         "验收时间"),
                [[i, t.title, orgs.get(t.owner_org_id, ""), t.deadline, t.state,
                  t.returned_count,
                  t.submitted_at.strftime("%Y-%m-%d %H:%M") if t.submitted_at else None,
                  t.accepted_at.strftime("%Y-%m-%d %H:%M") if t.accepted_at else None]
                 for i, t in enumerate(service.list_tasks(session), start=1)])
    if kind == "indicators":
        rows: list[list[Cell]] = []
        for ind in service.list_indicators(session):
            for v in service.history(session, ind.id):
                rows.append([ind.code, ind.name, ind.unit, ind.target, v.period, v.value,
                             v.source, str(v.provenance.get("link") or v.provenance.get(
                                 "evidence") or "")])
        return ("指标", ("代码", "指标", "单位", "目标", "期间", "数值", "来源", "依据"), rows)
    raise NotFound(f"没有名为 {kind} 的清单", detail=f"unknown list {kind}")


@router.get("/cooperation/export/{kind}.xlsx")
def export(session: SessionDep, principal: OptionalUser, kind: str) -> Response:
    if kind == "tasks" and principal is None:
        raise Unauthorized("请先登录", detail="authentication required")
    title, headers, rows = _export_rows(session, kind)
    return _xlsx(f"{kind}.xlsx", workbook(title, headers, rows))
