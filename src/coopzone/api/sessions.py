"""The session cookie: a login's random key (server-side session), or a signed anonymous state.

One cookie, two forms:

- ``s.<key>`` once logged in: 256 random bits and nothing else. The row (user, CSRF secret,
  expiry) lives in ``accounts_session``; see :mod:`coopzone.accounts.sessions`.
- ``a.<signed JSON>`` before login: only the pre-login CSRF token, signed with the secret
  key, so an anonymous visitor costs no database row.

``request.session`` keeps working as a dict: for a login it holds the session's CSRF secret
(changes to it are not stored; log in and out with :func:`begin_login` / :func:`end_login`),
for an anonymous visitor it is the signed state, re-signed only when it changes.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coopzone.accounts import sessions as login_sessions
from coopzone.accounts.models import LoginSession
from coopzone.config import Settings
from coopzone.db import now

log = logging.getLogger(__name__)

COOKIE_NAME = "coopzone_session"
# With Secure cookies the __Host- prefix also pins the cookie to this host and Path=/.
SECURE_COOKIE_NAME = "__Host-coopzone_session"
LOGIN_PREFIX = "s."
ANONYMOUS_PREFIX = "a."
SCOPE_LOGIN = "coopzone.login"
SCOPE_PENDING = "coopzone.login_cookie"
SKIP_PREFIXES = ("/static/",)


@dataclass(frozen=True)
class ActiveLogin:
    """What a request knows about its login session."""

    id: int
    user_id: int
    csrf: str


def cookie_name(settings: Settings) -> str:
    return SECURE_COOKIE_NAME if settings.cookie_secure else COOKIE_NAME


def current_login(request: HTTPConnection) -> ActiveLogin | None:
    login: ActiveLogin | None = request.scope.get(SCOPE_LOGIN)
    return login


def begin_login(request: Request, row: LoginSession, key: str) -> None:
    """After a successful login: the response carries the new session's key, and the rest
    of this request already sees the new session (and its new CSRF secret)."""
    request.scope[SCOPE_LOGIN] = ActiveLogin(row.id, row.user_id, row.csrf_secret)
    request.scope["session"] = {"csrf": row.csrf_secret}
    request.scope[SCOPE_PENDING] = key


def end_login(request: HTTPConnection) -> None:
    """The request continues as an anonymous visitor; the response drops the login cookie.
    (End the stored session too: :func:`coopzone.accounts.sessions.end_session`.)"""
    request.scope[SCOPE_LOGIN] = None
    request.scope["session"] = {}
    request.scope[SCOPE_PENDING] = ""


def client_address(request: HTTPConnection) -> str:
    # The peer address; behind a reverse proxy, run uvicorn with --proxy-headers and
    # --forwarded-allow-ips so this is the client's, never a header the client chose.
    return request.client.host if request.client else ""


class ServerSessionMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings,
                 session_factory: sessionmaker[Session]) -> None:
        self.app = app
        self.settings = settings
        self.factory = session_factory
        self.name = cookie_name(settings)
        self.signer = TimestampSigner(settings.secret_key, salt="coopzone.anonymous-session")
        flags = "; Path=/; HttpOnly; SameSite=Lax"
        self.flags = flags + ("; Secure" if settings.cookie_secure else "")

    # -- reading ----------------------------------------------------------------------------

    def _lookup(self, key: str) -> ActiveLogin | None:
        at = now()
        with self.factory() as db:
            row = login_sessions.resolve_session(db, key, self.settings, at)
            if row is None:
                return None
            login = ActiveLogin(row.id, row.user_id, row.csrf_secret)
            if login_sessions.needs_touch(row, self.settings, at):
                try:
                    login_sessions.touch_session(db, row.id, self.settings, at)
                    db.commit()
                except SQLAlchemyError:
                    # Last-seen is bookkeeping: a busy database must not fail the request.
                    db.rollback()
                    log.warning("could not record last-seen of session %s", row.id)
            return login

    def _anonymous(self, value: str) -> dict[str, Any]:
        try:
            raw = self.signer.unsign(value, max_age=self.settings.session_max_age_seconds)
            data = json.loads(base64.urlsafe_b64decode(raw))
        except (BadSignature, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- writing ----------------------------------------------------------------------------

    def _set(self, value: str) -> str:
        return f"{self.name}={value}; Max-Age={self.settings.session_max_age_seconds}{self.flags}"

    def _cookie(self, scope: Scope, raw: str, initial: dict[str, Any], keep: bool) -> str | None:
        pending = scope.get(SCOPE_PENDING)
        if pending:
            return self._set(LOGIN_PREFIX + pending)
        if scope.get(SCOPE_LOGIN) is not None or keep:
            return None  # still logged in (or the lookup failed: leave the cookie alone)
        data = scope.get("session") or {}
        was_anonymous = raw.startswith(ANONYMOUS_PREFIX)
        if data and (data != initial or not was_anonymous):
            payload = base64.urlsafe_b64encode(json.dumps(data).encode("utf-8"))
            return self._set(ANONYMOUS_PREFIX + self.signer.sign(payload).decode("ascii"))
        if not data and raw:
            return f"{self.name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{self.flags}"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        raw = HTTPConnection(scope).cookies.get(self.name, "")
        login: ActiveLogin | None = None
        data: dict[str, Any] = {}
        keep = False
        if raw.startswith(LOGIN_PREFIX):
            try:
                login = await run_in_threadpool(self._lookup, raw[len(LOGIN_PREFIX):])
            except SQLAlchemyError:
                # The database is down: serve the request as anonymous, keep the cookie; the
                # route's own database access answers the error.
                keep = True
                log.warning("session lookup failed", exc_info=True)
            if login is not None:
                data = {"csrf": login.csrf}
        elif raw.startswith(ANONYMOUS_PREFIX):
            data = self._anonymous(raw[len(ANONYMOUS_PREFIX):])
        initial = dict(data)
        scope["session"] = data
        scope[SCOPE_LOGIN] = login

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = self._cookie(scope, raw, initial, keep)
                if header is not None:
                    MutableHeaders(scope=message).append("set-cookie", header)
            await send(message)

        await self.app(scope, receive, send_with_cookie)
