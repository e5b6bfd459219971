"""The dashboard's figures, counted from the records.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.cooperation.models import (
    Agreement,
    Meeting,
    Project,
    ProjectReport,
    Task,
)
from coopzone.cooperation.service.agreements import (
    AgreementFilter,
    agreements_by_county,
    agreements_by_field,
    agreements_by_year,
    list_agreements,
)
from coopzone.cooperation.service.indicators import (
    Card,
    _figures_cache,
    ecology_card,
    ecology_figures,
    indicator_cards,
    period_end,
)
from coopzone.cooperation.service.projects import list_projects, percent_complete
from coopzone.cooperation.service.tasks import (
    TaskFilter,
    list_tasks,
    organisation_names,
    today_default,
)
from coopzone.ecology.models import Section
from coopzone.errors import NotFound
from coopzone.kit import data_versions
from coopzone.places.models import Place

# ---- dashboard --------------------------------------------------------------------------------


@dataclass
class UnitPanel:
    place: Place
    agreements: list[Agreement]
    agreements_total: int
    in_force: int
    projects: list[Project]
    sections: list[Section]


def unit_panel(session: Session, code: str, limit: int = 12) -> UnitPanel:
    place = session.get(Place, code)
    if place is None:
        raise NotFound(f"没有行政区划代码 {code}", detail=f"unknown place code {code}")
    agreements = list_agreements(session, AgreementFilter(county=code))
    sections = list(session.scalars(select(Section).where(Section.county_code == code)
                                    .order_by(Section.code)))
    return UnitPanel(place, agreements[:limit], len(agreements),
                     sum(1 for a in agreements if a.status == "in_force"),
                     list_projects(session, county=code), sections)


@dataclass
class Dashboard:
    as_of: date
    cards: list[Card]
    by_field: list[tuple[str, int]]
    by_county: list[tuple[str, str, int]]  # code, name, count
    by_year: list[tuple[int, int]]
    projects: list[tuple[Project, int]]
    ecology: dict[str, Any] | None
    overdue: list[Task]
    due_soon: list[Task]
    org_names: dict[int, str]
    totals: dict[str, int]


def data_as_of(session: Session, today: date | None = None) -> date:
    """The date the figures speak for: the end of the month of the newest record (agreement
    signed, meeting held, project report), never later than today. A dashboard opened in a
    quiet month still shows the last complete picture instead of an empty one."""
    today = today or today_default()
    newest = max((d for d in (
        session.scalar(select(func.max(Agreement.signed_on))),
        session.scalar(select(func.max(Meeting.held_on))),
        session.scalar(select(func.max(ProjectReport.reported_on))),
    ) if d is not None), default=None)
    if newest is None:
        return today
    return min(today, period_end(f"{newest.year}-{newest.month:02d}"))


# The figures counted from the records are cached per process until any of those records
# changes (data versions, read once per request; correct across worker processes). Readings
# are left out of the key: a station push would otherwise make every dashboard count again.
# What is computed from readings (the ecology figures and their cards, themselves cached
# per section) and the task lists (as of today, for those logged in) are added per request.
_RECORDS = data_versions.VersionedCache(max_entries=32)
_NOT_KEYED = ("ecology_reading", "ecology_import_batch")


def dashboard(session: Session, as_of: date | None = None, with_tasks: bool = False
              ) -> Dashboard:
    """The leading group's page. Figures are as of ``as_of`` (default: :func:`data_as_of`);
    the overdue and due-soon task lists are always as of today."""
    with _figures_cache(session):
        records = _RECORDS.get(
            session, ("dashboard", as_of, today_default()),
            data_versions.table_topics(leave_out=_NOT_KEYED),
            lambda: _dashboard(session, as_of or data_as_of(session), False))
        return _with_current(session, records, with_tasks)


def _with_current(session: Session, cached: Dashboard, with_tasks: bool) -> Dashboard:
    """The cached dashboard (never changed) with what is computed per request: the figures
    from readings, the cards showing them, and the task lists."""
    cards = [replace(c, value=v.value, source=v.provenance(), source_note=v.note)
             if (v := ecology_card(session, c.indicator, cached.as_of)) is not None else c
             for c in cached.cards]
    overdue: list[Task] = []
    due_soon: list[Task] = []
    if with_tasks:
        overdue = list_tasks(session, TaskFilter(overdue=True))
        due_soon = list_tasks(session, TaskFilter(due_soon=True))
    return replace(cached, cards=cards, ecology=ecology_figures(session, cached.as_of),
                   overdue=overdue, due_soon=due_soon)


def _dashboard(session: Session, as_of: date, with_tasks: bool) -> Dashboard:
    counties = session.execute(select(Place.code, Place.name).where(
        Place.in_zone.is_(True), Place.level == "county").order_by(Place.code)).all()
    counts = agreements_by_county(session)
    by_county = sorted(((c.code, c.name, counts.get(c.code, 0)) for c in counties),
                       key=lambda t: (-t[2], t[0]))
    projects = [(p, percent_complete(p)) for p in list_projects(session)]
    overdue: list[Task] = []
    due_soon: list[Task] = []
    if with_tasks:
        overdue = list_tasks(session, TaskFilter(overdue=True))
        due_soon = list_tasks(session, TaskFilter(due_soon=True))
    totals = {
        "agreements": int(session.scalar(select(func.count(Agreement.id))) or 0),
        "in_force": int(session.scalar(select(func.count(Agreement.id))
                                       .where(Agreement.status == "in_force")) or 0),
        "counties": sum(1 for _c, _n, k in by_county if k),
        "meetings": int(session.scalar(select(func.count(Meeting.id))) or 0),
        "projects": len(projects),
    }
    return Dashboard(as_of, indicator_cards(session, as_of), agreements_by_field(session),
                     by_county, agreements_by_year(session), projects,
                     ecology_figures(session, as_of), overdue, due_soon,
                     organisation_names(session), totals)
