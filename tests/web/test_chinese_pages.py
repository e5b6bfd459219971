"""Chinese means Chinese: every GET page of ``app.routes`` and every export (Excel, CSV, PDF
text), rendered in Chinese on the demo zone for the platform admin and for the public, holds no
English word and no internal code (item, method, rule, state codes).

How it decides, and where to extend it (keep each list sorted):

* ``denied_codes()``: internal codes collected from the code base (item codes, method codes,
  rule ids and kinds of the built-in agreements, state and status codes, kinds and roles),
  plus ``ENGLISH_WORDS``. A token that is one of these fails, even on its own.
* Every other run of ASCII letters fails too, unless it is an ``ALLOWED_TOKENS`` entry (units,
  standards, product names, class numerals) or matches one of ``ALLOWED_PATTERNS`` (dates,
  numbers, record ids). Record codes that are data, not vocabulary (section and project codes,
  user names), are allowed from the demo database itself.
* ``SAMPLES`` maps each route with path parameters to the paths it is rendered at (real ids
  from the demo). ``PARAMETER_SAMPLES`` fills a new route's parameter by its name; a route
  with a parameter neither knows fails ``test_every_page_route_has_a_sample``.
  ``EXTRA_PATHS`` adds query variants (views, filters) of routes already listed.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import models as account_models
from coopzone.accounts.models import User
from coopzone.api.app import create_app
from coopzone.cooperation import models as coop_models
from coopzone.cooperation.models import Agreement, Indicator, Meeting, Project, Task
from coopzone.db import SHANGHAI, make_engine, make_session_factory
from coopzone.demo import load_demo
from coopzone.ecology import ledger
from coopzone.ecology.models import AgreementVersion, Section, Statement, StatementChange
from coopzone.engines.eco_compensation_terms import LineStatus, MissingPolicy, Rounding
from coopzone.engines.water_quality import PERIODS, WATER_BODIES
from coopzone.engines.water_quality_gb3838 import ITEM_ALIASES, ITEM_CODES
from coopzone.gov_services import models as gov_models
from coopzone.migrate import upgrade
from tests.helpers import PASSWORD, database_url, make_settings

AS_OF = date(2025, 9, 30)

# ---- what may stand in a Chinese page ----------------------------------------------------------

# Tokens of ASCII letters a Chinese page may show (case-sensitive).
ALLOWED_TOKENS = frozenset({
    # units and quantities (one letter, "m", is a symbol of ALLOWED_PATTERNS)
    "cfu/L", "g/L", "kg", "km", "L", "mg/L", "MPN/L", "m3", "m³", "°C", "μg/L",
    # water quality as Chinese readers write it (GB 3838-2002 names, class numerals)
    "BOD5", "BOD₅", "COD", "CODcr", "CODmn", "CODMn", "DO", "GB", "HJ", "I", "II", "III", "IV",
    "NH3-N", "NH₃-N", "pH", "TN", "TP", "V",
    "ND",  # 未检出 as laboratories write it: "ND(0.01)"
    # product, file and format names the pages show (quarters, Q1–Q4, are ALLOWED_PATTERNS'
    # one capital and a digit)
    "API", "CSV", "Excel", "English", "PDF", "xlsx", "coopzone",
})

# Whole tokens that are data rather than words.
ALLOWED_PATTERNS = (
    re.compile(r"\d{4}-Q[1-4]"),  # a quarter
    re.compile(r"[A-Z]\d{0,3}"),  # one capital: a group (A组团), a symbol (P), a round (R1)
    re.compile(r"[a-z]\d?"),  # a symbol of a formula (k, k0); English words are denied first
    re.compile(r"[0-9a-f]{12,64}"),  # a content hash
    re.compile(r"czt_\w+"),  # an API token prefix shown to its owner
    re.compile(r"[A-Z]{2,4}\d{6,}"),  # a postal tracking number (EMS0022933746), data
    re.compile(r"(?:[a-z0-9-]+\.)+(?:com|cn|net|org)"),  # a site named as a source, data
)

# Common English words seen in the code base's messages and templates (all lower case; a
# token is compared in lower case). Extend when a new English string slips through.
ENGLISH_WORDS = frozenset({
    "a", "about", "accept", "accepted", "accruing", "active", "add", "after", "agreement",
    "agreements", "all", "an", "and", "any", "are", "as", "at", "back", "basin", "be", "before",
    "by", "cancel", "cannot", "column", "computed", "confirm", "count", "create", "current",
    "data", "date", "day", "days", "deadline", "delete", "detail", "done", "due", "edit",
    "empty", "error", "evidence", "expected", "export", "false", "fail", "field", "file",
    "for", "found", "from", "has", "have", "here", "history", "if", "import", "in", "invalid",
    "is", "it", "item", "items", "last", "less", "limit", "list", "login", "logout", "long",
    "many", "may", "meeting", "missing", "month", "months", "more", "must", "name", "new",
    "next", "no", "none", "not", "note", "null", "number", "of", "on", "one", "only", "open",
    "or", "page", "paid", "pass", "period", "previous", "project", "reading", "readings",
    "reason", "record", "records", "required", "row", "rows", "save", "search", "section",
    "series", "should", "source", "state", "status", "submit", "task", "tasks", "than", "the",
    "this", "to", "too", "total", "true", "unknown", "up", "value", "values", "view", "was",
    "with", "year", "yes", "yuan",
})


def _agreement_vocabulary() -> set[str]:
    """Rule ids and kinds, series, party ids, roles and method names of the built-in
    eco-compensation agreements (the TOML files)."""
    found: set[str] = set()
    directory = resources.files("coopzone.ecology").joinpath("agreements")
    for entry in directory.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        terms = tomllib.loads(entry.read_text("utf-8"))
        found.update({terms.get("series", ""), terms.get("missing_data", ""),
                      terms.get("rounding", "")})
        found.update(str(v) for v in (terms.get("evaluation") or {}).values()
                     if isinstance(v, str))
        for rule in terms.get("rules", []):
            found.update({rule.get("id", ""), rule.get("kind", "")})
        for party in terms.get("parties", []):
            found.update({party.get("id", ""), party.get("role", "")})
        found.update(str(v) for v in (terms.get("settlement") or {}).values()
                     if isinstance(v, str) and not v[:1].isdigit())
        found.add(str((terms.get("source") or {}).get("label", "")))
    return {w for w in found if w and not w.isupper() and w not in ("III", "II")}


def denied_codes() -> frozenset[str]:
    """Internal codes that must never reach a Chinese page (case-sensitive)."""
    codes: set[str] = set(ITEM_CODES) | set(ITEM_ALIASES.values())
    codes |= {"mean", "shares"}  # basin methods (环办〔2011〕22号 二(二))
    codes |= set(PERIODS) | set(WATER_BODIES)
    codes |= _agreement_vocabulary()
    codes |= set(ledger.STATES) | {"recorded", "settled", "recomputed", "adjustment"}
    codes |= {s.value for s in (*LineStatus, *MissingPolicy, *Rounding)}
    codes |= set(coop_models.TASK_STATES) | set(coop_models.AGREEMENT_STATUSES)
    codes |= set(coop_models.PROJECT_STATUSES) | set(coop_models.MEETING_KINDS)
    codes |= set(coop_models.MEMBER_ROLES) | set(coop_models.FIELDS)
    codes |= set(coop_models.PARTY_KINDS) | set(coop_models.INDICATOR_PERIODS)
    codes |= set(coop_models.INDICATOR_SOURCES)
    codes |= set(account_models.ORG_KINDS) | set(account_models.ROLES)
    codes |= {"auto", "manual", "api", "upload"}  # reading and file sources
    codes |= set(gov_models.CASE_STATES) | set(gov_models.MODES) | set(gov_models.GRADES)
    codes |= set(gov_models.APPLICANT_KINDS) | set(gov_models.DEPARTMENT_KINDS)
    codes |= set(gov_models.OUTCOMES) | set(gov_models.PAUSE_KINDS)
    codes |= set(gov_models.FOLLOWUP_STATES)
    return frozenset(c for c in codes if c and c not in ALLOWED_TOKENS)


URL = re.compile(r"https?://[^\s'\"<>]+")
TOKEN = re.compile(r"[A-Za-z°μ][A-Za-z0-9_₀-₉³°μ]*(?:[-./][A-Za-z0-9_₀-₉³]+)*")

# ---- which paths are rendered ------------------------------------------------------------------

Sampler = Callable[[Session], list[str]]


def _ids(model: Any, limit: int = 3) -> Sampler:
    return lambda s: [str(i) for i in s.scalars(select(model.id).order_by(model.id).limit(limit))]


def _statement_refs(session: Session) -> list[str]:
    """One statement in each state, one with adjustments, and a settlement year."""
    refs: dict[str, str] = {}
    for st in session.scalars(select(Statement).order_by(Statement.id)):
        refs.setdefault(st.state, str(st.id))
    changed = session.scalar(select(StatementChange.statement_id).limit(1))
    return [*sorted(set(refs.values()) | ({str(changed)} if changed else set())), "2024"]


def _sections(session: Session) -> list[str]:
    return ["jinyushi", "lushui-05"]


def _cases(session: Session) -> list[str]:
    """A case in each state the demo holds (before the demo holds any: an unknown one, whose
    page is the Chinese "not found")."""
    refs: dict[str, str] = {}
    for case_id, state in session.execute(select(gov_models.Case.id, gov_models.Case.state)
                                          .order_by(gov_models.Case.id).limit(5000)):
        refs.setdefault(state, str(case_id))
    return sorted(refs.values()) or ["1"]


def _indicators(session: Session) -> list[str]:
    return list(session.scalars(select(Indicator.code).order_by(Indicator.position)))


# route path -> the values of its (single) path parameter
SAMPLES: dict[str, Sampler] = {
    "/cooperation/agreements/{agreement_id}": _ids(Agreement),
    "/cooperation/export/{kind}.xlsx": lambda s: ["agreements", "meetings", "projects",
                                                  "tasks", "indicators"],
    "/cooperation/export/projects.{fmt}": lambda s: ["xlsx", "csv"],
    "/cooperation/export/meetings.{fmt}": lambda s: ["xlsx", "csv"],
    "/cooperation/export/tasks.{fmt}": lambda s: ["xlsx", "csv"],
    "/cooperation/export/indicators.{fmt}": lambda s: ["xlsx", "csv"],
    "/cooperation/indicators/{code}": _indicators,
    "/cooperation/projects/{project_id}": _ids(Project, 20),
    "/dashboard/unit/{code}": lambda s: ["360313", "430281", "360302"],
    "/ecology/basins/{basin}": lambda s: ["渌水"],
    "/ecology/compensation/{ref}": _statement_refs,
    "/ecology/compensation/{ref}/statement.pdf": _statement_refs,
    "/ecology/compensation/{ref}/statement.xlsx": _statement_refs,
    "/ecology/sections/{code}": _sections,
    "/ecology/sections/{code}/monthly.xlsx": _sections,
    "/services/cases/{case_id}": _cases,
    "/api/v1/ecology/compensation/statements/{statement_id}/statement.pdf":
        lambda s: _statement_refs(s)[:-1],
    "/api/v1/ecology/compensation/statements/{statement_id}/statement.xlsx":
        lambda s: _statement_refs(s)[:-1],
}

# A new route's parameter, by its name, when SAMPLES does not list the route.
PARAMETER_SAMPLES: dict[str, Sampler] = {
    "agreement_id": _ids(Agreement),
    "item_id": _ids(gov_models.Item, 2),
    "kstb_id": _ids(gov_models.KstbAgreement, 2),
    "meeting_id": _ids(Meeting),
    "project_id": _ids(Project),
    "statement_id": lambda s: _statement_refs(s)[:-1],
    "task_id": _ids(Task, 5),
    "window_id": _ids(gov_models.Window, 2),
}

# Routes not rendered, and why.
SKIPPED = {
    "/cooperation/files/{sha256}": "a user's uploaded file, returned as uploaded",
}

# Query variants of routes listed above (views, filters, the second page of a list).
EXTRA_PATHS = (
    "/cooperation/agreements?view=county",
    "/cooperation/agreements?status=in_force&field=ecology",
    "/cooperation/agreements?page=2",
    # Exports with the page's filters (their second sheet names them in Chinese).
    "/cooperation/export/agreements.xlsx?status=in_force&field=ecology",
    "/cooperation/export/projects.xlsx?q=园区&county=360313",
    "/cooperation/export/projects.csv?q=园区",
    "/cooperation/tasks?state=open",
    "/cooperation/tasks?state=accepted",
    "/cooperation/meetings?series=湘赣边区域合作示范区建设推进大会",
    "/ecology/sections/jinyushi?item=tp",
    "/ecology/sections/jinyushi?item=codmn",
    "/dashboard?as_of=2021-12-31",
    # Paged indexes, and bad list parameters: the refusal is Chinese too (web/reasons.py).
    "/ecology?per_page=5&page=2&sort=name",
    "/ecology/compensation?per_page=2&sort=year&order=desc",
    "/ecology?page=x1",
    "/ecology/compensation?year=x1&per_page=1.5",
    "/cooperation/meetings?page=0",
    "/services?tab=due_soon",
    "/services?tab=overdue",
    "/services?tab=correction",
    "/services?tab=incoming",
    "/services?state=accepted&mode=proxy",
    "/services/search?applied_from=2025-01-01&applied_to=2025-09-30",
    "/services/statistics?by=mode",
    "/services/statistics?by=month&month_from=2025-01",
    "/services/statistics?by=window",
    "/services/statistics?by=collect_place",
    "/services/work.xlsx?tab=overdue",
    "/services/statistics.xlsx?by=mode",
    "/services?tab=nowhere",
    "/services/agreements?signed_to=2025-09-30",
    "/services/agreements?signed_from=2023-01-01&place=360300&side=collect&q=协议",
    "/services/agreements?signed_to=2025-13-01",
    "/services/agreements.xlsx?signed_to=2024-12-31&place=360300&side=handle",
    "/services/items/999999/edit",
)

# Exports: by path ending, and the API's downloads.
EXPORT_SUFFIXES = (".xlsx", ".csv", ".pdf")


def _walk(routes: list[Any]) -> Iterator[Any]:
    for r in routes:
        if hasattr(r, "effective_candidates"):  # an included router
            yield from _walk(r.effective_candidates())
        else:
            yield r


def page_routes(app: FastAPI) -> list[str]:
    """GET routes that answer pages or exports (the JSON API is English-neutral data)."""
    out = []
    for route in _walk(list(app.routes)):
        if "GET" not in (getattr(route, "methods", None) or set()):
            continue
        path = route.path
        if path.startswith("/api/") and not path.endswith(EXPORT_SUFFIXES):
            continue
        out.append(path)
    return sorted(set(out))


def paths_for(route: str, session: Session) -> list[str]:
    names = re.findall(r"{(\w+)}", route)
    if not names:
        return [route]
    if route in SAMPLES:
        sampler = SAMPLES[route]
    elif len(names) == 1 and names[0] in PARAMETER_SAMPLES:
        sampler = PARAMETER_SAMPLES[names[0]]
    else:
        return []
    return [route.replace("{" + names[0] + "}", value) for value in sampler(session)]


# ---- reading what a reader sees ----------------------------------------------------------------


class _Visible(HTMLParser):
    """The text a reader sees: text outside script/style, and the attributes shown. A text
    area's content, like a text input's value, is what the user typed or the record holds
    (an edit form shows the stored text to change it), not the page's words."""

    SHOWN = ("title", "placeholder", "aria-label", "alt", "data-label")
    HIDDEN = ("script", "style", "template", "textarea")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        values = dict(attrs)
        for name in self.SHOWN:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def html_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


