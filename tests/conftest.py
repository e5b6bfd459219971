"""Shared fixtures: a real, migrated database (SQLite by default, PostgreSQL when
COOPZONE_TEST_DATABASE_URL is set), rolled back after each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.accounts.audit import install_audit_hook, set_actor
from coopzone.accounts.models import Organisation, User
from coopzone.accounts.security import use_cheap_hashing
from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.db import make_engine
from coopzone.migrate import upgrade
from coopzone.places.service import load_places

use_cheap_hashing()

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


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    install_audit_hook()
    url = database_url(tmp_path_factory, "coopzone_unit")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    with Session(engine) as session:
        load_places(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the code under test only release a savepoint; the test's outer
    # transaction is rolled back, so no test sees another's rows.
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        set_actor(s, None, "test")
        yield s


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return make_settings(str(engine.url), login_slow_after=3)


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    return create_app(settings, session_factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class People:
    """Organisations and users of both provinces for permission tests."""

    hunan_county_org: Organisation  # 醴陵市 430281
    jiangxi_county_org: Organisation  # 湘东区 360313
    hunan_editor: User
    jiangxi_editor: User
    viewer: User
    admin: User


@pytest.fixture
def people(session: Session) -> People:
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
