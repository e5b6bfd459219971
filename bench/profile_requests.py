"""Where a request's time goes: the server's CPU time per request kind, measured in one
process (the app called in-process, one request at a time), and optionally a sampling
profile of every thread.

Builds the same demo database as ``bench/load.py`` (a temporary data directory, or
``--database-url``), then for each kind of request of the load mix runs it ``--repeat``
times after one warm-up and prints the mean CPU milliseconds of the process (all threads:
the test client, the event loop and the worker threads) per request. "After a push" is the
first view of each page that shows the pushed section, right after a station push (what
each push costs the pages next to it).

``--profile N`` samples every thread's stack every millisecond during the measured
requests and prints the N functions seen most often (self and cumulative), for finding
what to cut next. CPU times on a shared machine vary by 10-20 %; compare runs made close
together.

Usage::

    python bench/profile_requests.py
    python bench/profile_requests.py --repeat 50 --profile 40
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # (the load bench: the demo, the tokens, the mix's requests)


class Sampler:
    """Every thread's stack every ``interval`` seconds (a poor man's py-spy)."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.self_counts: Counter[str] = Counter()
        self.cumulative: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.active = False

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.is_set():
            time.sleep(self.interval)
            if not self.active:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                self._note(frame)

    def _note(self, frame: FrameType | None) -> None:
        names: list[str] = []
        while frame is not None:
            code = frame.f_code
            names.append(f"{Path(code.co_filename).name}:{code.co_name}")
            frame = frame.f_back
        if not names or names[0].startswith(("threading.py:wait", "queues.py", "selectors.py",
                                             "_base.py:", "thread.py:_worker")):
            return  # an idle thread
        self.samples += 1
        self.self_counts[names[0]] += 1
        for name in set(names):
            self.cumulative[name] += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, top: int) -> None:
        print(f"\nsamples (busy thread stacks): {self.samples}")
        for title, counts in (("self", self.self_counts), ("cumulative", self.cumulative)):
            print(f"-- top {top} {title}")
            for name, n in counts.most_common(top):
                print(f"  {100 * n / max(self.samples, 1):5.1f} %  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--only", default="", help="only kinds whose name contains this")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coopzone-profile-") as tmp:
        env = {**os.environ, "COOPZONE_ENV": "production",
               "COOPZONE_SECRET_KEY": secrets.token_urlsafe(32), "COOPZONE_DATA_DIR": tmp,
               "COOPZONE_AS_OF": "2025-09-30"}
        if args.database_url:
            env["COOPZONE_DATABASE_URL"] = args.database_url
            load.reset_database(args.database_url)
        tokens = load.prepare(env)
        os.environ.update(env)
        run(tokens, args)
    return 0


def run(tokens: dict[str, dict[str, str]], args: argparse.Namespace) -> None:
    os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as coopzone.api.main (uvicorn) does
    from starlette.testclient import TestClient

    from coopzone.api.app import create_app

    with TestClient(create_app(), base_url="http://127.0.0.1") as client:
        sections = client.get("/api/v1/ecology/sections").json()
        national = next(s for s in sections if s["level"] == "national")
        statements = client.get("/api/v1/ecology/compensation/statements").json()
        statement = statements[0]["id"]
        counter = iter(range(1, 10**9))

        def push() -> Any:
            at = (load.START + timedelta(minutes=next(counter))).isoformat()
            readings = [{"section": national["code"], "time": at, "item": item, "value": v}
                        for item, v in (("nh3n", 0.31), ("tp", 0.06), ("codmn", 3.1),
                                        ("do", 7.4), ("cod", 11.0))]
            return client.post("/api/v1/ecology/readings", headers=tokens["station"],
                               json={"source": "auto", "readings": readings})

        local = next(s for s in sections if s["level"] != "national"
                     and s["county_code"] == national["county_code"])

        def import_file() -> Any:
            n = next(counter)
            first = load.START - timedelta(days=40) + timedelta(minutes=10 * n)
            lines = ["section,time,item,value"] + [
                f"{local['name']},{(first + timedelta(minutes=i)).strftime('%Y-%m-%d %H:%M')},"
                f"nh3n,{0.2 + i / 100:.2f}" for i in range(10)]
            body = ("\n".join(lines) + "\n").encode("utf-8")
            return client.post("/api/v1/ecology/imports", headers=tokens["importer"],
                               files={"file": (f"p-{n}.csv", body, "text/csv")},
                               data={"source": "auto"})

        def get(path: str, headers: dict[str, str] | None = None) -> Callable[[], Any]:
            return lambda: client.get(path, headers=headers)

        section_page = f"/ecology/sections/{national['code']}"
        kinds: list[tuple[str, Callable[[], Any]]] = [
            *((f"page {p}", get(p)) for p in (*load.PAGES, section_page)),
            *((f"api {p}", get(p)) for p in load.API_READS),
            ("api tasks", get("/api/v1/cooperation/tasks", tokens["reader"])),
            ("api statement", get(f"/api/v1/ecology/compensation/statements/{statement}")),
            ("api total-paid", get("/api/v1/ecology/compensation/total-paid"
                                   "?payer=430000&payee=360000")),
            ("push", push),
            ("import", import_file),
            ("confirm", lambda: client.post(
                f"/api/v1/ecology/compensation/statements/{statement}/confirm",
                headers=tokens["payer"])),
        ]
        after_push = ["/ecology", section_page, "/ecology/compensation", "/"]
        sampler = Sampler()
        if args.profile:
            sampler.start()
        print(f"CPU ms a request (mean of {args.repeat}, after one warm-up):")
        for name, call in kinds:
            if args.only and args.only not in name:
                continue
            status = call().status_code
            sampler.active = True
            before = time.process_time()
            for _ in range(args.repeat):
                call()
            spent = (time.process_time() - before) * 1000 / args.repeat
            sampler.active = False
            print(f"  {name:<52} {spent:7.2f}  ({status})")
        if not args.only or "after" in args.only:
            for path in after_push:
                total = 0.0
                for _ in range(args.repeat):
                    push()
                    for other in after_push:  # every page current but this one's
                        if other != path:
                            client.get(other)
                    sampler.active = True
                    before = time.process_time()
                    client.get(path)
                    total += time.process_time() - before
                    sampler.active = False
                print(f"  after a push: {path:<38} {total * 1000 / args.repeat:7.2f}")
            total = 0.0
            for _ in range(args.repeat):
                push()
                sampler.active = True
                before = time.process_time()
                for path in after_push:
                    client.get(path)
                total += time.process_time() - before
                sampler.active = False
            print(f"  after a push: all four pages{'':<25} {total * 1000 / args.repeat:7.2f}")
        if args.profile:
            sampler.stop()
            sampler.report(args.profile)


if __name__ == "__main__":
    sys.exit(main())
