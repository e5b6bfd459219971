"""Cooperation rules: agreements, meetings, projects, leading-group tasks, indicators, and the
figures of the dashboard. Every figure is counted from the records, never typed in.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVarTuple
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.models import Organisation
from coopzone.accounts.service import WRITE_ROLES, Principal, require_write
from coopzone.cooperation.importers import (
    FIELD_LABELS,
    AgreementRow,
    field_label,
    status_label,
)
from coopzone.cooperation.models import (
    Agreement,
    AgreementParty,
    Document,
    Indicator,
    IndicatorValue,
    Meeting,
    MeetingMember,
    Milestone,
    Obligation,
    ObligationReport,
    Party,
    Project,
    ProjectReport,
    ProjectSite,
    Resolution,
    Task,
    TaskEvent,
)
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementStatusChange,
    AgreementUpdate,
    MeetingCreate,
    MilestoneDone,
    MilestoneIn,
    ObligationCreate,
    ObligationReportCreate,
    PartyIn,
    ProjectCreate,
    ProjectReportCreate,
    ReportedValueIn,
    SitesChoice,
    TaskCreate,
)
from coopzone.db import now
from coopzone.ecology.evaluation import headline_figures
from coopzone.ecology.models import Section
from coopzone.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError, found
from coopzone.kit.uploads import atomic_write, safe_name
from coopzone.places.models import Place

DUE_SOON_DAYS = 7
Ts = TypeVarTuple("Ts")
COOPERATION_OFFICE = "cooperation_office"


# ---- documents ------------------------------------------------------------------------------


def store_document(session: Session, files_dir: Path, filename: str, content: bytes,
                   uploaded_by: str = "") -> Document:
    """Keep an uploaded file under ``files_dir/<sha256>``; the same content is stored once."""
    if not content:
        raise InvalidInput("上传的文件是空的", [RowError(None, "file", "empty file")])
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(Document).where(Document.sha256 == digest))
    if existing is not None:
        return existing
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / digest
    if not path.exists():
        atomic_write(path, content)  # whole or not at all: no .part is left behind
    doc = Document(filename=safe_name(filename, digest)[:255], sha256=digest,
                   size=len(content), uploaded_by=uploaded_by)
    session.add(doc)
    session.flush()
    return doc


def get_document(session: Session, sha256: str) -> Document:
    doc = session.scalar(select(Document).where(Document.sha256 == sha256))
    if doc is None:
        raise NotFound("没有这个文件", detail=f"unknown document {sha256}")
    return doc


@dataclass(frozen=True)
class Upload:
    """A file as received from a form, not yet stored."""

    filename: str
    content: bytes


def _store_upload(session: Session, files_dir: Path, upload: Upload | None,
                  uploaded_by: str) -> Document | None:
    if upload is None:
        return None
    return store_document(session, files_dir, upload.filename, upload.content, uploaded_by)


def documents_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Document]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(wanted)))}


def document_path(files_dir: Path, doc: Document) -> Path:
    path = files_dir / doc.sha256
    if not path.is_file():
        raise NotFound(f"文件 {doc.filename} 未保存在本机", detail=f"missing file {doc.sha256}")
    return path


# ---- parties ----------------------------------------------------------------------------------


@dataclass
class PlaceIndex:
    """Place names -> codes, longest names first, to recognise 萍乡市湘东区人民政府 as 湘东区."""

    names: list[tuple[str, str, str]]  # (name, code, level)

    @classmethod
    def load(cls, session: Session) -> PlaceIndex:
        rows = session.execute(select(Place.name, Place.code, Place.level)).all()
        names = [(r.name, r.code, r.level) for r in rows]
        # Short forms too: 醴陵 for 醴陵市, 湖南 for 湖南省 (never one-character forms).
        shorts = [(n[:-1], c, lv) for n, c, lv in names
                  if len(n) >= 3 and n[-1] in "省市县区"]
        order = {"county": 0, "city": 1, "province": 2}
        every = names + shorts
        every.sort(key=lambda t: (order.get(t[2], 3), -len(t[0])))
        return cls(every)

    def guess(self, party_name: str) -> tuple[str | None, str | None]:
        """(place code, level) of the most specific place named in ``party_name``."""
        for name, code, level in self.names:
            if name in party_name:
                return code, level
        return None, None


def guess_kind(name: str, level: str | None) -> str:
    if any(w in name for w in ("大学", "学院", "研究院", "学校")):
        return "university"
    if any(w in name for w in ("公司", "集团", "企业", "银行")):
        return "company"
    if any(w in name for w in ("园区", "开发区", "产业园", "高新区", "工业园")):
        return "park"
    if any(w in name for w in ("中心", "办公室", "事务")):
        return "office"
    if any(name.endswith(w) for w in ("局", "厅", "委", "委员会", "署", "分局")):
        return "bureau"
    if level in ("province", "city", "county"):
        return level
    return "other"


def resolve_party(session: Session, data: PartyIn, index: PlaceIndex | None = None) -> Party:
    """The party of that name, created (kind and place guessed from the name) when new."""
    name = data.name.strip()
    party = session.scalar(select(Party).where(Party.name == name))
    if party is not None:
        return party
    code, level = data.place_code, None
    if code is None:
        code, level = (index or PlaceIndex.load(session)).guess(name)
    elif session.get(Place, code) is None:
        raise NotFound(f"没有行政区划代码 {code}", detail=f"unknown place code {code}")
    party = Party(name=name, kind=data.kind or guess_kind(name, level), place_code=code)
    session.add(party)
    session.flush()
    return party


def list_parties(session: Session) -> list[Party]:
    return list(session.scalars(select(Party).order_by(Party.place_code, Party.name)))


# ---- permissions ---------------------------------------------------------------------------


def _party_codes(agreement: Agreement) -> list[str]:
    return [ap.party.place_code for ap in agreement.parties if ap.party.place_code]


def can_edit_agreement(principal: Principal, codes: Iterable[str]) -> bool:
    """Editors may change an agreement only when their jurisdiction covers one of its parties."""
    return any(principal.can_write_place(code) for code in codes)


def require_agreement_write(principal: Principal, agreement: Agreement) -> None:
    codes = _party_codes(agreement)
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")
    if not can_edit_agreement(principal, codes):
        raise Forbidden(f"不是协议《{agreement.title}》的签署方，无权修改",
                        detail=f"{principal.username} is not party to agreement {agreement.id}")


def has_write_role(principal: Principal) -> bool:
    """Whether the principal may write anywhere at all (which records is checked per record)."""
    return principal.may_write_scope() and (
        principal.is_platform_admin or any(r.role in WRITE_ROLES for r in principal.roles))


def may_create_agreement(principal: Principal) -> bool:
    """Anyone with a write role somewhere may register an agreement; whether it is theirs is
    checked against its parties by :func:`create_agreement`."""
    return has_write_role(principal)


def require_write_role(principal: Principal, what: str) -> None:
    if not has_write_role(principal):
        raise Forbidden(f"只有有编辑权限的单位可以{what}",
                        detail=f"{principal.username} has no write role")


def require_may_create_agreement(principal: Principal) -> None:
    require_write_role(principal, "登记合作协议")


def require_may_import(principal: Principal) -> None:
    """Checked before a workbook is even received: which rows are the principal's is
    checked by :func:`check_import`."""
    require_write_role(principal, "导入合作协议")


def is_office(principal: Principal) -> bool:
    """Platform admins and editors of the cooperation office run the leading group's tasks."""
    if not principal.may_write_scope():
        return False
    return principal.is_platform_admin or any(
        r.kind == COOPERATION_OFFICE and r.role in WRITE_ROLES for r in principal.roles)


