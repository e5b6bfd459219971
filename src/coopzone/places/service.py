"""Places: load the shipped reference data and answer jurisdiction questions."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.errors import NotFound
from coopzone.places.models import Place

LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class PlaceRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    in_zone: bool
    zone_group: str | None


def shipped_places() -> list[PlaceRow]:
    """The reference rows shipped in ``places/data/places.csv``."""
    text = resources.files("coopzone.places").joinpath("data/places.csv").read_text("utf-8")
    return [
        PlaceRow(
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_code=r["parent_code"] or None,
            in_zone=r["in_zone"] == "1",
            zone_group=r["zone_group"] or None,
        )
        for r in csv.DictReader(text.splitlines())
    ]


def zone_geojson() -> dict[str, Any]:
    text = resources.files("coopzone.places").joinpath("data/zone.geojson").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_places(session: Session) -> int:
    """Insert or update the shipped places; returns how many rows changed. Idempotent."""
    existing = {p.code: p for p in session.scalars(select(Place))}
    changed = 0
    # Parents first so the foreign key holds on every flush.
    for row in sorted(shipped_places(), key=lambda r: LEVELS.index(r.level)):
        place = existing.get(row.code)
        values = {
            "name": row.name,
            "level": row.level,
            "parent_code": row.parent_code,
            "in_zone": row.in_zone,
            "zone_group": row.zone_group,
        }
        if place is None:
            session.add(Place(code=row.code, **values))
            changed += 1
        elif any(getattr(place, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(place, key, value)
            changed += 1
        session.flush()
    return changed


def get_place(session: Session, code: str) -> Place:
    place = session.get(Place, code)
    if place is None:
        raise NotFound(f"没有行政区划代码 {code}", detail=f"unknown place code {code}")
    return place


def list_places(session: Session, level: str | None = None, in_zone: bool | None = None
                ) -> list[Place]:
    query = select(Place).order_by(Place.code)
    if level is not None:
        query = query.where(Place.level == level)
    if in_zone is not None:
        query = query.where(Place.in_zone == in_zone)
    return list(session.scalars(query))


def province_of(code: str) -> str:
    """GB/T 2260: the first two digits name the province."""
    return code[:2] + "0000"


def covers(jurisdiction: str, code: str) -> bool:
    """Whether ``code`` lies within the place ``jurisdiction`` (GB/T 2260 prefix rule).

    A province (``xx0000``) covers every code starting with its two digits, a city
    (``xxxx00``) every code starting with its four; a county covers only itself.
    """
    if jurisdiction.endswith("0000"):
        return code[:2] == jurisdiction[:2]
    if jurisdiction.endswith("00"):
        return code[:4] == jurisdiction[:4]
    return code == jurisdiction
