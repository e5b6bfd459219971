from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from coopzone.accounts.service import require_any_write
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.ecology import readings, service, water_files
from coopzone.ecology.schemas import Push, PushedReading, SectionCreate, SectionRead
from coopzone.kit import uploads
from coopzone.kit.exporting import XLSX_MEDIA_TYPE, attachment_headers
from coopzone.kit.importing import template_name
from coopzone.kit.validation import Key, Year

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


@router.get("/sections", response_model=list[SectionRead])
def list_sections(session: SessionDep, basin: Key | None = None) -> list[Any]:
    return list(service.list_sections(session, basin))


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
                year: Annotated[Year | None, Form()] = None,
                confirm: Annotated[bool, Form()] = False) -> ImportRead:
    """Upload a CSV or Excel file as the bureaus send it; refused whole on any bad row."""
    require_any_write(principal, "监测数据")
    with uploads.receive(file, settings, "upload.csv") as received:
        result = readings.import_file(
            session, principal, received.path, source=source, year=year, confirm=confirm,
            filename=received.display, limits=uploads.Limits.of(settings),
            locale=_locale(request), settings=settings)
    return _result(result)