def require_office(principal: Principal, what: str) -> None:
    if not is_office(principal):
        raise Forbidden(f"只有湘赣边区域合作发展事务中心可以{what}",
                        detail=f"only the cooperation office may {what}")


# ---- agreements -----------------------------------------------------------------------------


def _agreement_query() -> Select[Agreement]:
    return select(Agreement).options(
        selectinload(Agreement.parties).selectinload(AgreementParty.party),
        selectinload(Agreement.document),
    )


def get_agreement(session: Session, agreement_id: int, full: bool = False,
                  lock: bool = False) -> Agreement:
    query = _agreement_query().where(Agreement.id == agreement_id)
    if lock:  # a state change: row locked (PostgreSQL) and read afresh
        query = query.with_for_update(of=Agreement).execution_options(populate_existing=True)
    if full:
        query = query.options(
            selectinload(Agreement.obligations).selectinload(Obligation.owner),
            selectinload(Agreement.obligations).selectinload(Obligation.reports))
    agreement = session.scalar(query)
    if agreement is None:
        raise NotFound(f"没有编号为 {agreement_id} 的协议",
                       detail=f"unknown agreement {agreement_id}")
    return agreement


def _set_parties(session: Session, agreement: Agreement, parties: Sequence[Party]) -> None:
    agreement.parties = [AgreementParty(party_id=p.id, party=p, position=i)
                         for i, p in enumerate(parties)]


def _refuse_repeated_parties(names: Sequence[str]) -> None:
    """An agreement names each party once (the parties are its primary key)."""
    first: dict[str, int] = {}
    errors = []
    for n, name in enumerate((name.strip() for name in names), start=1):
        if name in first:
            errors.append(RowError(n, "parties", f"{name} 与第 {first[name]} 个签署单位重复"))
        first.setdefault(name, n)
    if errors:
        raise InvalidInput("同一签署单位在协议中出现了不止一次", errors,
                           detail="the same party is named twice")


def create_agreement(session: Session, principal: Principal, data: AgreementCreate) -> Agreement:
    _refuse_repeated_parties([p.name for p in data.parties])
    index = PlaceIndex.load(session)
    parties = [resolve_party(session, p, index) for p in data.parties]
    codes = [p.place_code for p in parties if p.place_code]
    if not can_edit_agreement(principal, codes):
        require_write(principal, codes[0] if codes else "000000", "合作协议")
    if session.scalar(select(Agreement.id).where(Agreement.title == data.title)) is not None:
        raise Conflict(f"协议《{data.title}》已存在", detail="agreement title exists")
    agreement = Agreement(**data.model_dump(exclude={"parties"}), document=None, obligations=[])
    _set_parties(session, agreement, parties)
    session.add(agreement)
    session.flush()
    return agreement


def create_agreement_with_document(session: Session, principal: Principal,
                                   data: AgreementCreate, files_dir: Path,
                                   document: Upload | None = None) -> Agreement:
    """Register an agreement and keep its signed document; the file is stored only once the
    agreement has been accepted."""
    agreement = create_agreement(session, principal, data)
    doc = _store_upload(session, files_dir, document, principal.label)
    if doc is not None:
        _set_document(session, agreement, doc)
    return agreement


def _set_document(session: Session, agreement: Agreement, doc: Document) -> None:
    agreement.document_id = doc.id
    agreement.document = doc
    session.flush()


def update_agreement(session: Session, principal: Principal, agreement_id: int,
                     data: AgreementUpdate) -> Agreement:
    """Correct an agreement; its status only moves on (see :func:`require_status_move`)."""
    agreement = get_agreement(session, agreement_id)
    require_agreement_write(principal, agreement)
    changes = data.model_dump(exclude_unset=True)
    if "status" in changes:
        if changes["status"] is None:
            raise InvalidInput("状态不能为空", [RowError(None, "status", "must not be null")])
        require_status_move(agreement, changes["status"])
    for key, value in changes.items():
        setattr(agreement, key, value)
    session.flush()
    return agreement


def attach_document(session: Session, principal: Principal, agreement_id: int, files_dir: Path,
                    filename: str, content: bytes) -> Agreement:
    agreement = get_agreement(session, agreement_id)
    require_agreement_write(principal, agreement)
    _set_document(session, agreement, store_document(session, files_dir, filename, content,
                                                     principal.label))
    return agreement


# An agreement is signed, then in force, then expired (its term ran out) or terminated.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "signed": ("in_force",), "in_force": ("expired", "terminated"), "expired": (),
    "terminated": (),
}


def later_statuses(status: str) -> tuple[str, ...]:
    """Every status an agreement in ``status`` may still reach (one-way: never back)."""
    found: list[str] = []
    todo = list(NEXT_STATUSES.get(status, ()))
    while todo:
        nxt = todo.pop(0)
        if nxt not in found:
            found.append(nxt)
            todo.extend(NEXT_STATUSES.get(nxt, ()))
    return tuple(found)


