"""The 跨省通办 import page at /services/import: a window's 台账 of past cases or an office's
item list, uploaded (preview: checked, nothing written but the staged file), then confirmed
(applied all or nothing); and the two templates to fill in."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.errors import Forbidden, InvalidInput, RowError, TooLarge
from coopzone.gov_services import importers, service
from coopzone.gov_services.service import ledger
from coopzone.gov_services.service.permissions import is_window_clerk
from coopzone.kit import uploads
from coopzone.kit.exporting import XLSX_MEDIA_TYPE, attachment_headers
from coopzone.kit.importing import stage, stage_suffix, staged, template_name
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)
PAGE = "gov_services/import.html"
KIND_NAMES = {"ledger": N_("Window ledger of past cases"), "items": N_("Item list")}


def _kind(kind: str) -> str:
    if kind not in ledger.KINDS:
        raise InvalidInput("请选择导入的内容（窗口台账或事项清单）",
                           [RowError(None, "kind", "ledger 或 items")])
    return kind


def _context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    windows = [w for w in service.list_windows(session) if is_window_clerk(principal, w)]
    may_items = True
    try:
        ledger.require_item_import(principal)
    except Forbidden:
        may_items = False
    ctx: dict[str, Any] = {"windows": windows, "may_items": may_items, "kind_names": KIND_NAMES,
                           "kind": "ledger" if windows or not may_items else "items"}
    ctx.update(extra)
    return ctx


@router.get("/services/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return render(request, PAGE, _context(session, principal))


@router.get("/services/import/ledger-template.xlsx")
def ledger_template(request: Request) -> Response:
    """The window ledger to fill in: the headers the import reads and one example row."""
    locale = locale_of(request)
    return Response(importers.ledger_template(locale), media_type=XLSX_MEDIA_TYPE,
                    headers=attachment_headers(template_name("窗口台账", "ledger", locale)))


@router.get("/services/import/items-template.xlsx")
def items_template(request: Request) -> Response:
    """The item list to fill in."""
    locale = locale_of(request)
    return Response(importers.item_template(locale), media_type=XLSX_MEDIA_TYPE,
                    headers=attachment_headers(template_name("事项清单", "items", locale)))


def _window_id(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise InvalidInput("请选择窗口", [RowError(None, "window_id", "应为窗口编号")])
    return int(text)


@router.post("/services/import", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_preview(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, file: Annotated[UploadFile, File()],
                   kind: Annotated[str, Form()] = "ledger",
                   window_id: Annotated[str, Form()] = "") -> Response:
    """Step one: check the file and show what it would add; nothing is written but the
    upload itself (staged by its hash for the confirmation), once it passed."""
    kind = _kind(kind)
    window = _window_id(window_id)
    ledger.require_import(session, principal, kind, window)
    locale = locale_of(request)
    try:
        with uploads.receive(file, settings, f"{kind}.xlsx") as received:
            content = received.read_bytes()
        preview = ledger.check_file(session, settings, principal, kind, window, content,
                                    received.name, locale, apply=False,
                                    sha256=hashlib.sha256(content).hexdigest())
    except (InvalidInput, TooLarge) as exc:
        session.rollback()
        return render(request, PAGE, _context(session, principal, refused=exc, kind=kind,
                                              window_id=window), status_code=exc.status_code)
    doc = stage(session, settings.data_dir / "files", received.name, content, principal.label,
                suffix=stage_suffix(received.name), target=ledger.IMPORT_TARGETS[kind],
                user_id=principal.user_id)
    return render(request, PAGE, _context(
        session, principal, preview=preview, summary=preview.summary(locale), kind=kind,
        window_id=window, sha256=doc.sha256, filename=doc.filename,
        column_names=ledger.ITEM_FIELD_COLUMNS))


@router.post("/services/import/confirm", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def import_confirm(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, sha256: Annotated[str, Form(max_length=64)],
                   kind: Annotated[str, Form()] = "ledger",
                   window_id: Annotated[str, Form()] = "") -> Response:
    """Step two: apply the staged file, all or nothing."""
    kind = _kind(kind)
    window = _window_id(window_id)
    ledger.require_import(session, principal, kind, window)
    locale = locale_of(request)
    doc, content = staged(session, settings.data_dir / "files", sha256,
                          target=ledger.IMPORT_TARGETS[kind], principal=principal)
    try:
        result = ledger.check_file(session, settings, principal, kind, window, content,
                                   doc.filename, locale, apply=True, sha256=doc.sha256)
    except InvalidInput as exc:
        session.rollback()
        return render(request, PAGE, _context(session, principal, refused=exc, kind=kind,
                                              window_id=window), status_code=422)
    return render(request, PAGE, _context(session, principal, applied=result, kind=kind,
                                          summary=result.summary(locale),
                                          filename=doc.filename))
