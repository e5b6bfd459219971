"""Monitoring data governance (issue 10): who may write a section's readings, and the
review (审核) of readings entered by hand where a section decides money between parties.

Who writes
----------
A section's readings are written only by the body responsible for monitoring it
(``Section.monitored_by``):

* ``national_station`` (金鱼石 and other national sections): only the national station's
  feed — an API token of a user with a write role in the section's ``monitor_org`` (an
  organisation of kind ``monitoring_station``). Nobody else, not a platform administrator.
* ``jurisdiction``: a write role in the section's ``monitor_org`` when one is set, or in an
  ecology bureau or monitoring station whose jurisdiction covers the section's county; a
  platform administrator acts for any such body.

A finance bureau, a cooperation office or any other body is refused (403, Chinese reason)
before anything is written. :func:`check_writers` is called by
:func:`coopzone.ecology.readings.import_frame`, the one service every write path uses.

Review
------
A section *decides money* when a current compensation agreement names it. Readings a
station's feed writes count at once (batch ``feed``). Readings entered by hand (file import,
form, CLI, a push with a person's login) into such a section make their batch ``entered``:
they count in evaluation and settlement only once an ecology bureau of another party of the
agreement (not the party whose territory holds the section) has ``reviewed`` the batch, or
it is ``returned`` with a reason, to be corrected and entered again. A batch is reviewed
whole, as it was imported whole. Each step is a :class:`BatchReview` row (who, when, why).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import Organisation
from coopzone.accounts.service import WRITE_ROLES, Principal, Role
from coopzone.db import SHANGHAI, now
from coopzone.ecology.agreement_files import parse_agreement
from coopzone.ecology.models import (
    AgreementVersion,
    BatchReview,
    ImportBatch,
    Reading,
    Section,
)
from coopzone.engines.eco_compensation import Agreement
from coopzone.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError
from coopzone.kit.importing import import_target
from coopzone.places.service import covers

NATIONAL = "national_station"
JURISDICTION = "jurisdiction"
MONITORED_BY = (NATIONAL, JURISDICTION)
MONITORING_KINDS = ("ecology_bureau", "monitoring_station")
REVIEWER_KIND = "ecology_bureau"
FEED, COUNTED, ENTERED, REVIEWED, RETURNED = "feed", "counted", "entered", "reviewed", "returned"
PENDING = (ENTERED, RETURNED)


def counted_clause() -> ColumnElement[bool]:
    """SQL condition on a query joined (outer) to ImportBatch: the reading counts (written
    without a batch, or its batch is not awaiting review)."""
    return or_(Reading.batch_id.is_(None), ImportBatch.review_state.not_in(PENDING))


# ---- who writes ----------------------------------------------------------------------------


def _writes(role: Role) -> bool:
    return role.role in WRITE_ROLES


def is_feed(principal: Principal, section: Section) -> bool:
    """Whether the principal is the section's station feed: an API token of a writer of the
    section's monitoring station."""
    return (principal.scopes is not None and principal.may_write_scope()
            and section.monitor_org_id is not None
            and any(_writes(r) and r.organisation_id == section.monitor_org_id
                    and r.kind == "monitoring_station" for r in principal.roles))


def may_write(principal: Principal, section: Section) -> bool:
    """Whether the principal may write the section's readings (see the module's rules)."""
    if not principal.may_write_scope():
        return False
    if section.monitored_by == NATIONAL:
        return is_feed(principal, section)
    if principal.is_platform_admin:
        return True
    if section.monitor_org_id is not None and any(
            _writes(r) and r.organisation_id == section.monitor_org_id for r in principal.roles):
        return True
    return any(_writes(r) and r.kind in MONITORING_KINDS
               and covers(r.place_code, section.county_code) for r in principal.roles)


def may_write_some(principal: Principal | None) -> bool:
    """Whether to offer the import form: the principal may write readings somewhere."""
    if principal is None or not principal.may_write_scope():
        return False
    return principal.is_platform_admin or any(
        _writes(r) and r.kind in MONITORING_KINDS for r in principal.roles)


# A readings file staged by a preview is confirmed or downloaded by its stager or by one who
# may write readings somewhere (which sections is checked again on confirmation).
READINGS_IMPORT = import_target("ecology.readings", may_write_some)