def status_move_allowed(current: str, new: str) -> bool:
    return new == current or new in later_statuses(current)


def require_status_move(agreement: Agreement, new: str) -> None:
    """The status is a one-way state machine on every path (PATCH, form, import): a
    terminated or expired agreement is never signed or in force again."""
    if not status_move_allowed(agreement.status, new):
        raise Conflict(f"协议当前状态为“{status_label(agreement.status)}”，不能改回"
                       f"“{status_label(new)}”",
                       detail=f"cannot move agreement {agreement.id} from {agreement.status} "
                              f"to {new}")


def change_agreement_status(session: Session, principal: Principal, agreement_id: int,
                            data: AgreementStatusChange) -> Agreement:
    """Move an agreement on (see NEXT_STATUSES) as of a date; a party's editors may. The date
    becomes its ``in_force_on``, or its ``expires_on`` when it expired or was terminated."""
    agreement = get_agreement(session, agreement_id, lock=True)
    require_agreement_write(principal, agreement)
    if data.status not in NEXT_STATUSES[agreement.status]:
        raise Conflict(f"协议当前状态为“{status_label(agreement.status)}”，不能改为"
                       f"“{status_label(data.status)}”",
                       detail=f"cannot move agreement {agreement.id} from {agreement.status} "
                              f"to {data.status}")
    if data.effective_on < agreement.signed_on:
        raise InvalidInput("日期不能早于签署日期", [RowError(
            None, "effective_on", f"not before the signing date {agreement.signed_on}")])
    if data.status == "expired" and agreement.expires_on is not None \
            and data.effective_on < agreement.expires_on:
        raise InvalidInput("协议尚未到期；提前结束请选择“已终止”", [RowError(
            None, "effective_on", f"not before the end of its term {agreement.expires_on}")])
    agreement.status = data.status
    if data.status == "in_force":
        agreement.in_force_on = data.effective_on
    if data.status in ("expired", "terminated"):
        agreement.expires_on = data.effective_on
    session.flush()
    return agreement


def add_obligation(session: Session, principal: Principal, agreement_id: int,
                   data: ObligationCreate) -> Obligation:
    agreement = get_agreement(session, agreement_id, full=True)
    require_agreement_write(principal, agreement)
    owner = next((ap.party for ap in agreement.parties if ap.party.name == data.owner), None)
    if owner is None:
        raise InvalidInput(f"{data.owner} 不是该协议的签署方",
                           [RowError(None, "owner", "must be one of the agreement's parties")])
    obligation = Obligation(agreement_id=agreement.id, description=data.description,
                            owner_party_id=owner.id, due_on=data.due_on)
    session.add(obligation)
    session.flush()
    return obligation


def get_obligation(session: Session, obligation_id: int) -> Obligation:
    return found(session.get(Obligation, obligation_id), "义务", "obligation", obligation_id)


def report_obligation_with_evidence(session: Session, principal: Principal,
                                    obligation_id: int, data: ObligationReportCreate,
                                    files_dir: Path, evidence: Upload | None = None
                                    ) -> ObligationReport:
    """Report progress with an evidence file, stored once the report has been accepted."""
    report = report_obligation(session, principal, obligation_id, data)
    doc = _store_upload(session, files_dir, evidence, principal.label)
    if doc is not None:
        report.evidence_id = doc.id
        session.flush()
    return report


def report_obligation(session: Session, principal: Principal, obligation_id: int,
                      data: ObligationReportCreate, evidence: Document | None = None
                      ) -> ObligationReport:
    """Report progress on an obligation (with evidence); only a party to the agreement may."""
    obligation = get_obligation(session, obligation_id)
    agreement = get_agreement(session, obligation.agreement_id)
    require_agreement_write(principal, agreement)
    report = ObligationReport(obligation_id=obligation.id, reported_on=data.reported_on,
                              text=data.text, evidence_id=evidence.id if evidence else None,
                              reported_by=principal.label)
    session.add(report)
    if data.done:
        obligation.done_on = data.reported_on
    session.flush()
    return report


@dataclass(frozen=True)
class AgreementFilter:
    county: str | None = None  # a party's place code (exact)
    status: str | None = None
    field: str | None = None
    party: str | None = None  # name contains
    year: int | None = None
    signed_to: date | None = None
    q: str | None = None
    in_force_at: date | None = None  # in force on that day (from its dates, not today's status)

    def query_string(self, **override: Any) -> str:
        values = {"county": self.county, "status": self.status, "field": self.field,
                  "party": self.party, "year": self.year,
                  "signed_to": self.signed_to.isoformat() if self.signed_to else None,
                  "q": self.q,
                  "in_force_at": self.in_force_at.isoformat() if self.in_force_at else None}
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _filtered(query: Select[*Ts], f: AgreementFilter) -> Select[*Ts]:
    if f.county:
        query = query.where(Agreement.id.in_(
            select(AgreementParty.agreement_id).join(Party).where(Party.place_code == f.county)))
    if f.party:
        query = query.where(Agreement.id.in_(
            select(AgreementParty.agreement_id).join(Party).where(Party.name.contains(f.party))))
    if f.status:
        query = query.where(Agreement.status == f.status)
    if f.field:
        query = query.where(Agreement.field == f.field)
    if f.year:
        query = query.where(Agreement.signed_on >= date(f.year, 1, 1),
                            Agreement.signed_on <= date(f.year, 12, 31))
    if f.signed_to:
        query = query.where(Agreement.signed_on <= f.signed_to)
    if f.q:
        query = query.where(Agreement.title.contains(f.q))
    if f.in_force_at:
        query = query.where(*in_force_on_day(f.in_force_at))
    return query


def in_force_on_day(day: date) -> tuple[ColumnElement[bool], ...]:
    """In force on ``day``: it has come into force (on ``in_force_on``, or on signing when that
    is unset) and had not expired or been terminated by then."""
    started = func.coalesce(Agreement.in_force_on, Agreement.signed_on) <= day
    ended = Agreement.status.in_(("expired", "terminated"))
    # An ended agreement without an end date cannot be shown to have run on any day.
    running = or_(Agreement.expires_on > day, and_(Agreement.expires_on.is_(None), ~ended))
    return (Agreement.status != "signed", started, running)


