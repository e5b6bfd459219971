"""Audit every write made through a Session.

A flush hook inserts one ``accounts_audit_log`` row per inserted, updated or deleted object, with
the actor taken from ``session.info["actor"]`` (set by each edge: request, CLI command).
Installed once, globally, by :func:`install_audit_hook`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from coopzone.accounts.models import AuditLog
from coopzone.db import now

_installed = False


def set_actor(session: Session, user_id: int | None, label: str) -> None:
    session.info["actor"] = (user_id, label)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj: Any) -> list[str]:
    skip = set(getattr(obj, "__audit_exclude__", ()))
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in skip]


def _value(obj: Any, key: str, value: Any) -> Any:
    if key in getattr(obj, "__audit_redact__", ()):
        return "***" if value is not None else None
    return _jsonable(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    return {k: _value(obj, k, getattr(obj, k)) for k in _columns(obj)}


def _before_after(obj: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                before[key] = _value(obj, key, old)
                after[key] = _value(obj, key, new)
    return (before, after) if after else None


def _identity(obj: Any) -> str:
    # state.key is only set after the flush finishes; read the primary key columns instead.
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in ident)


def _rows(session: Session) -> list[dict[str, Any]]:
    user_id, label = session.info.get("actor", (None, "system"))
    at = now()
    rows: list[dict[str, Any]] = []

    def add(obj: Any, action: str, before: Any, after: Any) -> None:
        if getattr(obj, "__audit_skip__", False):
            return  # bookkeeping that keeps its own record (login sessions)
        rows.append({
            "at": at, "actor_user_id": user_id, "actor": label, "action": action,
            "entity": type(obj).__tablename__, "entity_id": _identity(obj),
            "before": before, "after": after,
        })

    for obj in session.new:
        if not isinstance(obj, AuditLog):
            add(obj, "insert", None, _snapshot(obj))
    for obj in session.dirty:
        if isinstance(obj, AuditLog) or not session.is_modified(obj):
            continue
        change = _before_after(obj)
        if change is not None:
            add(obj, "update", *change)
    for obj in session.deleted:
        if not isinstance(obj, AuditLog):
            add(obj, "delete", _snapshot(obj), None)
    return rows


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    rows = _rows(session)
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def install_audit_hook() -> None:
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        _installed = True
