from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from coopzone.api.deps import CurrentUser, SessionDep
from coopzone.ecology import readings, service
from coopzone.ecology.schemas import SectionCreate, SectionRead
from coopzone.kit.validation import FiniteFloat, Key, Str, Year

router = APIRouter(prefix="/ecology", tags=["ecology"])


class PushedReading(BaseModel):
    section: Str = Field(max_length=60, description="Section code or name, e.g. jinyushi / 金鱼石")
    time: Str = Field(max_length=40,
                      description="ISO 8601; without an offset it is Asia/Shanghai time")
    item: Str = Field(max_length=40, description="Item code (nh3n) or Chinese name (氨氮)")
    value: Annotated[Str, Field(max_length=40)] | FiniteFloat = Field(
        description="Number, or 0.002L / <0.002 / ND(0.002)")


class Push(BaseModel):
    source: Literal["auto", "manual"] = "auto"
    confirm: bool = False
    readings: list[PushedReading] = Field(min_length=1, max_length=100_000)


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
def push_readings(session: SessionDep, principal: CurrentUser, body: Push) -> ImportRead:
    """Automatic stations push readings; idempotent per section + time + item. Changed values
    are refused (409, each listed) unless ``confirm`` is true."""
    pushed = [r.model_dump() for r in body.readings]
    frame = readings.push_frame(pushed)
    result = readings.import_frame(
        session, principal, frame, filename=f"api push by {principal.label}",
        sha256=readings.push_sha256(body.source, pushed), source=body.source,
        confirm=body.confirm)
    return _result(result)


@router.post("/imports", response_model=ImportRead)
def import_file(session: SessionDep, principal: CurrentUser,
                file: Annotated[UploadFile, File()],
                source: Annotated[Literal["auto", "manual"], Form()] = "manual",
                year: Annotated[Year | None, Form()] = None,
                confirm: Annotated[bool, Form()] = False) -> ImportRead:
    """Upload a CSV or Excel file as the bureaus send it; refused whole on any bad row."""
    name = Path(file.filename or "upload.csv").name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(file.file.read())
        result = readings.import_file(session, principal, path, source=source, year=year,
                                      confirm=confirm, filename=name)
    return _result(result)