def list_agreements(session: Session, f: AgreementFilter | None = None) -> list[Agreement]:
    query = _filtered(_agreement_query(), f or AgreementFilter())
    return list(session.scalars(query.order_by(Agreement.signed_on.desc(), Agreement.id.desc())))


def agreement_ids(session: Session, f: AgreementFilter) -> list[int]:
    return list(session.scalars(_filtered(select(Agreement.id), f).order_by(Agreement.id)))


def agreements_by_field(session: Session, f: AgreementFilter | None = None
                        ) -> list[tuple[str, int]]:
    query = _filtered(select(Agreement.field, func.count(Agreement.id)), f or AgreementFilter())
    counts: dict[str, int] = dict(session.execute(query.group_by(Agreement.field)).all())
    return [(code, counts[code]) for code in FIELD_LABELS if counts.get(code)]


def agreements_by_county(session: Session, f: AgreementFilter | None = None
                         ) -> dict[str, int]:
    """Agreements per zone county (an agreement counts once for each county party to it)."""
    inner = _filtered(select(Agreement.id), f or AgreementFilter()).subquery()
    query = (select(Place.code, func.count(func.distinct(AgreementParty.agreement_id)))
             .join(Party, Party.place_code == Place.code)
             .join(AgreementParty, AgreementParty.party_id == Party.id)
             .where(Place.in_zone.is_(True), Place.level == "county",
                    AgreementParty.agreement_id.in_(select(inner.c.id)))
             .group_by(Place.code))
    return dict(session.execute(query).all())


def agreements_by_year(session: Session) -> list[tuple[int, int]]:
    years = Counter(d.year for d in session.scalars(select(Agreement.signed_on)))
    return sorted(years.items())


# ---- agreements workbook import ------------------------------------------------------------


@dataclass(frozen=True)
class ImportRowResult:
    row: int
    title: str
    action: str  # new | changed | unchanged
    changes: dict[str, list[str]]


@dataclass(frozen=True)
class ImportPreview:
    rows: list[ImportRowResult]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def _row_values(row: AgreementRow) -> dict[str, str]:
    return {"parties": "、".join(row.parties), "signed_on": row.signed_on.isoformat(),
            "field": row.field, "status": row.status, "signed_at": row.signed_at,
            "term_years": str(row.term_years or ""),
            "expires_on": row.expires_on.isoformat() if row.expires_on else "",
            "summary": row.summary}


def _agreement_values(a: Agreement) -> dict[str, str]:
    return {"parties": "、".join(ap.party.name for ap in a.parties),
            "signed_on": a.signed_on.isoformat(), "field": a.field, "status": a.status,
            "signed_at": a.signed_at, "term_years": str(a.term_years or ""),
            "expires_on": a.expires_on.isoformat() if a.expires_on else "",
            "summary": a.summary}


def _existing_by_title(session: Session, titles: Iterable[str]) -> dict[str, Agreement]:
    titles = list(titles)
    found: dict[str, Agreement] = {}
    for start in range(0, len(titles), 500):
        chunk = titles[start:start + 500]
        for a in session.scalars(_agreement_query().where(Agreement.title.in_(chunk))):
            found[a.title] = a
    return found


def preview_agreements(session: Session, rows: Sequence[AgreementRow]) -> ImportPreview:
    """What importing these rows would do, without writing anything."""
    existing = _existing_by_title(session, (r.title for r in rows))
    results: list[ImportRowResult] = []
    for row in rows:
        current = existing.get(row.title)
        if current is None:
            results.append(ImportRowResult(row.row, row.title, "new", {}))
            continue
        old, new = _agreement_values(current), _row_values(row)
        changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        results.append(ImportRowResult(row.row, row.title, "changed" if changes else "unchanged",
                                       changes))
    return ImportPreview(results)


def _party_codes_as_imported(session: Session, index: PlaceIndex, names: Sequence[str]
                             ) -> list[str]:
    """The place codes the parties named in a row will have once imported: a known party's
    stored code, else the code guessed from its name (as resolve_party will store it)."""
    wanted = [n.strip() for n in names]
    known = dict(session.execute(select(Party.name, Party.place_code)
                                 .where(Party.name.in_(wanted))).all())
    codes = [known[n] if n in known else index.guess(n)[0] for n in wanted]
    return [c for c in codes if c]


def check_import(session: Session, principal: Principal, rows: Sequence[AgreementRow],
                 index: PlaceIndex | None = None) -> None:
    """Refuse the whole workbook (InvalidInput, every row listed, nothing written) unless the
    principal may write every record it touches, as it is and as it will be: each row's
    parties as imported must include one in the principal's jurisdiction, and a stored
    agreement that the row would change must already be the principal's; a row may move an
    agreement's status only on (never from terminated or expired back to signed)."""
    if not principal.may_write_scope():
        raise InvalidInput("此令牌只有读取权限，未导入任何记录",
                           [RowError(r.row, "签署单位", "token lacks the write scope")
                            for r in rows])
    index = index or PlaceIndex.load(session)
    existing = _existing_by_title(session, (r.title for r in rows))
    refused: list[RowError] = []
    moves: list[RowError] = []
    for row in rows:
        if not can_edit_agreement(principal, _party_codes_as_imported(session, index,
                                                                      row.parties)):
            refused.append(RowError(row.row, "签署单位",
                                    "you are not party to this agreement (no signatory in "
                                    "your jurisdiction)"))
            continue
        current = existing.get(row.title)
        if current is None or _agreement_values(current) == _row_values(row):
            continue
        if not can_edit_agreement(principal, _party_codes(current)):
            refused.append(RowError(
                row.row, "协议名称",
                "the stored agreement of this title is not yours to change (none of its "
                "signatories " + "、".join(ap.party.name for ap in current.parties)
                + " is in your jurisdiction)"))
        elif not status_move_allowed(current.status, row.status):
            moves.append(RowError(row.row, "状态",
                                  f"the agreement is {status_label(current.status)}: it "
                                  f"cannot go back to {status_label(row.status)}"))
    if refused:
        raise InvalidInput(f"有 {len(refused)} 行不在你的辖区内，未导入任何记录", refused)
    if moves:
        raise InvalidInput(f"有 {len(moves)} 行的协议状态不能改回（已签署→履行中→已到期或已终止，"
                           "只能向前），未导入任何记录", moves)


