"""Render every failure with one JSON body shape under /api, and as an HTML page elsewhere:
``{"error": code, "detail": message, "errors": [{"row", "column", "reason"}]}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from coopzone.errors import CoopzoneError, Unauthorized


def _body(code: str, detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "detail": detail, "errors": errors or []}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", "")


def _html(request: Request, status: int, message: str) -> Response:
    from coopzone.web.templating import render

    return render(request, "error.html", {"status": status, "message": message},
                  status_code=status)


async def coopzone_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CoopzoneError)
    if _wants_json(request):
        errors = [e.as_dict() for e in getattr(exc, "errors", [])]
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(_body(exc.code, exc.message, errors), exc.status_code,
                            headers=headers)
    if isinstance(exc, Unauthorized):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return _html(request, exc.status_code, exc.message)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"row": None, "column": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
         "reason": e.get("msg", "")}
        for e in exc.errors()
    ]
    if _wants_json(request):
        return JSONResponse(_body("invalid_input", "请求内容无效", errors), 422)
    return _html(request, 422, "; ".join(f"{e['column']}: {e['reason']}" for e in errors))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    if _wants_json(request):
        return JSONResponse(_body(code, str(exc.detail)), exc.status_code)
    return _html(request, exc.status_code, str(exc.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(CoopzoneError, coopzone_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
