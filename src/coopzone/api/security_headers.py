"""Security headers on every response: a Content-Security-Policy without inline script, no
sniffing, no framing, a same-origin referrer, and HSTS in production.

Every script the platform runs is a file under /static (data reaches the page in
``<script type="application/json">`` blocks), so ``script-src 'self'`` holds everywhere,
the API's Swagger page included. Styles may be inline: the templates' ``<style>`` blocks, the
progress bars' widths and ECharts' tooltips use them, and a style cannot run script.

The middleware wraps the whole app, outside Starlette's error middleware, so an unexpected
500 carries the headers too. A route that sets one of these headers itself keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
))
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(production: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if production:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeaders:
    """Pure ASGI middleware adding :func:`security_headers` to each HTTP response."""

    def __init__(self, app: ASGIApp, production: bool = False) -> None:
        self.app = app
        self.headers = security_headers(production)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, production: bool) -> None:
    """Wrap the app's whole middleware stack (error middleware included) in SecurityHeaders."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_with_headers() -> Any:
        return SecurityHeaders(build(), production)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
