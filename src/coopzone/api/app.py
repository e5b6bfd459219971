"""The FastAPI app factory: JSON API under /api/v1, server-rendered pages, static assets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

import coopzone
from coopzone.accounts.api import router as accounts_router
from coopzone.accounts.audit import install_audit_hook
from coopzone.accounts.security import prepare_dummy_hash
from coopzone.api import errors, security_headers, warm
from coopzone.api.deps import enforce_token_scope
from coopzone.api.docs import swagger_page
from coopzone.api.limits import ContentLengthLimit, InFlightLimit
from coopzone.api.sessions import ServerSessionMiddleware
from coopzone.config import Settings, get_settings
from coopzone.cooperation.api import router as cooperation_router
from coopzone.cooperation.pages import router as cooperation_pages
from coopzone.db import make_engine, make_session_factory
from coopzone.ecology.api import router as ecology_router
from coopzone.ecology.compensation_api import router as compensation_router
from coopzone.ecology.compensation_pages import router as compensation_pages
from coopzone.ecology.pages import router as ecology_pages
from coopzone.gov_services.api import router as services_router
from coopzone.gov_services.import_pages import router as services_import_pages
from coopzone.gov_services.pages import router as gov_services_pages
from coopzone.kit import uploads
from coopzone.notifications.api import router as notifications_router
from coopzone.notifications.pages import router as notifications_pages
from coopzone.places.api import router as places_router
from coopzone.web import templating
from coopzone.web.pages import router as pages_router

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def _health_router() -> APIRouter:
    router = APIRouter(tags=["system"])

    @router.get("/health")
    def health(request: Request) -> dict[str, Any]:
        """Version and whether the database answers."""
        factory: sessionmaker[Session] = request.app.state.session_factory
        try:
            with factory() as session:
                session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # any driver failure means "unreachable"
            database = f"unreachable: {type(exc).__name__}"
        return {"status": "ok" if database == "ok" else "degraded",
                "version": coopzone.__version__, "database": database}

    return router


def create_app(settings: Settings | None = None,
               session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_audit_hook()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_caches:  # before the worker takes its first request
            try:
                targets = warm.paths(app.state.session_factory)
            except Exception:  # no database yet: nothing to warm
                log.exception("no pages warmed")
            else:
                await warm.warm(app, targets)
        yield

    # Token scopes are enforced for every route in one place. A request body over the
    # upload limit (plus room for the other fields) is refused by ContentLengthLimit below.
    app = FastAPI(title="coopzone 湘赣边区域合作示范区平台", version=coopzone.__version__,
                  docs_url=None, redoc_url=None, openapi_url=f"{API_PREFIX}/openapi.json",
                  dependencies=[Depends(enforce_token_scope)], lifespan=lifespan)
    # Whatever a process that died mid-upload left behind goes now.
    uploads.sweep(settings.data_dir, settings.data_dir / "files")
    app.state.settings = settings
    if settings.env == "production":
        # Templates do not change under a running production server: no stat() of every
        # template (and of each one it extends or includes) on every render.
        templating.templates.env.auto_reload = False
    if session_factory is None:
        session_factory = make_session_factory(make_engine(
            settings.effective_database_url, sqlite_busy_timeout=settings.sqlite_busy_timeout,
            **settings.pool_options))
    app.state.session_factory = session_factory

    # Server-side sessions: the cookie carries a random key (or signed pre-login state).
    app.add_middleware(ServerSessionMiddleware, settings=settings,
                       session_factory=session_factory)
    prepare_dummy_hash()  # unknown user names must not answer faster on their first try
    errors.install(app)
    security_headers.install(app, production=settings.env == "production")
    app.add_middleware(ContentLengthLimit, max_bytes=settings.upload_max_bytes + 1024 * 1024,
                       upload_bytes=settings.upload_max_bytes)
    # Outermost of ours: no more requests inside at once than the pool has connections.
    app.add_middleware(InFlightLimit, limit=settings.max_requests_in_flight)

    static_dir = resources.files("coopzone.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(_health_router())
    api.include_router(places_router)
    api.include_router(accounts_router)
    api.include_router(ecology_router)
    api.include_router(compensation_router)
    api.include_router(cooperation_router)
    api.include_router(notifications_router)
    api.include_router(services_router)
    app.include_router(api)
    app.include_router(pages_router)
    app.include_router(ecology_pages)
    app.include_router(compensation_pages)
    app.include_router(cooperation_pages)
    app.include_router(notifications_pages)
    app.include_router(services_import_pages)
    app.include_router(gov_services_pages)

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return swagger_page(f"{API_PREFIX}/openapi.json", "coopzone API")

    return app
