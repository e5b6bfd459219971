"""Projects, their sites, milestones and progress reports.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.service import Principal, require_write
from coopzone.cooperation.models import (
    Document,
    Milestone,
    Project,
    ProjectReport,
    ProjectSite,
)
from coopzone.cooperation.schemas import (
    MilestoneDone,
    MilestoneIn,
    ProjectCreate,
    ProjectReportCreate,
    SitesChoice,
)
from coopzone.cooperation.service.documents import Upload, _store_upload
from coopzone.cooperation.service.parties import unit_names
from coopzone.errors import Conflict, InvalidInput, NotFound, RowError, found
from coopzone.kit.listing import contains
from coopzone.places.models import Place

# ---- projects ---------------------------------------------------------------------------------


def _project_query() -> Select[Project]:
    return select(Project).options(selectinload(Project.sites), selectinload(Project.milestones),
                                   selectinload(Project.reports))


def _new_project_code(session: Session, place_code: str) -> str:
    """The next free ``<place code>-<n>`` (360313-001, 360313-002, …)."""
    taken = set(session.scalars(select(Project.code).where(
        Project.code.startswith(f"{place_code}-"))))
    n = len(taken) + 1
    while f"{place_code}-{n:03d}" in taken:
        n += 1
    return f"{place_code}-{n:03d}"


def create_project(session: Session, principal: Principal, data: ProjectCreate) -> Project:
    """A platform project in the principal's jurisdiction; numbered when it has no code."""
    require_write(principal, data.owner_place_code, "平台项目")
    if session.get(Place, data.owner_place_code) is None:
        raise NotFound(f"没有行政区划代码 {data.owner_place_code}", detail="unknown place code")
    code = data.code or _new_project_code(session, data.owner_place_code)
    if session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict(f"项目 {code} 已存在", detail="project code exists")
    units = _site_counties(session, [s.county_code for s in data.sites])
    project = Project(**data.model_dump(exclude={"code", "sites", "milestones"}), code=code)
    project.sites = [ProjectSite(name=s.name or units[s.county_code],
                                 county_code=s.county_code, position=i)
                     for i, s in enumerate(data.sites)]
    project.milestones = [Milestone(**m.model_dump()) for m in data.milestones]
    project.reports = []
    session.add(project)
    session.flush()
    return project


def get_project(session: Session, project_id: int) -> Project:
    project = session.scalar(_project_query().where(Project.id == project_id))
    return found(project, "项目", "project", project_id)


# The columns the keyword ``q`` searches.
PROJECT_SEARCH = (Project.code, Project.name, Project.owner)


def project_query(county: str | None = None, q: str | None = None) -> Select[Project]:
    """The projects with a site in ``county`` and ``q`` in their code, name or owner."""
    query = _project_query()
    if county:
        query = query.where(Project.id.in_(
            select(ProjectSite.project_id).where(ProjectSite.county_code == county)))
    keyword = contains(q, PROJECT_SEARCH)
    if keyword is not None:
        query = query.where(keyword)
    return query


def list_projects(session: Session, county: str | None = None,
                  q: str | None = None) -> list[Project]:
    return list(session.scalars(project_query(county, q).order_by(Project.id)))


def may_report_project(principal: Principal, project: Project) -> bool:
    """Editors of the owner's place report progress and keep the milestones."""
    return principal.can_write_place(project.owner_place_code)


def project_places(session: Session) -> dict[str, str]:
    """Where a project may be owned: the zone's counties and the cities they belong to."""
    counties = select(Place.parent_code).where(Place.in_zone.is_(True), Place.level == "county")
    rows = session.execute(select(Place.code, Place.name).where(
        (Place.in_zone.is_(True) & (Place.level == "county")) | Place.code.in_(counties))
        .order_by(Place.code)).all()
    return {r.code: r.name for r in rows}


def _site_counties(session: Session, codes: Sequence[str]) -> dict[str, str]:
    """The zone's county-level units (code -> name); refuses a site anywhere else."""
    units = unit_names(session)
    outside = [c for c in codes if c not in units]
    if outside:
        raise InvalidInput(f"项目地点须为示范区的县级单位，{'、'.join(outside)} 不是",
                           [RowError(None, "sites", f"{c} is not a county of the zone")
                            for c in outside])
    return units


