"""Render every failure with one JSON body shape under /api, and as an HTML page elsewhere:
``{"error": code, "detail": message, "errors": [{"row", "column", "reason"}],
"request_id": id}`` (:class:`ErrorBody`, documented in the OpenAPI schema for every 4xx and
5xx answer, 422 included).

* expected failures (:class:`CoopzoneError`) with their own status;
* request validation (FastAPI) as 422 ``invalid_input`` with every field and reason;
* the database refusing to write or answer (read-only, disk full, locked, unreachable) as
  503 ``service_unavailable`` with a Chinese message and ``Retry-After``; a unique-key clash
  as 409; a value the database cannot hold as 422;
* anything else as 500 ``internal_error``, logged with its request id (see
  :mod:`coopzone.api.middleware`, which also keeps the connection open).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from coopzone.api.middleware import RequestIdAndCatchAll, request_id_of
from coopzone.errors import (
    Conflict,
    CoopzoneError,
    InvalidInput,
    ServiceUnavailable,
    Unauthorized,
)

logger = logging.getLogger("coopzone.api")

INTERNAL_ERROR_ZH = "服务器内部错误，请稍后重试；如问题持续，请把请求编号告知管理员"
INVALID_REQUEST_ZH = "请求内容无效"
RETRY_AFTER_SECONDS = 5


class RowErrorBody(BaseModel):
    """One reason the input was refused; ``row`` is 1-based as the user sees it."""

    row: int | None
    column: str | None
    reason: str


class ErrorBody(BaseModel):
    """The body of every error answer of the API."""

    error: str = Field(description="machine-readable code, e.g. invalid_input, not_found")
    detail: str = Field(description="message for the user (Chinese by default)")
    errors: list[RowErrorBody] = Field(description="each row, column and reason refused")
    request_id: str | None = Field(description="the X-Request-ID of the request (in the logs)")


def _body(request: Request, code: str, detail: str,
          errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "detail": detail, "errors": errors or [],
            "request_id": request_id_of(request.scope)}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", "")


def _html(request: Request, status: int, message: str) -> Response:
    from coopzone.web.templating import render

    return render(request, "error.html", {"status": status, "message": message},
                  status_code=status)


async def coopzone_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CoopzoneError)
    headers: dict[str, str] = {}
    if isinstance(exc, ServiceUnavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if _wants_json(request):
        errors = [e.as_dict() for e in getattr(exc, "errors", [])]
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(_body(request, exc.code, exc.message, errors), exc.status_code,
                            headers=headers or None)
    if isinstance(exc, Unauthorized):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    response = _html(request, exc.status_code, exc.message)
    response.headers.update(headers)
    return response


def _reason(error: dict[str, Any]) -> str:
    message = str(error.get("msg", ""))
    # pydantic prefixes the messages of our own validators ("Value error, ...").
    return message.removeprefix("Value error, ")


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"row": None, "column": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
         "reason": _reason(e)}
        for e in exc.errors()
    ]
    if _wants_json(request):
        return JSONResponse(_body(request, "invalid_input", INVALID_REQUEST_ZH, errors), 422)
    # A page speaks its reader's language, not pydantic's English (web/reasons.py).
    from coopzone.web.reasons import request_errors_text
    from coopzone.web.templating import locale_of

    return _html(request, 422, request_errors_text(exc.errors(), locale_of(request)))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    if _wants_json(request):
        return JSONResponse(_body(request, code, str(exc.detail)), exc.status_code,
                            headers=exc.headers)
    response = _html(request, exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


# ---- the database refusing ------------------------------------------------------------------

# PostgreSQL SQLSTATE prefixes, SQLite error names (prefixes) and, for drivers that give
# neither (a refused connection), message fragments; then the Chinese message and the detail.
_UNAVAILABLE: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str, str], ...] = (
    (("25006",), ("SQLITE_READONLY",), ("readonly database", "read-only"),
     "数据库当前为只读，暂时无法保存，请稍后重试", "the database is read-only"),
    (("53",), ("SQLITE_FULL",), ("database or disk is full", "no space left"),
     "服务器磁盘空间已满，暂时无法保存，请联系管理员", "the disk is full"),
    (("55P03", "40001", "40P01"), ("SQLITE_BUSY", "SQLITE_LOCKED"), ("database is locked",),
     "数据库正忙，请稍后重试", "the database is busy (locked)"),
    (("08", "57P"), ("SQLITE_CANTOPEN", "SQLITE_IOERR"),
     ("unable to open database", "disk i/o error", "connection", "could not connect",
      "server closed", "terminating connection"),
     "暂时无法连接数据库，请稍后重试", "the database is unreachable"),
)


def unavailable(exc: DBAPIError) -> ServiceUnavailable | None:
    """A ServiceUnavailable for a driver error meaning the database cannot write or answer
    now (read-only, disk full, locked, unreachable); None for any other error."""
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    sqlite_name = str(getattr(exc.orig, "sqlite_errorname", None) or "")
    message = str(exc.orig).lower()
    for states, sqlite_names, fragments, zh, en in _UNAVAILABLE:
        if sqlstate:
            hit = sqlstate.startswith(states)
        elif sqlite_name:
            hit = sqlite_name.startswith(sqlite_names)
        else:
            hit = any(f in message for f in fragments)
        if hit:
            return ServiceUnavailable(zh, detail=en)
    return None


async def database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    refused = unavailable(exc)
    if refused is not None:
        logger.warning("database unavailable (%s), request_id=%s: %s", refused.detail,
                       request_id_of(request.scope), exc.orig)
        return await coopzone_error(request, refused)
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    message = str(exc.orig)
    if isinstance(exc, IntegrityError) and (sqlstate == "23505"
                                            or "UNIQUE constraint failed" in message):
        # Services check uniqueness first; this is the race between two requests.
        return await coopzone_error(request, Conflict(
            "与已有记录重复，未保存", detail="unique constraint violated"))
    if isinstance(exc, DataError) or sqlstate.startswith("22"):
        # A value the column cannot hold (out of range, too long, a NUL on PostgreSQL):
        # the edge bounds inputs first, this is the net below it.
        return await coopzone_error(request, InvalidInput(
            "输入的数值或文字超出了允许的范围", detail=message.splitlines()[0]))
    raise exc


# ---- the unexpected -------------------------------------------------------------------------


async def internal_error(scope: Scope, request_id: str) -> Response:
    """The 500 answer for the catch-all middleware: JSON under /api, the error page
    elsewhere (plain HTML if even the page cannot be drawn)."""
    request = Request(scope)
    if _wants_json(request):
        return JSONResponse(_body(request, "internal_error", INTERNAL_ERROR_ZH), 500)
    message = f"{INTERNAL_ERROR_ZH}（请求编号 {request_id}）"
    try:
        return _html(request, 500, message)
    except Exception:  # the page itself failed: answer without the templates
        logger.exception("error page failed, request_id=%s", request_id)
        return HTMLResponse(f"<!doctype html><title>500</title><p>{message}</p>", 500)


# ---- the OpenAPI schema ---------------------------------------------------------------------

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_ERROR_RESPONSES = {
    "4XX": "请求被拒绝（参数、权限、冲突等） / refused",
    "422": "请求内容无效 / invalid input",
    "500": "服务器内部错误 / internal error",
    "503": "暂时无法服务（数据库只读、磁盘已满、繁忙） / unavailable",
}


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace FastAPI's HTTPValidationError (a body the app never sends) with ErrorBody
    and document ErrorBody for every 4xx and 5xx answer of every operation."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(jsonable_encoder(
        ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}",
                                    mode="serialization")["$defs"]))
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}",
                                       mode="serialization")
    body.pop("$defs", None)
    components["ErrorBody"] = body
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in _ERROR_RESPONSES.items():
                responses[status] = {"description": description,
                                     "content": {"application/json": {"schema": _ERROR_REF}}}
    return schema


def _install_openapi(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    app.add_exception_handler(CoopzoneError, coopzone_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_middleware(RequestIdAndCatchAll, render=internal_error)
    _install_openapi(app)
