"""A worker lets in at most ``max_requests_in_flight`` requests at once (api/limits.py); the
others wait their turn and are all answered."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from coopzone.api.app import create_app
from coopzone.api.limits import InFlightLimit
from coopzone.config import Settings


def test_in_flight_limit_lets_in_only_the_limit_and_answers_every_request() -> None:
    inside = 0
    most = 0
    release = asyncio.Event()
    answered: list[int] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await release.wait()
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = InFlightLimit(app, limit=3)

    async def one() -> None:
        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        await gate({"type": "http", "method": "GET", "path": "/"}, receive, send)

    async def main() -> None:
        tasks = [asyncio.create_task(one()) for _ in range(10)]
        for _ in range(20):  # let every request reach the gate
            await asyncio.sleep(0)
        assert inside == 3  # the other seven wait in line, outside the app
        release.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert most == 3
    assert answered == [200] * 10


def test_the_app_is_gated_by_the_setting(settings: Settings) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"max_requests_in_flight": 5}))
    gates = [m for m in app.user_middleware if m.cls is InFlightLimit]
    assert len(gates) == 1 and gates[0].kwargs == {"limit": 5}
