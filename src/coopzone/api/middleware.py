"""The outermost ASGI layer of the app: a request id on every response, and the catch-all
that answers an unexpected exception itself.

Starlette's ``ServerErrorMiddleware`` sends its 500 and then re-raises the exception, so
uvicorn logs it a second time and closes the keep-alive connection: the client's next
request on that connection fails too. This middleware sits inside it, answers the 500 with
the documented error body (or the HTML error page outside /api), logs the traceback with the
request id, and does not re-raise, so the connection stays open. An exception after the
response has started cannot be answered any more; it is re-raised as before.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coopzone.ops.logging import request_id_var

logger = logging.getLogger("coopzone.api")

HEADER = "X-Request-ID"
# A client's own request id is kept when it is short and plain (it ends up in logs).
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

Renderer = Callable[[Scope, str], Awaitable[Response]]


def request_id_of(scope: Scope) -> str:
    state: dict[str, Any] = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        given = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                      if k == b"x-request-id"), "")
        rid = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        state["request_id"] = rid
    return str(rid)


class RequestIdAndCatchAll:
    """``render(scope, request_id)`` builds the answer to an unexpected exception."""

    def __init__(self, app: ASGIApp, render: Renderer) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        token = request_id_var.set(rid)  # every log line of this request carries it
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error, request_id=%s %s %s", rid,
                             scope.get("method"), scope.get("path"))
            if started:
                raise
            response = await self.render(scope, rid)
            await response(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