def xlsx_text(body: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    out: list[str] = []
    for sheet in book.worksheets:
        out.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            out.extend(str(v) for v in row if isinstance(v, str))
    return out


def pdf_text(body: bytes, tmp: Path) -> list[str]:
    assert shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) not installed"
    path = tmp / "page.pdf"
    path.write_bytes(body)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True)
    return done.stdout.splitlines()


@dataclass(frozen=True)
class Finding:
    who: str
    path: str
    token: str
    context: str

    def __str__(self) -> str:
        return f"{self.who} {self.path}: {self.token!r} in {self.context!r}"


class Checker:
    def __init__(self, data_tokens: set[str]) -> None:
        self.denied = denied_codes()
        self.data_tokens = data_tokens

    def allowed(self, token: str) -> bool:
        return token in ALLOWED_TOKENS or any(p.fullmatch(token) for p in ALLOWED_PATTERNS)

    def check(self, who: str, path: str, texts: list[str]) -> list[Finding]:
        found: list[Finding] = []
        for text in texts:
            text = URL.sub(" ", text)  # a web address (an item's source) is data, not words
            for match in TOKEN.finditer(text):
                token = match.group(0).rstrip(".-/")
                if not re.search(r"[A-Za-z]", token):
                    continue
                if token in self.data_tokens:
                    continue
                # "A" (a group) is not the word "a": one letter is compared as written.
                word = token.lower() if len(token) > 1 else token
                denied = token in self.denied or word in ENGLISH_WORDS
                if denied or not self.allowed(token):
                    start = max(0, match.start() - 30)
                    found.append(Finding(who, path, token, text[start:match.end() + 30]))
        return found


