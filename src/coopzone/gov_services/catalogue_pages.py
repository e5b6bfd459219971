"""The 跨省通办 catalogue as read lists: items (事项) with their modes, time limits and
sources, windows (窗口) with their places and items, 跨省通办 agreements with their sides
(filtered by signing day, place, item and title; exported with the same filters); and the
supervising offices' forms to create and to edit each (``gov_item.manage`` for items,
``gov_place.manage`` over the stored record's places for windows and agreements). An edit
form is refused (403) before anything is read from it when the stored record is not the
caller's; a refused save shows the form again with its Chinese reasons and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
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
from coopzone.gov_services.models import (
    CERTAINTIES,
    DEPARTMENT_KINDS,
    MODES,
    Item,
    KstbAgreement,
    KstbAgreementPlace,
)
from coopzone.gov_services.presentation_web import (
    CERTAINTY_NAMES,
    DEPARTMENT_KIND_NAMES,
    MODE_NAMES,
    choice_param,
    date_param,
    int_param,
    item_names,
    organisation_names,
    page_context,
    place_names,
    place_param,
    refuse_param,
)
from coopzone.gov_services.schemas import (
    ItemCreate,
    ItemUpdate,
    KstbAgreementCreate,
    KstbAgreementUpdate,
    WindowCreate,
    WindowUpdate,
)
from coopzone.kit.exporting import ExportColumn, attachment_headers, export_list
from coopzone.kit.validation import Id, Key
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
               "source_title": N_("Source"), "certainty": N_("Certainty"), "note": N_("Note"),
               "active": N_("In use")}


def may_manage_items(principal: Principal | None) -> bool:
    return principal is not None and policy.may(principal, "gov_item.manage", [])


def _item_rows(session: Session, kind: str | None, mode: str | None, q: str | None
               ) -> tuple[list[Item], str | None, str | None, str]:
    """The items the list shows for its filters (page and export alike)."""
    chosen_kind = choice_param("kind", kind, DEPARTMENT_KINDS)
    chosen_mode = choice_param("mode", mode, MODES)
    text = (q or "").strip()
    rows = [i for i in service.list_items(session, active=None)
            if (chosen_kind is None or i.department_kind == chosen_kind)
            and (chosen_mode is None or chosen_mode in i.mode_list)
            and (not text or text in i.name or text in i.code)]
    return rows, chosen_kind, chosen_mode, text


@router.get("/services/items", response_class=HTMLResponse)
def items(request: Request, session: SessionDep, principal: OptionalUser,
          kind: Key | None = None, mode: Key | None = None, q: Key | None = None
          ) -> Response:
    """The 跨省通办 items with their guide: modes, time limits, materials, source."""
    rows, chosen_kind, chosen_mode, text = _item_rows(session, kind, mode, q)
    return render(request, "gov_services/items.html", page_context(
        request, principal, rows=rows, kind=chosen_kind or "", mode=chosen_mode or "",
        q=text, kinds=DEPARTMENT_KINDS, modes=MODES, query=str(request.url.query),
        may_manage=may_manage_items(principal)))


@router.get("/services/items.xlsx")
def items_xlsx(request: Request, session: SessionDep, kind: Key | None = None,
               mode: Key | None = None, q: Key | None = None) -> Response:
    """The items as the page lists them (same filters), the filters on sheet two."""
    rows, chosen_kind, chosen_mode, text = _item_rows(session, kind, mode, q)
    locale = locale_of(request)
    t = translations(locale).gettext
    columns: list[ExportColumn[Item]] = [
        ExportColumn("事项编码", "Code", lambda i: i.code),
        ExportColumn("事项名称", "Service item", lambda i: i.name),
        ExportColumn("主管部门", "Ministry", lambda i: i.department),
        ExportColumn("部门类别", "Department kind",
                     lambda i: t(DEPARTMENT_KIND_NAMES[i.department_kind])),
        ExportColumn("办理方式", "Handling modes",
                     lambda i: "、".join(t(MODE_NAMES[m]) for m in i.mode_list)),
        ExportColumn("法定时限（工作日）", "Statutory time limit (working days)",
                     lambda i: i.statutory_days),
        ExportColumn("承诺时限（工作日）", "Promised time limit (working days)",
                     lambda i: i.promised_days),
        ExportColumn("邮寄时间不计入时限", "Postage does not count",
                     lambda i: t(N_("Yes")) if i.postage_pauses else t(N_("No"))),
        ExportColumn("申请材料", "Required materials", lambda i: "、".join(i.materials)),
        ExportColumn("收费", "Fees", lambda i: i.fees),
        ExportColumn("设定依据", "Legal basis", lambda i: i.legal_basis),
        ExportColumn("来源", "Source", lambda i: i.source_title),
        ExportColumn("来源网址", "Source address", lambda i: i.source_url),
        ExportColumn("核实程度", "Certainty",
                     lambda i: t(CERTAINTY_NAMES.get(i.certainty, N_("Unverified")))),
        ExportColumn("在用", "In use", lambda i: t(N_("Yes")) if i.active else t(N_("No"))),
    ]
    filters = [(t(label), value) for label, value in (
        (N_("Department kind"), t(DEPARTMENT_KIND_NAMES[chosen_kind]) if chosen_kind else None),
        (N_("Handling mode"), t(MODE_NAMES[chosen_mode]) if chosen_mode else None),
        (N_("Keyword"), text or None)) if value]
    out = export_list(t(N_("Cross-province service items")), columns, rows,
                      name="services-items", filters=filters, locale=locale)
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))


def _require_items(principal: Principal) -> Principal:
    if not may_manage_items(principal):
        raise Forbidden("只有政务服务管理部门可以维护政务服务事项",
                        detail=f"{principal.label} may not manage items")
    return principal


def _item_form(request: Request, session: Session, principal: Principal,
               values: dict[str, Any], refused: CoopzoneError | None = None,
               item: Item | None = None) -> Response:
    _require_items(principal)
    t = translations(locale_of(request)).gettext
    return render(request, "gov_services/item_form.html", page_context(
        request, principal, values=values, labels=ITEM_LABELS, item=item,
        action=f"/services/items/{item.id}/edit" if item else "/services/items/new",
        kind_options=[(k, DEPARTMENT_KIND_NAMES[k]) for k in DEPARTMENT_KINDS],
        mode_options=[(m, t(MODE_NAMES[m])) for m in MODES],
        certainty_options=[(c, CERTAINTY_NAMES[c]) for c in CERTAINTIES],
        **refusal(refused, locale=locale_of(request))),
        status_code=refused.status_code if refused else 200)


def _flag(raw: str) -> bool:
    return raw.strip() in ("1", "on", "true")


@router.get("/services/items/new", response_class=HTMLResponse)
def new_item(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return _item_form(request, session, principal, {"modes": [], "certainty": "[U]"})


ItemText = Annotated[str, Form()]


def _item_values(code: str, name: str, department: str, department_kind: str,
                 modes: list[str] | None, statutory_days: str, promised_days: str,
                 postage_pauses: str, materials: str, fees: str, legal_basis: str,
                 source_title: str, source_url: str, note: str) -> dict[str, Any]:
    return {"code": code, "name": name, "department": department,
            "department_kind": department_kind, "modes": modes or [],
            "statutory_days": statutory_days, "promised_days": promised_days,
            "postage_pauses": postage_pauses, "materials": materials, "fees": fees,
            "legal_basis": legal_basis, "source_title": source_title,
            "source_url": source_url, "note": note}


def _parse_item(request: Request, values: dict[str, Any]) -> ItemCreate:
    return parse(request, ItemCreate, {
        **values, "materials": lines(values["materials"]),
        "postage_pauses": _flag(values["postage_pauses"])})


@router.post("/services/items/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_item(request: Request, session: SessionDep, principal: CurrentUser,
                code: ItemText = "", name: ItemText = "", department: ItemText = "",
                department_kind: ItemText = "",
                modes: Annotated[list[str] | None, Form()] = None,
                statutory_days: ItemText = "", promised_days: ItemText = "",
                postage_pauses: ItemText = "", materials: ItemText = "", fees: ItemText = "",
                legal_basis: ItemText = "", source_title: ItemText = "",
                source_url: ItemText = "", note: ItemText = "") -> Response:
    values = _item_values(code, name, department, department_kind, modes, statutory_days,
                          promised_days, postage_pauses, materials, fees, legal_basis,
                          source_title, source_url, note)
    try:
        _require_items(principal)
        service.create_item(session, principal, _parse_item(request, values))
    except CoopzoneError as exc:
        session.rollback()
        return _item_form(request, session, principal, values, exc)
    return RedirectResponse(f"/services/items?q={code.strip()}", status_code=303)


def _item_as_values(item: Item) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "department": item.department,
            "department_kind": item.department_kind, "modes": list(item.mode_list),
            "statutory_days": "" if item.statutory_days is None else str(item.statutory_days),
            "promised_days": "" if item.promised_days is None else str(item.promised_days),
            "postage_pauses": "1" if item.postage_pauses else "",
            "materials": "\n".join(item.materials), "fees": item.fees,
            "legal_basis": item.legal_basis, "source_title": item.source_title,
            "source_url": item.source_url, "certainty": item.certainty, "note": item.note,
            "active": "1" if item.active else ""}


@router.get("/services/items/{item_id}/edit", response_class=HTMLResponse)
def edit_item(request: Request, session: SessionDep, principal: CurrentUser,
              item_id: Id) -> Response:
    """The item's form filled in with what is stored (supervising offices only)."""
    _require_items(principal)
    item = service.get_item(session, item_id)
    return _item_form(request, session, principal, _item_as_values(item), item=item)


