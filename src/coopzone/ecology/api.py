from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from coopzone.api.deps import CurrentUser, SessionDep
from coopzone.ecology import service
from coopzone.ecology.schemas import SectionCreate, SectionRead

router = APIRouter(prefix="/ecology", tags=["ecology"])


@router.get("/sections", response_model=list[SectionRead])
def list_sections(session: SessionDep, basin: str | None = None) -> list[Any]:
    return list(service.list_sections(session, basin))


@router.post("/sections", response_model=SectionRead, status_code=201)
def create_section(session: SessionDep, principal: CurrentUser, body: SectionCreate) -> Any:
    return service.create_section(session, principal, body)


@router.get("/sections/{code}", response_model=SectionRead)
def get_section(session: SessionDep, code: str) -> Any:
    return service.get_section(session, code)