# ---- the demo zone, served -----------------------------------------------------------------------


@dataclass
class Zone:
    app: FastAPI
    factory: sessionmaker[Session]
    data_tokens: set[str]


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zone]:
    url = database_url(tmp_path_factory, "coopzone_chinese")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    factory = make_session_factory(engine)
    with factory() as session:
        load_demo(session, PASSWORD)
        session.commit()
        # Record codes are data (the reader looks them up), not vocabulary.
        data = set(session.scalars(select(Section.code)))
        data |= set(session.scalars(select(Project.code)))
        data |= set(session.scalars(select(User.username)))
        data |= set(session.scalars(select(AgreementVersion.agreement_id)))
        data |= set(session.scalars(select(gov_models.Case.number)))  # 业务协同编号
        data |= set(session.scalars(select(gov_models.Item.code)))
        data.add("testclient")  # the address Starlette's test client reports
    settings = make_settings(url, as_of=AS_OF,
                             data_dir=tmp_path_factory.mktemp("zh-data"))
    yield Zone(create_app(settings, factory), factory, data)
    engine.dispose()


def _client(zone: Zone, username: str | None) -> TestClient:
    client = TestClient(zone.app)
    client.cookies.set("lang", "zh_CN")
    if username is not None:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        done = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token.group(1)},
                           follow_redirects=False)
        assert done.status_code == 303, done.text[:300]
    return client


