"""The 跨省通办 demo as of 30 September 2025: the article's figures come out of the records
(change a record and the figure changes), and the bulk-written past cases are the rows the
service writes."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.accounts.service import Principal
from coopzone.cooperation import service as cooperation
from coopzone.cooperation.demo import load_cooperation_demo
from coopzone.cooperation.models import Agreement, AgreementParty, Party
from coopzone.demo import DEMO_PASSWORD, load_accounts
from coopzone.gov_services import demo, service
from coopzone.gov_services.models import (
    Case,
    CaseEvent,
    CasePause,
    Evaluation,
    FollowUp,
    KstbAgreement,
    Window,
)
from coopzone.gov_services.schemas import CaseCreate, EvaluationCreate
from coopzone.kit.identity import validate_resident_id
from coopzone.places.models import Place
from coopzone.places.service import load_places
from coopzone.web.links import record_count, record_link
from tests.helpers import count

AS_OF = demo.AS_OF
ROOT = Principal(0, "root", "root", True)  # a platform administrator reads every case


def _load(session: Session) -> None:
    load_places(session)
    load_accounts(session, DEMO_PASSWORD)
    load_cooperation_demo(session)
    demo.load_gov_services_demo(session)
    session.flush()


def _figure(session: Session, code: str) -> Decimal | None:
    return cooperation.compute(session, cooperation.get_indicator(session, code), AS_OF).value


def _served_by_hand(session: Session) -> int:
    """Hunan residents served in person, counted in Python from the rows."""
    rows = session.execute(select(Case.applicant_kind, Case.id_number, Case.collect_place_code,
                                  Case.formal_check_ok)).all()
    return sum(1 for kind, number, collect, collected in rows
               if kind == "person" and number[:2] == "43" and collected
               and collect is not None and collect.startswith("3603"))


def test_the_figures_are_counted_from_the_records(session: Session) -> None:
    _load(session)
    d = cooperation.dashboard(session, AS_OF)
    cards = {c.indicator.code: c for c in d.cards}
    # 市县两级共签署跨省通办合作协议117份
    assert cards["kstb_agreements"].value == 117 == count(session, KstbAgreement)
    # 累计为8000余人次湖南籍群众提供现场服务
    served = _served_by_hand(session)
    assert cards["hunan_served_in_person"].value == served
    assert 8000 < served < 9000
    timed = [t for t in session.scalars(select(Case.on_time).where(Case.on_time.is_not(None)))]
    rate = (Decimal(sum(timed)) * 100 / len(timed)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert cards["services_on_time"].value == rate
    assert Decimal(90) < rate < 100
    # 与湘赣边24个县签署各类合作协议超200项: agreements with a party in a zone county; the
    # 跨省通办 agreements of 萍乡市 with the cities (长沙市…) are not among them.
    zone = set(session.scalars(select(Place.code).where(Place.in_zone.is_(True),
                                                        Place.level == "county")))
    with_zone = {a for a, code in session.execute(
        select(AgreementParty.agreement_id, Party.place_code).join(Party)) if code in zone}
    assert cards["agreements_signed"].value == len(with_zone)
    assert len(with_zone) < count(session, Agreement)
    assert cards["agreements_signed"].value is not None and cards["agreements_signed"].value > 200
    assert cards["counties_covered"].value == 24
    # Each links to its records.
    assert record_link(cards["kstb_agreements"].source) == (
        "/services/agreements?signed_to=2025-09-30")
    assert record_count(cards["kstb_agreements"].source) == 117
    assert record_link(cards["hunan_served_in_person"].source) == (
        "/services/search?applicant_kind=person&applicant_province=430000"
        "&collect_within=360300&collected=1&applied_to=2025-09-30")
    assert record_count(cards["hunan_served_in_person"].source) == served
    assert record_link(cards["services_on_time"].source) == (
        "/services/statistics?by=month&month_to=2025-09")
    assert record_link(cards["agreements_signed"].source).endswith("zone_county=1")
    # The link's filter selects exactly the counted cases.
    f = service.figures.served_filter(AS_OF)
    assert len(session.scalars(service.queries.search_query(
        ROOT, f)).all()) == served

    # Change a record: the figure changes.
    one = session.scalars(select(KstbAgreement).limit(1)).one()
    session.delete(one)
    session.flush()
    assert _figure(session, "kstb_agreements") == 116
    hunan = session.scalar(select(Case).where(
        Case.applicant_province == "430000", Case.collect_place_code.is_not(None),
        Case.formal_check_ok.is_(True)).limit(1))
    assert hunan is not None
    hunan.id_number, hunan.applicant_province = "36030219900307123X", "360000"
    session.flush()
    assert _figure(session, "hunan_served_in_person") == served - 1
    session.execute(update(Case).where(Case.on_time.is_(True)).values(on_time=False))
    assert _figure(session, "services_on_time") == 0


def test_the_demo_has_open_work_as_of_its_day_and_loads_once(session: Session) -> None:
    _load(session)
    clerk = demo._clerk(session, demo.JX_WINDOW_CLERK)
    dept = demo._clerk(session, demo.HN_DEPT_CLERK)
    for view in ("correction", "due_soon", "overdue"):
        rows = service.work_list(session, clerk, view, today=AS_OF).items
        assert rows, view
        assert service.work_list(session, dept, view, today=AS_OF).total >= len(
            [r for r in rows if r.number.startswith("KSDEMO")])
    assert service.incoming(session, dept, today=AS_OF).total >= 2
    assert service.overdue_list(session, dept, today=AS_OF).total >= 3
    followups = session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
    assert sorted(f.state for f in followups) == ["answered", "open"]
    names = {w.name for w in service.list_windows(session)}
    assert demo.XIANGYIBAN in names and len(names) == 6
    # Every step is dated up to the demo's day, every applicant's ID number is valid.
    latest = session.scalar(select(CaseEvent.at).order_by(CaseEvent.at.desc()).limit(1))
    assert latest is not None and latest.date() <= AS_OF
    numbers = session.scalars(select(Case.id_number).where(Case.applicant_kind == "person"))
    assert all(validate_resident_id(n) == n for n in numbers)  # as the service checks
    models = (Case, CaseEvent, CasePause, Evaluation, FollowUp, KstbAgreement, Agreement,
              Window, AuditLog)
    before = [count(session, m) for m in models]
    demo.load_gov_services_demo(session)
    session.flush()
    assert [count(session, m) for m in models] == before


@pytest.mark.parametrize("correction", [False, True])
def test_a_replayed_case_is_the_case_the_service_writes(session: Session, correction: bool
                                                        ) -> None:
    load_places(session)
    load_accounts(session, DEMO_PASSWORD)
    orgs = demo._organisations(session)
    items = demo._items(session)
    windows = demo._windows(session, orgs)
    session.flush()
    ctx = demo._context(session, items, windows, orgs)
    clerk = demo._clerk(session, demo.JX_WINDOW_CLERK)
    dept_clerk = demo._clerk(session, demo.HN_DEPT_CLERK)
    window = next(w for w in windows if w.name == demo.XIANGYIBAN)
    department = orgs[demo.HN_DEPT_OF_CLERK]
    item = next(i for i in items if i.name == "工作调动户口迁移")
    number = demo.resident_id("430181", date(1988, 5, 17), 42)
    applied = demo._at(date(2024, 9, 26), 9)
    steps = [demo.Step("collect", demo._at(date(2024, 9, 26), 10),
                       materials=("居民身份证", "申请表")),
             demo.Step("send", demo._at(date(2024, 9, 26), 11), tracking_number="SF1"),
             demo.Step("accept", demo._at(date(2024, 9, 27), 9))]
    if correction:  # over National Day: the holidays and the make-up Saturday count right
        steps += [demo.Step("request_correction", demo._at(date(2024, 9, 29), 9), "请补充材料"),
                  demo.Step("complete_correction", demo._at(date(2024, 10, 9), 9),
                            materials=("户口簿复印件",))]
    steps += [demo.Step("approve", demo._at(date(2024, 10, 15), 9)),
              demo.Step("deliver", demo._at(date(2024, 10, 16), 9)),
              demo.Step("evaluate", demo._at(date(2024, 10, 17), 9), "满意"),
              demo.Step("archive", demo._at(date(2024, 10, 25), 9))]
    made = service.create_case(session, clerk, CaseCreate(
        applicant_kind="person", applicant_name="李四", id_number=number, phone="13912345678",
        address="江西省萍乡市安源区", address_place_code="360302", item_id=item.id,
        mode="proxy", window_id=window.id, department_id=department.id,
        materials_received=["居民身份证", "申请表"], number="KSTEST0001", applied_at=applied))
    for s in steps:
        if s.action == "evaluate":
            service.evaluate_case(session, clerk, made.id, EvaluationCreate(
                grade="very_satisfied", comment=s.note), at=s.at, calendar=ctx.calendar)
            continue
        who = clerk if s.action in ("collect", "send", "complete_correction") else dept_clerk
        service.move_case(session, who, made.id, s.action, s.note, at=s.at,
                          calendar=ctx.calendar, tracking_number=s.tracking_number,
                          materials=list(s.materials) if s.materials else None,
                          formal_check_ok=True if s.action == "collect" else None,
                          identity_checked=True if s.action == "collect" else None)
    session.flush()
    session.refresh(made)
    transient = Case(number="KSTEST0002", applicant_kind="person", applicant_name="李四",
                     id_number=number, phone="13912345678", address="江西省萍乡市安源区",
                     address_place_code="360302", applicant_province="430000",
                     item_id=item.id, mode="proxy", window_id=window.id,
                     collect_place_code=window.place_code, department_id=department.id,
                     handling_place_code=department.place_code,
                     kstb_id=ctx.agreement(window.place_code, department.place_code, item.id),
                     materials_received=["居民身份证", "申请表"], formal_check_ok=False,
                     identity_checked=False, state="applied", applied_at=applied,
                     applied_month="2024-09", paused_days=0, created_by="x")
    transient.item = item
    replayed = demo.replay(transient, steps, ctx.calendar, grade="very_satisfied",
                           owner_org_id=window.organisation_id)
    [bulk_id] = demo.write_replayed(session, [replayed])
    session.flush()
    bulk = session.get(Case, bulk_id)
    assert bulk is not None
    skip = {"number", "created_at", "updated_at", "created_by"}
    ours = {k: v for k, v in demo.case_values(made).items() if k not in skip}
    theirs = {k: v for k, v in demo.case_values(bulk).items() if k not in skip}
    assert ours == theirs
    assert made.deadline is not None and (made.paused_days > 0) == correction

    def events(case_id: int) -> list[tuple[object, ...]]:
        return [(e.action, e.from_state, e.to_state, e.note, e.at) for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))]

    def pauses(case_id: int) -> list[tuple[object, ...]]:
        return [(p.kind, p.first_day, p.last_day, p.note) for p in session.scalars(
            select(CasePause).where(CasePause.case_id == case_id).order_by(CasePause.id))]

    def evaluation(case_id: int) -> tuple[object, ...]:
        e = session.scalars(select(Evaluation).where(Evaluation.case_id == case_id)).one()
        return (e.grade, e.comment, e.window_id, e.owner_org_id, e.evaluated_at)

    assert events(made.id) == events(bulk_id)
    assert pauses(made.id) == pauses(bulk_id)
    assert evaluation(made.id) == evaluation(bulk_id)


def test_the_served_link_is_read_back_by_the_search_page_as_the_counted_filter() -> None:
    """The dashboard's "served in person" link, read by the search page's filter parser, gives
    exactly the filter the figure counts (else the link would list every case)."""
    from starlette.requests import Request

    from coopzone.gov_services.presentation_web import case_filters

    link = ("applicant_kind=person&applicant_province=430000&collect_within=360300"
            "&collected=1&applied_to=2025-09-30")
    request = Request({"type": "http", "method": "GET", "path": "/services/search",
                       "query_string": link.encode(), "headers": []})
    assert case_filters(request) == service.figures.served_filter(AS_OF)
