"""Helpers shared by the whole test suite (no fixtures here: conftest files hold those and
build on these): settings and databases, the people of both provinces and the cooperation
office, API tokens, row counts and workbooks built in memory."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation, User
from coopzone.accounts.service import Principal
from coopzone.config import Settings
from coopzone.cooperation import service
from coopzone.cooperation.schemas import AgreementCreate, PartyIn, TaskCreate
from coopzone.db import Base, make_engine

PASSWORD = "correct-horse-battery"
SECRET = "test-secret-key-not-for-production"


def database_url(tmp_path_factory: pytest.TempPathFactory, name: str) -> str:
    """A fresh database per call: a new SQLite file, or a new PostgreSQL database."""
    pg = os.environ.get("COOPZONE_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp_path_factory.mktemp(name) / 'test.sqlite3'}"
    base, _, _ = pg.rpartition("/")
    admin = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


def make_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"env": "test", "secret_key": SECRET, "database_url": url}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class People:
    """Organisations and users of both provinces for permission tests."""

    hunan_county_org: Organisation  # 醴陵市 430281
    jiangxi_county_org: Organisation  # 湘东区 360313
    hunan_editor: User
    jiangxi_editor: User
    viewer: User
    admin: User


def make_people(session: Session) -> People:
    """Two ecology bureaus (醴陵 430281, 湘东 360313), their editors, a viewer, an admin."""
    hunan = accounts.create_organisation(session, "醴陵市生态环境分局", "ecology_bureau", "430281")
    jiangxi = accounts.create_organisation(session, "湘东区生态环境分局", "ecology_bureau",
                                           "360313")
    hunan_editor = accounts.create_user(session, "liling", PASSWORD, "醴陵编辑")
    jiangxi_editor = accounts.create_user(session, "xiangdong", PASSWORD, "湘东编辑")
    viewer = accounts.create_user(session, "viewer", PASSWORD, "只读")
    admin = accounts.create_user(session, "admin", PASSWORD, "管理员", is_platform_admin=True)
    accounts.grant_role(session, hunan_editor, hunan, "editor")
    accounts.grant_role(session, jiangxi_editor, jiangxi, "editor")
    accounts.grant_role(session, viewer, jiangxi, "viewer")
    session.commit()
    return People(hunan, jiangxi, hunan_editor, jiangxi_editor, viewer, admin)


def token_for(session: Session, user: User, scopes: list[str] | None = None) -> dict[str, str]:
    _token, plain = accounts.create_token(session, user, "test", scopes or ["read", "write"])
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


@dataclass
class Coop:
    people: People
    office_org: Organisation  # 萍乡市湘赣边区域合作发展事务中心, 360300
    office_editor: User
    office: Principal
    hunan: Principal  # editor of 醴陵市生态环境分局 (430281)
    jiangxi: Principal  # editor of 湘东区生态环境分局 (360313)
    viewer: Principal  # viewer of the 湘东 organisation
    admin: Principal


def make_coop(session: Session, people: People) -> Coop:
    """The cooperation office (360300) and its editor on top of ``people``, as principals."""
    office_org = accounts.create_organisation(session, "萍乡市湘赣边区域合作发展事务中心",
                                              "cooperation_office", "360300")
    editor = accounts.create_user(session, "coop", PASSWORD, "合作中心编辑")
    accounts.grant_role(session, editor, office_org, "editor")
    session.commit()

    def p(user: User) -> Principal:
        return accounts.principal_for(session, user.id)

    return Coop(people, office_org, editor, p(editor), p(people.hunan_editor),
                p(people.jiangxi_editor), p(people.viewer), p(people.admin))


def count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ("序号", "协议名称", "签署单位", "签署日期", "领域", "状态")
GOOD_ROWS = (
    (1, "萍乡市—醴陵市毗邻地区交通基础设施互联互通合作协议", "萍乡市人民政府、醴陵市人民政府",
     date(2022, 5, 12), "交通", "履行中"),
    (2, "湘东区—醴陵市共建省际合作产业园区协议", "萍乡市湘东区人民政府；醴陵市人民政府",
     "2023-03-08", "产业", "履行中"),
    (3, "萍乡市—浏阳市红色文旅融合发展合作协议",
     "萍乡市文化广电新闻出版旅游局、浏阳市文化旅游广电体育局", "2024年7月1日", "文旅", "已签署"),
)


def xiangdong_agreement(session: Session, office: Principal, title: str = "湘东—醴陵协议"
                        ) -> int:
    """An agreement between 湘东区 (Jiangxi) and 萍乡市; no Hunan party."""
    agreement = service.create_agreement(session, office, AgreementCreate(
        title=title, parties=[PartyIn(name="萍乡市湘东区人民政府"), PartyIn(name="萍乡市人民政府")],
        field="ecology", signed_on=date(2023, 4, 1), status="in_force"))
    return agreement.id


def new_task(session: Session, coop: Coop, owner: Organisation | None = None,
             deadline: date = date(2030, 1, 1), title: str = "报送跨界断面监测方案") -> int:
    task = service.create_task(session, coop.office, TaskCreate(
        title=title, owner_org_id=(owner or coop.people.jiangxi_county_org).id,
        deadline=deadline))
    return task.id