def import_agreements(session: Session, principal: Principal, rows: Sequence[AgreementRow]
                      ) -> ImportPreview:
    """Apply a validated workbook: new rows are added, changed rows updated, unchanged rows left
    alone. Refused whole (nothing written) unless :func:`check_import` passes."""
    index = PlaceIndex.load(session)
    check_import(session, principal, rows, index)
    preview = preview_agreements(session, rows)
    existing_rows = _existing_by_title(session, (r.title for r in rows))
    for row, result in zip(rows, preview.rows, strict=True):
        if result.action == "unchanged":
            continue
        parties = [resolve_party(session, PartyIn(name=p), index) for p in row.parties]
        agreement = existing_rows.get(row.title)
        if agreement is None:
            agreement = Agreement(title=row.title)
            session.add(agreement)
        agreement.field, agreement.status = row.field, row.status
        agreement.signed_on, agreement.signed_at = row.signed_on, row.signed_at
        agreement.term_years, agreement.expires_on = row.term_years, row.expires_on
        agreement.summary = row.summary
        if [ap.party_id for ap in agreement.parties] != [p.id for p in parties]:
            _set_parties(session, agreement, parties)
    session.flush()
    return preview


AGREEMENT_HEADERS = ("序号", "协议名称", "签署单位", "签署日期", "领域", "状态", "签署地点",
                     "期限(年)", "到期日期", "主要内容")


def agreement_rows(agreements: Sequence[Agreement]) -> list[list[Any]]:
    return [[i, a.title, "、".join(ap.party.name for ap in a.parties), a.signed_on,
             field_label(a.field), status_label(a.status), a.signed_at, a.term_years,
             a.expires_on, a.summary] for i, a in enumerate(agreements, start=1)]


# ---- meetings ---------------------------------------------------------------------------------


def create_meeting(session: Session, principal: Principal, data: MeetingCreate) -> Meeting:
    require_office(principal, "登记联席会议")
    clash = session.scalar(select(Meeting.id).where(Meeting.title == data.title,
                                                    Meeting.held_on == data.held_on))
    if clash is not None:
        raise Conflict(f"会议《{data.title}》已登记", detail="meeting exists")
    meeting = Meeting(**data.model_dump(exclude={"members", "resolutions"}))
    index = PlaceIndex.load(session)
    seen: set[int] = set()
    for m in data.members:
        party = resolve_party(session, PartyIn(name=m.name), index)
        if party.id not in seen:
            meeting.members.append(MeetingMember(party_id=party.id, party=party, role=m.role))
            seen.add(party.id)
    meeting.resolutions = [Resolution(number=i, text=t)
                           for i, t in enumerate(data.resolutions, start=1)]
    session.add(meeting)
    session.flush()
    return meeting


@dataclass(frozen=True)
class MeetingFilter:
    kind: str | None = None
    series: str | None = None
    our_role: str | None = None
    year: int | None = None


def list_meetings(session: Session, f: MeetingFilter | None = None) -> list[Meeting]:
    f = f or MeetingFilter()
    query = select(Meeting).options(
        selectinload(Meeting.members).selectinload(MeetingMember.party),
        selectinload(Meeting.resolutions))
    if f.kind:
        query = query.where(Meeting.kind == f.kind)
    if f.series:
        query = query.where(Meeting.series == f.series)
    if f.our_role:
        query = query.where(Meeting.our_role == f.our_role)
    if f.year:
        query = query.where(Meeting.held_on >= date(f.year, 1, 1),
                            Meeting.held_on <= date(f.year, 12, 31))
    return list(session.scalars(query.order_by(Meeting.held_on.desc())))


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(
        selectinload(Meeting.members).selectinload(MeetingMember.party),
        selectinload(Meeting.resolutions)))
    return found(meeting, "会议", "meeting", meeting_id)


def list_resolutions(session: Session) -> list[Resolution]:
    """Every resolution with its meeting, newest meeting first (the sources of tasks)."""
    return list(session.scalars(
        select(Resolution).join(Meeting).options(selectinload(Resolution.meeting))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc(), Resolution.number)))


def get_resolution(session: Session, resolution_id: int) -> Resolution:
    return found(session.get(Resolution, resolution_id), "决议", "resolution", resolution_id)


def resolution_to_task(session: Session, principal: Principal, resolution_id: int,
                       owner_org_id: int, deadline: date, title: str | None = None) -> Task:
    """Turn a meeting resolution into a leading-group task."""
    resolution = get_resolution(session, resolution_id)
    return create_task(session, principal, TaskCreate(
        title=title or resolution.text[:200], description=resolution.text,
        owner_org_id=owner_org_id, deadline=deadline, resolution_id=resolution.id))


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


def list_projects(session: Session, county: str | None = None) -> list[Project]:
    query = _project_query().order_by(Project.id)
    if county:
        query = query.where(Project.id.in_(
            select(ProjectSite.project_id).where(ProjectSite.county_code == county)))
    return list(session.scalars(query))


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


# ---- leading-group tasks (督办) ---------------------------------------------------------------

# action -> (allowed from-states, to-state, who)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "start": (("open",), "in_progress", "owner"),
    "submit": (("in_progress",), "submitted", "owner"),
    "accept": (("submitted",), "accepted", "office"),
    "return": (("submitted",), "in_progress", "office"),
}


def get_task(session: Session, task_id: int, lock: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id).options(selectinload(Task.events))
    if lock:  # a state change: row locked (PostgreSQL) and read afresh
        query = query.with_for_update(of=Task).execution_options(populate_existing=True)
    return found(session.scalar(query), "督办事项", "task", task_id)


