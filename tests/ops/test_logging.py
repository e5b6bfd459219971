"""JSON log lines: one valid object per line with the fields an operator searches by."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coopzone.ops.logging import JsonFormatter, request_id_var


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("coopzone.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield out
    logger.removeHandler(handler)
    logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_one_object_per_line_with_time_level_logger_message(stream: io.StringIO) -> None:
    log = logging.getLogger("coopzone.test.json")
    log.info("导入 %d 行\n第二行", 3)
    log.warning("plain")
    first, second = lines(stream)
    assert set(first) == {"time", "level", "logger", "message", "pid"}
    assert first["level"] == "INFO" and second["level"] == "WARNING"
    assert first["logger"] == "coopzone.test.json"
    assert first["message"] == "导入 3 行\n第二行"
    stamp = datetime.fromisoformat(str(first["time"]))
    assert stamp.utcoffset() == timedelta(hours=8)
    assert "导入" in stream.getvalue()  # written as UTF-8 text, not \u escapes


def test_exception_and_request_id(stream: io.StringIO) -> None:
    log = logging.getLogger("coopzone.test.json")
    token = request_id_var.set("req-42")
    try:
        try:
            _ = 1 / 0
        except ZeroDivisionError:
            log.exception("failed")
    finally:
        request_id_var.reset(token)
    log.info("explicit", extra={"request_id": "req-7"})
    log.info("none")
    failed, explicit, none = lines(stream)
    assert failed["request_id"] == "req-42"
    assert str(failed["exception"]).startswith("Traceback")
    assert "ZeroDivisionError: division by zero" in str(failed["exception"])
    assert explicit["request_id"] == "req-7" and "exception" not in explicit
    assert "request_id" not in none


def test_uvicorn_access_lines_carry_the_request() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/v1/health", "1.1", 200), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == '127.0.0.1:5000 - "GET /api/v1/health HTTP/1.1" 200'
    assert (entry["client"], entry["method"], entry["path"], entry["status"]) == (
        "127.0.0.1:5000", "GET", "/api/v1/health", 200)


def test_a_log_line_written_while_serving_a_request_carries_its_request_id(
        app: FastAPI) -> None:
    """The request-id middleware sets the variable the JSON formatter reads, also in the
    thread pool where sync routes run."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.setFormatter(JsonFormatter())
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]

    @app.get("/test-logs-a-line")
    def logs_a_line() -> dict[str, str]:
        logging.getLogger("coopzone.test").warning("inside the route")
        return {"ok": "yes"}

    logger = logging.getLogger("coopzone.test")
    logger.addHandler(handler)
    try:
        response = TestClient(app).get("/test-logs-a-line",
                                       headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(handler)
    assert response.headers["x-request-id"] == "req-42"
    entry = json.loads(lines[-1])
    assert entry["message"] == "inside the route" and entry["request_id"] == "req-42"
