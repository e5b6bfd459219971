"""The access matrix: every write route (taken from ``app.routes``, so a new route without a
case fails here), each kind of caller, the expected status, and on every refusal nothing
written: the row count of every table and the files under the data directory unchanged.

Callers: anonymous; a viewer (with a write-scope token, or logged in); the allowed user's
own read-only token; an editor of another jurisdiction; the platform admin with a read
token; and last the caller the route is for (the editor of the record's jurisdiction, the
cooperation office, a finance bureau or the platform admin), who succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.accounts import sessions as login_sessions
from coopzone.accounts.models import User
from coopzone.api.app import create_app
from coopzone.cooperation import service as coop
from coopzone.cooperation.schemas import (
    MeetingCreate,
    MilestoneIn,
    ObligationCreate,
    ProjectCreate,
    SiteIn,
    TaskCreate,
)
from coopzone.cooperation.service.permissions import AGREEMENTS_IMPORT
from coopzone.db import Base
from coopzone.ecology import ledger
from coopzone.ecology.models import StatementChange
from coopzone.ecology.monitoring import READINGS_IMPORT
from coopzone.gov_services.service import ledger as gov_ledger
from coopzone.kit.importing import stage
from coopzone.notifications.models import Notification
from tests.ecology.ledger_support import (
    Finance,
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)
from tests.helpers import (
    HEADER,
    PASSWORD,
    Coop,
    People,
    make_settings,
    token_for,
    xiangdong_agreement,
    xlsx,
)

# Routes that write no record of the platform: signing in and out.
EXEMPT = {("POST", "/login"), ("POST", "/logout")}
REFUSERS = ("anonymous", "viewer", "read_token", "other_editor", "admin_read_token")


@dataclass
class World:
    people: People
    coop: Coop
    finance: Finance
    users: dict[str, User]
    ids: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def office(session: Session, people: People) -> Coop:
    """The cooperation office (萍乡市, 360300) and its editor ``coop``."""
    org = accounts.create_organisation(session, "萍乡市湘赣边区域合作发展事务中心",
                                       "cooperation_office", "360300")
    editor = accounts.create_user(session, "coop", PASSWORD, "合作中心编辑")
    accounts.grant_role(session, editor, org, "editor")
    session.commit()

    def p(user: User) -> accounts.Principal:
        return accounts.principal_for(session, user.id)

    return Coop(people, org, editor, p(editor), p(people.hunan_editor),
                p(people.jiangxi_editor), p(people.viewer), p(people.admin))


def build_world(session: Session, people: People, coop_: Coop) -> World:
    finance = make_finance(session)
    scenic_org = accounts.create_organisation(session, "醴陵市某景区", "scenic_spot", "430281")
    scenic = accounts.create_user(session, "scenic", PASSWORD, "景区编辑")
    accounts.grant_role(session, scenic, scenic_org, "editor")
    section = make_section(session)
    write_months(session, section, months((2019, 7), (2019, 12)), frozenset({(2019, 9)}))
    load_agreements(session)
    statement_id = ledger.compute_statements(session, "lushui", date(2020, 1, 1)).created[0]
    agreement_id = xiangdong_agreement(session, coop_.office)
    obligation = coop.add_obligation(session, coop_.office, agreement_id, ObligationCreate(
        description="建设跨界断面自动监测站", owner="萍乡市湘东区人民政府"))
    meeting = coop.create_meeting(session, coop_.office, MeetingCreate(
        title="湘赣边区域合作联席会议", kind="joint_meeting", held_on=date(2025, 9, 18),
        host="萍乡市人民政府", resolutions=["共建跨界河流联合监测体系"]))
    project = coop.create_project(session, coop_.office, ProjectCreate(
        name="萍水河湘东段综合治理", field="ecology", owner="湘东区人民政府",
        owner_place_code="360313", sites=[SiteIn(county_code="360313")],
        milestones=[MilestoneIn(name="开工", due_on=date(2025, 12, 1))]))
    task = coop.create_task(session, coop_.office, TaskCreate(
        title="报送跨界断面监测方案", owner_org_id=people.jiangxi_county_org.id,
        deadline=date(2030, 1, 1)))
    coop.define_indicator(session, "xd_reported", "湘东填报指标", "个", "reported",
                          reporter="湘东区生态环境分局")
    session.commit()
    users = {u.username: u for u in session.scalars(select(User))}
    ids = {"statement": statement_id, "agreement": agreement_id, "obligation": obligation.id,
           "resolution": meeting.resolutions[0].id, "project": project.id,
           "milestone": project.milestones[0].id, "task": task.id,
           "jiangxi_org": people.jiangxi_county_org.id}
    return World(people, coop_, finance, users, ids)


def open_adjustment(session: Session, w: World) -> None:
    """A paid statement's open difference (as a recomputation leaves it), Hunan to pay."""
    change = StatementChange(
        statement_id=w.ids["statement"], kind="adjustment", state="open", revision=1,
        old_payer_code="430000", old_amount=Decimal("4000000.00"), new_payer_code="430000",
        new_amount=Decimal("5000000.00"), payer_code="430000", payee_code="360000",
        amount=Decimal("1000000.00"), lines=[], created_by="test")
    session.add(change)
    session.commit()
    w.ids["change"] = change.id


def confirm_both(session: Session, w: World) -> None:
    for username in ("hn-finance", "jx-finance"):
        ledger.confirm(session, accounts.principal_for(session, w.users[username].id),
                       w.ids["statement"])
    session.commit()


