"""A live server on a fresh database and Playwright driving Debian's Chromium.

No Chromium is a failure, not a skip: `make test` installs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session

from coopzone.api.app import create_app
from coopzone.db import make_engine, make_session_factory
from coopzone.demo import load_demo
from coopzone.migrate import upgrade
from tests.helpers import PASSWORD, database_url, make_settings
from tests.serving import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = database_url(tmp_path_factory, "coopzone_e2e")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    factory = make_session_factory(engine)
    with factory() as session:
        load_demo(session, PASSWORD)
        session.commit()
    # The demo zone is as of 30 September 2025, the date of the article's figures.
    with serve(create_app(make_settings(url, as_of=date(2025, 9, 30)), factory)) as base:
        yield base
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/install-system-deps.sh")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    external: list[str] = []
    pg.on("request", lambda r: external.append(r.url)
          if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    yield pg
    context.close()
    assert external == [], f"page requested outside addresses: {external}"


def demo_session(url: str) -> Session:
    return make_session_factory(make_engine(url))()