@router.post("/services/items/{item_id}/edit", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def save_item(request: Request, session: SessionDep, principal: CurrentUser, item_id: Id,
              name: ItemText = "", department: ItemText = "", department_kind: ItemText = "",
              modes: Annotated[list[str] | None, Form()] = None,
              statutory_days: ItemText = "", promised_days: ItemText = "",
              postage_pauses: ItemText = "", materials: ItemText = "", fees: ItemText = "",
              legal_basis: ItemText = "", source_title: ItemText = "",
              source_url: ItemText = "", certainty: ItemText = "", note: ItemText = "",
              active: ItemText = "") -> Response:
    """Save the whole form: a field left blank is cleared (a time limit: none)."""
    _require_items(principal)
    item = service.get_item(session, item_id)
    values = {**_item_values(item.code, name, department, department_kind, modes,
                             statutory_days, promised_days, postage_pauses, materials, fees,
                             legal_basis, source_title, source_url, note),
              "certainty": certainty, "active": active}
    try:
        data = _parse_item(request, values)
        service.update_item(session, principal, item.id, ItemUpdate(
            **data.model_dump(exclude={"code"}), active=_flag(active)))
    except CoopzoneError as exc:
        session.rollback()
        return _item_form(request, session, principal, values, exc,
                          item=service.get_item(session, item_id))
    return RedirectResponse(f"/services/items?q={item.code}#item-{item.id}", status_code=303)


@router.get("/services/windows", response_class=HTMLResponse)
def windows(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    """The 跨省通办 windows: place, organisation, opening hours, the items they take."""
    rows = service.list_windows(session)
    return render(request, "gov_services/windows.html", page_context(
        request, principal, rows=rows, may_manage=may_manage_places(principal),
        editable={w.id for w in rows if service.may_manage_window(principal, w)},
        orgs=organisation_names(session, [w.organisation_id for w in rows]),
        places=place_names(session, [w.place_code for w in rows]),
        item_names=item_names(session)))


@router.get("/services/windows.xlsx")
def windows_xlsx(request: Request, session: SessionDep) -> Response:
    """The windows as the page lists them."""
    rows = service.list_windows(session)
    locale = locale_of(request)
    t = translations(locale).gettext
    orgs = organisation_names(session, [w.organisation_id for w in rows])
    places = place_names(session, [w.place_code for w in rows])
    items = item_names(session)
    columns: list[ExportColumn[Any]] = [
        ExportColumn("窗口", "Window", lambda w: w.name),
        ExportColumn("所在地", "Place", lambda w: places.get(w.place_code, "")),
        ExportColumn("区划代码", "Place code", lambda w: w.place_code),
        ExportColumn("所属单位", "Organisation", lambda w: orgs.get(w.organisation_id, "")),
        ExportColumn("办公时间", "Opening hours", lambda w: w.opening_hours),
        ExportColumn("地址", "Address", lambda w: w.address),
        ExportColumn("可收件事项", "Items taken", lambda w: "、".join(
            items.get(i.item_id, "") for i in w.items) if w.items else t(N_("Every item"))),
    ]
    out = export_list(t(N_("Cross-province service windows")), columns, rows,
                      name="services-windows", filters=[], locale=locale)
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))


