"""The production entry point freezes what a worker holds once it has started (api/main.py):
the garbage collector then leaves the start-up objects alone, and the app still serves."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from coopzone.api.warm import freeze_after_start


def test_objects_held_at_start_are_frozen_after_the_apps_own_start_up() -> None:
    started: list[int] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        started.append(gc.get_freeze_count())  # the app's own start-up runs first
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"ping": "pong"}

    freeze_after_start(app)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(app) as client:
            assert started == [0]  # not frozen while the start-up (the warm-up) runs
            assert gc.get_freeze_count() > 1000
            assert client.get("/ping").json() == {"ping": "pong"}
    finally:
        gc.unfreeze()