def pay(session: Session, w: World) -> None:
    confirm_both(session, w)
    ledger.record_payment(session, accounts.principal_for(session, w.users["hn-finance"].id),
                          w.ids["statement"], date(2020, 4, 20), "湘财付001")
    session.commit()


def my_session(session: Session, w: World) -> None:
    row, _key = login_sessions.start_session(session, w.users["xiangdong"].id,
                                             make_settings("sqlite://"))
    session.commit()
    w.ids["session"] = row.id


def my_token(session: Session, w: World) -> None:
    _token, _plain = accounts.create_token(session, w.users["xiangdong"], "自动站", ["read"])
    session.commit()
    w.ids["token"] = _token.id


def entered_batch(session: Session, w: World) -> None:
    """A batch 湘东区 entered by hand at 金鱼石 (a section deciding money): it awaits the
    review of the other party's (Hunan's) ecology bureau (issue 10)."""
    import polars as pl

    from coopzone.ecology import readings

    frame = pl.DataFrame({"section": ["金鱼石"], "time": [datetime(2025, 8, 2, 8)],
                          "item": ["nh3n"], "value": [0.3], "below_dl": [False],
                          "detection_limit": [None], "row": [2]},
                         schema_overrides={"detection_limit": pl.Float64})
    result = readings.import_frame(
        session, accounts.principal_for(session, w.users["xiangdong"].id), frame,
        filename="hand.csv", sha256="e" * 64)
    session.commit()
    w.ids["batch"] = result.batch_id


def asked_extension(session: Session, w: World) -> None:
    """湘东's editor has asked for more time on the task."""
    extension = coop.request_extension(
        session, accounts.principal_for(session, w.users["xiangdong"].id), w.ids["task"],
        date(2030, 3, 1), "需等待统计数据")
    session.commit()
    w.ids["extension"] = extension.id


def my_notification(session: Session, w: World) -> None:
    """The notification 湘东's editor got when the task was assigned."""
    w.ids["notification"] = session.scalar(select(Notification.id).where(
        Notification.user_id == w.users["xiangdong"].id))


def gov_world(session: Session, w: World, stage: str = "") -> None:
    """跨省通办: a 湘东区 window (jxwin), a 醴陵市 department (hndept, its head hnhead), the
    萍乡 supervising office (pxoffice), an item whose postage does not count, and a case
    brought to ``stage`` ("applied", "accepted", "delivered", "followup")."""
    from coopzone.gov_services import service as gov
    from coopzone.gov_services.schemas import (
        CaseCreate,
        EvaluationCreate,
        ItemCreate,
        WindowCreate,
    )
    from tests.gov_services.conftest import at, resident_id

    org = accounts.create_organisation
    window_org = org(session, "湘东区政务服务中心", "service_window", "360313")
    dept = org(session, "醴陵市公安局", "service_department", "430281")
    office_org = org(session, "萍乡市政务服务管理局", "services_office", "360300")
    for name, organisation, role in (("jxwin", window_org, "editor"), ("hndept", dept, "editor"),
                                     ("hnhead", dept, "admin"),
                                     ("pxoffice", office_org, "editor")):
        user = accounts.create_user(session, name, PASSWORD, name)
        accounts.grant_role(session, user, organisation, role)
        w.users[name] = user
    session.flush()

    def who(name: str) -> accounts.Principal:
        return accounts.principal_for(session, w.users[name].id)

    item = gov.create_item(session, who("pxoffice"), ItemCreate(
        code="M-001", name="户口迁移（矩阵）", department_kind="public_security",
        modes=["proxy"], statutory_days=20, promised_days=10, postage_pauses=True))
    window = gov.create_window(session, who("pxoffice"), WindowCreate(
        name="湘东区跨省通办窗口", place_code="360313", organisation_id=window_org.id))
    w.ids.update(gov_item=item.id, gov_window=window.id, gov_window_org=window_org.id,
                 gov_dept=dept.id)
    if stage:
        case = gov.create_case(session, who("jxwin"), CaseCreate(
            applicant_kind="person", applicant_name="张小三", id_number=resident_id(),
            item_id=item.id, mode="proxy", window_id=window.id, department_id=dept.id,
            applied_at=at(date(2025, 9, 22))))
        w.ids["case"] = case.id
        steps = [("jxwin", "collect", 22, {"formal_check_ok": True, "identity_checked": True}),
                 ("jxwin", "send", 23, {}), ("hndept", "accept", 24, {}),
                 ("hndept", "approve", 29, {}), ("hndept", "deliver", 30, {})]
        upto = {"applied": 0, "accepted": 3}.get(stage, len(steps))
        for name, action, day, data in steps[:upto]:
            gov.move_case(session, who(name), case.id, action, at=at(date(2025, 9, day)),
                          **data)  # type: ignore[arg-type]
        if stage == "followup":
            done = gov.evaluate_case(session, who("jxwin"), case.id,
                                     EvaluationCreate(grade="dissatisfied"))
            assert done.followup is not None
            w.ids["followup"] = done.followup.id
    session.commit()


def _gov_id() -> str:
    from tests.gov_services.conftest import resident_id

    return resident_id(seq="456")


def gov_stage(stage: str) -> Callable[[Session, World], None]:
    return lambda session, w: gov_world(session, w, stage)


LONG_CSV = "断面,时间,项目,数值\n金鱼石,2025-08-01 08:00,氨氮,0.31\n".encode()
AGREEMENT_BOOK = xlsx([HEADER, (1, "湘东区—萍乡市生态共保协议", "萍乡市湘东区人民政府",
                                "2024-05-01", "生态", "已签署")])
