from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import StringConstraints

from coopzone.api.deps import SessionDep
from coopzone.places import service
from coopzone.places.schemas import PlaceRead

router = APIRouter(prefix="/places", tags=["places"])
# places sit below kit (tests/test_layering.py), so the bound is written out here: a short
# code or level, never a NUL (PostgreSQL refuses it).
Key = Annotated[str, StringConstraints(max_length=20, pattern=r"^[^\x00]*$")]


@router.get("", response_model=list[PlaceRead])
def list_places(session: SessionDep, level: Key | None = None,
                in_zone: bool | None = None) -> list[Any]:
    return list(service.list_places(session, level, in_zone))


@router.get("/zone.geojson")
def zone_map() -> dict[str, Any]:
    """The offline map of the zone's 24 county-level units (see places/data/SOURCE.md)."""
    return service.zone_geojson()


@router.get("/{code}", response_model=PlaceRead)
def get_place(session: SessionDep, code: Key) -> Any:
    return service.get_place(session, code)
