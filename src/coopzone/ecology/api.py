from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, Field

from coopzone.accounts.service import require_any_write
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.api.listing import ListParamsDep, paged, set_page_headers
from coopzone.ecology import lists, monitoring, readings, service, water_files
from coopzone.ecology.monitoring import READINGS_IMPORT
from coopzone.ecology.schemas import Push, PushedReading, SectionCreate, SectionRead
from coopzone.errors import NeedsConfirmation
from coopzone.kit import uploads
from coopzone.kit.exporting import XLSX_MEDIA_TYPE, attachment_headers
from coopzone.kit.importing import stage, stage_suffix, staged, staged_file, template_name
from coopzone.kit.validation import Id, Key, Str, Year

__all__ = ["Push", "PushedReading", "router"]

router = APIRouter(prefix="/ecology", tags=["ecology"])


def _locale(request: Request) -> str:
    """Reasons are Chinese unless the request asks for English: ``?lang=en`` or an
    ``Accept-Language`` whose first choice is English."""
    lang = request.query_params.get("lang")
    if lang is None:
        lang = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
    return "en" if lang.strip().lower().replace("-", "_").split("_")[0] == "en" else "zh_CN"


class ImportRead(BaseModel):
    batch_id: int | None
    added: int
    updated: int
    unchanged: int
    duplicate: bool


def _result(result: readings.ImportResult) -> ImportRead:
    return ImportRead(batch_id=result.batch_id, added=result.added, updated=result.updated,
                      unchanged=result.unchanged, duplicate=result.duplicate_file)


@router.get("/sections", response_model=list[SectionRead],
            **paged(list(lists.SECTION_SORTING.keys)))
def list_sections(request: Request, response: Response, session: SessionDep,
                  params: ListParamsDep, basin: Key | None = None,
                  q: Key | None = None) -> list[Any]:
    """Monitoring sections by basin and code; ``q`` searches the code, name, river and
    basin."""
    result = lists.page_sections(session, lists.SectionFilter(basin or None, q or None),
                                 params)
    set_page_headers(response, request, result)
    return list(result.items)


@router.post("/sections", response_model=SectionRead, status_code=201)
def create_section(session: SessionDep, principal: CurrentUser, body: SectionCreate) -> Any:
    return service.create_section(session, principal, body)


@router.get("/sections/{code}", response_model=SectionRead)
def get_section(session: SessionDep, code: Key) -> Any:
    return service.get_section(session, code)


@router.post("/readings", response_model=ImportRead)
def push_readings(request: Request, session: SessionDep, settings: SettingsDep,
                  principal: CurrentUser, body: Push) -> ImportRead:
    """Automatic stations push readings; idempotent per section + time + item. Changed values
    are refused (409, each listed) unless ``confirm`` is true. Implausible readings (a value
    that is not a finite number — JSON ``Infinity``/``NaN``, ``1e309`` — or outside the item's
    range, a time before the platform's earliest year or the section's start, more than the
    tolerance in the future, or a local time skipped or repeated by daylight saving) refuse
    the whole push (422, each with row, column and reason; Chinese unless ``?lang=en``)."""
    locale = _locale(request)
    pushed = [r.model_dump() for r in body.readings]
    frame = readings.push_frame(pushed, locale)
    result = readings.import_frame(
        session, principal, frame, filename=f"api push by {principal.label}",
        sha256=readings.push_sha256(body.source, pushed), source=body.source,
        confirm=body.confirm, window=readings.reading_window(settings), locale=locale)
    return _result(result)


@router.get("/imports/template.xlsx", response_class=Response)
def import_template(request: Request) -> Response:
    """The file ``POST /imports`` reads, to fill in: the national publication's wide layout
    (断面名称, 监测时间, one column per item) with one example row; ``?lang=en`` for the
    item codes as headers."""
    locale = _locale(request)
    return Response(water_files.template(locale), media_type=XLSX_MEDIA_TYPE,
                    headers=attachment_headers(template_name("监测数据", "readings", locale)))


@router.post("/imports", response_model=ImportRead)
def import_file(request: Request, session: SessionDep, settings: SettingsDep,
                principal: CurrentUser,
                file: Annotated[UploadFile, File()],
                source: Annotated[Literal["auto", "manual"], Form()] = "manual",
                year: Annotated[Year | None, Form()] = None) -> ImportRead:
    """Upload a CSV or Excel file as the bureaus send it; refused whole on any bad row.

    A file that only adds readings (or repeats stored ones) is stored in this one step. A
    file that would change stored values is refused (409, each change listed): preview it
    (``POST /imports/preview``, which keeps the file and answers its token) and confirm
    that token (``POST /imports/confirm``), as the upload page does."""
    require_any_write(principal, "监测数据")
    with uploads.receive(file, settings, "upload.csv") as received:
        try:
            result = readings.import_file(
                session, principal, received.path, source=source, year=year,
                filename=received.display, limits=uploads.Limits.of(settings),
                locale=_locale(request), settings=settings)
        except NeedsConfirmation as exc:
            raise NeedsConfirmation(
                f"{exc.message}：请先预览（POST /api/v1/ecology/imports/preview）"
                "再确认（POST /api/v1/ecology/imports/confirm）", exc.errors,
                detail="preview the file, then confirm its token") from None
    return _result(result)


