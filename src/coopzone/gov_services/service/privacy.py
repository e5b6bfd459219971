"""Reading a case: masked by default, in full only with the personal-data permission, and
then with an audit row.

Every read the service gives (:func:`case_view`, the lists of :mod:`.queries`) carries the
applicant's name, ID number (or USCC) and phone masked (:mod:`coopzone.kit.identity`:
张*三, 3603**********1234, 138****5678). :func:`case_view` with ``full=True`` needs
``gov_case.personal_data`` (the administrators of a window, department or office whose place
covers the case's) and writes one ``accounts_audit_log`` row (action ``view``, the fields
shown) before returning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.accounts.service import Principal
from coopzone.db import now
from coopzone.engines.working_days import Calendar
from coopzone.errors import Forbidden
from coopzone.gov_services.models import Case, CaseEvent
from coopzone.gov_services.service import clock
from coopzone.gov_services.service.cases import available_actions, get_case
from coopzone.gov_services.service.permissions import may_see_personal_data, require_read
from coopzone.kit.identity import mask_name, mask_phone, mask_resident_id

FULL_FIELDS = ("applicant_name", "id_number", "phone", "address")


def mask_id_number(kind: str, number: str) -> str:
    """A resident ID as 3603**********1234; a USCC is an enterprise's public code, kept."""
    return number if kind == "enterprise" else mask_resident_id(number)


def mask_applicant_name(kind: str, name: str) -> str:
    """A person's name as 张*三; an enterprise's name is public, kept."""
    return name if kind == "enterprise" else mask_name(name)


@dataclass(frozen=True)
class CaseView:
    """One case as a page or the API shows it: applicant masked unless ``full``. The one
    definition of a case's read shape: the API's ``CaseDetailRead`` is derived from it, so a
    field added here is in the JSON too."""

    id: int
    number: str
    applicant_kind: str
    applicant_name: str
    id_number: str
    phone: str
    address: str
    applicant_province: str | None
    item_id: int
    item_name: str
    mode: str
    window_id: int | None
    collect_place_code: str | None
    department_id: int
    handling_place_code: str
    state: str
    applied_at: datetime
    accepted_at: datetime | None
    deadline: date | None
    deadline_reason: str | None
    outcome: str | None
    tracking_number: str | None
    materials_received: list[str]
    full: bool
    may_see_full: bool
    clock: clock.CaseClock
    events: list[CaseEvent]
    actions: list[str]  # the steps the reader may make now


def applicant_fields(case: Case, full: bool) -> dict[str, str]:
    if full:
        return {"applicant_name": case.applicant_name, "id_number": case.id_number,
                "phone": case.phone, "address": case.address}
    return {"applicant_name": mask_applicant_name(case.applicant_kind, case.applicant_name),
            "id_number": mask_id_number(case.applicant_kind, case.id_number),
            "phone": mask_phone(case.phone),
            "address": case.address[:6] + ("…" if len(case.address) > 6 else "")}


def audit_full_view(session: Session, principal: Principal, case: Case) -> None:
    """One audit row: who saw which case's personal data in full, and when."""
    session.execute(insert(AuditLog), [{
        "at": now(), "actor_user_id": principal.user_id, "actor": principal.label,
        "action": "view", "entity": Case.__tablename__, "entity_id": str(case.id),
        "before": None, "after": {"shown": list(FULL_FIELDS), "number": case.number}}])


def case_view(session: Session, principal: Principal, case_id: int, full: bool = False,
              calendar: Calendar | None = None, today: date | None = None,
              platform: clock.Clock | None = None) -> CaseView:
    """The case page's content: fields (masked unless ``full``), clock (on ``today``, else
    the ``platform`` clock's), history, the steps the reader may make. ``full`` without the
    permission is refused (403) and audits nothing; with it, writes the audit row."""
    case = get_case(session, case_id)
    require_read(principal, case)
    see_full = may_see_personal_data(principal, case)
    if full:
        if not see_full:
            raise Forbidden("无权查看申请人完整的个人信息",
                            detail=f"{principal.label} lacks gov_case.personal_data")
        audit_full_view(session, principal, case)
    on = clock.process_clock(platform)
    cal = calendar or on.calendar
    return CaseView(
        id=case.id, number=case.number, applicant_kind=case.applicant_kind,
        **applicant_fields(case, full), applicant_province=case.applicant_province,
        item_id=case.item_id, item_name=case.item.name, mode=case.mode,
        window_id=case.window_id, collect_place_code=case.collect_place_code,
        department_id=case.department_id, handling_place_code=case.handling_place_code,
        state=case.state, applied_at=case.applied_at, accepted_at=case.accepted_at,
        deadline=case.deadline, deadline_reason=case.deadline_reason, outcome=case.outcome,
        tracking_number=case.tracking_number, materials_received=list(case.materials_received),
        full=full, clock=clock.case_clock(case, list(case.pauses), cal, today or on.today()),
        events=list(case.events), actions=available_actions(principal, case),
        may_see_full=see_full)
