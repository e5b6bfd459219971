"""Cooperation fixtures: the cooperation office and its editor on top of ``people``, principals,
and workbooks built in memory."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation, User
from coopzone.accounts.service import Principal
from coopzone.api.app import create_app
from coopzone.cooperation import service
from coopzone.cooperation.schemas import AgreementCreate, PartyIn, TaskCreate
from coopzone.db import Base
from tests.conftest import PASSWORD, People, make_settings


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


@pytest.fixture
def coop(session: Session, people: People) -> Coop:
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


@pytest.fixture
def files_client(engine: Engine, session_factory: sessionmaker[Session],
                 tmp_path: Path) -> Iterator[TestClient]:
    """A client whose uploads land in a temporary data directory."""
    app = create_app(make_settings(str(engine.url), data_dir=tmp_path), session_factory)
    with TestClient(app) as client:
        yield client