KSTB_SIDE_NAMES = {"collect": N_("Collecting places"), "handle": N_("Handling places")}


def kstb_filter(request: Request) -> service.KstbFilter:
    """The agreements list's filters from the query string (page, export alike), each
    refused with a Chinese reason when it is not what it should be."""
    q = request.query_params
    text = (q.get("q") or "").strip()
    if len(text) > 120 or "\x00" in text:
        raise refuse_param("q", "过长或含有不可用的字符")
    f = service.KstbFilter(
        signed_from=date_param("signed_from", q.get("signed_from")),
        signed_to=date_param("signed_to", q.get("signed_to")),
        place_code=place_param("place", q.get("place")),
        side=choice_param("side", q.get("side"), KSTB_SIDE_NAMES),
        item_id=int_param("item", q.get("item")), q=text or None)
    if f.signed_from and f.signed_to and f.signed_to < f.signed_from:
        raise refuse_param("signed_to", "结束日期不能早于开始日期")
    return f


def kstb_filter_rows(session: Session, f: service.KstbFilter,
                     gettext: Callable[[str], str]) -> list[tuple[str, str]]:
    """The filters in words, for the exported file's second sheet."""
    places = place_names(session, [f.place_code] if f.place_code else [])
    values = [
        (N_("Signed from"), f.signed_from.isoformat() if f.signed_from else None),
        (N_("Signed by"), f.signed_to.isoformat() if f.signed_to else None),
        (N_("Place"), places.get(f.place_code or "", f.place_code)),
        (N_("Side"), gettext(KSTB_SIDE_NAMES[f.side]) if f.side else None),
        (N_("Service item"),
         item_names(session).get(f.item_id, str(f.item_id)) if f.item_id else None),
        (N_("Keyword"), f.q)]
    return [(gettext(label), value) for label, value in values if value]


