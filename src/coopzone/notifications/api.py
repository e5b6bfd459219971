"""Notifications JSON API under /api/v1/notifications: the caller's own, marked read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from coopzone.api.deps import CurrentUser, SessionDep
from coopzone.kit.validation import Id
from coopzone.notifications import service

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    entity: str
    entity_id: int
    subject: str
    note: str
    created_at: datetime
    read_at: datetime | None


class UnreadRead(BaseModel):
    unread: int


@router.get("", response_model=list[NotificationRead])
def list_notifications(session: SessionDep, principal: CurrentUser,
                       unread: bool = False) -> list[Any]:
    return service.list_notifications(session, principal, unread)


@router.get("/unread", response_model=UnreadRead)
def unread_count(session: SessionDep, principal: CurrentUser) -> UnreadRead:
    return UnreadRead(unread=service.unread_count(session, principal.user_id))


@router.post("/read", response_model=UnreadRead)
def mark_all_read(session: SessionDep, principal: CurrentUser) -> UnreadRead:
    service.mark_all_read(session, principal)
    return UnreadRead(unread=service.unread_count(session, principal.user_id))


@router.post("/{notification_id}/read", response_model=NotificationRead)
def mark_read(session: SessionDep, principal: CurrentUser, notification_id: Id) -> Any:
    return service.mark_read(session, principal, notification_id)
