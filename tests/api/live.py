"""A real server for concurrency tests (no tests here): a fresh, migrated database file or
PostgreSQL database that commits for real, served by uvicorn in a thread on a free loopback
port; and parallel requests released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.accounts.audit import install_audit_hook, set_actor
from coopzone.accounts.models import User
from coopzone.api.app import create_app
from coopzone.db import make_engine, make_session_factory, transaction
from coopzone.migrate import upgrade
from coopzone.places.service import load_places
from tests.helpers import database_url, make_settings
from tests.serving import serve


@dataclass
class Live:
    url: str  # http://127.0.0.1:PORT
    engine: Engine
    factory: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One committed unit of work on the served database (set-up and checks)."""
        with transaction(self.factory, write=True) as session:
            set_actor(session, None, "test")
            yield session

    def token(self, user: User, scopes: tuple[str, ...] = ("read", "write")) -> dict[str, str]:
        with self.session() as session:
            _token, plain = accounts.create_token(session, session.merge(user), "test",
                                                  list(scopes))
        return {"Authorization": f"Bearer {plain}"}


_counter = 0


@contextmanager
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A fresh database, migrated, places loaded; the app served on it until the block ends."""
    global _counter
    _counter += 1
    install_audit_hook()
    url = database_url(tmp_path_factory, f"coopzone_live_{_counter}")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    factory = make_session_factory(engine)
    live_tmp = tmp_path_factory.mktemp("live")
    with transaction(factory, write=True) as session:
        set_actor(session, None, "test")
        load_places(session)
    app = create_app(make_settings(url, data_dir=Path(live_tmp)))
    try:
        with serve(app, lifespan="off", access_log=False) as base:
            yield Live(base, engine, factory)
    finally:
        app.state.session_factory.kw["bind"].dispose()
        engine.dispose()


def parallel(n: int, call: Callable[[httpx.Client, int], httpx.Response],
             base_url: str, timeout: float = 60) -> list[httpx.Response]:
    """Run ``call(client, i)`` in ``n`` threads, each with its own connection, released at the
    same moment; the responses in order of ``i``."""
    barrier = threading.Barrier(n)
    results: list[httpx.Response | BaseException | None] = [None] * n

    def run(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=timeout) as client:
            client.get("/api/v1/health")  # connected and warm before the start
            barrier.wait()
            try:
                results[i] = call(client, i)
            except BaseException as exc:  # reported below, with the others
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 30)
    errors = [r for r in results if not isinstance(r, httpx.Response)]
    assert not errors, f"requests failed: {errors!r}"
    return [r for r in results if isinstance(r, httpx.Response)]


def statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)
