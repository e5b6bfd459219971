"""A small 跨省通办 world: a Jiangxi window (湘东区) collecting for a Hunan department (醴陵市),
a Hunan window and a Jiangxi department for the other direction, a supervising office, and
principals for every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation
from coopzone.accounts.service import Principal
from coopzone.db import SHANGHAI
from coopzone.engines.working_days import Calendar, shipped_calendar
from coopzone.gov_services import service
from coopzone.gov_services.models import Case, Item, Window
from coopzone.gov_services.schemas import CaseCreate, ItemCreate, WindowCreate
from tests.helpers import PASSWORD


def resident_id(place: str = "430281", birth: str = "19900307", seq: str = "123") -> str:
    body = place + birth + seq
    return body + ric.calc_check_digit(body + "0")  # the library reads the first 17


def credit_code(place: str = "360313") -> str:
    body = "91" + place + "MA35L7K8P"
    return body + uscc.calc_check_digit(body)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


@dataclass
class World:
    calendar: Calendar
    item: Item  # 10 promised / 20 statutory working days, all modes
    jx_window: Window  # 湘东区 360313
    hn_window: Window  # 醴陵市 430281
    hn_dept: Organisation  # 醴陵市公安局 430281
    jx_dept: Organisation  # 湘东区人社局 360313
    jx_window_clerk: Principal
    hn_window_clerk: Principal
    hn_dept_clerk: Principal
    hn_dept_admin: Principal  # may see personal data
    jx_dept_clerk: Principal
    hn_viewer: Principal  # viewer of the Hunan department
    office: Principal  # 萍乡市政务服务中心 (360300) editor
    admin: Principal  # platform administrator

    def apply(self, session: Session, mode: str = "proxy", day: date = date(2025, 9, 22),
              **over: object) -> Case:
        values: dict[str, object] = {
            "applicant_kind": "person", "applicant_name": "张小三",
            "id_number": resident_id(), "phone": "13812345678", "address": "湖南省醴陵市某路1号",
            "address_place_code": "430281", "item_id": self.item.id, "mode": mode,
            "window_id": self.jx_window.id if mode != "online" else None,
            "department_id": self.hn_dept.id, "materials_received": ["身份证复印件"],
            "applied_at": at(day)}
        values.update(over)
        who = {self.jx_window.id: self.jx_window_clerk, self.hn_window.id: self.hn_window_clerk,
               None: self.hn_dept_clerk}[values["window_id"]]  # type: ignore[index]
        return service.create_case(session, who, CaseCreate(**values))  # type: ignore[arg-type]

    def move(self, session: Session, who: Principal, case: Case, action: str, day: date,
             note: str = "", **data: object) -> Case:
        return service.move_case(session, who, case.id, action, note, at=at(day),
                                 calendar=self.calendar, **data)  # type: ignore[arg-type]

    def accepted(self, session: Session, day: date = date(2025, 9, 24)) -> Case:
        """A proxy case collected and sent on the 22nd and 23rd, accepted on ``day``."""
        case = self.apply(session)
        self.move(session, self.jx_window_clerk, case, "collect", date(2025, 9, 22),
                  formal_check_ok=True, identity_checked=True)
        self.move(session, self.jx_window_clerk, case, "send", date(2025, 9, 23),
                  tracking_number="SF1234567890")
        return self.move(session, self.hn_dept_clerk, case, "accept", day)


def _principal(session: Session, name: str, org: Organisation, role: str) -> Principal:
    user = accounts.create_user(session, name, PASSWORD, name)
    accounts.grant_role(session, user, org, role)
    session.flush()
    return accounts.principal_for(session, user.id)


@pytest.fixture
def world(session: Session) -> World:
    org = accounts.create_organisation
    jx_window_org = org(session, "湘东区政务服务中心", "service_window", "360313")
    hn_window_org = org(session, "醴陵市政务服务中心", "service_window", "430281")
    hn_dept = org(session, "醴陵市公安局", "service_department", "430281")
    jx_dept = org(session, "湘东区人力资源和社会保障局", "service_department", "360313")
    office_org = org(session, "萍乡市政务服务管理局", "services_office", "360300")
    hn_office_org = org(session, "株洲市政务服务中心", "services_office", "430200")
    office = _principal(session, "pxoffice", office_org, "editor")
    hn_office = _principal(session, "zzoffice", hn_office_org, "editor")
    item = service.create_item(session, office, ItemCreate(
        code="T-001", name="户口迁移（测试）", department="公安部",
        department_kind="public_security", modes=["proxy", "online", "joint"],
        statutory_days=20, promised_days=10, materials=["居民身份证", "户口簿"],
        legal_basis="《户口登记条例》"))
    jx_window = service.create_window(session, office, WindowCreate(
        name="湘东区跨省通办窗口", place_code="360313", organisation_id=jx_window_org.id,
        opening_hours="工作日 9:00-17:00"))
    hn_window = service.create_window(session, hn_office, WindowCreate(
        name="醴陵市跨省通办窗口", place_code="430281", organisation_id=hn_window_org.id))
    admin_user = accounts.create_user(session, "root", PASSWORD, "平台管理员",
                                      is_platform_admin=True)
    session.flush()
    return World(
        calendar=shipped_calendar(), item=item, jx_window=jx_window, hn_window=hn_window,
        hn_dept=hn_dept, jx_dept=jx_dept,
        jx_window_clerk=_principal(session, "jxwin", jx_window_org, "editor"),
        hn_window_clerk=_principal(session, "hnwin", hn_window_org, "editor"),
        hn_dept_clerk=_principal(session, "hndept", hn_dept, "editor"),
        hn_dept_admin=_principal(session, "hnhead", hn_dept, "admin"),
        jx_dept_clerk=_principal(session, "jxdept", jx_dept, "editor"),
        hn_viewer=_principal(session, "hnview", hn_dept, "viewer"),
        office=office, admin=accounts.principal_for(session, admin_user.id))
