"""The accounts lists as pages: organisations and the audit log, paged, sorted and searched
in SQL by :mod:`coopzone.kit.listing`.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog, Organisation
from coopzone.kit.listing import ListParams, Page, Sorting, contains, paginate

ORGANISATION_SORTING = Sorting(
    {"place_code": (Organisation.place_code, Organisation.name), "name": Organisation.name,
     "kind": Organisation.kind, "created_at": Organisation.created_at, "id": Organisation.id},
    default="place_code", tiebreak=Organisation.id)
ORGANISATION_SEARCH = (Organisation.name, Organisation.place_code)

AUDIT_SORTING = Sorting(
    {"id": AuditLog.id, "at": AuditLog.at, "actor": AuditLog.actor,
     "entity": AuditLog.entity},
    default="id", default_order="desc", tiebreak=AuditLog.id)
AUDIT_SEARCH = (AuditLog.actor, AuditLog.entity, AuditLog.entity_id)


@dataclass(frozen=True)
class OrganisationFilter:
    kind: str | None = None
    q: str | None = None  # in the name or place code


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None  # the table, exactly
    q: str | None = None  # in the actor, table or record id


def organisation_query(f: OrganisationFilter) -> Select[Organisation]:
    query = select(Organisation)
    if f.kind:
        query = query.where(Organisation.kind == f.kind)
    keyword = contains(f.q, ORGANISATION_SEARCH)
    return query if keyword is None else query.where(keyword)


def audit_query(f: AuditFilter) -> Select[AuditLog]:
    query = select(AuditLog)
    if f.entity:
        query = query.where(AuditLog.entity == f.entity)
    keyword = contains(f.q, AUDIT_SEARCH)
    return query if keyword is None else query.where(keyword)


def page_organisations(session: Session, f: OrganisationFilter,
                       params: ListParams) -> Page[Organisation]:
    return paginate(session, organisation_query(f), params, ORGANISATION_SORTING)


def page_audit(session: Session, f: AuditFilter, params: ListParams) -> Page[AuditLog]:
    return paginate(session, audit_query(f), params, AUDIT_SORTING)
