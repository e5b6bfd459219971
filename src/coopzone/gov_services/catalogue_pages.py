"""The 跨省通办 catalogue as read lists: items (事项) with their modes, time limits and
sources, windows (窗口) with their places and items, 跨省通办 agreements with their sides; and
the form of a new item for the supervising offices (``gov_item.manage``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import roles as policy
from coopzone.accounts.models import Organisation
from coopzone.accounts.roles import SERVICE_WINDOW
from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep
from coopzone.cooperation.form_pages import lines, parse, refusal
from coopzone.cooperation.models import Agreement
from coopzone.errors import CoopzoneError, Forbidden
from coopzone.gov_services import service
from coopzone.gov_services.models import DEPARTMENT_KINDS, MODES, KstbAgreement
from coopzone.gov_services.presentation_web import (
    DEPARTMENT_KIND_NAMES,
    MODE_NAMES,
    choice_param,
    item_names,
    organisation_names,
    page_context,
    place_names,
)
from coopzone.gov_services.schemas import ItemCreate, KstbAgreementCreate, WindowCreate
from coopzone.kit.validation import Key
from coopzone.web.i18n import translations
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)

ITEM_LABELS = {"code": N_("Code"), "name": N_("Service item"), "department": N_("Ministry"),
               "department_kind": N_("Department kind"), "modes": N_("Handling modes"),
               "statutory_days": N_("Statutory time limit (working days)"),
               "promised_days": N_("Promised time limit (working days)"),
               "postage_pauses": N_("Postage does not count"),
               "materials": N_("Required materials (one a line)"), "fees": N_("Fees"),
               "legal_basis": N_("Legal basis"), "source_url": N_("Source address"),
               "source_title": N_("Source"), "certainty": N_("Certainty"), "note": N_("Note")}


def may_manage_items(principal: Principal | None) -> bool:
    return principal is not None and policy.may(principal, "gov_item.manage", [])


@router.get("/services/items", response_class=HTMLResponse)
def items(request: Request, session: SessionDep, principal: OptionalUser,
          kind: Key | None = None, mode: Key | None = None, q: Key | None = None
          ) -> Response:
    """The 跨省通办 items with their guide: modes, time limits, materials, source."""
    chosen_kind = choice_param("kind", kind, DEPARTMENT_KINDS)
    chosen_mode = choice_param("mode", mode, MODES)
    text = (q or "").strip()
    rows = [i for i in service.list_items(session, active=None)
            if (chosen_kind is None or i.department_kind == chosen_kind)
            and (chosen_mode is None or chosen_mode in i.mode_list)
            and (not text or text in i.name or text in i.code)]
    return render(request, "gov_services/items.html", page_context(
        request, principal, rows=rows, kind=chosen_kind or "", mode=chosen_mode or "",
        q=text, kinds=DEPARTMENT_KINDS, modes=MODES,
        may_manage=may_manage_items(principal)))


def _item_form(request: Request, session: Session, principal: Principal,
               values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    if not may_manage_items(principal):
        raise Forbidden("只有政务服务管理部门可以维护政务服务事项",
                        detail=f"{principal.label} may not manage items")
    t = translations(locale_of(request)).gettext
    return render(request, "gov_services/item_form.html", page_context(
        request, principal, values=values, labels=ITEM_LABELS,
        kind_options=[(k, DEPARTMENT_KIND_NAMES[k]) for k in DEPARTMENT_KINDS],
        mode_options=[(m, t(MODE_NAMES[m])) for m in MODES],
        **refusal(refused, locale=locale_of(request))),
        status_code=refused.status_code if refused else 200)


@router.get("/services/items/new", response_class=HTMLResponse)
def new_item(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return _item_form(request, session, principal, {"modes": [], "certainty": "[U]"})


@router.post("/services/items/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_item(request: Request, session: SessionDep, principal: CurrentUser,
                code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                department: Annotated[str, Form()] = "",
                department_kind: Annotated[str, Form()] = "",
                modes: Annotated[list[str] | None, Form()] = None,
                statutory_days: Annotated[str, Form()] = "",
                promised_days: Annotated[str, Form()] = "",
                postage_pauses: Annotated[str, Form()] = "",
                materials: Annotated[str, Form()] = "", fees: Annotated[str, Form()] = "",
                legal_basis: Annotated[str, Form()] = "",
                source_title: Annotated[str, Form()] = "",
                source_url: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "") -> Response:
    values: dict[str, Any] = {
        "code": code, "name": name, "department": department,
        "department_kind": department_kind, "modes": modes or [],
        "statutory_days": statutory_days, "promised_days": promised_days,
        "postage_pauses": postage_pauses, "materials": materials, "fees": fees,
        "legal_basis": legal_basis, "source_title": source_title, "source_url": source_url,
        "note": note}
    try:
        if not may_manage_items(principal):
            raise Forbidden("只有政务服务管理部门可以维护政务服务事项",
                            detail=f"{principal.label} may not manage items")
        data = parse(request, ItemCreate, {
            **values, "materials": lines(materials),
            "postage_pauses": postage_pauses.strip() in ("1", "on")})
        service.create_item(session, principal, data)
    except CoopzoneError as exc:
        session.rollback()
        return _item_form(request, session, principal, values, exc)
    return RedirectResponse(f"/services/items?q={code.strip()}", status_code=303)


@router.get("/services/windows", response_class=HTMLResponse)
def windows(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    """The 跨省通办 windows: place, organisation, opening hours, the items they take."""
    rows = service.list_windows(session)
    return render(request, "gov_services/windows.html", page_context(
        request, principal, rows=rows, may_manage=may_manage_places(principal),
        orgs=organisation_names(session, [w.organisation_id for w in rows]),
        places=place_names(session, [w.place_code for w in rows]),
        item_names=item_names(session)))


@router.get("/services/agreements", response_class=HTMLResponse)
def agreements(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    """The 跨省通办 agreements (cooperation agreements read as such): which places collect
    for which places' departments, for which items; counted from these records."""
    rows = service.list_kstb_agreements(session)
    titles = {i: t for i, t in session.execute(select(Agreement.id, Agreement.title).where(
        Agreement.id.in_([r.agreement_id for r in rows])))}
    codes = [p.place_code for r in rows for p in r.places]
    return render(request, "gov_services/agreements.html", page_context(
        request, principal, rows=rows, titles=titles, places=place_names(session, codes),
        item_names=item_names(session), total=service.kstb_agreement_count(session),
        may_manage=may_manage_places(principal),
        labels={"collect": N_("Collecting places"), "handle": N_("Handling places")}))


