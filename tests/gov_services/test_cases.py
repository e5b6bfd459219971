"""The case lifecycle: every step allowed for its side, refused for the wrong role, the
wrong side or province, the wrong state or mode, with nothing written on refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.errors import Conflict, CoopzoneError, Forbidden, InvalidInput
from coopzone.gov_services import service
from coopzone.gov_services.models import Case, CaseEvent, CasePause
from coopzone.gov_services.schemas import EvaluationCreate, StepIn
from tests.gov_services.conftest import World, at, credit_code, resident_id


def _written(session: Session) -> tuple[int, int, int, int]:
    def n(model: type) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
    return n(Case), n(CaseEvent), n(CasePause), n(AuditLog)


def _refused(session: Session, case: Case, error: type[CoopzoneError],
             call: Callable[[], object]) -> None:
    before = _written(session)
    state, version = case.state, case.lock_version
    with pytest.raises(error):
        call()
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored is not None
    assert (stored.state, stored.lock_version) == (state, version)
    assert _written(session) == before


def test_a_proxy_case_runs_its_whole_course(session: Session, world: World) -> None:
    w = world
    case = w.apply(session)
    assert (case.state, case.mode, case.collect_place_code, case.handling_place_code) == (
        "applied", "proxy", "360313", "430281")
    assert case.applicant_province == "430000" and case.applied_month == "2025-09"
    assert case.number.startswith("KS20250922")
    w.move(session, w.jx_window_clerk, case, "collect", date(2025, 9, 22),
           formal_check_ok=True, identity_checked=True, materials=["身份证复印件", "户口簿"])
    assert case.formal_check_ok and case.identity_checked
    w.move(session, w.jx_window_clerk, case, "send", date(2025, 9, 23),
           tracking_number="SF1234567890")
    assert (case.state, case.tracking_number) == ("sent", "SF1234567890")
    assert case.deadline is None  # the clock starts at acceptance
    w.move(session, w.hn_dept_clerk, case, "accept", date(2025, 9, 24))
    # 10 working days after Wed 24 Sep 2025: 25, 26, Sun 28 (调休上班), 29, 30, National Day
    # 1–8 Oct off, 9, 10, Sat 11 (调休上班), 13, 14.
    assert (case.state, case.deadline, case.deadline_reason) == (
        "accepted", date(2025, 10, 14), None)
    w.move(session, w.hn_dept_clerk, case, "request_correction", date(2025, 9, 26),
           "缺少户口簿原件")
    assert (case.state, case.deadline, case.deadline_reason) == (
        "correction", None, "paused for correction")
    w.move(session, w.jx_window_clerk, case, "complete_correction", date(2025, 9, 29),
           materials=["户口簿原件"])
    # Paused 26, 28 (working Sunday) and 29 Sep: three working days later.
    assert (case.state, case.deadline, case.paused_days) == ("accepted", date(2025, 10, 17), 3)
    assert case.materials_received == ["身份证复印件", "户口簿", "户口簿原件"]
    w.move(session, w.hn_dept_clerk, case, "approve", date(2025, 10, 10))
    # Used: 25 Sep, 30 Sep, 9 and 10 Oct (the paused days not counted).
    assert (case.state, case.outcome, case.on_time, case.working_days_used) == (
        "decided", "granted", True, 4)
    w.move(session, w.hn_dept_clerk, case, "deliver", date(2025, 10, 11),
           tracking_number="EMS998877")
    service.evaluate_case(session, w.jx_window_clerk, case.id,
                          EvaluationCreate(grade="very_satisfied"), at=at(date(2025, 10, 13)),
                          calendar=w.calendar)
    w.move(session, w.hn_dept_clerk, case, "archive", date(2025, 10, 14))
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.id)).all()
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in events] == [
        ("apply", "", "applied", "jxwin"), ("collect", "applied", "collected", "jxwin"),
        ("send", "collected", "sent", "jxwin"), ("accept", "sent", "accepted", "hndept"),
        ("request_correction", "accepted", "correction", "hndept"),
        ("complete_correction", "correction", "accepted", "jxwin"),
        ("approve", "accepted", "decided", "hndept"),
        ("deliver", "decided", "delivered", "hndept"),
        ("evaluate", "delivered", "evaluated", "jxwin"),
        ("archive", "evaluated", "archived", "hndept")]
    assert events[4].note == "缺少户口簿原件"


def test_a_denial_needs_a_reason_and_is_recorded(session: Session, world: World) -> None:
    case = world.accepted(session)
    _refused(session, case, InvalidInput, lambda: world.move(
        session, world.hn_dept_clerk, case, "deny", date(2025, 9, 25)))
    world.move(session, world.hn_dept_clerk, case, "deny", date(2025, 9, 25), "不符合迁入条件")
    assert (case.state, case.outcome, case.on_time) == ("decided", "denied", True)


def test_not_accepted_is_delivered_and_archived(session: Session, world: World) -> None:
    w = world
    case = w.apply(session)
    w.move(session, w.jx_window_clerk, case, "collect", date(2025, 9, 22),
           formal_check_ok=True, identity_checked=True)
    w.move(session, w.jx_window_clerk, case, "send", date(2025, 9, 22))
    w.move(session, w.hn_dept_clerk, case, "refuse", date(2025, 9, 23), "不属于本机关职权")
    assert (case.state, case.deadline, case.outcome) == ("not_accepted", None, None)
    w.move(session, w.hn_dept_clerk, case, "deliver", date(2025, 9, 24))
    w.move(session, w.hn_dept_clerk, case, "archive", date(2025, 9, 24))
    assert case.state == "archived"


def test_step_form_decides_with_an_outcome(session: Session, world: World) -> None:
    case = world.accepted(session)
    service.step(session, world.hn_dept_clerk, case.id,
                 StepIn(action="decide", outcome="granted"), calendar=world.calendar)
    assert (case.state, case.outcome) == ("decided", "granted")


# ---- refusals ---------------------------------------------------------------------------------

WINDOW_STEPS = [("collect", {"formal_check_ok": True, "identity_checked": True})]


@pytest.mark.parametrize("who", ["hn_dept_clerk", "hn_window_clerk", "hn_viewer", "admin",
                                 "office", "hn_dept_admin"])
def test_only_the_collecting_window_collects(session: Session, world: World, who: str
                                             ) -> None:
    case = world.apply(session)
    _refused(session, case, Forbidden, lambda: world.move(
        session, getattr(world, who), case, "collect", date(2025, 9, 22),
        formal_check_ok=True, identity_checked=True))


@pytest.mark.parametrize("who", ["jx_window_clerk", "jx_dept_clerk", "hn_window_clerk",
                                 "hn_viewer", "admin", "office"])
def test_only_the_handling_department_accepts(session: Session, world: World, who: str
                                              ) -> None:
    case = world.apply(session)
    world.move(session, world.jx_window_clerk, case, "collect", date(2025, 9, 22),
               formal_check_ok=True, identity_checked=True)
    world.move(session, world.jx_window_clerk, case, "send", date(2025, 9, 22))
    _refused(session, case, Forbidden, lambda: world.move(
        session, getattr(world, who), case, "accept", date(2025, 9, 23)))


@pytest.mark.parametrize(("action", "note"), [("request_correction", "缺材料"),
                                               ("approve", ""), ("deny", "不符合")])
def test_the_window_does_not_decide(session: Session, world: World, action: str,
                                    note: str) -> None:
    case = world.accepted(session)
    _refused(session, case, Forbidden, lambda: world.move(
        session, world.jx_window_clerk, case, action, date(2025, 9, 25), note))


def test_the_department_does_not_complete_a_window_correction(session: Session,
                                                              world: World) -> None:
    case = world.accepted(session)
    world.move(session, world.hn_dept_clerk, case, "request_correction", date(2025, 9, 25),
               "缺材料")
    _refused(session, case, Forbidden, lambda: world.move(
        session, world.hn_dept_clerk, case, "complete_correction", date(2025, 9, 26),
        materials=["补充材料"]))


@pytest.mark.parametrize(("who", "action", "data"), [
    ("hn_dept_clerk", "accept", {}),  # collected, not yet sent
    ("hn_dept_clerk", "approve", {}),
    ("jx_window_clerk", "collect", {"formal_check_ok": True, "identity_checked": True}),
    ("hn_dept_clerk", "deliver", {}),
    ("hn_dept_clerk", "archive", {}),
])
def test_wrong_state_is_a_conflict(session: Session, world: World, who: str, action: str,
                                   data: dict[str, object]) -> None:
    case = world.apply(session)
    world.move(session, world.jx_window_clerk, case, "collect", date(2025, 9, 22),
               formal_check_ok=True, identity_checked=True)
    _refused(session, case, Conflict, lambda: world.move(
        session, getattr(world, who), case, action, date(2025, 9, 23), **data))


def test_a_window_case_is_not_accepted_before_it_was_sent(session: Session,
                                                          world: World) -> None:
    case = world.apply(session)
    _refused(session, case, Conflict, lambda: world.move(
        session, world.hn_dept_clerk, case, "accept", date(2025, 9, 23)))
    assert service.available_actions(world.hn_dept_clerk, case) == []
    assert service.available_actions(world.jx_window_clerk, case) == ["collect"]


@pytest.mark.parametrize("checks", [{"formal_check_ok": True}, {"identity_checked": True}, {}])
def test_collecting_needs_both_checks(session: Session, world: World,
                                      checks: dict[str, bool]) -> None:
    case = world.apply(session)
    _refused(session, case, InvalidInput, lambda: world.move(
        session, world.jx_window_clerk, case, "collect", date(2025, 9, 22), **checks))


def test_unknown_action_and_evaluate_via_move_are_refused(session: Session,
                                                          world: World) -> None:
    case = world.apply(session)
    for action in ("fly", "evaluate"):
        _refused(session, case, InvalidInput, lambda a=action: world.move(  # type: ignore[misc]
            session, world.jx_window_clerk, case, a, date(2025, 9, 22)))


def test_a_read_only_token_may_not_step(session: Session, world: World) -> None:
    from dataclasses import replace
    case = world.apply(session)
    reader = replace(world.jx_window_clerk, scopes=frozenset({"read"}))
    _refused(session, case, Forbidden, lambda: world.move(
        session, reader, case, "collect", date(2025, 9, 22), formal_check_ok=True,
        identity_checked=True))


# ---- online and reverse direction -------------------------------------------------------------


def test_online_cases_have_no_window(session: Session, world: World) -> None:
    w = world
    case = w.apply(session, mode="online")
    assert (case.window_id, case.collect_place_code, case.created_by) == (None, None, "hndept")
    _refused(session, case, Forbidden, lambda: w.move(
        session, w.jx_window_clerk, case, "collect", date(2025, 9, 22),
        formal_check_ok=True, identity_checked=True))
    _refused(session, case, Forbidden, lambda: w.move(
        session, w.hn_dept_clerk, case, "send", date(2025, 9, 22)))
    w.move(session, w.hn_dept_clerk, case, "accept", date(2025, 9, 24))
    w.move(session, w.hn_dept_clerk, case, "request_correction", date(2025, 9, 25), "缺照片")
    w.move(session, w.hn_dept_clerk, case, "complete_correction", date(2025, 9, 26),
           materials=["照片"])
    assert (case.state, case.deadline) == ("accepted", date(2025, 10, 16))


def test_a_hunan_window_collects_for_a_jiangxi_department(session: Session,
                                                          world: World) -> None:
    w = world
    case = w.apply(session, window_id=w.hn_window.id, department_id=w.jx_dept.id,
                   id_number=resident_id("360313"))
    assert case.applicant_province == "360000"
    with pytest.raises(Forbidden):
        service.create_case(session, w.jx_window_clerk, _data(w, window_id=w.hn_window.id))
    w.move(session, w.hn_window_clerk, case, "collect", date(2025, 9, 22),
           formal_check_ok=True, identity_checked=True)
    w.move(session, w.hn_window_clerk, case, "send", date(2025, 9, 22))
    _refused(session, case, Forbidden, lambda: w.move(
        session, w.hn_dept_clerk, case, "accept", date(2025, 9, 23)))
    w.move(session, w.jx_dept_clerk, case, "accept", date(2025, 9, 23))
    assert case.state == "accepted"


def _data(w: World, **over: object):  # type: ignore[no-untyped-def]
    from coopzone.gov_services.schemas import CaseCreate
    values: dict[str, object] = {
        "applicant_kind": "person", "applicant_name": "李四", "id_number": resident_id(),
        "item_id": w.item.id, "mode": "proxy", "window_id": w.jx_window.id,
        "department_id": w.hn_dept.id}
    values.update(over)
    return CaseCreate(**values)  # type: ignore[arg-type]


# ---- applications refused -----------------------------------------------------------------------


@pytest.mark.parametrize(("over", "column"), [
    ({"id_number": "430281199003071239"}, "id_number"),  # wrong check digit
    ({"id_number": "430281199002301234"}, "id_number"),  # 30 February
    ({"phone": "12345"}, "phone"),
    ({"applicant_kind": "enterprise", "id_number": "91360313MA35L7K8PX"}, "id_number"),
    ({"mode": "online"}, "window_id"),  # 全程网办 with a window
    ({"window_id": None}, "window_id"),
])
def test_bad_applications_are_refused_whole(session: Session, world: World,
                                            over: dict[str, object], column: str) -> None:
    before = _written(session)
    who = world.hn_dept_clerk if over.get("mode") == "online" else world.jx_window_clerk
    with pytest.raises(InvalidInput) as refused:
        service.create_case(session, who, _data(world, **over))
    assert column in [e.column for e in refused.value.errors]
    assert _written(session) == before


def test_an_item_mode_and_a_window_s_items_are_checked(session: Session, world: World) -> None:
    from coopzone.gov_services.schemas import ItemCreate, WindowUpdate
    online_only = service.create_item(session, world.office, ItemCreate(
        code="T-002", name="社会保障卡补换（测试）",
        department_kind="human_resources_social_security", modes=["online"]))
    with pytest.raises(InvalidInput) as refused:
        service.create_case(session, world.jx_window_clerk, _data(world, item_id=online_only.id))
    assert [e.column for e in refused.value.errors] == ["mode"]
    service.update_window(session, world.office, world.jx_window.id,
                          WindowUpdate(item_ids=[online_only.id]))
    with pytest.raises(InvalidInput) as refused:
        service.create_case(session, world.jx_window_clerk, _data(world))
    assert [e.column for e in refused.value.errors] == ["window_id"]


def test_an_enterprise_applies_with_its_credit_code(session: Session, world: World) -> None:
    case = service.create_case(session, world.jx_window_clerk, _data(
        world, applicant_kind="enterprise", applicant_name="萍乡某某有限公司",
        id_number=credit_code().lower()))
    assert (case.id_number, case.applicant_province) == (credit_code(), "360000")


def test_postage_pauses_only_where_the_item_says_so(session: Session, world: World) -> None:
    case = world.accepted(session)
    with pytest.raises(Conflict):
        service.postage_pause(session, world.hn_dept_clerk, case.id, date(2025, 9, 25),
                              date(2025, 9, 26), calendar=world.calendar)
    world.item.postage_pauses = True
    session.flush()
    with pytest.raises(Forbidden):
        service.postage_pause(session, world.jx_window_clerk, case.id, date(2025, 9, 25),
                              date(2025, 9, 26), calendar=world.calendar)
    service.postage_pause(session, world.hn_dept_clerk, case.id, date(2025, 9, 25),
                          date(2025, 9, 26), "材料寄往户籍地核查", calendar=world.calendar)
    assert (case.deadline, case.paused_days) == (date(2025, 10, 16), 2)
    assert case.events[-1].action == "postage_pause"


def test_a_correction_on_an_item_without_a_time_limit_keeps_saying_no_time_limit(
        session: Session, world: World) -> None:
    """A 补正 pauses a clock; an item with no limit has none to pause, so its case says
    "no time limit" throughout (not "unknown while paused"), and its pause is still kept."""
    w = world
    w.item.promised_days = w.item.statutory_days = None
    session.flush()
    case = w.accepted(session)
    assert (case.deadline, case.deadline_reason) == (None, "no time limit")
    w.move(session, w.hn_dept_clerk, case, "request_correction", date(2025, 9, 26), "缺材料")
    assert (case.state, case.deadline, case.deadline_reason) == (
        "correction", None, "no time limit")
    w.move(session, w.jx_window_clerk, case, "complete_correction", date(2025, 9, 29),
           materials=["户口簿原件"])
    assert (case.state, case.deadline_reason, case.paused_days) == (
        "accepted", "no time limit", 3)
