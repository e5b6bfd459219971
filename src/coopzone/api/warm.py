"""Warming a worker process before it takes requests: the public pages and lists are asked
for once, in-process, so that their per-process caches (each section's evaluation, the
streaks, the compensation strip, the dashboard's records) and compiled templates are ready,
and the first visitors after a start do not each pay for a cold cache.

A warm-up request is an anonymous GET through the whole app (middleware included), so it
warms what a visitor's request would and writes nothing. One that fails is logged and
skipped: a start never fails for it. Used when ``Settings.warm_caches`` is on (the default
in production).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message

from coopzone.ecology.models import Section

log = logging.getLogger(__name__)

PATHS = ("/", "/map", "/ecology", "/ecology/compensation", "/cooperation",
         "/cooperation/agreements", "/cooperation/meetings", "/cooperation/projects",
         "/api/v1/ecology/sections", "/api/v1/ecology/compensation/statements",
         "/api/v1/cooperation/agreements", "/api/v1/cooperation/projects", "/api/v1/places")


def paths(session_factory: sessionmaker[Session]) -> list[str]:
    """The pages and lists to warm: the public ones and each section's page."""
    with session_factory() as session:
        codes = list(session.scalars(select(Section.code).order_by(Section.code)))
    return [*PATHS, *(f"/ecology/sections/{c}" for c in codes)]


async def get(app: ASGIApp, path: str) -> int:
    """The status of an anonymous GET of ``path`` served by ``app`` in this process."""
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode("ascii"), "root_path": "",
        "query_string": b"", "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0), "server": ("localhost", 80)}
    status = 0
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def warm(app: ASGIApp, targets: Iterable[str]) -> dict[str, int]:
    """GET each path once; returns each one's status (0 when it raised)."""
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for path in targets:
        try:
            statuses[path] = await get(app, path)
        except Exception:  # a warm-up never stops a start
            log.exception("warming %s failed", path)
            statuses[path] = 0
    failed = {p: s for p, s in statuses.items() if s != 200}
    log.info("warmed %d pages in %.2f s%s", len(statuses), time.perf_counter() - started,
             f"; not 200: {failed}" if failed else "")
    return statuses


def freeze_after_start(app: FastAPI) -> None:
    """Wrap the app's lifespan: after its start-up (the warm-up included), collect once and
    freeze what the process holds, so that no full collection walks it all again (see
    :mod:`coopzone.api.main`). Only the production entry point does this: a test process
    that starts many apps keeps collecting them."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with started(application) as state:
            gc.collect()
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