def check_writers(principal: Principal, sections: Iterable[Section]) -> bool:
    """Refuse (Forbidden, nothing written) unless the principal may write every section;
    returns whether the write is a station feed for all of them."""
    sections = list(sections)
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")
    national = sorted({s.name for s in sections
                       if s.monitored_by == NATIONAL and not may_write(principal, s)})
    if national:
        raise Forbidden(
            f"{'、'.join(national)}是国家考核断面，监测数据只能由国家监测站的自动监测数据推送"
            "（监测站令牌）写入", detail=f"national sections {', '.join(national)}: only the "
            "national station's feed (its token) writes their readings")
    refused = sorted({s.name for s in sections if not may_write(principal, s)})
    if refused:
        raise Forbidden(
            f"无权写入这些断面的监测数据：{'、'.join(refused)}",
            detail=f"not allowed for sections {', '.join(refused)}: only the ecology bureau or "
                   "monitoring station of the section's jurisdiction writes its readings")
    return bool(sections) and all(is_feed(principal, s) for s in sections)


# ---- which sections decide money -------------------------------------------------------------


@lru_cache(maxsize=64)
def _parsed(text: str, source: str) -> Agreement:
    return parse_agreement(text, source)


def _current_agreements(session: Session) -> list[Agreement]:
    latest = (select(AgreementVersion.agreement_id,
                     func.max(AgreementVersion.version_no).label("n"))
              .group_by(AgreementVersion.agreement_id).subquery())
    versions = session.scalars(select(AgreementVersion).join(latest, (
        AgreementVersion.agreement_id == latest.c.agreement_id)
        & (AgreementVersion.version_no == latest.c.n)))
    return [_parsed(v.text, f"{v.agreement_id} v{v.version_no}") for v in versions]


def money_parties(session: Session) -> dict[str, set[str]]:
    """Section name (and alias) → the codes of the parties whose money it decides."""
    out: dict[str, set[str]] = {}
    for agreement in _current_agreements(session):
        codes = {p.code for p in agreement.parties}
        for s in agreement.sections:
            for name in (s.name, *s.aliases):
                out.setdefault(name, set()).update(codes)
    return out


def reviewing_parties(session: Session, sections: Iterable[Section]) -> list[str]:
    """The parties whose ecology bureau reviews hand-entered readings of these sections:
    every party of an agreement naming one of them, except the party holding the section."""
    money = money_parties(session)
    out: set[str] = set()
    for s in sections:
        out.update(code for code in money.get(s.name, ()) if not covers(code, s.county_code))
    return sorted(out)


def review_state_for(session: Session, sections: Sequence[Section],
                     feed: bool) -> tuple[str, str | None]:
    """(state, reviewing parties) of a new batch of readings of these sections."""
    if feed:
        return FEED, None
    parties = reviewing_parties(session, sections)
    if not parties:
        return COUNTED, None
    return ENTERED, ",".join(parties)


def record_entered(session: Session, batch: ImportBatch, principal: Principal) -> None:
    """The first history row of a batch awaiting review."""
    session.add(BatchReview(batch_id=batch.id, action=ENTERED, by=principal.label,
                            organisation=_orgs(principal)))


def _orgs(principal: Principal) -> str:
    return "、".join(dict.fromkeys(r.organisation for r in principal.roles))[:120]


# ---- review -----------------------------------------------------------------------------------


def _parties(batch: ImportBatch) -> list[str]:
    return [c for c in (batch.review_parties or "").split(",") if c]


def may_review(principal: Principal | None, batch: ImportBatch) -> bool:
    """An ecology bureau (write role) within one of the batch's reviewing parties."""
    if principal is None or not principal.may_write_scope():
        return False
    return any(_writes(r) and r.kind == REVIEWER_KIND and covers(code, r.place_code)
               for r in principal.roles for code in _parties(batch))


def is_reviewer(principal: Principal | None) -> bool:
    """Whether to offer the review pages at all: an ecology bureau writer."""
    return principal is not None and principal.may_write_scope() and any(
        _writes(r) and r.kind == REVIEWER_KIND for r in principal.roles)


@dataclass(frozen=True)
class BatchView:
    batch: ImportBatch
    sections: list[str]
    months: list[str]
    readings: int
    history: list[BatchReview]


def _view(session: Session, batch: ImportBatch) -> BatchView:
    rows = session.execute(select(Section.name, Reading.measured_at)
                           .join(Section, Section.id == Reading.section_id)
                           .where(Reading.batch_id == batch.id)).all()
    sections = sorted({name for name, _at in rows})
    months = sorted({f"{at.astimezone(SHANGHAI):%Y-%m}" for _name, at in rows})
    history = list(session.scalars(select(BatchReview).where(BatchReview.batch_id == batch.id)
                                   .order_by(BatchReview.id)))
    return BatchView(batch, sections, months, len(rows), history)