def choose_sites(session: Session, principal: Principal, project_id: int, data: SitesChoice
                 ) -> Project:
    """The project touches these counties: a site already in a chosen county keeps its name
    (e.g. 上栗站); a newly chosen county gets a site named after it; the others go."""
    project = get_project(session, project_id)
    require_write(principal, project.owner_place_code, "平台项目")
    codes = list(dict.fromkeys(data.sites))
    units = _site_counties(session, codes)
    kept = [s for s in project.sites if s.county_code in codes]
    for site in project.sites:
        if site not in kept:
            session.delete(site)
    have = {s.county_code for s in kept}
    project.sites = kept + [ProjectSite(name=units[c], county_code=c)
                            for c in codes if c not in have]
    for i, site in enumerate(project.sites):
        site.position = i
    session.flush()
    return project


def add_milestone(session: Session, principal: Principal, project_id: int, data: MilestoneIn
                  ) -> Milestone:
    project = get_project(session, project_id)
    require_write(principal, project.owner_place_code, "平台项目")
    milestone = Milestone(project_id=project.id, **data.model_dump())
    session.add(milestone)
    session.flush()
    return milestone


def get_milestone(session: Session, milestone_id: int) -> Milestone:
    return found(session.get(Milestone, milestone_id), "里程碑", "milestone", milestone_id)


def _milestone_to_write(session: Session, principal: Principal, milestone_id: int
                        ) -> Milestone:
    """The milestone, if the principal keeps its project's milestones."""
    milestone = get_milestone(session, milestone_id)
    project = get_project(session, milestone.project_id)
    require_write(principal, project.owner_place_code, "平台项目")
    return milestone


def complete_milestone(session: Session, principal: Principal, milestone_id: int,
                       data: MilestoneDone) -> Milestone:
    milestone = _milestone_to_write(session, principal, milestone_id)
    if milestone.done_on is not None:
        raise Conflict(f"里程碑“{milestone.name}”已于 {milestone.done_on} 完成",
                       detail=f"milestone {milestone.id} is already done")
    milestone.done_on = data.done_on
    session.flush()
    return milestone


def update_milestone(session: Session, principal: Principal, milestone_id: int,
                     data: MilestoneIn) -> Milestone:
    """Correct a milestone's name and dates; a blank done date reopens a done milestone."""
    milestone = _milestone_to_write(session, principal, milestone_id)
    milestone.name = data.name
    milestone.due_on = data.due_on
    milestone.done_on = data.done_on
    session.flush()
    return milestone


def delete_milestone(session: Session, principal: Principal, milestone_id: int) -> int:
    """Remove an open milestone; returns its project's id. A done one is part of the
    project's record: it must be reopened (its done date cleared) before it can go."""
    milestone = _milestone_to_write(session, principal, milestone_id)
    if milestone.done_on is not None:
        raise Conflict(f"里程碑“{milestone.name}”已于 {milestone.done_on} 完成，不能删除；"
                       "确需删除，请先清空其完成日期",
                       detail=f"milestone {milestone.id} is done; reopen it before deleting")
    session.delete(milestone)
    session.flush()
    return milestone.project_id


def report_project_with_attachment(session: Session, principal: Principal, project_id: int,
                                   data: ProjectReportCreate, files_dir: Path,
                                   attachment: Upload | None = None) -> ProjectReport:
    """A progress report with an attachment, stored once the report has been accepted."""
    report = report_project(session, principal, project_id, data)
    doc = _store_upload(session, files_dir, attachment, principal.label)
    if doc is not None:
        report.attachment_id = doc.id
        session.flush()
    return report


def percent_complete(project: Project) -> int:
    """The latest report's figure (0 before any report)."""
    if not project.reports:
        return 0
    return max(project.reports, key=lambda r: (r.reported_on, r.id)).percent_complete


def report_project(session: Session, principal: Principal, project_id: int,
                   data: ProjectReportCreate, attachment: Document | None = None
                   ) -> ProjectReport:
    project = get_project(session, project_id)
    require_write(principal, project.owner_place_code, "平台项目")
    if data.percent_complete < percent_complete(project) and project.reports and \
            data.reported_on >= max(r.reported_on for r in project.reports):
        raise InvalidInput("完成率不能比上一次报告低",
                           [RowError(None, "percent_complete",
                                     f"below the last report ({percent_complete(project)}%)")])
    report = ProjectReport(project_id=project.id, reported_on=data.reported_on,
                           percent_complete=data.percent_complete, text=data.text,
                           attachment_id=attachment.id if attachment else None,
                           reported_by=principal.label)
    session.add(report)
    project.reports.append(report)
    if data.percent_complete == 100:
        project.status = "completed"
    session.flush()
    return report


