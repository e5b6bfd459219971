"""Limits at the edge: a request body over the upload limit is refused before any of it is
read (:class:`ContentLengthLimit`), and a worker lets in only as many requests at once as its
database pool can serve (:class:`InFlightLimit`).

A request whose ``Content-Length`` is over the limit is answered 413 at once, with the API's
error body (``{"error", "detail", "errors"}``) under /api and a short page elsewhere; the
body is never read, so nothing is spooled anywhere. A body sent without a length (chunked)
is counted as it arrives and cut off at the limit with the same answer."""

from __future__ import annotations

import asyncio
import html
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coopzone.kit.uploads import size_text


class ContentLengthLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes  # the upload limit and room for the form's other fields
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._too_long(scope):
            await self._refuse(scope, send)
            return
        seen = 0
        cut = False

        async def counted() -> Message:
            # Past the limit the body ends there: the app fails to parse it, and its answer
            # is replaced by the 413 below.
            nonlocal seen, cut
            if cut:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    cut = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def watched(message: Message) -> None:
            if not cut:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(scope, send)

        await self.app(scope, counted, watched)

    def _too_long(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value) > self.max_bytes
                except ValueError:
                    return False
        return False

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"上传的文件超过 {size_text(self.upload_bytes)} 的上限，未保存"
        if str(scope.get("path", "")).startswith("/api/"):
            body = json.dumps({"error": "too_large", "detail": message, "errors": []},
                              ensure_ascii=False).encode("utf-8")
            kind = b"application/json"
        else:
            body = (f"<!doctype html><meta charset=utf-8><title>413</title>"
                    f"<p>{html.escape(message)}</p>").encode()
            kind = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", kind), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class InFlightLimit:
    """At most ``limit`` requests of this worker process inside the app at once; the others
    wait here, in line, holding neither a thread nor a database connection.

    A request holds its database connection from its first query until its response is
    ready, also while it waits for a thread to run its next step. Were more requests let in
    than the pool has connections, the threads could all be taken by newcomers waiting for a
    connection while the holders wait for a thread: nothing moves until the pool's timeout
    fails them (at 64 clients: errors and dropped connections). With the limit at or below
    the pool's size (``Settings.max_requests_in_flight``) a connection is always free for a
    request let in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._gate: asyncio.Semaphore | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.limit)
        async with self._gate:
            await self.app(scope, receive, send)