class ChangeRead(BaseModel):
    row: int | None
    column: str | None = Field(description="the item's code (``tp``)")
    item: str = Field(description="the item as the pages name it (总磷); its code in English")
    reason: str = Field(description="the stored and the file's value, in the caller's "
                                    "language (Chinese unless ``?lang=en``)")


class ImportPreviewRead(BaseModel):
    """What an import would do; nothing is written but the file, kept under ``token``."""

    token: str | None = Field(description="the kept file's hash: confirm it with "
                                           "POST /imports/confirm (None: nothing to confirm)")
    filename: str
    added: int
    updated: int
    unchanged: int
    duplicate: bool
    changes: list[ChangeRead]


class ImportConfirm(BaseModel):
    token: Key = Field(description="the token a preview answered")
    source: Literal["auto", "manual"] = "manual"
    year: Year | None = None


@router.post("/imports/preview", response_model=ImportPreviewRead)
def preview_import(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser,
                   file: Annotated[UploadFile, File()],
                   source: Annotated[Literal["auto", "manual"], Form()] = "manual",
                   year: Annotated[Year | None, Form()] = None) -> ImportPreviewRead:
    """Check a file as ``POST /imports`` would (rights, every row, who monitors each section)
    and say what it would add, change and leave; store no reading. The file is kept by its
    hash, the token to confirm; a refused file is kept nowhere (422/403 as an upload)."""
    require_any_write(principal, "监测数据")
    locale = _locale(request)
    with uploads.receive(file, settings, "upload.csv") as received:
        result = readings.import_file(
            session, principal, received.path, source=source, year=year,
            filename=received.display, limits=uploads.Limits.of(settings),
            locale=locale, settings=settings, preview=True)
        token = None
        if not result.duplicate_file:
            token = stage(session, settings.data_dir / "files", received.name,
                          received.read_bytes(), principal.label,
                          suffix=stage_suffix(received.name), target=READINGS_IMPORT,
                          user_id=principal.user_id).sha256
    return ImportPreviewRead(
        token=token, filename=received.display, added=result.added, updated=result.updated,
        unchanged=result.unchanged, duplicate=result.duplicate_file,
        changes=[ChangeRead(row=e.row, column=e.column,
                            item=readings.item_label(e.column, locale), reason=e.reason)
                 for e in result.changes])


@router.post("/imports/confirm", response_model=ImportRead)
def confirm_import(request: Request, session: SessionDep, settings: SettingsDep,
                   principal: CurrentUser, body: ImportConfirm) -> ImportRead:
    """Import the file a preview kept, changes included, all or nothing; the same rights and
    checks as an upload (made again now, on the stored data)."""
    require_any_write(principal, "监测数据")
    doc, content = staged(session, settings.data_dir / "files", body.token,
                          target=READINGS_IMPORT, principal=principal)
    with staged_file(settings, doc.filename, content) as received:
        result = readings.import_file(
            session, principal, received.path, source=body.source, year=body.year,
            confirm=True, filename=doc.filename, limits=uploads.Limits.of(settings),
            locale=_locale(request), settings=settings)
    return _result(result)


# ---- review (审核) of hand-entered readings at sections that decide money ---------------------


class ReviewStepRead(BaseModel):
    action: Literal["entered", "reviewed", "returned"]
    reason: str
    at: datetime
    by: str
    organisation: str


class BatchRead(BaseModel):
    id: int
    filename: str
    source: str
    rows: int
    created_at: datetime
    created_by: str
    review_state: str
    review_parties: list[str]
    sections: list[str]
    months: list[str]
    readings: int
    history: list[ReviewStepRead]


class ReturnBody(BaseModel):
    reason: Str = Field(min_length=1, max_length=500)


def _batch(view: monitoring.BatchView) -> BatchRead:
    b = view.batch
    return BatchRead(
        id=b.id, filename=b.filename, source=b.source, rows=b.rows, created_at=b.created_at,
        created_by=b.created_by, review_state=b.review_state,
        review_parties=[c for c in (b.review_parties or "").split(",") if c],
        sections=view.sections, months=view.months, readings=view.readings,
        history=[ReviewStepRead(action=h.action, reason=h.reason, at=h.at, by=h.by,  # type: ignore[arg-type]
                                organisation=h.organisation) for h in view.history])


@router.get("/reviews", response_model=list[BatchRead])
def awaiting_review(session: SessionDep, principal: CurrentUser) -> list[BatchRead]:
    """Batches entered by hand at sections that decide money, awaiting my review (an ecology
    bureau of another party of the agreement)."""
    return [_batch(v) for v in monitoring.awaiting_review(session, principal)]


@router.get("/batches/{batch_id}", response_model=BatchRead)
def get_batch(session: SessionDep, principal: CurrentUser, batch_id: Id) -> BatchRead:
    """An import batch with its review state and history (who, when, why)."""
    return _batch(monitoring.batch_view(session, batch_id))


@router.post("/batches/{batch_id}/review", response_model=BatchRead)
def review_batch(session: SessionDep, principal: CurrentUser, batch_id: Id) -> BatchRead:
    """Mark a batch reviewed: its readings count in evaluation and settlement from now on."""
    return _batch(monitoring.review(session, principal, batch_id))


@router.post("/batches/{batch_id}/return", response_model=BatchRead)
def return_batch(session: SessionDep, principal: CurrentUser, batch_id: Id,
                 body: ReturnBody) -> BatchRead:
    """Return a batch with a reason; it is corrected and entered again."""
    return _batch(monitoring.return_batch(session, principal, batch_id, body.reason))
