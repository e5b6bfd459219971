"""Cooperation fixtures: the cooperation office and its editor on top of ``people``, principals,
and workbooks built in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from coopzone.api.app import create_app
from tests.helpers import Coop, People, make_coop, make_settings


@pytest.fixture
def coop(session: Session, people: People) -> Coop:
    return make_coop(session, people)


@pytest.fixture
def files_client(engine: Engine, session_factory: sessionmaker[Session],
                 tmp_path: Path) -> Iterator[TestClient]:
    """A client whose uploads land in a temporary data directory."""
    app = create_app(make_settings(str(engine.url), data_dir=tmp_path), session_factory)
    with TestClient(app) as client:
        yield client