def create_task(session: Session, principal: Principal, data: TaskCreate) -> Task:
    require_office(principal, "交办督办事项")
    if session.get(Organisation, data.owner_org_id) is None:
        raise NotFound(f"没有编号为 {data.owner_org_id} 的机构", detail="unknown organisation")
    if data.resolution_id is not None:
        get_resolution(session, data.resolution_id)
    if session.scalar(select(Task.id).where(Task.title == data.title)) is not None:
        raise Conflict(f"督办事项《{data.title}》已存在", detail="task title exists")
    task = Task(**data.model_dump(), state="open", created_by=principal.label)
    task.events = [TaskEvent(action="create", from_state="", to_state="open",
                             actor=principal.label, note="")]
    session.add(task)
    session.flush()
    return task


def may_move(principal: Principal, task: Task, action: str) -> bool:
    _states, _to, who = TRANSITIONS[action]
    if not principal.may_write_scope():
        return False
    if who == "owner":
        return principal.is_member(task.owner_org_id, WRITE_ROLES)
    # The office accepts or returns, but never its own work.
    return is_office(principal) and (
        principal.is_platform_admin or not principal.is_member(task.owner_org_id))


def move_task(session: Session, principal: Principal, task_id: int, action: str,
              note: str = "") -> Task:
    """open → in_progress → submitted → accepted, or submitted → in_progress (returned)."""
    if action not in TRANSITIONS:
        raise InvalidInput(f"未知的操作 {action}",
                           [RowError(None, "action", f"one of {', '.join(TRANSITIONS)}")])
    task = get_task(session, task_id, lock=True)
    states, to_state, who = TRANSITIONS[action]
    if not may_move(principal, task, action):
        if who == "owner":
            raise Forbidden("只有承办单位的编辑可以办理此事项",
                            detail=f"only editors of organisation {task.owner_org_id} may "
                                   f"{action} task {task.id}")
        raise Forbidden("只有湘赣边区域合作发展事务中心可以验收或退回，且不能验收本单位的事项",
                        detail=f"{principal.username} may not {action} task {task.id}")
    if task.state not in states:
        raise Conflict(f"事项当前状态为 {task.state}，不能执行 {action}",
                       detail=f"cannot {action} a task in state {task.state}")
    if action == "return" and not note.strip():
        raise InvalidInput("退回时请说明理由", [RowError(None, "note", "a reason is required")])
    at = now()
    task.events.append(TaskEvent(action=action, from_state=task.state, to_state=to_state,
                                 actor=principal.label, note=note.strip(), at=at))
    task.state = to_state
    if action == "submit":
        task.submitted_at = at
    elif action == "accept":
        task.accepted_at = at
    elif action == "return":
        task.returned_count += 1
        task.submitted_at = None
    session.flush()
    return task


OPEN_STATES = ("open", "in_progress")


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    org_ids: tuple[int, ...] | None = None
    overdue: bool = False
    due_soon: bool = False
    today: date | None = None


def _task_query(f: TaskFilter) -> Select[Task]:
    today = f.today or now().date()
    query = select(Task)
    if f.state:
        query = query.where(Task.state == f.state)
    if f.org_ids is not None:
        query = query.where(Task.owner_org_id.in_(f.org_ids))
    if f.overdue:
        query = query.where(Task.state.in_(OPEN_STATES), Task.deadline < today)
    if f.due_soon:
        query = query.where(Task.state.in_(OPEN_STATES), Task.deadline >= today,
                            Task.deadline <= today + timedelta(days=DUE_SOON_DAYS))
    return query


def tasks_by_resolution(session: Session) -> dict[int, Task]:
    return {t.resolution_id: t for t in session.scalars(
        select(Task).where(Task.resolution_id.is_not(None))) if t.resolution_id is not None}


def list_tasks(session: Session, f: TaskFilter | None = None) -> list[Task]:
    query = _task_query(f or TaskFilter()).order_by(Task.deadline, Task.id)
    return list(session.scalars(query))


def organisation_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    query = select(Organisation.id, Organisation.name)
    if ids is not None:
        query = query.where(Organisation.id.in_(list(ids)))
    return dict(session.execute(query).all())


def is_overdue(task: Task, today: date) -> bool:
    return task.state in OPEN_STATES and task.deadline < today


def is_due_soon(task: Task, today: date) -> bool:
    return task.state in OPEN_STATES and today <= task.deadline <= today + timedelta(
        days=DUE_SOON_DAYS)


@dataclass(frozen=True)
class Reminders:
    org_ids: tuple[int, ...]
    overdue: int
    due_soon: int
    to_accept: int  # submitted tasks waiting for the office

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.due_soon or self.to_accept)


def reminders_for(session: Session, principal: Principal | None,
                  today: date | None = None) -> Reminders | None:
    """What the user's organisations have to do: overdue and due-soon tasks, and for the
    office the submitted tasks waiting to be accepted."""
    if principal is None:
        return None
    today = today or now().date()
    org_ids = tuple(sorted({r.organisation_id for r in principal.roles}))
    count = func.count(Task.id)

    def n(query: Select[Any]) -> int:
        return int(session.scalar(query) or 0)

    overdue = n(_task_query(TaskFilter(org_ids=org_ids, overdue=True, today=today))
                .with_only_columns(count))
    soon = n(_task_query(TaskFilter(org_ids=org_ids, due_soon=True, today=today))
             .with_only_columns(count))
    to_accept = 0
    if is_office(principal):
        to_accept = n(select(count).where(Task.state == "submitted"))
    return Reminders(org_ids, overdue, soon, to_accept)


def on_time(task: Task) -> bool:
    return task.submitted_at is not None and task.submitted_at.date() <= task.deadline


# ---- indicators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    """A computed value and where it came from."""

    value: Decimal | None
    entity: str = ""
    ids: tuple[int, ...] = ()
    link: str = ""
    note: str = ""

    def provenance(self) -> dict[str, Any]:
        return {"entity": self.entity, "ids": list(self.ids), "link": self.link,
                "note": self.note}


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _c_agreements_signed(session: Session, as_of: date) -> Computed:
    f = AgreementFilter(signed_to=as_of)
    ids = agreement_ids(session, f)
    return Computed(Decimal(len(ids)), "cooperation_agreement", tuple(ids),
                    "/cooperation/agreements?" + f.query_string())


def _c_agreements_in_force(session: Session, as_of: date) -> Computed:
    f = AgreementFilter(in_force_at=as_of)
    ids = agreement_ids(session, f)
    return Computed(Decimal(len(ids)), "cooperation_agreement", tuple(ids),
                    "/cooperation/agreements?" + f.query_string())