def _all_paths(zone: Zone) -> list[str]:
    with zone.factory() as session:
        paths = [p for route in page_routes(zone.app) if route not in SKIPPED
                 for p in paths_for(route, session)]
    return paths + list(EXTRA_PATHS)


def _texts(response: Any, tmp: Path) -> list[str]:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        return xlsx_text(response.content)
    if "pdf" in kind:
        return pdf_text(response.content, tmp)
    if "csv" in kind:
        return response.text.splitlines()
    if "html" in kind:
        return html_text(response.text)
    return []


def test_every_page_route_has_a_sample(zone: Zone) -> None:
    routes = page_routes(zone.app)
    assert len(routes) >= 30
    with zone.factory() as session:
        missing = [r for r in routes if r not in SKIPPED and not paths_for(r, session)]
    assert missing == [], f"add a sample path to SAMPLES or PARAMETER_SAMPLES for {missing}"
    listed = set(SAMPLES) | set(SKIPPED)
    assert sorted(listed - set(routes)) == [], "samples for routes that no longer exist"


@pytest.mark.parametrize("who", ["admin", None], ids=["admin", "public"])
def test_every_page_and_export_is_in_chinese(zone: Zone, who: str | None,
                                             tmp_path: Path) -> None:
    client = _client(zone, who)
    checker = Checker(zone.data_tokens)
    findings: list[Finding] = []
    failed: list[str] = []
    rendered = 0
    for path in _all_paths(zone):
        response = client.get(path)
        if response.status_code >= 500:
            failed.append(f"{path}: {response.status_code}")
            continue
        texts = _texts(response, tmp_path)
        rendered += bool(texts)
        page_checker = audit_checker(zone) if path.startswith("/admin/audit") else checker
        findings += page_checker.check(who or "public", path, texts)
    assert failed == []
    assert rendered >= 40
    unique = sorted({(f.token, f.path): f for f in findings}.values(),
                    key=lambda f: (f.path, f.token))
    assert unique == [], "English or internal codes on Chinese pages:\n" + "\n".join(
        str(f) for f in unique)


