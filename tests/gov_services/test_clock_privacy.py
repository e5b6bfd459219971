"""The clock on cases (a year without a calendar, used/left/overdue) and personal data:
masked in every read, in full only with the permission, with an audit row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.errors import Forbidden
from coopzone.gov_services import service
from coopzone.gov_services.api import CaseDetailRead
from coopzone.gov_services.models import Case
from coopzone.gov_services.service import CaseSearch
from tests.gov_services.conftest import World, resident_id


def test_a_deadline_in_2027_says_there_is_no_calendar(session: Session, world: World) -> None:
    case = world.apply(session, day=date(2026, 12, 14))
    world.move(session, world.jx_window_clerk, case, "collect", date(2026, 12, 14),
               formal_check_ok=True, identity_checked=True)
    world.move(session, world.jx_window_clerk, case, "send", date(2026, 12, 15))
    # Sunday 20 Dec 2026 + 10 working days: nine are left in 2026, the tenth is in 2027.
    world.move(session, world.hn_dept_clerk, case, "accept", date(2026, 12, 20))
    assert (case.deadline, case.deadline_reason) == (None, "no calendar for 2027")
    view = service.case_view(session, world.hn_dept_clerk, case.id, calendar=world.calendar,
                             today=date(2026, 12, 28))
    assert view.clock.shown == "unknown: no calendar for 2027"
    assert (view.clock.used, view.clock.left, view.clock.overdue) == (6, None, False)
    # Decided on the last day of 2026: used 9, on time unknown (no deadline to compare).
    world.move(session, world.hn_dept_clerk, case, "approve", date(2026, 12, 31))
    assert (case.working_days_used, case.on_time) == (9, None)


def test_used_left_and_overdue(session: Session, world: World) -> None:
    case = world.accepted(session)  # deadline 14 Oct 2025
    clock = service.case_view(session, world.hn_dept_clerk, case.id, calendar=world.calendar,
                              today=date(2025, 10, 9)).clock
    assert (clock.started_on, clock.limit, clock.deadline) == (
        date(2025, 9, 24), 10, date(2025, 10, 14))
    assert (clock.used, clock.left, clock.overdue) == (6, 4, False)
    late = service.case_view(session, world.hn_dept_clerk, case.id, calendar=world.calendar,
                             today=date(2025, 10, 16)).clock
    assert (late.used, late.left, late.overdue) == (12, -2, True)
    world.move(session, world.hn_dept_clerk, case, "approve", date(2025, 10, 15))
    assert (case.on_time, case.working_days_used) == (False, 11)
    assert service.is_overdue(case, date(2025, 10, 16))


def test_reads_are_masked(session: Session, world: World) -> None:
    case = world.apply(session)
    view = service.case_view(session, world.jx_window_clerk, case.id, calendar=world.calendar)
    read = CaseDetailRead.model_validate(view)
    assert (read.applicant_name, read.id_number, read.phone, read.full) == (
        "张*三", "4302**********" + resident_id()[-4:], "138****5678", False)
    page = service.search_cases(session, world.hn_dept_clerk, CaseSearch(applicant="张小三"))
    assert [(r.applicant_name, r.id_number, r.phone) for r in page.items] == [
        ("张*三", "4302**********" + resident_id()[-4:], "138****5678")]
    by_number = service.search_cases(session, world.hn_viewer,
                                     CaseSearch(applicant=resident_id()))
    assert [r.id for r in by_number.items] == [case.id]
    rows = service.work_list(session, world.jx_window_clerk).items
    assert [r.applicant_name for r in rows] == ["张*三"]


def _audits(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "view")) or 0)


@pytest.mark.parametrize("who", ["hn_dept_clerk", "hn_viewer", "jx_window_clerk", "admin"])
def test_a_full_view_needs_the_permission(session: Session, world: World, who: str) -> None:
    case = world.apply(session)
    with pytest.raises(Forbidden):
        service.case_view(session, getattr(world, who), case.id, full=True,
                          calendar=world.calendar)
    assert _audits(session) == 0


def test_a_full_view_writes_an_audit_row(session: Session, world: World) -> None:
    case = world.apply(session)
    view = service.case_view(session, world.hn_dept_admin, case.id, full=True,
                             calendar=world.calendar)
    assert (view.applicant_name, view.id_number, view.phone, view.full) == (
        "张小三", resident_id(), "13812345678", True)
    row = session.scalars(select(AuditLog).where(AuditLog.action == "view")).one()
    assert (row.actor, row.entity, row.entity_id) == ("hnhead", "gov_services_case", str(case.id))
    assert row.after is not None and row.after["shown"] == ["applicant_name", "id_number",
                                                            "phone", "address"]
    masked = service.case_view(session, world.hn_dept_admin, case.id, calendar=world.calendar)
    assert masked.applicant_name == "张*三" and masked.may_see_full
    assert _audits(session) == 1


def test_the_audit_log_does_not_copy_personal_data(session: Session, world: World) -> None:
    case = world.apply(session)
    row = session.scalars(select(AuditLog).where(
        AuditLog.entity == Case.__tablename__, AuditLog.action == "insert")).one()
    assert row.after is not None
    assert row.after["id_number"] == "***" and row.after["applicant_name"] == "***"
    assert row.entity_id == str(case.id)


def test_a_case_is_read_only_by_its_places(session: Session, world: World) -> None:
    case = world.apply(session)
    with pytest.raises(Forbidden):
        service.case_view(session, world.jx_dept_clerk, case.id, calendar=world.calendar)
    assert service.search_cases(session, world.jx_dept_clerk).total == 0
    # The Pingxiang office (360300) covers the 湘东 window: it reads the case.
    assert service.search_cases(session, world.office).total == 1