Body = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """How to call one write route, who it is for and what that caller gets."""

    body: Body = lambda w: {}  # keyword arguments of client.request
    allowed: str = "xiangdong"  # the user the route is for (Jiangxi 湘东区 editor)
    ok: int = 200
    other: str = "liling"  # an editor of another jurisdiction (Hunan 醴陵市)
    prepare: Callable[[Session, World], None] | None = None
    expect: dict[str, int] = field(default_factory=dict)  # per-caller exceptions


def files(name: str, content: bytes) -> dict[str, Any]:
    return {"files": {"file": (name, content)}}


CASES: dict[tuple[str, str], Case] = {
    # ---- accounts -------------------------------------------------------------------------
    ("POST", "/api/v1/organisations"): Case(
        lambda w: {"json": {"name": "新机构", "kind": "other", "place_code": "360313"}},
        allowed="admin", ok=201),
    ("POST", "/api/v1/tokens"): Case(
        lambda w: {"json": {"name": "自动站", "scopes": ["read"]}}, ok=201,
        # Anyone signed in may make a token for themselves (never with more scopes).
        expect={"viewer": 201, "other_editor": 201}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case(ok=204, prepare=my_token),
    ("POST", "/account/tokens"): Case(lambda w: {"data": {"name": "自动站"}}, ok=200,
                                      expect={"viewer": 200, "other_editor": 200}),
    # Self-service: each signed-in user changes their own password and ends their own
    # sessions; another user's session is "not found".
    ("POST", "/account/password"): Case(lambda w: {"data": {
        "current_password": PASSWORD, "new_password": "a-new-long-password",
        "new_password_again": "a-new-long-password"}}, ok=303,
        expect={"viewer": 303, "other_editor": 303}),
    ("POST", "/account/sessions/end-others"): Case(ok=303,
                                                   expect={"viewer": 303, "other_editor": 303}),
    ("POST", "/account/sessions/{session_id}/end"): Case(
        ok=303, prepare=my_session, expect={"viewer": 404, "other_editor": 404}),
    ("POST", "/account/tokens/{token_id}/revoke"): Case(ok=303, prepare=my_token),
    # ---- ecology --------------------------------------------------------------------------
    ("POST", "/api/v1/ecology/sections"): Case(lambda w: {"json": {
        "code": "XD2", "name": "湘东二号", "river": "萍水河", "basin": "渌水",
        "county_code": "360313", "level": "provincial", "target_class": 3}}, ok=201),
    ("POST", "/api/v1/ecology/readings"): Case(lambda w: {"json": {"readings": [
        {"section": "金鱼石", "time": "2025-08-01T08:00", "item": "nh3n", "value": 0.31}]}}),
    ("POST", "/api/v1/ecology/imports"): Case(lambda w: files("long.csv", LONG_CSV)),
    # Preview → confirm on the API as on the page: a refused preview keeps no file.
    ("POST", "/api/v1/ecology/imports/preview"): Case(lambda w: files("long.csv", LONG_CSV)),
    ("POST", "/api/v1/ecology/imports/confirm"): Case(
        lambda w: {"json": {"token": w.ids["water"]}}, prepare=lambda s, w: staged_water(s, w)),
    ("POST", "/ecology/import"): Case(lambda w: files("long.csv", LONG_CSV)),
    # Review (审核): the other party's ecology bureau (醴陵, Hunan) reviews what 湘东区 entered
    # by hand at 金鱼石; 湘东区 itself may not.
    ("POST", "/api/v1/ecology/batches/{batch_id}/review"): Case(
        allowed="liling", other="xiangdong", prepare=entered_batch),
    ("POST", "/api/v1/ecology/batches/{batch_id}/return"): Case(
        lambda w: {"json": {"reason": "氨氮数值与现场记录不符"}}, allowed="liling",
        other="xiangdong", prepare=entered_batch),
    ("POST", "/ecology/reviews/{batch_id}/review"): Case(
        allowed="liling", other="xiangdong", prepare=entered_batch, ok=303),
    ("POST", "/ecology/reviews/{batch_id}/return"): Case(
        lambda w: {"data": {"reason": "氨氮数值与现场记录不符"}}, allowed="liling",
        other="xiangdong", prepare=entered_batch, ok=303),
    ("POST", "/ecology/import/confirm"): Case(
        lambda w: {"data": {"token": w.ids["water"]}}, prepare=lambda s, w: staged_water(s, w)),
    # ---- compensation ledger ----------------------------------------------------------------
    ("POST", "/api/v1/ecology/compensation/agreements"): Case(lambda w: {"json": {
        "text": (ledger.BUILTIN_DIR / "lushui-2019.toml").read_text("utf-8")
        + "\n# 管理员更正\n"}}, allowed="admin", ok=201),
    ("POST", "/api/v1/ecology/compensation/statements/{statement_id}/confirm"): Case(
        allowed="hn-finance"),
    ("POST", "/api/v1/ecology/compensation/statements/{statement_id}/pay"): Case(
        lambda w: {"json": {"paid_on": "2020-04-20", "voucher_no": "湘财付001"}},
        allowed="hn-finance", prepare=confirm_both),
    ("POST", "/api/v1/ecology/compensation/statements/{statement_id}/close"): Case(
        allowed="jx-finance", prepare=pay),
    ("POST", "/api/v1/ecology/compensation/recompute"): Case(
        lambda w: {"json": {"series": "lushui", "as_of": "2020-01-01"}},
        allowed="jx-finance", other="scenic"),
    ("POST", "/api/v1/ecology/compensation/adjustments/{change_id}/settle"): Case(
        lambda w: {"json": {"paid_on": "2020-06-01", "voucher_no": "湘财付009"}},
        allowed="hn-finance", prepare=open_adjustment),
    ("POST", "/ecology/compensation/recompute"): Case(
        lambda w: {"data": {"series": "lushui"}}, allowed="jx-finance", other="scenic",
        ok=303),
    ("POST", "/ecology/compensation/adjustments/{change_id}/settle"): Case(
        lambda w: {"data": {"paid_on": "2020-06-01", "voucher_no": "湘财付009"}},
        allowed="hn-finance", prepare=open_adjustment, ok=303),
    ("POST", "/ecology/compensation/{statement_id}/confirm"): Case(
        allowed="hn-finance", ok=303),
    ("POST", "/ecology/compensation/{statement_id}/pay"): Case(
        lambda w: {"data": {"paid_on": "2020-04-20", "voucher_no": "湘财付001"}},
        allowed="hn-finance", prepare=confirm_both, ok=303),
    ("POST", "/ecology/compensation/{statement_id}/close"): Case(
        allowed="jx-finance", prepare=pay, ok=303),
    # ---- cooperation API ----------------------------------------------------------------------
    ("POST", "/api/v1/cooperation/agreements"): Case(lambda w: {"json": {
        "title": "湘东区生态共保协议", "parties": [{"name": "萍乡市湘东区人民政府"}],
        "field": "ecology", "signed_on": "2024-05-01"}}, ok=201),
    ("PATCH", "/api/v1/cooperation/agreements/{agreement_id}"): Case(
        lambda w: {"json": {"summary": "共建监测站"}}),
    ("POST", "/api/v1/cooperation/agreements/{agreement_id}/document"): Case(
        lambda w: files("协议.pdf", b"%PDF-1.4 signed")),
    ("POST", "/api/v1/cooperation/agreements/{agreement_id}/obligations"): Case(
        lambda w: {"json": {"description": "联合执法", "owner": "萍乡市湘东区人民政府"}}, ok=201),
    ("POST", "/api/v1/cooperation/obligations/{obligation_id}/reports"): Case(
        lambda w: {"data": {"reported_on": "2025-09-01", "text": "已开工"},
                   "files": {"evidence": ("照片.jpg", b"\xff\xd8jpeg")}}, ok=201),
    # A workbook naming no party of the caller's is refused whole, row by row (422).
    ("POST", "/api/v1/cooperation/agreements/import"): Case(
        lambda w: files("agreements.xlsx", AGREEMENT_BOOK), expect={"other_editor": 422}),
    ("POST", "/api/v1/cooperation/meetings"): Case(lambda w: {"json": {
        "title": "第二次联席会议", "kind": "joint_meeting", "held_on": "2025-10-01",
        "host": "萍乡市人民政府"}}, allowed="coop", ok=201),
    ("POST", "/api/v1/cooperation/resolutions/{resolution_id}/task"): Case(
        lambda w: {"json": {"owner_org_id": w.ids["jiangxi_org"], "deadline": "2030-06-01",
                            "title": "落实联合监测"}}, allowed="coop", ok=201),
    ("POST", "/api/v1/cooperation/projects"): Case(lambda w: {"json": {
        "name": "湘东新项目", "field": "ecology", "owner": "湘东区人民政府",
        "owner_place_code": "360313"}}, ok=201),
    ("POST", "/api/v1/cooperation/projects/{project_id}/reports"): Case(
        lambda w: {"json": {"reported_on": "2025-09-01", "percent_complete": 10}}, ok=201),
    ("POST", "/api/v1/cooperation/tasks"): Case(lambda w: {"json": {
        "title": "新的督办事项", "owner_org_id": w.ids["jiangxi_org"],
        "deadline": "2030-06-01"}}, allowed="coop", ok=201),
    ("POST", "/api/v1/cooperation/tasks/{task_id}/{action}"): Case(),
    ("POST", "/api/v1/cooperation/tasks/{task_id}/attachments"): Case(
        lambda w: {"files": {"files": ("通知.pdf", b"%PDF-1.4 notice")}}, allowed="coop",
        ok=201),
    ("POST", "/api/v1/cooperation/tasks/{task_id}/replies"): Case(
        lambda w: {"data": {"text": "方案已编制"},
                   "files": {"evidence": ("方案.pdf", b"%PDF-1.4 plan")}}, ok=201),
    ("POST", "/api/v1/cooperation/tasks/{task_id}/extensions"): Case(
        lambda w: {"json": {"new_deadline": "2030-03-01", "reason": "需等待统计数据"}}, ok=201),
    ("POST", "/api/v1/cooperation/tasks/{task_id}/extensions/{extension_id}/{decision}"): Case(
        allowed="coop", prepare=asked_extension),
    # ---- notifications (each user's own) --------------------------------------------------------
    ("POST", "/api/v1/notifications/read"): Case(expect={"viewer": 200, "other_editor": 200}),
    ("POST", "/api/v1/notifications/{notification_id}/read"): Case(prepare=my_notification),
    ("POST", "/notifications/read"): Case(ok=303, expect={"viewer": 303, "other_editor": 303}),
    ("POST", "/notifications/{notification_id}/read"): Case(ok=303, prepare=my_notification),
    ("POST", "/api/v1/cooperation/indicators/{code}/values"): Case(
        lambda w: {"json": {"period": "2025", "value": "3"}}, ok=201),
    ("POST", "/api/v1/cooperation/indicators/snapshot"): Case(
        lambda w: {"params": {"period": "2025"}}, allowed="coop"),
    # ---- cooperation pages --------------------------------------------------------------------
    ("POST", "/cooperation/tasks/new"): Case(lambda w: {"data": {
        "title": "新的督办事项", "owner_org_id": str(w.ids["jiangxi_org"]),
        "deadline": "2030-06-01"}}, allowed="coop", ok=303),
    ("POST", "/cooperation/tasks/{task_id}/{action}"): Case(ok=303),
    ("POST", "/cooperation/tasks/{task_id}/replies"): Case(
        lambda w: {"data": {"text": "方案已编制"},
                   "files": {"evidence": ("方案.pdf", b"%PDF-1.4 plan")}}, ok=303),
    ("POST", "/cooperation/tasks/{task_id}/attachments"): Case(
        lambda w: {"files": {"files": ("通知.pdf", b"%PDF-1.4 notice")}}, allowed="coop",
        ok=303),
    ("POST", "/cooperation/tasks/{task_id}/extensions"): Case(
        lambda w: {"data": {"new_deadline": "2030-03-01", "reason": "需等待统计数据"}}, ok=303),
    ("POST", "/cooperation/tasks/{task_id}/extensions/{extension_id}/{decision}"): Case(
        allowed="coop", prepare=asked_extension, ok=303),
    ("POST", "/cooperation/meetings/new"): Case(lambda w: {"data": {
        "title": "第二次联席会议", "kind": "joint_meeting", "held_on": "2025-10-01",
        "host": "萍乡市人民政府"}}, allowed="coop", ok=303),
    ("POST", "/cooperation/agreements/new"): Case(lambda w: {"data": {
        "title": "湘东区生态共保协议", "parties": "萍乡市湘东区人民政府", "field": "ecology",
        "signed_on": "2024-05-01"}, "files": {"document": ("协议.pdf", b"%PDF-1.4")}},
        ok=303),
    ("POST", "/cooperation/agreements/{agreement_id}/status"): Case(
        lambda w: {"data": {"status": "terminated", "effective_on": "2025-09-01"}}, ok=303),
    ("POST", "/cooperation/obligations/{obligation_id}/reports"): Case(
        lambda w: {"data": {"reported_on": "2025-09-01", "text": "已开工"},
                   "files": {"evidence": ("照片.jpg", b"\xff\xd8jpeg")}}, ok=303),
    ("POST", "/cooperation/agreements/{agreement_id}/obligations"): Case(
        lambda w: {"data": {"description": "联合执法", "owner": "萍乡市湘东区人民政府"}},
        ok=303),
    ("POST", "/cooperation/agreements/import"): Case(
        lambda w: files("agreements.xlsx", AGREEMENT_BOOK), expect={"other_editor": 422}),
    ("POST", "/cooperation/agreements/import/confirm"): Case(
        lambda w: {"data": {"sha256": w.ids["book"]}}, prepare=lambda s, w: stored_book(s, w),
        expect={"other_editor": 422}),
    ("POST", "/cooperation/projects/new"): Case(lambda w: {"data": {
        "name": "湘东新项目", "field": "ecology", "owner": "湘东区人民政府",
        "owner_place_code": "360313"}}, ok=303),
    ("POST", "/cooperation/projects/{project_id}/reports"): Case(
        lambda w: {"data": {"reported_on": "2025-09-01", "percent_complete": "10"},
                   "files": {"attachment": ("进度.pdf", b"%PDF-1.4 progress")}}, ok=303),
    ("POST", "/cooperation/projects/{project_id}/milestones"): Case(
        lambda w: {"data": {"name": "竣工", "due_on": "2026-12-01"}}, ok=303),
    ("POST", "/cooperation/milestones/{milestone_id}/done"): Case(
        lambda w: {"data": {"done_on": "2025-09-01"}}, ok=303),
    ("POST", "/cooperation/milestones/{milestone_id}/edit"): Case(
        lambda w: {"data": {"name": "开工仪式", "due_on": "2025-12-01"}}, ok=303),
    ("POST", "/cooperation/milestones/{milestone_id}/delete"): Case(ok=303),
    ("POST", "/cooperation/projects/{project_id}/sites"): Case(
        lambda w: {"data": {"sites": ["360313", "430281"]}}, ok=303),
    ("POST", "/cooperation/indicators/{code}/values"): Case(
        lambda w: {"data": {"period": "2025", "value": "3"},
                   "files": {"evidence": ("统计表.pdf", b"%PDF-1.4 figures")}}, ok=303),
    # ---- 跨省通办 pages: the window's steps, the department's, the office's catalogue -------
    ("POST", "/services/cases/new"): Case(lambda w: {"data": {
        "applicant_kind": "person", "applicant_name": "李四", "id_number": _gov_id(),
        "item_id": str(w.ids["gov_item"]), "mode": "proxy",
        "window_id": str(w.ids["gov_window"]), "department_id": str(w.ids["gov_dept"])}},
        allowed="jxwin", other="hndept", ok=303, prepare=gov_stage("")),
    ("POST", "/services/cases/{case_id}/steps"): Case(lambda w: {"data": {
        "action": "collect", "formal_check_ok": "1", "identity_checked": "1"}},
        allowed="jxwin", other="hndept", ok=303, prepare=gov_stage("applied")),
    ("POST", "/services/cases/{case_id}/postage"): Case(lambda w: {"data": {
        "first_day": "2025-09-25", "last_day": "2025-09-26"}},
        allowed="hndept", other="jxwin", ok=303, prepare=gov_stage("accepted")),
    # The full view writes only its audit row; an editor of the department has no right.
    ("POST", "/services/cases/{case_id}/full"): Case(
        allowed="hnhead", other="hndept", prepare=gov_stage("accepted")),
    ("POST", "/services/cases/{case_id}/evaluation"): Case(lambda w: {"data": {
        "grade": "satisfied"}}, allowed="jxwin", other="hndept", ok=303,
        prepare=gov_stage("delivered")),
    ("POST", "/services/followups/{followup_id}/answer"): Case(lambda w: {"data": {
        "rectification": "增设帮办岗", "reply": "已电话回访"}}, allowed="jxwin",
        other="hndept", ok=303, prepare=gov_stage("followup")),
    ("POST", "/services/items/new"): Case(lambda w: {"data": {
        "code": "M-002", "name": "新事项", "department_kind": "other", "modes": ["online"]}},
        allowed="pxoffice", other="jxwin", ok=303, prepare=gov_stage("")),
    ("POST", "/services/windows/new"): Case(lambda w: {"data": {
        "name": "湘东区第二窗口", "place_code": "360313",
        "organisation_id": str(w.ids["gov_window_org"])}},
        allowed="pxoffice", other="jxwin", ok=303, prepare=gov_stage("")),
    ("POST", "/services/agreements/new"): Case(lambda w: {"data": {
        "agreement_id": str(w.ids["agreement"]), "collect_place_codes": "360313",
        "handle_place_codes": "430281"}},
        allowed="pxoffice", other="jxwin", ok=303, prepare=gov_stage("")),
}


# ---- 跨省通办 (gov_services) ------------------------------------------------------------------


def api_gov_world(session: Session, w: World) -> None:
    """A Jiangxi window (湘东区) collecting for a Hunan department (醴陵市), the supervising
    office (萍乡市), their editors, an item (postage pauses its clock) and a case applied."""
    from stdnum.cn import ric

    from coopzone.gov_services import service as gov
    from coopzone.gov_services.schemas import CaseCreate, ItemCreate, WindowCreate

    org = accounts.create_organisation
    window_org = org(session, "湘东区政务服务中心", "service_window", "360313")
    dept = org(session, "醴陵市公安局", "service_department", "430281")
    office_org = org(session, "萍乡市政务服务管理局", "services_office", "360300")
    for name, where in (("gov-office", office_org), ("gov-window", window_org),
                        ("gov-dept", dept)):
        user = accounts.create_user(session, name, PASSWORD, name)
        accounts.grant_role(session, user, where, "editor")
        w.users[name] = user
    session.flush()
    office = accounts.principal_for(session, w.users["gov-office"].id)
    clerk = accounts.principal_for(session, w.users["gov-window"].id)
    item = gov.create_item(session, office, ItemCreate(
        code="T-001", name="户口迁移（测试）", department_kind="public_security",
        modes=["proxy"], statutory_days=20, postage_pauses=True))
    window = gov.create_window(session, office, WindowCreate(
        name="湘东区跨省通办窗口", place_code="360313", organisation_id=window_org.id))
    body = "43028119900307123"
    case = gov.create_case(session, clerk, CaseCreate(
        applicant_kind="person", applicant_name="张小三",
        id_number=body + ric.calc_check_digit(body + "0"), item_id=item.id, mode="proxy",
        window_id=window.id, department_id=dept.id,
        applied_at=datetime(2025, 9, 22, 10)))
    session.commit()
    w.ids.update({"case": case.id, "item": item.id, "window": window.id, "dept": dept.id,
                  "window_org": window_org.id})


def gov_steps(session: Session, w: World, *actions: str) -> None:
    from coopzone.db import SHANGHAI
    from coopzone.gov_services import service as gov

    who = {"collect": "gov-window", "send": "gov-window"}
    for action in actions:
        principal = accounts.principal_for(session, w.users[who.get(action, "gov-dept")].id)
        extra: dict[str, Any] = ({"formal_check_ok": True, "identity_checked": True}
                                 if action == "collect" else {})
        gov.move_case(session, principal, w.ids["case"], action,
                      at=datetime(2025, 9, 24, 10, tzinfo=SHANGHAI), **extra)
    session.commit()


def gov_accepted(session: Session, w: World) -> None:
    api_gov_world(session, w)
    gov_steps(session, w, "collect", "send", "accept")


def gov_delivered(session: Session, w: World) -> None:
    gov_accepted(session, w)
    gov_steps(session, w, "approve", "deliver")


def gov_followup(session: Session, w: World) -> None:
    from coopzone.gov_services import service as gov
    from coopzone.gov_services.schemas import EvaluationCreate

    gov_delivered(session, w)
    done = gov.evaluate_case(session, accounts.principal_for(session, w.users["gov-window"].id),
                             w.ids["case"], EvaluationCreate(grade="very_dissatisfied"))
    session.commit()
    assert done.followup is not None
    w.ids["followup"] = done.followup.id


def gov_kstb(session: Session, w: World) -> None:
    from coopzone.gov_services import service as gov
    from coopzone.gov_services.schemas import KstbAgreementCreate

    api_gov_world(session, w)
    row = gov.create_kstb_agreement(
        session, accounts.principal_for(session, w.users["gov-office"].id),
        KstbAgreementCreate(agreement_id=w.ids["agreement"], collect_place_codes=["360313"],
                            handle_place_codes=["430281"]))
    session.commit()
    w.ids["kstb"] = row.id


LEDGER_CSV = ("受理编号,申请人,证件号码,事项,办理部门,收件日期\n"
              "XD-0001,李四,430281199003071235,户口迁移（测试）,醴陵市公安局,2025-09-22\n").encode()
ITEMS_CSV = "事项编码,事项名称,办理方式,法定时限\nPX-001,本地测试事项,全程网办,5\n".encode()


def gov_staged(session: Session, w: World) -> None:
    """The window's ledger as its clerk's preview leaves it (staged for the ledger import)."""
    api_gov_world(session, w)
    doc = stage(session, w.ids["files_dir"], "台账.csv", LEDGER_CSV, "gov-window",
                suffix=".csv", target=gov_ledger.IMPORT_TARGETS["ledger"],
                user_id=w.users["gov-window"].id)
    session.commit()
    w.ids["ledger"] = doc.sha256


GOV_CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/services/cases"): Case(lambda w: {"json": {
        "applicant_kind": "person", "applicant_name": "李四", "id_number": "430281199003071235",
        "item_id": w.ids["item"], "mode": "proxy", "window_id": w.ids["window"],
        "department_id": w.ids["dept"]}}, allowed="gov-window", ok=201, prepare=api_gov_world),
    ("POST", "/api/v1/services/cases/{case_id}/steps"): Case(lambda w: {"json": {
        "action": "collect", "formal_check_ok": True, "identity_checked": True}},
        allowed="gov-window", prepare=api_gov_world),
    ("POST", "/api/v1/services/cases/{case_id}/pauses"): Case(lambda w: {"json": {
        "first_day": "2025-09-26", "last_day": "2025-09-28"}}, allowed="gov-dept", ok=201,
        prepare=gov_accepted),
    ("POST", "/api/v1/services/cases/{case_id}/evaluation"): Case(
        lambda w: {"json": {"grade": "satisfied"}}, allowed="gov-window", ok=201,
        prepare=gov_delivered),
    ("POST", "/api/v1/services/followups/{followup_id}/answer"): Case(
        lambda w: {"json": {"rectification": "增设窗口", "reply": "已回访"}},
        allowed="gov-window", prepare=gov_followup),
    ("POST", "/api/v1/services/ledger/import"): Case(
        lambda w: {**files("台账.csv", LEDGER_CSV), "params": {"window_id": w.ids["window"]}},
        allowed="gov-window", prepare=api_gov_world),
    ("POST", "/api/v1/services/items/import"): Case(
        lambda w: files("事项.csv", ITEMS_CSV), allowed="gov-office", prepare=api_gov_world),
    ("POST", "/api/v1/services/items"): Case(lambda w: {"json": {
        "code": "T-002", "name": "社保转移（测试）", "department_kind": "other",
        "modes": ["online"]}}, allowed="gov-office", ok=201, prepare=api_gov_world),
    ("PATCH", "/api/v1/services/items/{item_id}"): Case(
        lambda w: {"json": {"note": "更新"}}, allowed="gov-office", prepare=api_gov_world),
    ("POST", "/api/v1/services/windows"): Case(lambda w: {"json": {
        "name": "湘东区第二窗口", "place_code": "360313",
        "organisation_id": w.ids["window_org"]}}, allowed="gov-office", ok=201,
        prepare=api_gov_world),
    ("PATCH", "/api/v1/services/windows/{window_id}"): Case(
        lambda w: {"json": {"opening_hours": "全天"}}, allowed="gov-office", prepare=api_gov_world),
    ("POST", "/api/v1/services/agreements"): Case(lambda w: {"json": {
        "agreement_id": w.ids["agreement"], "collect_place_codes": ["360313"],
        "handle_place_codes": ["430281"]}}, allowed="gov-office", ok=201, prepare=api_gov_world),
    ("PATCH", "/api/v1/services/agreements/{kstb_id}"): Case(
        lambda w: {"json": {"note": "互认"}}, allowed="gov-office", prepare=gov_kstb),
    # The catalogue's edit forms: the supervising office of the stored record's place.
    ("POST", "/services/items/{item_id}/edit"): Case(lambda w: {"data": {
        "name": "户口迁移（测试）", "department_kind": "public_security", "modes": ["proxy"],
        "statutory_days": "20", "promised_days": "10", "note": "更新"}},
        allowed="gov-office", other="gov-window", ok=303, prepare=api_gov_world),
    ("POST", "/services/windows/{window_id}/edit"): Case(lambda w: {"data": {
        "name": "湘东区跨省通办窗口", "place_code": "360313",
        "organisation_id": str(w.ids["window_org"]), "opening_hours": "全天"}},
        allowed="gov-office", other="gov-window", ok=303, prepare=api_gov_world),
    ("POST", "/services/agreements/{kstb_id}/edit"): Case(lambda w: {"data": {
        "collect_place_codes": "360313", "handle_place_codes": "430281", "note": "互认"}},
        allowed="gov-office", other="gov-window", ok=303, prepare=gov_kstb),
    ("POST", "/services/import"): Case(
        lambda w: {**files("台账.csv", LEDGER_CSV),
                   "data": {"kind": "ledger", "window_id": str(w.ids["window"])}},
        allowed="gov-window", prepare=api_gov_world),
    ("POST", "/services/import/confirm"): Case(
        lambda w: {"data": {"sha256": w.ids["ledger"], "kind": "ledger",
                            "window_id": str(w.ids["window"])}},
        allowed="gov-window", prepare=gov_staged),
}
CASES.update(GOV_CASES)