# ---- the audit log: tables, fields and actions by name; the values are the data stored ---------


def audit_checker(zone: Zone) -> Checker:
    """The audit log shows each row's values as they were stored: names, dates, codes and
    amounts are the data of the record (like the demo's user names), not the page's words.
    Its tables, fields and actions are vocabulary, and checked as every page's."""
    tokens: set[str] = set()
    with zone.factory() as session:
        for before, after in session.execute(select(account_models.AuditLog.before,
                                                    account_models.AuditLog.after)):
            for values in (before or {}, after or {}):
                for value in values.values():
                    tokens.update(m.group(0).rstrip(".-/") for m in TOKEN.finditer(str(value)))
    return Checker(zone.data_tokens | tokens)


def test_the_audit_log_names_tables_fields_and_actions_in_chinese(zone: Zone) -> None:
    """Real audit rows (a token made and revoked, an import previewed: a stored file and its
    staging; a write by the platform itself) read as 系统 · 接口令牌 · 新增 · 名称=…, never
    system, accounts_api_token or insert."""
    client = _client(zone, "admin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert csrf
    assert client.post("/account/tokens", data={"csrf_token": csrf.group(1),
                                                "name": "审计测试"}).status_code == 200
    with zone.factory() as session:
        token_id = session.scalars(select(account_models.ApiToken.id).where(
            account_models.ApiToken.name == "审计测试")).one()
    assert client.post(f"/account/tokens/{token_id}/revoke", data={
        "csrf_token": csrf.group(1)}, follow_redirects=False).status_code == 303
    book = _workbook([("序号", "协议名称", "签署单位", "签署日期", "领域", "状态"),
                      (1, "审计测试协议", "萍乡市人民政府、醴陵市人民政府", "2024-01-02", "交通",
                       "已签署")])
    form = re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get("/cooperation/agreements/import").text)
    assert form
    assert client.post("/cooperation/agreements/import", data={"csrf_token": form.group(1)},
                       files={"file": ("审计.xlsx", book, XLSX)}).status_code == 200
    with zone.factory() as session:  # a write with no user behind it (a job, the loader)
        from coopzone.kit.models import Document

        session.add(Document(filename="系统.pdf", sha256="f" * 64, size=1))
        session.commit()
    response = client.get("/admin/audit?per_page=20")
    assert response.status_code == 200
    assert "<td>系统</td>" in response.text and "<td>admin</td>" in response.text
    rows = re.findall(r'data-action="(\w+)">([^<]+)</td><td data-entity="(\w+)">([^<]+)</td>',
                      response.text)
    shown = {(action, entity): (action_zh, entity_zh)
             for action, action_zh, entity, entity_zh in rows}
    assert shown[("insert", "kit_staged_import")] == ("新增", "待确认的导入文件")
    assert shown[("insert", "cooperation_document")] == ("新增", "上传文件")
    assert shown[("update", "accounts_api_token")] == ("修改", "接口令牌")
    assert '<span data-field="revoked_at">停用时间</span>=' in response.text
    assert '<span data-field="filename">文件名</span>=审计.xlsx' in response.text
    findings = audit_checker(zone).check("admin", "/admin/audit", html_text(response.text))
    assert findings == [], "English in the audit log:\n" + "\n".join(map(str, findings))
    filtered = client.get("/admin/audit?entity=kit_staged_import")
    assert '<option value="kit_staged_import" selected>待确认的导入文件</option>' in filtered.text
    assert set(re.findall(r'data-entity="(\w+)"', filtered.text)) == {"kit_staged_import"}