def awaiting_review(session: Session, principal: Principal) -> list[BatchView]:
    """Batches entered by hand that this principal may review, oldest first."""
    batches = session.scalars(select(ImportBatch).where(ImportBatch.review_state == ENTERED)
                              .order_by(ImportBatch.id))
    return [_view(session, b) for b in batches if may_review(principal, b)]


def recent_decisions(session: Session, principal: Principal, limit: int = 50) -> list[BatchView]:
    """Batches this principal could review that were reviewed or returned, newest first."""
    batches = session.scalars(select(ImportBatch).where(
        ImportBatch.review_state.in_((REVIEWED, RETURNED))).order_by(ImportBatch.id.desc()))
    return [_view(session, b) for b in batches if may_review(principal, b)][:limit]


def get_batch(session: Session, batch_id: int, lock: bool = False) -> ImportBatch:
    query = select(ImportBatch).where(ImportBatch.id == batch_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    batch = session.scalar(query)
    if batch is None:
        raise NotFound(f"没有编号为 {batch_id} 的导入批次", detail=f"unknown batch {batch_id}")
    return batch


def batch_view(session: Session, batch_id: int) -> BatchView:
    return _view(session, get_batch(session, batch_id))


def _decide(session: Session, principal: Principal, batch_id: int, action: str,
            reason: str) -> BatchView:
    batch = get_batch(session, batch_id, lock=True)
    if not may_review(principal, batch):
        parties = "、".join(_parties(batch)) or "—"
        raise Forbidden(f"只有协议另一方（{parties}）的生态环境部门可以审核这批监测数据",
                        detail=f"{principal.username} may not review batch {batch_id}")
    if batch.review_state != ENTERED:
        raise Conflict(f"这批监测数据不在待审核状态（{STATE_NAMES.get(batch.review_state, '')}）",
                       detail=f"batch {batch_id} is {batch.review_state}, not entered")
    batch.review_state = action
    session.add(BatchReview(batch_id=batch.id, action=action, reason=reason, at=now(),
                            by=principal.label, organisation=_orgs(principal)))
    session.flush()
    return _view(session, batch)


def review(session: Session, principal: Principal, batch_id: int) -> BatchView:
    """Mark a batch reviewed: its readings count from now on."""
    return _decide(session, principal, batch_id, REVIEWED, "")


def return_batch(session: Session, principal: Principal, batch_id: int,
                 reason: str) -> BatchView:
    """Return a batch with a reason: its readings stay uncounted until corrected and
    entered again (the new file replaces them without asking for confirmation)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("退回时必须写明原因", [RowError(None, "reason", "退回原因为空")],
                           detail="a reason is required to return a batch")
    return _decide(session, principal, batch_id, RETURNED, reason)


STATE_NAMES = {FEED: "监测站推送", COUNTED: "已计入", ENTERED: "待审核", REVIEWED: "已审核",
               RETURNED: "已退回"}


def pending_months(session: Session, section_ids: Iterable[int]) -> dict[int, list[str]]:
    """Section id → the months (YYYY-MM, Asia/Shanghai) with readings awaiting review."""
    ids = list(section_ids)
    if not ids:
        return {}
    # The batches awaiting review first (few, by the review-state index), then only their
    # readings (by the section and batch index): joining from the readings instead would
    # visit every stored reading of the sections on each page view.
    batches = list(session.scalars(select(ImportBatch.id)
                                   .where(ImportBatch.review_state.in_(PENDING))))
    if not batches:
        return {}
    rows = session.execute(
        select(Reading.section_id, Reading.measured_at).distinct()
        .where(Reading.section_id.in_(ids), Reading.batch_id.in_(batches)))
    out: dict[int, set[str]] = {}
    for section_id, at in rows:
        aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        out.setdefault(section_id, set()).add(f"{aware.astimezone(SHANGHAI):%Y-%m}")
    return {k: sorted(v) for k, v in out.items()}


def pending_months_by_name(session: Session, names: Iterable[str]) -> dict[str, list[str]]:
    """:func:`pending_months` keyed by section name."""
    sections = list(session.scalars(select(Section).where(Section.name.in_(list(names)))))
    months = pending_months(session, [s.id for s in sections])
    return {s.name: months[s.id] for s in sections if s.id in months}


def station_organisation(session: Session, name: str, place_code: str) -> Organisation:
    """A monitoring station organisation by name (created when missing)."""
    from coopzone.accounts.service import get_or_create_organisation

    return get_or_create_organisation(session, name, "monitoring_station", place_code)
