"""A worker warms its caches before its first request (production default): the public pages
are asked for once in-process, so a section's evaluation is ready and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import LoginSession
from coopzone.api.app import create_app
from coopzone.db import transaction
from coopzone.ecology import readings_cache
from coopzone.ecology.models import Section
from coopzone.kit import data_versions
from coopzone.kit.data_versions import DataVersion
from coopzone.migrate import upgrade
from coopzone.places.service import load_places
from tests.ecology.ledger_support import GOOD, make_section, write_month
from tests.helpers import database_url, make_settings


@pytest.fixture(autouse=True)
def forget_caches() -> Iterator[None]:
    """The warm-ups here fill this process's caches from databases of their own."""
    yield
    data_versions.forget()
    readings_cache.invalidate()


def test_production_warms_by_default_and_other_environments_do_not() -> None:
    assert make_settings("sqlite://", env="production").warm_caches
    assert not make_settings("sqlite://").warm_caches
    assert not make_settings("sqlite://", env="production", warm_caches=False).warm_caches


def test_a_start_warms_every_public_page_and_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
    caplog: pytest.LogCaptureFixture
) -> None:
    url = database_url(tmp_path_factory, "coopzone_warm")
    upgrade(url)
    app = create_app(make_settings(url, data_dir=tmp_path, warm_caches=True))
    factory = app.state.session_factory
    with transaction(factory, write=True) as session:
        load_places(session)
        write_month(session, make_section(session), 2024, 6, GOOD)

    def written(session: Session) -> tuple[int, int]:
        return (session.scalar(select(func.sum(DataVersion.version))) or 0,
                session.scalar(select(func.count()).select_from(LoginSession)) or 0)

    with factory() as session:
        before = written(session)
        section_id = session.scalar(select(Section.id))
    readings_cache.invalidate()
    caplog.set_level("INFO", logger="coopzone.api.warm")
    with TestClient(app):  # the start (lifespan) runs the warm-up
        entries = [k for k in readings_cache._entries
                   if k[:2] == (("evaluate", "month"), section_id)]
        assert entries, "the section's evaluation was not cached at start"
    assert "warmed 14 pages" in caplog.text and "not 200" not in caplog.text
    with factory() as session:
        assert written(session) == before


def test_a_start_without_a_database_still_starts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'none.sqlite3'}"
    app = create_app(make_settings(url, data_dir=tmp_path, warm_caches=True))
    with TestClient(app) as client:  # warming failed (logged): the app still answers
        assert client.get("/api/v1/health").status_code == 200
