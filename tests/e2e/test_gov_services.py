"""跨省通办 in the browser, in Chinese: a Jiangxi window clerk (湘东区) collects a case for a
Hunan department (醴陵市公安局) and sends it on; the Hunan clerk accepts it and asks for 补正 (the
clock stops and the page says so); the window completes the correction; the department
decides and delivers; the window records the applicant's evaluation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.audit import set_actor
from coopzone.accounts.models import User
from coopzone.api.app import create_app
from coopzone.db import make_engine, make_session_factory
from coopzone.gov_services import service
from coopzone.gov_services.schemas import ItemCreate, WindowCreate
from coopzone.migrate import upgrade
from coopzone.places.service import load_places
from tests.gov_services.conftest import resident_id
from tests.helpers import PASSWORD, database_url, make_settings
from tests.serving import serve

ITEM = "户口迁移（浏览器测试）"
WINDOW = "湘东区跨省通办窗口"
DEPARTMENT = "醴陵市公安局"


@dataclass(frozen=True)
class Served:
    base: str


def _world(session: Session) -> None:
    set_actor(session, None, "e2e")
    org = accounts.create_organisation
    window_org = org(session, "湘东区政务服务中心", "service_window", "360313")
    department = org(session, DEPARTMENT, "service_department", "430281")
    office_org = org(session, "萍乡市政务服务管理局", "services_office", "360300")
    for name, organisation in (("jxwin", window_org), ("hndept", department),
                               ("pxoffice", office_org)):
        user = accounts.create_user(session, name, PASSWORD, name)
        accounts.grant_role(session, user, organisation, "editor")
    session.flush()
    office = accounts.principal_for(session, session.scalars(
        select(User.id).where(User.username == "pxoffice")).one())
    service.create_item(session, office, ItemCreate(
        code="E2E-001", name=ITEM, department="公安部", department_kind="public_security",
        modes=["proxy", "online"], statutory_days=20, promised_days=10,
        materials=["居民身份证", "户口簿"]))
    service.create_window(session, office, WindowCreate(
        name=WINDOW, place_code="360313", organisation_id=window_org.id))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    url = database_url(tmp_path_factory, "coopzone_e2e_gov")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    factory = make_session_factory(engine)
    with factory() as session:
        load_places(session)
        _world(session)
        session.commit()
    with serve(create_app(make_settings(url), factory)) as base:
        yield Served(base)
    engine.dispose()


def log_in(page: Page, base: str, username: str, where: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login?next=/services")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/services$"))
    page.goto(f"{base}{where}")


def step(page: Page, action: str) -> None:
    page.locator(f"#step-{action} button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/services/cases/\d+#timeline$"))


def test_a_case_across_the_border_with_a_correction_and_an_evaluation(
        served: Served, page: Page) -> None:
    base = served.base
    log_in(page, base, "jxwin", "/services/cases/new")
    form = page.locator("#case-form")
    form.get_by_role("radio", name="个人").check()
    form.locator("[name=applicant_name]").fill("张小三")
    form.locator("[name=id_number]").fill(resident_id())
    form.locator("[name=phone]").fill("13812345678")
    form.locator("[name=item_id]").select_option(label=ITEM)
    form.locator("[name=mode]").select_option(label="异地代收代办")
    form.locator("[name=window_id]").select_option(label=WINDOW)
    form.locator("[name=department_id]").select_option(label=f"{DEPARTMENT}（醴陵市）")
    form.locator("[name=materials_received]").fill("居民身份证\n户口簿")
    form.get_by_role("button", name="登记申请").click()
    expect(page).to_have_url(re.compile(r"/services/cases/\d+$"))
    case_url = page.url
    expect(page.locator("#case-state")).to_have_text("已申请")
    expect(page.locator("#applicant-name")).to_have_text("张*三")
    expect(page.locator("#clock-started")).to_contain_text("尚未起算")

    collect = page.locator("#step-collect")
    collect.get_by_label("形式审查通过").check()
    collect.get_by_label("身份核验完成").check()
    step(page, "collect")
    expect(page.locator("#case-state")).to_have_text("已收件")
    page.locator("#step-send").get_by_label("快递单号").fill("SF1234567890")
    step(page, "send")
    expect(page.locator("#case-state")).to_have_text("已流转")
    expect(page.locator("#steps")).to_have_count(0)  # nothing more for the window now

    log_in(page, base, "hndept", "/services?tab=incoming")
    incoming = page.locator("#cases tbody tr[data-state=sent]")
    expect(incoming).to_have_count(1)
    incoming.get_by_role("link").click()
    expect(page).to_have_url(case_url)
    expect(page.locator("#step-collect")).to_have_count(0)
    step(page, "accept")
    expect(page.locator("#case-state")).to_have_text("已受理")
    expect(page.locator("#clock")).to_have_attribute("data-paused", "0")
    expect(page.locator("#clock-limit")).to_have_text("10 个工作日")
    page.locator("#step-request_correction").get_by_label("说明或理由").fill("户口簿复印件不清晰")
    step(page, "request_correction")
    expect(page.locator("#case-state")).to_have_text("待补正")
    expect(page.locator("#clock")).to_have_attribute("data-paused", "1")
    expect(page.locator("#clock-paused")).to_have_text("计时暂停：等待补正")
    expect(page.locator("#clock-deadline")).to_contain_text("未知：计时暂停（补正中）")
    expect(page.locator("#step-complete_correction")).to_have_count(0)

    log_in(page, base, "jxwin", "/services?tab=correction")
    page.locator("#cases tbody tr[data-state=correction]").get_by_role("link").click()
    page.locator("#step-complete_correction").get_by_label("材料（每行一项）").fill("户口簿复印件")
    step(page, "complete_correction")
    expect(page.locator("#case-state")).to_have_text("已受理")
    expect(page.locator("#clock")).to_have_attribute("data-paused", "0")

    log_in(page, base, "hndept", re.sub(r"^https?://[^/]+", "", case_url))
    decide = page.locator("#step-decide")
    decide.get_by_label("准予").check()
    step(page, "decide")
    expect(page.locator("#case-state")).to_have_text("已办结")
    expect(page.locator("#case-outcome")).to_have_text("准予")
    page.locator("#step-deliver").get_by_label("快递单号").fill("EMS9876543210")
    step(page, "deliver")
    expect(page.locator("#case-state")).to_have_text("已送达")
    expect(page.locator("#evaluation-form")).to_have_count(0)

    log_in(page, base, "jxwin", re.sub(r"^https?://[^/]+", "", case_url))
    evaluation = page.locator("#evaluation-form")
    evaluation.get_by_label("评价等级").select_option(label="非常满意")
    evaluation.get_by_label("评价意见").fill("不用跑长沙就办好了")
    evaluation.get_by_role("button", name="登记评价").click()
    expect(page).to_have_url(re.compile(r"/services/cases/\d+#evaluation$"))
    expect(page.locator("#case-state")).to_have_text("已评价")
    expect(page.locator("#evaluation-grade")).to_have_attribute("data-grade", "very_satisfied")
    expect(page.locator("#evaluation-comment")).to_have_text("不用跑长沙就办好了")
    timeline = page.locator("#case-timeline li")
    expect(timeline).to_have_count(9)
    expect(page.locator("#case-timeline")).to_contain_text("户口簿复印件不清晰")

    page.goto(f"{base}/services/statistics")
    expect(page.locator("#case-stats tbody tr")).to_have_count(1)
    expect(page.locator("#evaluation-stats tbody tr").first).to_contain_text(WINDOW)
