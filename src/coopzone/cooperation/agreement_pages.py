"""Forms on agreements: register one (with its signed document), import a workbook (preview,
then confirm), and on an agreement's page change its status, add an obligation and report
progress on one. Only editors of a party's jurisdiction see and may use the page's forms."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep, get_settings_dep
from coopzone.cooperation import service
from coopzone.cooperation.form_pages import lines, parse, render_form, upload
from coopzone.cooperation.importers import COLUMNS, read_agreements
from coopzone.cooperation.importers import template as agreement_template
from coopzone.cooperation.presentation_web import STATUS_NAMES, page_context, xlsx_response
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementStatusChange,
    ObligationCreate,
    ObligationReportCreate,
)
from coopzone.cooperation.service.permissions import AGREEMENTS_IMPORT
from coopzone.errors import Conflict, CoopzoneError, InvalidInput, TooLarge
from coopzone.kit import uploads
from coopzone.kit.importing import stage, staged, template_name
from coopzone.kit.validation import Id
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)

AGREEMENT_LABELS = {"title": N_("Agreement title"), "parties": N_("Parties"),
                    "field": N_("Field"),
                    "signed_on": N_("Signed on"), "signed_at": N_("Place of signing"),
                    "term_years": N_("Term (years)"), "expires_on": N_("Expires on"),
                    "status": N_("Status"), "summary": N_("Summary"),
                    "document": N_("Document")}
# The forms of an agreement's page share one set of labels.
AGREEMENT_PAGE_LABELS = {"reported_on": N_("Date"), "text": N_("Report"),
                         "done": N_("Fulfilled"), "evidence": N_("Evidence"),
                         "description": N_("Obligation"), "owner": N_("Owner"),
                         "due_on": N_("Due"), "status": N_("New status"),
                         "effective_on": N_("Date of the change")}
NEW_OBLIGATION = "new-obligation"
STATUS_FORM = "status"


def _agreement_form(request: Request, session: Session, principal: Principal,
                    values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    return render_form(request, session, principal, "agreement_form.html", values,
                       AGREEMENT_LABELS, refused, file_field="document")


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
        data = parse(request, AgreementCreate, values | {
            "parties": [{"name": n} for n in lines(parties)]})
        agreement = service.create_agreement_with_document(
            session, principal, data, settings.data_dir / "files",
            upload(document, settings))
    except CoopzoneError as exc:
        session.rollback()
        return _agreement_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/agreements/{agreement.id}", status_code=303)


def agreement_page(request: Request, session: Session, principal: Principal | None,
                   agreement_id: int, form: int | str | None = None,
                   values: dict[str, Any] | None = None,
                   refused: CoopzoneError | None = None) -> Response:
    """The agreement with its obligations; ``form`` is the form a refusal belongs to (an
    obligation's id for its progress report, NEW_OBLIGATION or STATUS_FORM)."""
    a = service.get_agreement(session, agreement_id, full=True)
    may_edit = principal is not None and service.can_edit_agreement(
        principal, [ap.party.place_code for ap in a.parties if ap.party.place_code])
    evidence = service.documents_by_id(
        session, (r.evidence_id for o in a.obligations for r in o.reports))
    today = get_settings_dep(request).today().isoformat()  # the platform's one clock
    return render_form(
        request, session, principal, "agreement.html",
        values or {"reported_on": today, "effective_on": today}, AGREEMENT_PAGE_LABELS,
        refused, file_field="evidence", a=a, may_edit=may_edit, documents=evidence,
        events=service.agreement_history(session, a.id),
        form_for=form, owners=[(ap.party.name, ap.party.name) for ap in a.parties],
        status_choices=[(code, STATUS_NAMES[code]) for code in service.NEXT_STATUSES[a.status]],
        new_obligation=NEW_OBLIGATION,
        status_form=STATUS_FORM)


@router.post("/cooperation/agreements/{agreement_id}/status", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def agreement_status(request: Request, session: SessionDep, principal: CurrentUser,
                     agreement_id: Id, status: Annotated[str, Form()] = "",
                     effective_on: Annotated[str, Form()] = "") -> Response:
    """signed -> in force -> expired or terminated, as of a date."""
    values = {"status": status, "effective_on": effective_on}
    try:
        service.change_agreement_status(session, principal, agreement_id,
                                        parse(request, AgreementStatusChange, values))
    except CoopzoneError as exc:
        session.rollback()
        return agreement_page(request, session, principal, agreement_id, STATUS_FORM, values,
                              exc)
    return RedirectResponse(f"/cooperation/agreements/{agreement_id}", status_code=303)


@router.post("/cooperation/obligations/{obligation_id}/reports", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def obligation_report(request: Request, session: SessionDep, settings: SettingsDep,
                      principal: CurrentUser, obligation_id: Id,
                      reported_on: Annotated[str, Form()] = "",
                      text: Annotated[str, Form()] = "", done: Annotated[str, Form()] = "",
                      evidence: Annotated[UploadFile | None, File()] = None) -> Response:
    """Progress on an agreement obligation, with an evidence file."""
    values = {"reported_on": reported_on, "text": text, "done": done}
    agreement_id = service.get_obligation(session, obligation_id).agreement_id
    try:
        service.report_obligation_with_evidence(
            session, principal, obligation_id,
            parse(request, ObligationReportCreate, values | {"done": done == "yes"}),
            settings.data_dir / "files", upload(evidence, settings))
    except CoopzoneError as exc:
        session.rollback()
        return agreement_page(request, session, principal, agreement_id, obligation_id,
                              values, exc)
    return RedirectResponse(f"/cooperation/agreements/{agreement_id}#obligation-{obligation_id}",
                            status_code=303)


@router.post("/cooperation/agreements/{agreement_id}/obligations", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def obligation_add(request: Request, session: SessionDep, principal: CurrentUser,
                   agreement_id: Id, description: Annotated[str, Form()] = "",
                   owner: Annotated[str, Form()] = "",
                   due_on: Annotated[str, Form()] = "") -> Response:
    """What one party promised under the agreement, by when."""
    values = {"description": description, "owner": owner, "due_on": due_on}
    try:
        obligation = service.add_obligation(session, principal, agreement_id,
                                            parse(request, ObligationCreate, values))
    except CoopzoneError as exc:
        session.rollback()
        return agreement_page(request, session, principal, agreement_id, NEW_OBLIGATION,
                              values, exc)
    return RedirectResponse(
        f"/cooperation/agreements/{agreement_id}#obligation-{obligation.id}", status_code=303)


# ---- workbook import: preview, then confirm ----------------------------------------------------


@router.get("/cooperation/agreements/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return render(request, "cooperation/import.html", _import_context(session, principal))


@router.get("/cooperation/agreements/import/template.xlsx")
def import_template(request: Request) -> Response:
    """The agreements workbook to fill in: the headers the import reads, one example row
    (Chinese; ``?lang=en`` for English headers)."""
    locale = locale_of(request)
    return xlsx_response(template_name("合作协议", "agreements", locale),
                         agreement_template(locale))


def _import_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    return page_context(session, principal, column_names={c.key: c.zh for c in COLUMNS},
                        **extra)


@router.post("/cooperation/agreements/import", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def import_preview(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, file: Annotated[UploadFile, File()]) -> Response:
    """Step one (preview): check the workbook and show what would change. Nothing is written
    except the uploaded file itself, staged by its hash for the confirmation, and only for a
    caller who may import every row of it."""
    service.require_may_import(principal)  # a viewer's upload stores nothing
    locale = locale_of(request)
    try:
        with uploads.receive(file, settings, "agreements.xlsx", locale=locale) as received:
            content = received.read_bytes()
        rows = read_agreements(content, received.display, uploads.Limits.of(settings), locale)
        sha256 = hashlib.sha256(content).hexdigest()
        service.check_import(session, principal, rows, sha256=sha256)
    except (InvalidInput, TooLarge) as exc:
        return render(request, "cooperation/import.html",
                      _import_context(session, principal, refused=exc),
                      status_code=exc.status_code)
    preview = service.preview_agreements(session, rows, sha256)
    doc = stage(session, settings.data_dir / "files", received.name, content, principal.label,
                target=AGREEMENTS_IMPORT, user_id=principal.user_id)
    return render(request, "cooperation/import.html", _import_context(
        session, principal, preview=preview, summary=preview.summary(locale),
        sha256=doc.sha256, filename=doc.filename, labels=AGREEMENT_LABELS))


@router.post("/cooperation/agreements/import/confirm", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def import_confirm(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, sha256: Annotated[str, Form()]) -> Response:
    """Step two (confirm): apply the staged workbook, all or nothing."""
    service.require_may_import(principal)
    locale = locale_of(request)
    doc, content = staged(session, settings.data_dir / "files", sha256,
                          target=AGREEMENTS_IMPORT, principal=principal)
    try:
        result = service.import_agreements(session, principal, read_agreements(
            content, doc.filename, uploads.Limits.of(settings), locale),
            filename=doc.filename, sha256=doc.sha256)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return render(request, "cooperation/import.html",
                      _import_context(session, principal, refused=exc),
                      status_code=exc.status_code)
    return render(request, "cooperation/import.html",
                  _import_context(session, principal, applied=result,
                                  summary=result.summary(locale), filename=doc.filename))