def stored_book(session: Session, w: World) -> None:
    """The workbook as 湘东区's preview leaves it: staged by its hash for the confirmation."""
    doc = stage(session, w.ids["files_dir"], "agreements.xlsx", AGREEMENT_BOOK, "xiangdong",
                target=AGREEMENTS_IMPORT, user_id=w.users["xiangdong"].id)
    session.commit()
    w.ids["book"] = doc.sha256


def staged_water(session: Session, w: World) -> None:
    """A readings file as 湘东区's preview leaves it: staged by its hash for the
    confirmation (醴陵, another ecology bureau, may confirm it: its sections refuse it)."""
    doc = stage(session, w.ids["files_dir"], "long.csv", LONG_CSV, "xiangdong",
                target=READINGS_IMPORT, user_id=w.users["xiangdong"].id)
    session.commit()
    w.ids["water"] = doc.sha256


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    def walk(routes: list[Any]) -> list[Any]:
        out: list[Any] = []
        for r in routes:
            if hasattr(r, "effective_candidates"):  # an included router
                out.extend(walk(r.effective_candidates()))
            else:
                out.append(r)
        return out

    found = []
    for route in walk(list(app.routes)):
        for method in sorted((getattr(route, "methods", None) or set())
                             - {"GET", "HEAD", "OPTIONS"}):
            found.append((method, route.path))
    return sorted(found)


