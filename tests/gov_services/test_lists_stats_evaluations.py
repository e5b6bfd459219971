"""Work lists, statistics on a small hand-built set, evaluations and the 差评 follow-up,
the shipped items and 跨省通办 agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.config import Settings
from coopzone.cooperation.models import Agreement
from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.gov_services import service
from coopzone.gov_services.models import Evaluation, FollowUp, Item
from coopzone.gov_services.schemas import (
    EvaluationCreate,
    FollowUpAnswer,
    KstbAgreementCreate,
)
from coopzone.gov_services.service.clock import Clock
from tests.gov_services.conftest import World, at, resident_id


def test_work_lists(session: Session, world: World) -> None:
    w = world
    due = w.accepted(session)  # deadline 14 Oct 2025
    paused = w.accepted(session)
    w.move(session, w.hn_dept_clerk, paused, "request_correction", date(2025, 9, 25), "缺材料")
    waiting = w.apply(session)
    w.move(session, w.jx_window_clerk, waiting, "collect", date(2025, 9, 22),
           formal_check_ok=True, identity_checked=True)
    w.move(session, w.jx_window_clerk, waiting, "send", date(2025, 9, 23))

    def ids(view: str, who: object, today: date) -> list[int]:
        page = service.work_list(session, who, view, today=today, soon_days=7)  # type: ignore[arg-type]
        return [r.id for r in page.items]

    assert set(ids("mine", w.jx_window_clerk, date(2025, 10, 9))) == {due.id, paused.id,
                                                                     waiting.id}
    assert ids("mine", w.jx_dept_clerk, date(2025, 10, 9)) == []
    assert ids("due_soon", w.hn_dept_clerk, date(2025, 10, 9)) == [due.id]
    assert ids("overdue", w.hn_dept_clerk, date(2025, 10, 9)) == []
    assert ids("overdue", w.hn_dept_clerk, date(2025, 10, 15)) == [due.id]
    assert ids("correction", w.jx_window_clerk, date(2025, 10, 9)) == [paused.id]
    assert [r.id for r in service.incoming(session, w.hn_dept_clerk).items] == [waiting.id]
    assert service.incoming(session, w.jx_window_clerk).total == 0
    overdue = service.overdue_list(session, w.office, today=date(2025, 10, 15))
    assert [(r.id, r.overdue) for r in overdue.items] == [(due.id, True)]
    with pytest.raises(InvalidInput):
        service.work_list(session, w.jx_window_clerk, "everything")


def test_search_by_tracking_number_item_and_date(session: Session, world: World) -> None:
    case = world.accepted(session)
    other = world.apply(session, day=date(2025, 8, 1), applicant_name="王五",
                        id_number=resident_id(seq="456"))
    find = service.search_cases
    assert [r.id for r in find(session, world.office, service.CaseSearch(
        tracking_number="SF1234567890")).items] == [case.id]
    assert [r.id for r in find(session, world.office, service.CaseSearch(
        applied_to=date(2025, 8, 31))).items] == [other.id]
    assert find(session, world.office, service.CaseSearch(item_id=world.item.id)).total == 2
    assert [r.applicant_name for r in find(session, world.office, service.CaseSearch(
        applicant="王")).items] == ["王*"]


def test_statistics_on_a_hand_built_set(session: Session, world: World) -> None:
    w = world
    on_time = w.accepted(session)  # deadline 14 Oct
    w.move(session, w.hn_dept_clerk, on_time, "approve", date(2025, 9, 26))  # 2 days
    late = w.accepted(session)
    w.move(session, w.hn_dept_clerk, late, "approve", date(2025, 10, 15))  # 11 days, late
    w.apply(session, mode="online", day=date(2025, 10, 20))  # open, October
    # The Hunan department reads all three (handled at 醴陵); the Pingxiang office only the
    # two collected at the 湘东 window.
    assert sum(r.cases for r in service.case_statistics(session, w.office, "month")) == 2
    by_month = service.case_statistics(session, w.hn_dept_clerk, "month")
    assert [(r.key, r.cases, r.decided, r.on_time, r.on_time_rate, r.avg_working_days)
            for r in by_month] == [
        ("2025-09", 2, 2, 1, Decimal("0.5000"), Decimal("6.50")),
        ("2025-10", 1, 0, 0, None, None)]
    by_mode = service.case_statistics(session, w.hn_dept_clerk, "mode")
    assert [(r.key, r.label, r.cases) for r in by_mode] == [
        ("online", "全程网办", 1), ("proxy", "异地代收代办", 2)]
    by_item = service.case_statistics(session, w.office, "item", month_from="2025-09",
                                      month_to="2025-09")
    assert [(r.key, r.label, r.cases) for r in by_item] == [
        (str(w.item.id), "户口迁移（测试）", 2)]
    by_window = service.case_statistics(session, w.hn_dept_clerk, "window")
    assert sorted((r.label, r.cases) for r in by_window) == [("", 1), ("湘东区跨省通办窗口", 2)]
    assert service.case_statistics(session, w.jx_dept_clerk, "month") == []
    with pytest.raises(InvalidInput):
        service.case_statistics(session, w.office, "colour")
    assert service.residents_served(session, "430000") == 1  # one Hunan resident, in Jiangxi


def _delivered(session: Session, world: World) -> int:
    case = world.accepted(session)
    world.move(session, world.hn_dept_clerk, case, "approve", date(2025, 9, 26))
    world.move(session, world.hn_dept_clerk, case, "deliver", date(2025, 9, 26))
    return case.id


def test_a_bad_grade_opens_a_follow_up(session: Session, world: World,
                                       settings: Settings) -> None:
    case_id = _delivered(session, world)
    with pytest.raises(Forbidden):
        service.evaluate_case(session, world.hn_dept_clerk, case_id,
                              EvaluationCreate(grade="dissatisfied"), calendar=world.calendar)
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 0
    done = service.evaluate_case(session, world.jx_window_clerk, case_id,
                                 EvaluationCreate(grade="dissatisfied", comment="等候太久"),
                                 at=at(date(2025, 9, 26)), calendar=world.calendar)
    followup = done.followup
    assert followup is not None and done.evaluation.owner_org_id == world.jx_window.organisation_id
    # 15 working days after Fri 26 Sep 2025: 28, 29, 30 Sep, 9–11, 13–17, 20–23 Oct.
    assert (followup.state, followup.due_on, followup.due_reason) == (
        "open", date(2025, 10, 23), None)
    with pytest.raises(Conflict):
        service.evaluate_case(session, world.jx_window_clerk, case_id,
                              EvaluationCreate(grade="satisfied"), calendar=world.calendar)
    with pytest.raises(Forbidden):
        service.answer_followup(session, world.hn_dept_clerk, followup.id,
                                FollowUpAnswer(rectification="整改", reply="已回访"))
    assert [f.id for f in service.open_followups(session, world.jx_window_clerk,
                                                 overdue_on=date(2025, 10, 24))] == [followup.id]
    service.answer_followup(session, world.jx_window_clerk, followup.id,
                            FollowUpAnswer(rectification="增设取号机", reply="已电话回访，满意"),
                            at=at(date(2025, 10, 24)))
    assert (followup.state, followup.on_time, followup.answered_by) == (
        "answered", False, "jxwin")
    with pytest.raises(Conflict):
        service.answer_followup(session, world.jx_window_clerk, followup.id,
                                FollowUpAnswer(rectification="再次", reply="再次"))
    stats = service.evaluation_statistics(session, world.office)
    assert [(s.label, s.total, s.bad, s.open_followups, s.by_grade["dissatisfied"])
            for s in stats] == [("湘东区跨省通办窗口", 1, 1, 0, 1)]
    # The follow-up limit is a setting: the one of the clock's (the app's) settings.
    second = _delivered(session, world)
    five = Clock(settings.model_copy(update={"gov_followup_working_days": 5}))
    short = service.evaluate_case(session, world.jx_window_clerk, second,
                                  EvaluationCreate(grade="very_dissatisfied"),
                                  at=at(date(2025, 9, 26)), calendar=world.calendar,
                                  platform=five)
    assert short.followup is not None and short.followup.due_on == date(2025, 10, 10)


def test_a_good_grade_opens_nothing(session: Session, world: World) -> None:
    case_id = _delivered(session, world)
    done = service.evaluate_case(session, world.jx_window_clerk, case_id,
                                 EvaluationCreate(grade="basic"), calendar=world.calendar)
    assert done.followup is None
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_shipped_items_seed_once(session: Session) -> None:
    first = service.seed_items(session)
    assert (first.added, first.kept) == (52, 0)
    again = service.seed_items(session)
    assert (again.added, again.kept) == (0, 52)
    item = session.scalars(select(Item).where(Item.name == "机动车驾驶证公证")).one()
    assert (item.code, item.statutory_days, item.certainty, item.mode_list) == (
        "KSTB-001", 15, "[S]", ("online", "proxy", "joint"))
    online = session.scalars(select(Item).where(Item.name == "排污许可")).one()
    assert online.mode_list == ("online",)


def test_kstb_agreements_are_counted_and_linked(session: Session, world: World) -> None:
    agreement = Agreement(title="湘东区—醴陵市政务服务跨省通办合作协议", field="public_services",
                          signed_on=date(2023, 5, 1), status="in_force")
    session.add(agreement)
    session.flush()
    with pytest.raises(Forbidden):
        service.create_kstb_agreement(session, world.jx_window_clerk, KstbAgreementCreate(
            agreement_id=agreement.id, collect_place_codes=["360313"],
            handle_place_codes=["430281"]))
    with pytest.raises(InvalidInput):
        service.create_kstb_agreement(session, world.office, KstbAgreementCreate(
            agreement_id=agreement.id, collect_place_codes=["360313"],
            handle_place_codes=["360302"]))
    kstb = service.create_kstb_agreement(session, world.office, KstbAgreementCreate(
        agreement_id=agreement.id, collect_place_codes=["360313", "430281"],
        handle_place_codes=["430281", "360313"], item_ids=[world.item.id]))
    assert service.kstb_agreement_count(session) == 1
    with pytest.raises(Conflict):
        service.create_kstb_agreement(session, world.office, KstbAgreementCreate(
            agreement_id=agreement.id, collect_place_codes=["360313"],
            handle_place_codes=["430281"]))
    case = world.apply(session)
    assert case.kstb_id == kstb.id
