"""Benchmark: the dashboard (/dashboard) at demo size.

Builds a fresh SQLite database in a temporary directory (or uses ``--database-url``), loads the
whole demo (200+ agreements over the 24 units, meetings, projects, tasks, indicators, the
ecology readings), then times N requests of the public dashboard page, its JSON twin, and the
logged-in page with the task lists, through Starlette's TestClient (the app in-process, no
network). Prints median and p95 in milliseconds; the target is a median under 300 ms.

Usage::

    python bench/dashboard.py              # 50 requests each
    python bench/dashboard.py -n 200
    python bench/dashboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:55432/x
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from coopzone.accounts.audit import install_audit_hook
from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.db import make_engine, make_session_factory
from coopzone.demo import DEMO_PASSWORD, load_demo
from coopzone.migrate import upgrade

TARGET_MS = 300.0


def build(url: str) -> float:
    started = time.perf_counter()
    install_audit_hook()
    engine = make_engine(url)
    upgrade(url, engine=engine)
    factory = make_session_factory(engine)
    with factory() as session:
        load_demo(session)
        session.commit()
    engine.dispose()
    return time.perf_counter() - started


def timings(client: TestClient, path: str, n: int) -> list[float]:
    client.get(path)  # warm: templates compiled, caches filled
    out: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def login(client: TestClient, username: str) -> None:
    page = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": match.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="requests per page")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        print(f"building the demo database ({url.split('@')[-1]}) …")
        print(f"  demo loaded in {build(url):.1f} s")
        settings = Settings(env="test", secret_key="bench-secret-key-not-for-production",
                            database_url=url, data_dir=Path(tmp))
        app = create_app(settings, make_session_factory(make_engine(url)))
        results: list[tuple[str, list[float]]] = []
        with TestClient(app) as client:
            results.append(("GET /dashboard (public)", timings(client, "/dashboard", args.n)))
            results.append(("GET /api/v1/cooperation/dashboard",
                            timings(client, "/api/v1/cooperation/dashboard", args.n)))
            login(client, "coop")
            results.append(("GET /dashboard (logged in, tasks)",
                            timings(client, "/dashboard", args.n)))
        print(f"{'page':40} {'n':>4} {'median ms':>10} {'p95 ms':>8}")
        for name, values in results:
            print(f"{name:40} {len(values):>4} {statistics.median(values):>10.1f} "
                  f"{p95(values):>8.1f}")
        worst = max(statistics.median(v) for _n, v in results)
        verdict = "within" if worst < TARGET_MS else "OVER"
        print(f"slowest median {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
