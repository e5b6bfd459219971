"""The cooperation lists as pages: each list's sort keys and one page of its filtered query.

The filters stay the lists' own (``AgreementFilter``, ``MeetingFilter``, ``TaskFilter``, a
project's county and keyword), so an export applies exactly what a page applied; paging,
sorting and the count are :mod:`coopzone.kit.listing`'s, in SQL.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coopzone.cooperation.models import Agreement, Indicator, Meeting, Project, Task
from coopzone.cooperation.service.agreements import AgreementFilter, agreement_query
from coopzone.cooperation.service.meetings import MeetingFilter, meeting_query
from coopzone.cooperation.service.projects import project_query
from coopzone.cooperation.service.tasks import TaskFilter, _task_query
from coopzone.kit.listing import ListParams, Page, Sorting, contains, paginate, sort_rows

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