def test_every_write_route_has_a_case(app: FastAPI) -> None:
    routes = write_routes(app)
    assert len(routes) >= 50
    missing = [r for r in routes if r not in CASES and r not in EXEMPT]
    assert missing == [], f"write routes without an access-matrix case: {missing}"
    assert sorted(set(CASES) - set(routes)) == [], "cases for routes that no longer exist"


def _path(template: str, w: World) -> str:
    values = {"token_id": w.ids.get("token"), "session_id": w.ids.get("session"),
              "statement_id": w.ids["statement"],
              "change_id": w.ids.get("change"), "agreement_id": w.ids["agreement"],
              "obligation_id": w.ids["obligation"], "resolution_id": w.ids["resolution"],
              "project_id": w.ids["project"], "milestone_id": w.ids["milestone"],
              "task_id": w.ids["task"], "action": "start", "code": "xd_reported",
              "batch_id": w.ids.get("batch"),
              "extension_id": w.ids.get("extension"), "decision": "grant",
              "notification_id": w.ids.get("notification"), "case_id": w.ids.get("case"),
              "followup_id": w.ids.get("followup"), "item_id": w.ids.get("item"),
              "window_id": w.ids.get("window"), "kstb_id": w.ids.get("kstb")}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def snapshot(session: Session, data_dir: Path) -> tuple[dict[str, int], list[str]]:
    session.expire_all()
    counts = {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
              for t in Base.metadata.sorted_tables}
    on_disk = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())
    return counts, on_disk


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


