"""The ecology lists as pages (the API's sections and compensation statements): each list's
filters, sort keys and keyword search, paged in SQL by :mod:`coopzone.kit.listing`.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coopzone.ecology.models import Section, Statement
from coopzone.kit.listing import ListParams, Page, Sorting, contains, paginate

SECTION_SORTING = Sorting(
    {"basin": (Section.basin, Section.code), "code": Section.code, "name": Section.name,
     "river": Section.river, "county_code": Section.county_code, "level": Section.level,
     "id": Section.id},
    default="basin", tiebreak=Section.id)
SECTION_SEARCH = (Section.code, Section.name, Section.river, Section.basin)

STATEMENT_SORTING = Sorting(
    {"series": (Statement.series, Statement.year, Statement.party_a, Statement.party_b),
     "year": Statement.year, "state": Statement.state,
     "due": Statement.due, "amount": Statement.amount, "id": Statement.id},
    default="series", tiebreak=Statement.id)


@dataclass(frozen=True)
class SectionFilter:
    basin: str | None = None
    q: str | None = None  # in the code, name, river or basin


@dataclass(frozen=True)
class StatementFilter:
    series: str | None = None
    year: int | None = None


def section_query(f: SectionFilter) -> Select[Section]:
    query = select(Section)
    if f.basin:
        query = query.where(Section.basin == f.basin)
    keyword = contains(f.q, SECTION_SEARCH)
    if keyword is not None:
        query = query.where(keyword)
    return query


def statement_query(f: StatementFilter) -> Select[Statement]:
    query = select(Statement).options(selectinload(Statement.changes))
    if f.series is not None:
        query = query.where(Statement.series == f.series)
    if f.year is not None:
        query = query.where(Statement.year == f.year)
    return query


def page_sections(session: Session, f: SectionFilter, params: ListParams) -> Page[Section]:
    return paginate(session, section_query(f), params, SECTION_SORTING)


def page_statements(session: Session, f: StatementFilter,
                    params: ListParams) -> Page[Statement]:
    return paginate(session, statement_query(f), params, STATEMENT_SORTING)
