"""Cooperation agreements: records, status, obligations, lists and the workbook import.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVarTuple
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.service import Principal, require_write
from coopzone.cooperation.importers import (
    FIELD_LABELS,
    AgreementRow,
    field_label,
    status_label,
)
from coopzone.cooperation.models import (
    AGREEMENT_STATUSES,
    Agreement,
    AgreementEvent,
    AgreementImport,
    AgreementParty,
    Document,
    Obligation,
    ObligationReport,
    Party,
)
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementStatusChange,
    AgreementUpdate,
    ObligationCreate,
    ObligationReportCreate,
    PartyIn,
)
from coopzone.cooperation.service.documents import Upload, _store_upload, store_document
from coopzone.cooperation.service.parties import PlaceIndex, resolve_party
from coopzone.cooperation.service.permissions import (
    _party_codes,
    can_edit_agreement,
    require_agreement_write,
)
from coopzone.errors import (
    Conflict,
    CoopzoneError,
    Forbidden,
    InvalidInput,
    NotFound,
    RowError,
    found,
)
from coopzone.kit.importing import Outcome, RowOutcome, compare
from coopzone.kit.listing import contains
from coopzone.kit.workflow import Moved, Rule, Transition, Workflow
from coopzone.places.models import Place

Ts = TypeVarTuple("Ts")

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
        status = changes.pop("status")
        if status is None:
            raise InvalidInput("状态不能为空", [RowError(None, "status", "must not be null")])
        require_status_move(agreement, status)
        # Through the machine first (it reads the record afresh under a lock): a history
        # row for each step, then the other fields on the moved record.
        move_status_to(session, principal, agreement, status,
                       effective_on=changes.get("expires_on"))
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


# An agreement is signed, then in force, then expired (its term ran out) or terminated. A move's
# action is the status it moves to; its history is kept in AgreementEvent (kit.workflow).


def _may_change_status(principal: Principal, agreement: Agreement) -> bool:
    return principal.may_write_scope() and can_edit_agreement(principal, _party_codes(agreement))


def _refuse_status(principal: Principal, agreement: Agreement, action: str) -> CoopzoneError:
    try:
        require_agreement_write(principal, agreement)
    except Forbidden as refused:
        return refused
    return Forbidden("无权修改此协议的状态", detail=f"{principal.username} may not {action}")


AGREEMENT_FLOW: Workflow[Principal, Agreement] = Workflow(
    name="协议",
    transitions=(
        Transition("in_force", ("signed",), "in_force", "party"),
        Transition("expired", ("in_force",), "expired", "party"),
        Transition("terminated", ("in_force",), "terminated", "party"),
    ),
    rules={"party": Rule(_may_change_status, _refuse_status)},
    history=lambda a, moved: AgreementEvent(agreement_id=a.id, **moved.history(),
                                            effective_on=moved.extra.get("effective_on")),
    state_attr="status",
    state_labels={s: status_label(s) for s in AGREEMENT_STATUSES},
    action_labels={s: status_label(s) for s in AGREEMENT_STATUSES},
)

NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    status: AGREEMENT_FLOW.next_states(status) for status in AGREEMENT_STATUSES}


def later_statuses(status: str) -> tuple[str, ...]:
    """Every status an agreement in ``status`` may still reach (one-way: never back)."""
    return AGREEMENT_FLOW.reachable(status)


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


def status_path(current: str, target: str) -> list[str]:
    """The actions that take an agreement from ``current`` to ``target`` along AGREEMENT_FLOW,
    fewest first (signed → expired is in_force then expired); [] when they are equal; a
    Conflict when ``target`` cannot be reached (never back)."""
    if current == target:
        return []
    paths: list[tuple[str, list[str]]] = [(current, [])]
    seen = {current}
    while paths:
        state, path = paths.pop(0)
        for t in AGREEMENT_FLOW.transitions:
            if state in t.sources and t.target not in seen:
                if t.target == target:
                    return [*path, t.action]
                seen.add(t.target)
                paths.append((t.target, [*path, t.action]))
    raise Conflict(f"协议当前状态为“{status_label(current)}”，不能改回“{status_label(target)}”",
                   detail=f"cannot move an agreement from {current} to {target}")


def move_status_to(session: Session, principal: Principal, agreement: Agreement, target: str,
                   note: str = "", effective_on: date | None = None) -> list[AgreementEvent]:
    """Move an agreement's status to ``target`` through AGREEMENT_FLOW, one move per step of
    :func:`status_path` (a correction by PATCH or a workbook may skip a step: the history
    still shows each one, so it reads as the machine allows). Each move is checked on the
    locked, stored record and leaves a history row (who, when, from, to, ``note``); an ended
    status records ``effective_on`` as the date it took effect. Unflushed changes to the
    agreement are discarded by the first move: set other fields after."""
    rows: list[AgreementEvent] = []
    for action in status_path(agreement.status, target):
        ended = action in ("expired", "terminated")
        moved = AGREEMENT_FLOW.move(session, principal, agreement, action, note,
                                    extra={"effective_on": effective_on if ended else None})
        assert isinstance(moved.row, AgreementEvent)
        rows.append(moved.row)
    return rows


def change_agreement_status(session: Session, principal: Principal, agreement_id: int,
                            data: AgreementStatusChange, reason: str = "") -> Agreement:
    """Move an agreement on (see AGREEMENT_FLOW) as of a date; a party's editors may. The date
    becomes its ``in_force_on``, or its ``expires_on`` when it expired or was terminated. The
    move is checked on the locked, stored record and leaves a history row."""
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

    def effects(a: Agreement, moved: Moved[Agreement]) -> None:
        if moved.to_state == "in_force":
            a.in_force_on = data.effective_on
        if moved.to_state in ("expired", "terminated"):
            a.expires_on = data.effective_on

    AGREEMENT_FLOW.move(session, principal, agreement, data.status, reason, effects=effects,
                        extra={"effective_on": data.effective_on})
    return agreement


def agreement_history(session: Session, agreement_id: int) -> list[AgreementEvent]:
    return list(session.scalars(select(AgreementEvent).where(
        AgreementEvent.agreement_id == agreement_id).order_by(AgreementEvent.id)))


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


# The columns the keyword ``q`` searches (escaped LIKE, see kit.listing.contains).
AGREEMENT_SEARCH = (Agreement.title, Agreement.summary, Agreement.signed_at)


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
    zone_county: bool = False  # a party in one of the zone's counties (the 24 of 湘赣边)

    def params(self) -> dict[str, Any]:
        """The filter as query parameters (unset ones left out)."""
        values = {"county": self.county, "status": self.status, "field": self.field,
                  "party": self.party, "year": self.year,
                  "signed_to": self.signed_to.isoformat() if self.signed_to else None,
                  "q": self.q,
                  "in_force_at": self.in_force_at.isoformat() if self.in_force_at else None,
                  "zone_county": "1" if self.zone_county else None}
        return {k: v for k, v in values.items() if v not in (None, "")}

    def query_string(self, **override: Any) -> str:
        values = self.params() | override
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
    keyword = contains(f.q, AGREEMENT_SEARCH)
    if keyword is not None:
        query = query.where(keyword)
    if f.in_force_at:
        query = query.where(*in_force_on_day(f.in_force_at))
    if f.zone_county:
        query = query.where(Agreement.id.in_(
            select(AgreementParty.agreement_id).join(Party)
            .join(Place, Place.code == Party.place_code)
            .where(Place.in_zone.is_(True), Place.level == "county")))
    return query


def in_force_on_day(day: date) -> tuple[ColumnElement[bool], ...]:
    """In force on ``day``: it has come into force (on ``in_force_on``, or on signing when that
    is unset) and had not expired or been terminated by then."""
    started = func.coalesce(Agreement.in_force_on, Agreement.signed_on) <= day
    ended = Agreement.status.in_(("expired", "terminated"))
    # An ended agreement without an end date cannot be shown to have run on any day.
    running = or_(Agreement.expires_on > day, and_(Agreement.expires_on.is_(None), ~ended))
    return (Agreement.status != "signed", started, running)


def agreement_query(f: AgreementFilter | None = None) -> Select[Agreement]:
    """The agreements a filter selects, unordered (a page or an export orders it)."""
    return _filtered(_agreement_query(), f or AgreementFilter())


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


class ImportRowResult(RowOutcome):
    """One workbook row's outcome; its natural key is the agreement's title."""

    @property
    def title(self) -> str:
        return self.key


class ImportPreview(Outcome):
    """What a workbook does (preview) or did (confirm): :class:`coopzone.kit.importing.Outcome`."""


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


def applied_file(session: Session, sha256: str | None) -> AgreementImport | None:
    """The record of a workbook of this content applied before, if any."""
    if not sha256:
        return None
    return session.scalar(select(AgreementImport).where(AgreementImport.sha256 == sha256))


def _duplicate(rows: Sequence[AgreementRow]) -> ImportPreview:
    """A workbook applied before: every row is left as it is stored, and the outcome says the
    file adds nothing."""
    return ImportPreview([ImportRowResult(r.row, r.title, "unchanged") for r in rows],
                         duplicate_file=True)


def preview_agreements(session: Session, rows: Sequence[AgreementRow],
                       sha256: str | None = None) -> ImportPreview:
    """What importing these rows would do, without writing anything: a workbook whose content
    (``sha256``) was applied before adds nothing (``duplicate_file``); otherwise, by natural
    key (the title), each row is new, changed (every differing field listed) or unchanged."""
    if applied_file(session, sha256) is not None:
        return _duplicate(rows)
    existing = _existing_by_title(session, (r.title for r in rows))
    results: list[ImportRowResult] = []
    for row in rows:
        current = existing.get(row.title)
        decided = compare(row.row, row.title,
                          None if current is None else _agreement_values(current),
                          _row_values(row))
        results.append(ImportRowResult(decided.row, decided.key, decided.action,
                                       decided.changes))
    return ImportPreview(list(results))


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
                 index: PlaceIndex | None = None, sha256: str | None = None) -> None:
    """Refuse the whole workbook (InvalidInput, every row listed, nothing written) unless the
    principal may write every record it touches, as it is and as it will be: each row's
    parties as imported must include one in the principal's jurisdiction, and a stored
    agreement that the row would change must already be the principal's; a row may move an
    agreement's status only on (never from terminated or expired back to signed).

    A workbook applied before (its ``sha256``) changes nothing: it is still refused to whom
    its rows are not theirs (a duplicate is answered only to those who may import it), but
    what its rows would change is not checked."""
    duplicate = applied_file(session, sha256) is not None
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
        if duplicate or current is None or _agreement_values(current) == _row_values(row):
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


def import_agreements(session: Session, principal: Principal, rows: Sequence[AgreementRow],
                      *, filename: str = "", sha256: str | None = None) -> ImportPreview:
    """Apply a validated workbook: new rows are added, changed rows updated, unchanged rows left
    alone. Refused whole (nothing written) unless :func:`check_import` passes.

    With the workbook's ``sha256`` (every file import: page, API, CLI), the applied file is
    recorded (AgreementImport), and the same content again adds nothing and says so
    (``duplicate_file``). A row that moves a stored agreement's status goes through
    AGREEMENT_FLOW (:func:`move_status_to`): its history shows who imported which file when,
    from and to which status."""
    index = PlaceIndex.load(session)
    check_import(session, principal, rows, index, sha256)
    preview = preview_agreements(session, rows, sha256)
    if preview.duplicate_file:
        return preview
    if sha256:  # first: a second confirmation of this file waits here, then is refused
        _record_applied(session, principal, sha256, filename, preview)
    existing_rows = _existing_by_title(session, (r.title for r in rows))
    note = f"导入工作簿：{filename}" if filename else "导入工作簿"
    for row, result in zip(rows, preview.rows, strict=True):
        if result.action == "unchanged":
            continue
        parties = [resolve_party(session, PartyIn(name=p), index) for p in row.parties]
        agreement = existing_rows.get(row.title)
        if agreement is None:
            agreement = Agreement(title=row.title, status=row.status)
            session.add(agreement)
        elif agreement.status != row.status:
            # Before the other fields: a move reads the stored record afresh.
            move_status_to(session, principal, agreement, row.status, note, row.expires_on)
        agreement.field = row.field
        agreement.signed_on, agreement.signed_at = row.signed_on, row.signed_at
        agreement.term_years, agreement.expires_on = row.term_years, row.expires_on
        agreement.summary = row.summary
        if [ap.party_id for ap in agreement.parties] != [p.id for p in parties]:
            _set_parties(session, agreement, parties)
    session.flush()
    return preview


def _record_applied(session: Session, principal: Principal, sha256: str, filename: str,
                    outcome: ImportPreview) -> None:
    """Keep the applied file's hash; two confirmations of the same file racing each other:
    the second meets the unique hash and is refused whole (409), nothing written."""
    try:
        with session.begin_nested():
            session.add(AgreementImport(
                sha256=sha256, filename=filename[:255], rows=len(outcome.rows),
                added=outcome.count("new"), changed=outcome.count("changed"),
                applied_by=principal.label))
            session.flush()
    except IntegrityError as exc:
        raise Conflict("这个文件刚刚已由他人导入，本次未导入任何记录",
                       detail="this workbook was applied meanwhile") from exc


AGREEMENT_HEADERS = ("序号", "协议名称", "签署单位", "签署日期", "领域", "状态", "签署地点",
                     "期限(年)", "到期日期", "主要内容")


def agreement_rows(agreements: Sequence[Agreement]) -> list[list[Any]]:
    return [[i, a.title, "、".join(ap.party.name for ap in a.parties), a.signed_on,
             field_label(a.field), status_label(a.status), a.signed_at, a.term_years,
             a.expires_on, a.summary] for i, a in enumerate(agreements, start=1)]