def _c_counties_covered(session: Session, as_of: date) -> Computed:
    f = AgreementFilter(signed_to=as_of)
    counties = agreements_by_county(session, f)
    return Computed(Decimal(len(counties)), "cooperation_agreement", tuple(agreement_ids(
        session, f)), "/cooperation/agreements?" + f.query_string(view="county"),
        note="counties: " + ",".join(sorted(counties)))


def _c_tasks_on_time(session: Session, as_of: date) -> Computed:
    tasks = [t for t in list_tasks(session, TaskFilter(state="accepted"))
             if t.accepted_at is not None and t.accepted_at.date() <= as_of]
    good = [t for t in tasks if on_time(t)]
    return Computed(_share(len(good), len(tasks)), "cooperation_task",
                    tuple(t.id for t in tasks), "/cooperation/tasks?state=accepted",
                    note=f"{len(good)} of {len(tasks)} accepted tasks submitted by the deadline")


def _c_project_completion(session: Session, as_of: date) -> Computed:
    projects = list_projects(session)
    figures: list[int] = []
    for p in projects:
        reports = [r for r in p.reports if r.reported_on <= as_of]
        figures.append(max(reports, key=lambda r: (r.reported_on, r.id)).percent_complete
                       if reports else 0)
    value = (Decimal(sum(figures)) / len(figures)).quantize(Decimal("0.1"), ROUND_HALF_UP) \
        if figures else None
    return Computed(value, "cooperation_project", tuple(p.id for p in projects),
                    "/cooperation/projects", note="mean percent complete of the latest reports")


def _meetings(session: Session, as_of: date, series: str, our_role: str | None = None
              ) -> Computed:
    f = MeetingFilter(series=series, our_role=our_role)
    kw = {k: v for k, v in (("series", series), ("our_role", our_role)) if v}
    meetings = [m for m in list_meetings(session, f) if m.held_on <= as_of]
    return Computed(Decimal(len(meetings)), "cooperation_meeting",
                    tuple(sorted(m.id for m in meetings)),
                    "/cooperation/meetings?" + urlencode(kw))


CZT_SERIES = "长株潭一体化发展市委书记联席会议"
CONFERENCE_SERIES = "湘赣边区域合作示范区建设推进大会"


def _c_observer(session: Session, as_of: date) -> Computed:
    return _meetings(session, as_of, series=CZT_SERIES, our_role="observer")


def _c_conferences(session: Session, as_of: date) -> Computed:
    return _meetings(session, as_of, series=CONFERENCE_SERIES)


@contextmanager
def _figures_cache(session: Session) -> Iterator[None]:
    """Compute the ecology figures once per page, not once per card."""
    owner = "coop_ecology_figures" not in session.info
    if owner:
        session.info["coop_ecology_figures"] = {}
    try:
        yield
    finally:
        if owner:
            session.info.pop("coop_ecology_figures", None)


def ecology_figures(session: Session, as_of: date) -> dict[str, Any] | None:
    """The ecology domain's headline figures (computed from readings and the ledger)."""
    cache: dict[date, dict[str, Any] | None] | None = session.info.get("coop_ecology_figures")
    if cache is not None and as_of in cache:
        return cache[as_of]
    result = dict(headline_figures(session, as_of))
    if cache is not None:
        cache[as_of] = result
    return result


def _ecology(key: str, scale: Decimal = Decimal(1)) -> Callable[[Session, date], Computed]:
    def compute(session: Session, as_of: date) -> Computed:
        figures = ecology_figures(session, as_of)
        if figures is None or figures.get(key) is None:
            return Computed(None, "ecology", (), "/ecology", note="not available")
        value = (Decimal(str(figures[key])) * scale).quantize(Decimal("0.0001"))
        return Computed(value, "ecology", (), "/ecology", note=f"ecology.headline_figures[{key}]")
    return compute


COMPUTATIONS: dict[str, Callable[[Session, date], Computed]] = {
    "agreements_signed": _c_agreements_signed,
    "agreements_in_force": _c_agreements_in_force,
    "counties_covered": _c_counties_covered,
    "tasks_on_time": _c_tasks_on_time,
    "project_completion": _c_project_completion,
    "czt_observer_meetings": _c_observer,
    "promotion_conferences": _c_conferences,
    "jinyushi_streak_months": _ecology("jinyushi_streak_months"),
    "basin_sections_good_share": _ecology("basin_sections_good_share", Decimal(100)),
    "compensation_paid_to_jiangxi": _ecology("compensation_paid_to_jiangxi",
                                             Decimal("0.0001")),  # yuan -> 万元
}


def define_indicator(session: Session, code: str, name: str, unit: str, source: str,
                     target: Decimal | None = None, period: str = "year", name_en: str = "",
                     reporter: str = "", position: int = 0) -> Indicator:
    """Create or update an indicator definition (idempotent)."""
    if source == "computed" and code not in COMPUTATIONS:
        raise InvalidInput(f"没有名为 {code} 的计算方法",
                           [RowError(None, "code", f"one of {', '.join(COMPUTATIONS)}")])
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        indicator = Indicator(code=code)
        session.add(indicator)
    indicator.name, indicator.unit, indicator.source = name, unit, source
    indicator.target, indicator.period, indicator.name_en = target, period, name_en
    indicator.reporter, indicator.position = reporter, position
    session.flush()
    return indicator


def get_indicator(session: Session, code: str) -> Indicator:
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound(f"没有指标 {code}", detail=f"unknown indicator {code}")
    return indicator


def list_indicators(session: Session) -> list[Indicator]:
    return list(session.scalars(select(Indicator).order_by(Indicator.position, Indicator.id)))


def compute(session: Session, indicator: Indicator, as_of: date) -> Computed:
    if indicator.source != "computed":
        raise Conflict(f"指标 {indicator.code} 由单位填报，不能计算", detail="reported indicator")
    return COMPUTATIONS[indicator.code](session, as_of)


def valid_period(period: str) -> bool:
    return re.fullmatch(r"\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?", period) is not None