# ---- refusals: importers' and validators' row errors on Chinese pages --------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _in_force_title(zone: Zone) -> str:
    with zone.factory() as session:
        return session.scalars(select(Agreement.title).where(Agreement.status == "in_force")
                               .order_by(Agreement.id).limit(1)).one()


def _workbook(rows: list[tuple[Any, ...]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# (page with the form, form action, file name, content (made from the demo zone), media type,
# what the user typed that the refusal may quote): each upload is refused.
Content = Callable[["Zone"], bytes]
REFUSED_UPLOADS: tuple[tuple[str, str, str, Content, str, set[str]], ...] = (
    ("/cooperation/agreements/import", "/cooperation/agreements/import", "bad.xlsx",
     lambda z: _workbook([
         ("序号", "协议名称", "签署单位", "签署日期", "领域", "状态", "期限(年)"),
         (1, "", "萍乡市人民政府", "abc", "space", "done", "many"),
         (2, "某协议", "", "2024-01-02", "交通", "履行中", "5"),
         (3, "某协议", "醴陵市人民政府", "2024-01-02", "交通", "履行中", "5")]), XLSX,
     {"abc", "space", "done", "many"}),
    ("/cooperation/agreements/import", "/cooperation/agreements/import", "back.xlsx",
     lambda z: _workbook([("序号", "协议名称", "签署单位", "签署日期", "领域", "状态"),
                          (1, _in_force_title(z), "萍乡市人民政府", "2024-01-02", "交通",
                           "已签署")]), XLSX,
     {"back.xlsx"}),
    ("/cooperation/agreements/import", "/cooperation/agreements/import", "missing.xlsx",
     lambda z: _workbook([("序号", "名字")]), XLSX, set()),
    ("/cooperation/agreements/import", "/cooperation/agreements/import", "not.xlsx",
     lambda z: b"not a workbook", XLSX, {"not.xlsx"}),
    # A workbook cut short and another file renamed .xlsx, on both imports (kit.uploads).
    ("/cooperation/agreements/import", "/cooperation/agreements/import", "cut.xlsx",
     lambda z: _workbook([("序号", "协议名称")])[:700], XLSX, {"cut.xlsx"}),
    ("/ecology/import", "/ecology/import", "cut.xlsx",
     lambda z: _workbook([("断面", "时间", "项目", "数值")])[:700], XLSX, {"cut.xlsx"}),
    ("/ecology/import", "/ecology/import", "renamed.xlsx",
     lambda z: "断面,时间\n金鱼石,2025-01-01\n".encode(), XLSX, {"renamed.xlsx"}),
    ("/ecology/import", "/ecology/import", "bad.csv",
     lambda z: ("断面,时间,项目,数值\n金鱼石,2025-13-01 09:00,氨氮,abc\n"
                "无名断面,2025-01-01 09:00,xyz,1\n").encode(), "text/csv",
     {"bad.csv", "abc", "xyz"}),
)


def test_an_import_preview_names_the_changes_in_chinese(zone: Zone) -> None:
    with zone.factory() as session:
        agreement = session.scalars(select(Agreement).where(
            Agreement.status == "in_force", Agreement.field != "ecology")
            .order_by(Agreement.id).limit(1)).one()
        title, parties = agreement.title, "萍乡市人民政府、醴陵市人民政府"
    content = _workbook([("序号", "协议名称", "签署单位", "签署日期", "领域", "状态"),
                         (1, title, parties, "2024-01-02", "生态", "已到期")])
    client = _client(zone, "admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/cooperation/agreements/import").text)
    assert token
    response = client.post("/cooperation/agreements/import", data={"csrf_token": token.group(1)},
                           files={"file": ("change.xlsx", content, XLSX)})
    assert response.status_code == 200, html_text(response.text)[-12:]
    assert 'data-change="status"' in response.text and 'data-change="field"' in response.text
    findings = Checker(zone.data_tokens | {"change.xlsx"}).check(
        "admin", "POST /cooperation/agreements/import change.xlsx", html_text(response.text))
    assert findings == [], "English in a preview:\n" + "\n".join(map(str, findings))


@pytest.mark.parametrize("case", range(len(REFUSED_UPLOADS)))
def test_refused_rows_are_explained_in_chinese(zone: Zone, case: int, tmp_path: Path) -> None:
    page, action, name, make, media, typed = REFUSED_UPLOADS[case]
    content = make(zone)
    client = _client(zone, "admin")
    form = client.get(page).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    response = client.post(action, data={"csrf_token": token.group(1)},
                           files={"file": (name, content, media)})
    assert 400 <= response.status_code < 500, response.text[:300]
    assert 'id="import-errors"' in response.text
    findings = Checker(zone.data_tokens | typed).check("admin", f"POST {action} {name}",
                                               html_text(response.text))
    assert findings == [], "English in a refusal:\n" + "\n".join(map(str, findings))


BROKEN_WORKBOOKS = (
    ("cut.xlsx", lambda: _workbook([("序号", "协议名称")])[:700],
     "文件不完整或已损坏（可能没有上传完整）",
     "the file is incomplete or damaged (perhaps cut short)"),
    ("renamed.xlsx", lambda: b"%PDF-1.4 not a workbook",
     "内容是其他格式的文件（可能只是改了扩展名）",
     "its content is not an Excel workbook (perhaps another file renamed to .xlsx)"),
)


@pytest.mark.parametrize("page", ["/cooperation/agreements/import", "/ecology/import"])
@pytest.mark.parametrize("case", range(len(BROKEN_WORKBOOKS)))
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_broken_workbook_is_explained_in_the_pages_language(
        zone: Zone, page: str, case: int, lang: str) -> None:
    """A truncated .xlsx and another file renamed .xlsx: the message and the reason say so in
    the page's language, never with the container's word ("zip")."""
    name, make, zh, en = BROKEN_WORKBOOKS[case]
    client = _client(zone, "admin")
    client.cookies.set("lang", lang)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert token
    response = client.post(page, data={"csrf_token": token.group(1)},
                           files={"file": (name, make(), XLSX)})
    assert response.status_code == 422
    text = " ".join(html_text(response.text))
    assert "zip" not in text.lower()
    if lang == "en":
        assert f"is not an Excel workbook (.xlsx): {en}" in text and zh not in text
    else:
        assert f"不是 Excel 工作簿（.xlsx）：{zh}" in text and en not in text


def test_a_water_import_preview_names_the_changes_in_chinese(zone: Zone) -> None:
    """A file changing a stored reading: the changes table names the item (氨氮, not nh3n)
    and says what changes in Chinese (已存 …，文件为 …)."""
    from coopzone.ecology.models import Reading
    from coopzone.engines.water_quality import item_spec

    with zone.factory() as session:
        reading, name = session.execute(
            select(Reading, Section.name).join(Section, Reading.section_id == Section.id)
            .where(Section.name == "湘东城区", Reading.value.is_not(None))
            .order_by(Reading.measured_at.desc()).limit(1)).one()
        at = reading.measured_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        item, value = item_spec(reading.item).name_zh, (reading.value or 0) + 0.01
    content = f"断面,时间,项目,数值\n{name},{at},{item},{value:g}\n".encode()
    client = _client(zone, "xiangdong")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ecology/import").text)
    assert token
    response = client.post("/ecology/import", data={"csrf_token": token.group(1)},
                           files={"file": ("change.csv", content, "text/csv")})
    assert response.status_code == 409, html_text(response.text)[-12:]
    assert 'id="import-changes"' in response.text and f"<td>{item}</td>" in response.text
    assert "已存" in response.text and "文件为" in response.text
    findings = Checker(zone.data_tokens | {"change.csv"}).check(
        "xiangdong", "POST /ecology/import change.csv", html_text(response.text))
    assert findings == [], "English in a preview:\n" + "\n".join(map(str, findings))
