"""Logs as JSON lines in production: one object per line with ``time`` (aware, Asia/Shanghai),
``level``, ``logger``, ``message``, ``pid``, ``request_id`` when one is known and ``exception``
(the formatted traceback) when there is one. uvicorn's access lines also carry ``client``,
``method``, ``path`` and ``status``.

``request_id`` is read from the record (``extra={"request_id": ...}``) or else from
:data:`request_id_var`; a request-id middleware sets that variable for the duration of a
request so every line logged while handling it carries the id.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from coopzone.db import SHANGHAI

request_id_var: ContextVar[str | None] = ContextVar("coopzone_request_id", default=None)

FORMATTER = "coopzone.ops.logging.JsonFormatter"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; newlines inside messages and tracebacks stay escaped."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, SHANGHAI).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = str(request_id)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) \
                and len(record.args) == 5:
            client, method, path, _http, status = record.args
            entry.update(client=client, method=method, path=path, status=status)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for JSON lines on stderr; also uvicorn's ``log_config``
    (each worker process applies it when it starts)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": FORMATTER}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                              "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["json"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["json"], "level": level},
    }


def configure_json_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(log_config(level))
