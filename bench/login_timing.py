"""Benchmark: does a wrong password take as long for an unknown name as for a known one?

Builds a fresh SQLite database in a temporary directory, creates one user with the production
argon2 parameters, then times POST /login with a wrong password for the known name, for an
unknown name and for a deactivated user, interleaved, each try from a fresh client address
(so the throttle never answers early and every try reaches argon2). Also times a logged-in
GET /api/v1/me (the session lookup). Prints median and p90 in milliseconds.

Usage::

    python bench/login_timing.py          # 40 tries each
    python bench/login_timing.py -n 200
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.audit import install_audit_hook
from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.db import make_engine, make_session_factory
from coopzone.migrate import upgrade

PASSWORD = "a-long-benchmark-password"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(len(values) * 0.9) - 1]
    return f"median {statistics.median(values):7.2f} ms   p90 {p90:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40)
    args = parser.parse_args()
    install_audit_hook()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = make_engine(url)
        upgrade(url, engine=engine)
        with Session(engine) as session:
            accounts.create_user(session, "known", PASSWORD)
            accounts.create_user(session, "gone", PASSWORD).is_active = False
            session.commit()
        settings = Settings(env="test", secret_key="benchmark-secret-key-0123", database_url=url)
        app = create_app(settings, make_session_factory(engine))
        times: dict[str, list[float]] = {"known": [], "unknown": [], "deactivated": []}
        names = {"known": "known", "unknown": "nobody-by-this-name", "deactivated": "gone"}
        for i in range(args.n):
            for kind, name in names.items():
                client = TestClient(app, client=(f"10.{i // 250}.{i % 250}.{len(kind)}", 1))
                token = _csrf(client.get("/login").text)
                start = time.perf_counter()
                response = client.post("/login", data={"username": name, "password": "wrong",
                                                       "csrf_token": token})
                times[kind].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 401, response.status_code
        for kind, values in times.items():
            print(f"wrong password, {kind:11s} name: {_ms(values)}")
        client = TestClient(app, client=("10.255.0.1", 1))
        token = _csrf(client.get("/login").text)
        assert client.post("/login", data={"username": "known", "password": PASSWORD,
                                           "csrf_token": token}).status_code == 200
        me: list[float] = []
        for _ in range(args.n * 5):
            start = time.perf_counter()
            assert client.get("/api/v1/me").status_code == 200
            me.append((time.perf_counter() - start) * 1000)
        print(f"logged-in GET /api/v1/me (session lookup): {_ms(me)}")
        engine.dispose()


if __name__ == "__main__":
    main()