# ---- windows and 跨省通办 agreements: the supervising offices' forms ----------------------------

WINDOW_LABELS = {"name": N_("Window"), "place_code": N_("Place code"),
                 "organisation_id": N_("Organisation"), "opening_hours": N_("Opening hours"),
                 "address": N_("Address"), "item_ids": N_("Items taken")}
KSTB_LABELS = {"agreement_id": N_("Agreement"),
               "collect_place_codes": N_("Collecting place codes (one a line)"),
               "handle_place_codes": N_("Handling place codes (one a line)"),
               "item_ids": N_("Items (none: every item)"), "note": N_("Note")}


def may_manage_places(principal: Principal | None) -> bool:
    """Whether the principal is a supervising office somewhere (which places it may set up
    windows and agreements for, the service checks per record)."""
    return principal is not None and any(
        policy.may(principal, "gov_place.manage", [r.place_code]) for r in principal.roles)


def _require_places(principal: Principal | None) -> Principal:
    if principal is None or not may_manage_places(principal):
        raise Forbidden("只有政务服务管理部门可以设置跨省通办窗口和协议",
                        detail="may not manage windows or agreements")
    return principal


def _window_form(request: Request, session: Session, principal: Principal,
                 values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    orgs = session.scalars(select(Organisation).where(
        Organisation.kind == SERVICE_WINDOW).order_by(Organisation.place_code))
    return render(request, "gov_services/window_form.html", page_context(
        request, principal, values=values, labels=WINDOW_LABELS,
        org_options=[(o.id, o.name) for o in orgs],
        item_options_str=[(str(i.id), i.name) for i in service.list_items(session)],
        **refusal(refused, locale=locale_of(request))),
        status_code=refused.status_code if refused else 200)


@router.get("/services/windows/new", response_class=HTMLResponse)
def new_window(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return _window_form(request, session, _require_places(principal), {"item_ids": []})


@router.post("/services/windows/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_window(request: Request, session: SessionDep, principal: CurrentUser,
                  name: Annotated[str, Form()] = "", place_code: Annotated[str, Form()] = "",
                  organisation_id: Annotated[str, Form()] = "",
                  opening_hours: Annotated[str, Form()] = "",
                  address: Annotated[str, Form()] = "",
                  item_ids: Annotated[list[str] | None, Form()] = None) -> Response:
    who = _require_places(principal)
    values: dict[str, Any] = {"name": name, "place_code": place_code,
                              "organisation_id": organisation_id,
                              "opening_hours": opening_hours, "address": address,
                              "item_ids": item_ids or []}
    try:
        data = parse(request, WindowCreate, values)
        service.create_window(session, who, data)
    except CoopzoneError as exc:
        session.rollback()
        return _window_form(request, session, who, values, exc)
    return RedirectResponse("/services/windows", status_code=303)


def _kstb_form(request: Request, session: Session, principal: Principal,
               values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    known = set(session.scalars(select(KstbAgreement.agreement_id)))
    choices = [(a.id, a.title) for a in session.scalars(select(Agreement).order_by(
        Agreement.signed_on.desc(), Agreement.id)) if a.id not in known]
    return render(request, "gov_services/agreement_form.html", page_context(
        request, principal, values=values, labels=KSTB_LABELS, agreement_options=choices,
        item_options_str=[(str(i.id), i.name) for i in service.list_items(session)],
        **refusal(refused, locale=locale_of(request))),
        status_code=refused.status_code if refused else 200)


@router.get("/services/agreements/new", response_class=HTMLResponse)
def new_kstb_agreement(request: Request, session: SessionDep,
                       principal: CurrentUser) -> Response:
    return _kstb_form(request, session, _require_places(principal), {"item_ids": []})


@router.post("/services/agreements/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def create_kstb_agreement(request: Request, session: SessionDep, principal: CurrentUser,
                          agreement_id: Annotated[str, Form()] = "",
                          collect_place_codes: Annotated[str, Form()] = "",
                          handle_place_codes: Annotated[str, Form()] = "",
                          item_ids: Annotated[list[str] | None, Form()] = None,
                          note: Annotated[str, Form()] = "") -> Response:
    """Mark a cooperation agreement as a 跨省通办 agreement (its places and items)."""
    who = _require_places(principal)
    values: dict[str, Any] = {"agreement_id": agreement_id,
                              "collect_place_codes": collect_place_codes,
                              "handle_place_codes": handle_place_codes,
                              "item_ids": item_ids or [], "note": note}
    try:
        data = parse(request, KstbAgreementCreate, {
            **values, "collect_place_codes": lines(collect_place_codes),
            "handle_place_codes": lines(handle_place_codes)})
        service.create_kstb_agreement(session, who, data)
    except CoopzoneError as exc:
        session.rollback()
        return _kstb_form(request, session, who, values, exc)
    return RedirectResponse("/services/agreements", status_code=303)
