"""Shared fixtures: a real, migrated database (SQLite by default, PostgreSQL when
COOPZONE_TEST_DATABASE_URL is set), rolled back after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts.audit import install_audit_hook, set_actor
from coopzone.accounts.security import use_cheap_hashing
from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.db import make_engine
from coopzone.migrate import upgrade
from coopzone.places.service import load_places
from tests.helpers import People, database_url, make_people, make_settings

use_cheap_hashing()


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


@pytest.fixture
def people(session: Session) -> People:
    return make_people(session)
