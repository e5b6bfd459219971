"""The cooperation lists as pages: each list's sort keys and one page of its filtered query.

The filters stay the lists' own (``AgreementFilter``, ``MeetingFilter``, ``TaskFilter``, a
project's county and keyword), so an export applies exactly what a page applied; paging,
sorting and the count are :mod:`coopzone.kit.listing`'s, in SQL.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coopzone.cooperation.models import (
    Agreement,
    AgreementParty,
    Indicator,
    Meeting,
    Party,
    Project,
    Task,
)
from coopzone.cooperation.service.agreements import (
    AgreementFilter,
    _filtered,
    agreement_query,
)
from coopzone.cooperation.service.meetings import MeetingFilter, meeting_query
from coopzone.cooperation.service.projects import project_query
from coopzone.cooperation.service.tasks import TaskFilter, _task_query
from coopzone.kit import data_versions
from coopzone.kit.listing import (
    ListParams,
    Page,
    Sorting,
    contains,
    count,
    paginate,
    sort_rows,
)

T = TypeVar("T")

AGREEMENT_SORTING = Sorting(
    {"signed_on": Agreement.signed_on, "title": Agreement.title, "field": Agreement.field,
     "status": Agreement.status, "expires_on": Agreement.expires_on, "id": Agreement.id},
    default="signed_on", default_order="desc", tiebreak=Agreement.id)

MEETING_SORTING = Sorting(
    {"held_on": Meeting.held_on, "title": Meeting.title, "kind": Meeting.kind,
     "series": Meeting.series, "id": Meeting.id},
    default="held_on", default_order="desc", tiebreak=Meeting.id)

PROJECT_SORTING = Sorting(
    {"id": Project.id, "code": Project.code, "name": Project.name, "field": Project.field,
     "budget": Project.budget, "status": Project.status, "started_on": Project.started_on,
     "planned_finish": Project.planned_finish},
    default="id", tiebreak=Project.id)

TASK_SORTING = Sorting(
    {"deadline": Task.deadline, "title": Task.title, "state": Task.state, "id": Task.id},
    default="deadline", tiebreak=Task.id)

INDICATOR_SORTING = Sorting(
    {"position": Indicator.position, "code": Indicator.code, "name": Indicator.name,
     "source": Indicator.source, "id": Indicator.id},
    default="position", tiebreak=Indicator.id)
INDICATOR_SEARCH = (Indicator.code, Indicator.name, Indicator.name_en, Indicator.reporter)

# The columns a task list's keyword searches.
TASK_SEARCH = (Task.title,)


def page_agreements(session: Session, f: AgreementFilter,
                    params: ListParams) -> Page[Agreement]:
    return paginate(session, agreement_query(f), params, AGREEMENT_SORTING)


def agreements_in_order(session: Session, f: AgreementFilter,
                        params: ListParams | None = None) -> list[Agreement]:
    """Every agreement :func:`page_agreements` would list, in its order (the page's ``sort``
    and ``order``; by default newest signing first), unpaged: an export."""
    return list(session.scalars(sort_rows(agreement_query(f), AGREEMENT_SORTING, params)))


# What an agreement list (page or API) is computed from: its filters read the agreements,
# their parties and (zone_county) the places. A page of such a list is cached per process
# until one of these moves (kit.data_versions: one read of the counters per request).
AGREEMENT_LIST_TOPICS = ("cooperation_agreement", "cooperation_agreement_party",
                         "cooperation_party", "cooperation_document", "places_place")
_AGREEMENT_PAGES = data_versions.VersionedCache(max_entries=128)


def cached_agreement_page(session: Session, kind: str, f: AgreementFilter,
                          params: ListParams, compute: Callable[[], Page[T]]) -> Page[T]:
    """A page of the agreement list as ``compute`` builds it (``kind`` names the shape: the
    page's rows, the API's records), served from the per-process cache while no agreement,
    party, document or place has changed. The value is shared: read it, never change it."""
    return _AGREEMENT_PAGES.get(session, (kind, f, params), AGREEMENT_LIST_TOPICS, compute)


@dataclass(frozen=True)
class AgreementListRow:
    """One row of the agreements page: only what the page shows."""

    id: int
    title: str
    party_names: tuple[str, ...]
    field: str
    signed_on: date
    status: str


def agreement_list_rows(session: Session, f: AgreementFilter,
                        params: ListParams) -> Page[AgreementListRow]:
    """The page of :func:`page_agreements` as the agreements page shows it (the same rows, in
    the same order, with the same total): a few columns and the parties' names in their
    order, in three queries, cached per data version."""
    def compute() -> Page[AgreementListRow]:
        key, order = AGREEMENT_SORTING.resolve(params)
        query = _filtered(select(Agreement.id, Agreement.title, Agreement.field,
                                 Agreement.signed_on, Agreement.status), f)
        total = count(session, query)
        found = session.execute(query.order_by(*AGREEMENT_SORTING.clauses(key, order))
                                .limit(params.per_page).offset(params.offset)).all()
        names: dict[int, list[str]] = {row.id: [] for row in found}
        if names:
            for agreement_id, name in session.execute(
                    select(AgreementParty.agreement_id, Party.name).join(Party)
                    .where(AgreementParty.agreement_id.in_(list(names)))
                    .order_by(AgreementParty.agreement_id, AgreementParty.position)):
                names[agreement_id].append(name)
        rows = [AgreementListRow(r.id, r.title, tuple(names[r.id]), r.field, r.signed_on,
                                 r.status) for r in found]
        return Page(rows, total, params.page, params.per_page, key, order)

    return cached_agreement_page(session, "page rows", f, params, compute)


def page_meetings(session: Session, f: MeetingFilter, params: ListParams) -> Page[Meeting]:
    return paginate(session, meeting_query(f), params, MEETING_SORTING)


def page_projects(session: Session, county: str | None, q: str | None,
                  params: ListParams) -> Page[Project]:
    return paginate(session, project_query(county, q), params, PROJECT_SORTING)


def _tasks(f: TaskFilter, q: str | None) -> Select[Task]:
    query = _task_query(f).options(selectinload(Task.assignees))
    keyword = contains(q, TASK_SEARCH)
    if keyword is not None:
        query = query.where(keyword)
    return query


def page_tasks(session: Session, f: TaskFilter, params: ListParams,
               q: str | None = None) -> Page[Task]:
    """A page of tasks; ``q`` searches their titles (TaskFilter itself is left as it is)."""
    return paginate(session, _tasks(f, q), params, TASK_SORTING)


def task_list(session: Session, f: TaskFilter, params: ListParams | None = None,
              q: str | None = None) -> list[Task]:
    """Every task :func:`page_tasks` would list, in its order, unpaged (an export)."""
    return list(session.scalars(sort_rows(_tasks(f, q), TASK_SORTING, params)).unique())


def page_indicators(session: Session, params: ListParams, q: str | None = None,
                    source: str | None = None) -> Page[Indicator]:
    """The indicators in their dashboard order; ``q`` in the code, names or reporter."""
    query = select(Indicator)
    if source:
        query = query.where(Indicator.source == source)
    keyword = contains(q, INDICATOR_SEARCH)
    if keyword is not None:
        query = query.where(keyword)
    return paginate(session, query, params, INDICATOR_SORTING)
