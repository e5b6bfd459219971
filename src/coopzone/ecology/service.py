"""Ecology rules: monitoring sections and their readings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal, require_write
from coopzone.ecology.models import Section
from coopzone.ecology.schemas import SectionCreate
from coopzone.errors import Conflict, NotFound
from coopzone.places.service import get_place, province_of


def create_section(session: Session, principal: Principal, data: SectionCreate) -> Section:
    """Register a section; only editors whose jurisdiction covers its county may."""
    get_place(session, data.county_code)
    require_write(principal, data.county_code, "监测断面")
    clash = session.scalar(select(Section.id).where(
        (Section.code == data.code) | (Section.name == data.name)))
    if clash is not None:
        raise Conflict(f"断面 {data.code} {data.name} 已存在", detail="section exists")
    section = Section(**data.model_dump(), province_code=province_of(data.county_code))
    session.add(section)
    session.flush()
    return section


def list_sections(session: Session, basin: str | None = None) -> list[Section]:
    query = select(Section).order_by(Section.basin, Section.code)
    if basin:
        query = query.where(Section.basin == basin)
    return list(session.scalars(query))


def get_section(session: Session, code: str) -> Section:
    section = session.scalar(select(Section).where(Section.code == code))
    if section is None:
        raise NotFound(f"没有断面 {code}", detail=f"unknown section {code}")
    return section