def _agreement_rows(session: Session, f: service.KstbFilter
                    ) -> tuple[list[KstbAgreement], dict[int, Agreement]]:
    rows = service.list_kstb_agreements(session, f)
    agreements = {a.id: a for a in session.scalars(select(Agreement).where(
        Agreement.id.in_([r.agreement_id for r in rows])))}
    return rows, agreements


@router.get("/services/agreements", response_class=HTMLResponse)
def agreements(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    """The 跨省通办 agreements (cooperation agreements read as such): which places collect
    for which places' departments, for which items; counted from these records. Filters:
    ``signed_from``, ``signed_to``, ``place`` (with ``side``), ``item``, ``q``."""
    f = kstb_filter(request)
    rows, agreements = _agreement_rows(session, f)
    codes = [p.place_code for r in rows for p in r.places]
    # The places the agreements name, with the cities and provinces above them (a filter
    # on 萍乡市 keeps every agreement of its counties).
    named = set(session.scalars(select(KstbAgreementPlace.place_code)))
    wanted = {c for code in named for c in (code, code[:4] + "00", code[:2] + "0000")}
    names = place_names(session, [*codes, *wanted, *([f.place_code] if f.place_code else [])])
    place_codes = sorted(c for c in wanted | {f.place_code or ""} if c in names)
    return render(request, "gov_services/agreements.html", page_context(
        request, principal, rows=rows, agreements=agreements, places=names, f=f,
        item_names=item_names(session), total=service.kstb_agreement_count(session),
        may_manage=may_manage_places(principal),
        editable={r.id for r in rows if service.may_manage_kstb(principal, r)},
        place_options=[(c, names.get(c, c)) for c in place_codes],
        item_options=sorted(item_names(session).items(), key=lambda kv: kv[1]),
        side_names=KSTB_SIDE_NAMES, query=str(request.url.query),
        labels={"collect": N_("Collecting places"), "handle": N_("Handling places")}))


@router.get("/services/agreements.xlsx")
def agreements_xlsx(request: Request, session: SessionDep) -> Response:
    """The agreements as the page lists them (same filters), the filters on sheet two."""
    f = kstb_filter(request)
    rows, agreements = _agreement_rows(session, f)
    locale = locale_of(request)
    t = translations(locale).gettext
    names = place_names(session, [p.place_code for r in rows for p in r.places])
    items = item_names(session)

    def side(r: KstbAgreement, which: str) -> str:
        return "、".join(names.get(p.place_code, p.place_code) for p in r.places
                        if p.side == which)

    columns: list[ExportColumn[KstbAgreement]] = [
        ExportColumn("协议名称", "Agreement",
                     lambda r: agreements[r.agreement_id].title
                     if r.agreement_id in agreements else ""),
        ExportColumn("签署日期", "Signed on",
                     lambda r: agreements[r.agreement_id].signed_on.isoformat()
                     if r.agreement_id in agreements else ""),
        ExportColumn("收件地", "Collecting places", lambda r: side(r, "collect")),
        ExportColumn("办理地", "Handling places", lambda r: side(r, "handle")),
        ExportColumn("事项", "Items", lambda r: "、".join(
            items.get(i.item_id, "") for i in r.items) if r.items else t(N_("Every item"))),
        ExportColumn("备注", "Note", lambda r: r.note),
    ]
    out = export_list(t(N_("Cross-province service agreements")), columns, rows,
                      name="services-agreements", filters=kstb_filter_rows(session, f, t),
                      locale=locale)
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))


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
                 values: dict[str, Any], refused: CoopzoneError | None = None,
                 window_id: int | None = None) -> Response:
    orgs = session.scalars(select(Organisation).where(
        Organisation.kind == SERVICE_WINDOW).order_by(Organisation.place_code))
    return render(request, "gov_services/window_form.html", page_context(
        request, principal, values=values, labels=WINDOW_LABELS, editing=window_id,
        action=f"/services/windows/{window_id}/edit" if window_id else "/services/windows/new",
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
               values: dict[str, Any], refused: CoopzoneError | None = None,
               row: KstbAgreement | None = None) -> Response:
    if row is None:
        known = set(session.scalars(select(KstbAgreement.agreement_id)))
        choices = [(a.id, a.title) for a in session.scalars(select(Agreement).order_by(
            Agreement.signed_on.desc(), Agreement.id)) if a.id not in known]
    else:  # the cooperation agreement a 跨省通办 agreement reads stays the same
        choices = [(a.id, a.title) for a in session.scalars(select(Agreement).where(
            Agreement.id == row.agreement_id))]
    return render(request, "gov_services/agreement_form.html", page_context(
        request, principal, values=values, labels=KSTB_LABELS, agreement_options=choices,
        editing=row.id if row else None,
        action=f"/services/agreements/{row.id}/edit" if row else "/services/agreements/new",
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


# ---- edits of windows and 跨省通办 agreements ----------------------------------------------------


def _window_as_values(w: Any) -> dict[str, Any]:
    return {"name": w.name, "place_code": w.place_code,
            "organisation_id": str(w.organisation_id), "opening_hours": w.opening_hours,
            "address": w.address, "item_ids": [str(i.item_id) for i in w.items]}


@router.get("/services/windows/{window_id}/edit", response_class=HTMLResponse)
def edit_window(request: Request, session: SessionDep, principal: CurrentUser,
                window_id: Id) -> Response:
    """The window's form filled in with what is stored: the supervising office of the
    window's place only."""
    window = service.get_window(session, window_id)
    service.require_window_manage(principal, window)
    return _window_form(request, session, principal, _window_as_values(window),
                        window_id=window.id)


@router.post("/services/windows/{window_id}/edit", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def save_window(request: Request, session: SessionDep, principal: CurrentUser, window_id: Id,
                name: Annotated[str, Form()] = "", place_code: Annotated[str, Form()] = "",
                organisation_id: Annotated[str, Form()] = "",
                opening_hours: Annotated[str, Form()] = "",
                address: Annotated[str, Form()] = "",
                item_ids: Annotated[list[str] | None, Form()] = None) -> Response:
    """Save the whole form (no item chosen: the window takes every item)."""
    window = service.get_window(session, window_id)
    service.require_window_manage(principal, window)
    values: dict[str, Any] = {"name": name, "place_code": place_code,
                              "organisation_id": organisation_id,
                              "opening_hours": opening_hours, "address": address,
                              "item_ids": item_ids or []}
    try:
        data = parse(request, WindowCreate, values)
        service.update_window(session, principal, window.id, WindowUpdate(**data.model_dump()))
    except CoopzoneError as exc:
        session.rollback()
        return _window_form(request, session, principal, values, exc, window_id=window_id)
    return RedirectResponse(f"/services/windows#window-{window_id}", status_code=303)


def _kstb_as_values(row: KstbAgreement) -> dict[str, Any]:
    return {"agreement_id": str(row.agreement_id),
            "collect_place_codes": "\n".join(p.place_code for p in row.places
                                              if p.side == "collect"),
            "handle_place_codes": "\n".join(p.place_code for p in row.places
                                             if p.side == "handle"),
            "item_ids": [str(i.item_id) for i in row.items], "note": row.note}


def _require_kstb(principal: Principal, row: KstbAgreement) -> None:
    if not service.may_manage_kstb(principal, row):
        raise Forbidden("只有政务服务管理部门可以修改跨省通办协议",
                        detail=f"{principal.label} may not edit kstb agreement {row.id}")


@router.get("/services/agreements/{kstb_id}/edit", response_class=HTMLResponse)
def edit_kstb_agreement(request: Request, session: SessionDep, principal: CurrentUser,
                        kstb_id: Id) -> Response:
    """The agreement's places, items and note as stored: the supervising offices of one of
    its places only."""
    row = service.get_kstb_agreement(session, kstb_id)
    _require_kstb(principal, row)
    return _kstb_form(request, session, principal, _kstb_as_values(row), row=row)


@router.post("/services/agreements/{kstb_id}/edit", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def save_kstb_agreement(request: Request, session: SessionDep, principal: CurrentUser,
                        kstb_id: Id, collect_place_codes: Annotated[str, Form()] = "",
                        handle_place_codes: Annotated[str, Form()] = "",
                        item_ids: Annotated[list[str] | None, Form()] = None,
                        note: Annotated[str, Form()] = "") -> Response:
    row = service.get_kstb_agreement(session, kstb_id)
    _require_kstb(principal, row)
    values: dict[str, Any] = {"agreement_id": str(row.agreement_id),
                              "collect_place_codes": collect_place_codes,
                              "handle_place_codes": handle_place_codes,
                              "item_ids": item_ids or [], "note": note}
    try:
        data = parse(request, KstbAgreementCreate, {
            **values, "collect_place_codes": lines(collect_place_codes),
            "handle_place_codes": lines(handle_place_codes)})
        service.update_kstb_agreement(session, principal, row.id, KstbAgreementUpdate(
            **data.model_dump(exclude={"agreement_id"})))
    except CoopzoneError as exc:
        session.rollback()
        return _kstb_form(request, session, principal, values, exc,
                          row=service.get_kstb_agreement(session, kstb_id))
    return RedirectResponse(f"/services/agreements#kstb-{kstb_id}", status_code=303)
