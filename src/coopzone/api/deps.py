"""Request dependencies: the session (one transaction per request) and the acting principal."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from coopzone.accounts.audit import set_actor
from coopzone.accounts.security import same_token
from coopzone.accounts.service import (
    Principal,
    principal_for,
    principal_for_token,
    token_scopes,
)
from coopzone.api.sessions import current_login, end_login
from coopzone.config import Settings
from coopzone.db import transaction
from coopzone.errors import Forbidden, Unauthorized
from coopzone.notifications.service import unread_count

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One request, one transaction. Declared with scope="function" so the commit runs
    before the response is sent: a failed commit is an error response, never a 201.
    An unsafe method is a writer: on SQLite its transaction begins IMMEDIATE (see coopzone.db)."""
    write = request.method not in SAFE_METHODS
    try:
        with transaction(request.app.state.session_factory, write=write) as session:
            yield session
    finally:
        # The page header's unread count reads this session: never once its transaction has
        # ended (an error page rendered after a refusal shows no count).
        request.state.unread_notifications = None


async def _settings(request: Request) -> Settings:
    # Dependencies that neither block nor compute are ``async def``: FastAPI runs a plain
    # ``def`` dependency in the thread pool, one hand-over to a thread and back per
    # dependency per request (about 0.1 ms of CPU each, more under load).
    return get_settings_dep(request)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_csrf(request: Request, given: str | None) -> None:
    if not same_token(request.session.get("csrf"), given):
        raise Forbidden("表单已失效，请刷新页面后重试", detail="missing or wrong CSRF token")


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller by API token (machine clients) or by login cookie (browsers)."""
    token = _bearer(request)
    if token is not None:
        principal = principal_for_token(session, token)
        if request.method not in SAFE_METHODS and not principal.may_write_scope():
            raise Forbidden("此令牌只有读取权限，不能提交、修改或删除任何内容",
                            detail="token lacks the write scope")
    elif (login := current_login(request)) is not None:
        # The server-side session was found live by ServerSessionMiddleware.
        try:
            principal = principal_for(session, login.user_id)
        except Unauthorized:
            end_login(request)
            return None
        # Cookie-authenticated writes to the API must carry the CSRF header.
        if request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
            check_csrf(request, request.headers.get("x-csrf-token"))
    else:
        return None
    set_actor(session, principal.user_id, principal.label)
    request.state.principal = principal
    request.state.unread_notifications = partial(_unread, session, principal.user_id)
    return principal


def _unread(session: Session, user_id: int) -> int | None:
    """The header's unread count, read in the request's own session while a page renders
    inside the request's transaction; None when the database cannot answer now (the page
    still renders, without the count)."""
    try:
        return unread_count(session, user_id)
    except SQLAlchemyError:
        return None


def _scopes_of(factory: sessionmaker[Session], token: str) -> frozenset[str] | None:
    with factory() as session:
        return token_scopes(session, token)


async def enforce_token_scope(request: Request) -> None:
    """Applied to every route (create_app): an unsafe request (POST, PUT, PATCH, DELETE)
    made with a token that lacks the ``write`` scope is refused here, before the route's
    own dependencies and the route run: platform-admin routes, token minting and uploads
    alike. (The framework has parsed a form body by then, in memory or an unnamed temporary
    file; nothing of it is kept.) An unknown token is left to the route, which answers 401.
    It reads the token in a session of its own and writes nothing."""
    if request.method in SAFE_METHODS:
        return
    token = _bearer(request)
    if token is None:
        return
    # Safe methods and cookie callers (most requests) answer above without a thread; the
    # lookup itself blocks, so it runs in the thread pool.
    factory: sessionmaker[Session] = request.app.state.session_factory
    scopes = await run_in_threadpool(_scopes_of, factory, token)
    if scopes is not None and "write" not in scopes:
        raise Forbidden("此令牌只有读取权限，不能提交、修改或删除任何内容",
                        detail="token lacks the write scope")


async def require_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("请先登录或提供 API 令牌", detail="authentication required")
    return principal


OptionalUser = Annotated[Principal | None, Depends(optional_principal)]
CurrentUser = Annotated[Principal, Depends(require_principal)]
