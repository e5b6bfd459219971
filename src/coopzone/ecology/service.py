"""Ecology rules: monitoring sections and their readings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import Organisation
from coopzone.accounts.service import Principal, require_write
from coopzone.ecology.models import Section
from coopzone.ecology.schemas import SectionCreate
from coopzone.errors import Conflict, InvalidInput, NotFound, RowError
from coopzone.places.service import get_place, province_of


def create_section(session: Session, principal: Principal, data: SectionCreate) -> Section:
    """Register a section; only editors whose jurisdiction covers its county may."""
    get_place(session, data.county_code)
    require_write(principal, data.county_code, "监测断面")
    _check_monitor(session, data)
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


def _check_monitor(session: Session, data: SectionCreate) -> None:
    """Who monitors the section must be a real body: a national section names its
    monitoring station (whose token is the feed)."""
    org = session.get(Organisation, data.monitor_org_id) if data.monitor_org_id else None
    if data.monitor_org_id is not None and org is None:
        raise InvalidInput(f"没有编号为 {data.monitor_org_id} 的机构",
                           [RowError(None, "monitor_org_id", "机构不存在")])
    if data.monitored_by == "national_station" and (
            org is None or org.kind != "monitoring_station"):
        raise InvalidInput("国家站监测的断面必须指定负责的监测站（机构类型 monitoring_station）",
                           [RowError(None, "monitor_org_id", "未指定监测站")])
    if org is not None and org.kind not in ("monitoring_station", "ecology_bureau"):
        raise InvalidInput("负责监测的机构必须是生态环境部门或监测站",
                           [RowError(None, "monitor_org_id", "机构类型不是生态环境部门或监测站")])