def period_end(period: str) -> date:
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 12, 31)
    month = int(period[6]) * 3 if period[5] == "Q" else int(period[5:7])
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def store_value(session: Session, indicator: Indicator, period: str, value: Decimal,
                 source: str, provenance: dict[str, Any], by: str,
                 evidence: Document | None = None) -> IndicatorValue:
    row = session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == period))
    evidence_id = evidence.id if evidence else None
    if row is not None and (row.value, row.source, row.provenance, row.evidence_id) == (
            value, source, provenance, evidence_id):
        return row  # the same value again changes nothing
    if row is None:
        row = IndicatorValue(indicator_id=indicator.id, period=period)
        session.add(row)
    row.value, row.source, row.provenance, row.recorded_by = value, source, provenance, by
    row.evidence_id = evidence_id
    row.recorded_at = now()
    session.flush()
    return row


def snapshot(session: Session, period: str, as_of: date | None = None, by: str = "system"
             ) -> list[IndicatorValue]:
    """Compute every computed indicator for ``period`` (as of its last day, or ``as_of``) and
    store the value with the ids of the records it was computed from."""
    as_of = as_of or period_end(period)
    stored: list[IndicatorValue] = []
    with _figures_cache(session):
        computed = [(i, compute(session, i, as_of)) for i in list_indicators(session)
                    if i.source == "computed"]
    for indicator, result in computed:
        if result.value is not None:
            provenance = result.provenance() | {"as_of": as_of.isoformat()}
            stored.append(store_value(session, indicator, period, result.value, "computed",
                                       provenance, by))
    return stored


PERIOD_FORMS = {"year": (r"\d{4}", "a year such as 2025"),
                "quarter": (r"\d{4}-Q[1-4]", "a quarter such as 2025-Q3"),
                "month": (r"\d{4}-(0[1-9]|1[0-2])", "a month such as 2025-09")}


def may_report_indicator(principal: Principal, indicator: Indicator) -> bool:
    """Editors of the reporting organisation (and platform admins) report its values."""
    return indicator.source == "reported" and principal.may_write_scope() and (
        principal.is_platform_admin or any(
            r.organisation == indicator.reporter and r.role in WRITE_ROLES
            for r in principal.roles))


def _check_report(principal: Principal, indicator: Indicator, period: str) -> None:
    if indicator.source != "reported":
        raise Conflict(f"指标 {indicator.code} 由平台计算，不能填报", detail="computed indicator")
    if not may_report_indicator(principal, indicator):
        raise Forbidden(f"只有{indicator.reporter or '填报单位'}的编辑可以填报此指标",
                        detail=f"{principal.username} may not report {indicator.code}")
    pattern, example = PERIOD_FORMS[indicator.period]
    if re.fullmatch(pattern, period) is None:
        raise InvalidInput(f"期间 {period} 不符合指标的填报周期",
                           [RowError(None, "period", example)])


def report_value(session: Session, principal: Principal, code: str, period: str,
                 value: Decimal, evidence: Document | None = None) -> IndicatorValue:
    """The reporting organisation reports a value for a period (of the indicator's kind: a
    year, quarter or month), with evidence."""
    indicator = get_indicator(session, code)
    _check_report(principal, indicator, period)
    provenance = {"reported_by": principal.label,
                  "organisations": [r.organisation for r in principal.roles],
                  "evidence": evidence.filename if evidence else ""}
    return store_value(session, indicator, period, value, "reported", provenance,
                        principal.label, evidence)


def report_value_with_evidence(session: Session, principal: Principal, code: str,
                               data: ReportedValueIn, files_dir: Path,
                               evidence: Upload | None = None) -> IndicatorValue:
    """Report a value with an evidence file, stored only once the report may be made."""
    _check_report(principal, get_indicator(session, code), data.period)
    doc = _store_upload(session, files_dir, evidence, principal.label)
    return report_value(session, principal, code, data.period, data.value, doc)


def history(session: Session, indicator_id: int) -> list[IndicatorValue]:
    return list(session.scalars(select(IndicatorValue)
                                .where(IndicatorValue.indicator_id == indicator_id)
                                .order_by(IndicatorValue.period)))


@dataclass
class Card:
    indicator: Indicator
    value: Decimal | None
    link: str
    source_note: str
    trend: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def reached(self) -> bool | None:
        if self.value is None or self.indicator.target is None:
            return None
        return self.value >= self.indicator.target


def indicator_cards(session: Session, as_of: date) -> list[Card]:
    with _figures_cache(session):
        return _cards(session, as_of)


def _cards(session: Session, as_of: date) -> list[Card]:
    indicators = list_indicators(session)
    values: dict[int, list[IndicatorValue]] = {}
    for v in session.scalars(select(IndicatorValue).order_by(IndicatorValue.period)):
        values.setdefault(v.indicator_id, []).append(v)
    cards: list[Card] = []
    for ind in indicators:
        trend = [(v.period, v.value) for v in values.get(ind.id, [])]
        if ind.source == "computed":
            result = compute(session, ind, as_of)
            cards.append(Card(ind, result.value, result.link, result.note, trend))
        else:
            latest = values.get(ind.id, [])
            last = latest[-1] if latest else None
            cards.append(Card(ind, last.value if last else None,
                              f"/cooperation/indicators/{ind.code}",
                              f"{ind.reporter} · {last.period}" if last else ind.reporter,
                              trend))
    return cards


def unit_names(session: Session) -> dict[str, str]:
    """The zone's 24 county-level units, code -> name."""
    return dict(session.execute(select(Place.code, Place.name).where(
        Place.in_zone.is_(True), Place.level == "county").order_by(Place.code)).all())


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
    today = today or now().date()
    newest = max((d for d in (
        session.scalar(select(func.max(Agreement.signed_on))),
        session.scalar(select(func.max(Meeting.held_on))),
        session.scalar(select(func.max(ProjectReport.reported_on))),
    ) if d is not None), default=None)
    if newest is None:
        return today
    return min(today, period_end(f"{newest.year}-{newest.month:02d}"))


def dashboard(session: Session, as_of: date | None = None, with_tasks: bool = False
              ) -> Dashboard:
    """The leading group's page. Figures are as of ``as_of`` (default: :func:`data_as_of`);
    the overdue and due-soon task lists are always as of today."""
    with _figures_cache(session):
        return _dashboard(session, as_of or data_as_of(session), with_tasks)


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