class Caller:
    """One kind of caller: headers for the API, a logged-in cookie client for pages."""

    def __init__(self, app: FastAPI, session: Session, user: User | None,
                 scopes: list[str] | None, page: bool) -> None:
        self.client = TestClient(app)
        self.headers: dict[str, str] = {}
        self.csrf = ""
        if user is not None and (scopes == ["read"] or not page):
            self.headers = token_for(session, user, scopes)
        elif page:
            self.csrf = csrf_of(self.client.get("/login").text)
            if user is not None:
                response = self.client.post("/login", data={
                    "username": user.username, "password": PASSWORD, "csrf_token": self.csrf},
                    follow_redirects=False)
                assert response.status_code == 303
                self.csrf = csrf_of(self.client.get("/account").text)

    def call(self, method: str, path: str, kwargs: dict[str, Any]) -> Any:
        kwargs = dict(kwargs)
        if not path.startswith("/api/"):
            kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": self.csrf}
        return self.client.request(method, path, headers=self.headers,
                                   follow_redirects=False, **kwargs)


@pytest.mark.parametrize(("method", "template"), sorted(CASES), ids=lambda v: str(v))
def test_access_matrix(engine: Engine, session_factory: sessionmaker[Session],
                       session: Session, people: People, office: Coop, tmp_path: Path,
                       method: str, template: str) -> None:
    case = CASES[(method, template)]
    app = create_app(make_settings(str(engine.url), data_dir=tmp_path), session_factory)
    w = build_world(session, people, office)
    w.ids["files_dir"] = tmp_path / "files"
    if case.prepare is not None:
        case.prepare(session, w)
    path = _path(template, w)
    page = not path.startswith("/api/")
    allowed = w.users[case.allowed]
    callers = {
        "anonymous": Caller(app, session, None, None, page),
        "viewer": Caller(app, session, w.users["viewer"], None, page),
        "read_token": Caller(app, session, allowed, ["read"], page),
        "other_editor": Caller(app, session, w.users[case.other], None, page),
        "admin_read_token": Caller(app, session, w.users["admin"], ["read"], page),
    }
    refusal = {"anonymous": 303 if page else 401}
    before = snapshot(session, tmp_path)
    for name in REFUSERS:
        response = callers[name].call(method, path, case.body(w))
        expected = case.expect.get(name, refusal.get(name, 403))
        assert response.status_code == expected, (name, response.text[:300])
        if name not in case.expect or expected >= 400:  # refused: nothing written
            assert snapshot(session, tmp_path) == before, f"{name} wrote something"
        if expected == 403 and not page:
            assert response.json()["error"] == "forbidden"
        if name == "anonymous" and page:
            assert response.headers["location"].startswith("/login")
        before = snapshot(session, tmp_path)
    response = Caller(app, session, allowed, None, page).call(method, path, case.body(w))
    assert response.status_code == case.ok, response.text[:500]
