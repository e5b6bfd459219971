"""Notifications: sent to the users of organisations, counted unread, marked read.

A notification is sent to every active user with a role in the organisations named (viewers
too: they read), except the user who caused it. ``key`` makes it idempotent per user, so a
reminder job can run as often as it likes. Services take the Session first and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coopzone.accounts.models import Membership, Organisation, User
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.db import now
from coopzone.errors import Forbidden, NotFound
from coopzone.notifications.models import Notification

KINDS = ("task_assigned", "task_returned", "extension_requested", "extension_granted",
         "extension_refused", "task_due_soon", "followup_due")


@dataclass(frozen=True)
class Event:
    """What happened, about which record: the same for every recipient."""

    kind: str
    entity: str
    entity_id: int
    subject: str
    key: str
    note: str = ""


def users_of(session: Session, org_ids: Iterable[int], roles: tuple[str, ...] | None = None
             ) -> list[int]:
    query = (select(Membership.user_id).join(User, User.id == Membership.user_id)
             .where(Membership.organisation_id.in_(list(org_ids)), User.is_active.is_(True)))
    if roles is not None:
        query = query.where(Membership.role.in_(roles))
    return sorted(set(session.scalars(query)))


def users_of_kind(session: Session, kind: str, roles: tuple[str, ...] = WRITE_ROLES
                  ) -> list[int]:
    """The users with one of ``roles`` in an organisation of ``kind`` (the cooperation office)."""
    org_ids = list(session.scalars(select(Organisation.id).where(Organisation.kind == kind)))
    return users_of(session, org_ids, roles) if org_ids else []


def notify(session: Session, user_ids: Iterable[int], event: Event,
           exclude_user_id: int | None = None) -> int:
    """One notification per user (none for ``exclude_user_id``, none twice for a key)."""
    if event.kind not in KINDS:
        raise ValueError(f"unknown notification kind {event.kind}")
    wanted = {u for u in user_ids if u != exclude_user_id}
    if not wanted:
        return 0
    have = set(session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(wanted), Notification.key == event.key)))
    rows = [Notification(user_id=u, kind=event.kind, entity=event.entity,
                         entity_id=event.entity_id, subject=event.subject[:200],
                         note=event.note, key=event.key[:160])
            for u in sorted(wanted - have)]
    session.add_all(rows)
    session.flush()
    return len(rows)


def notify_organisations(session: Session, org_ids: Iterable[int], event: Event,
                         exclude_user_id: int | None = None) -> int:
    return notify(session, users_of(session, org_ids), event, exclude_user_id)


def unread_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0)


def list_notifications(session: Session, principal: Principal, unread_only: bool = False,
                       limit: int = 200) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, principal: Principal, notification_id: int) -> Notification:
    """Only the recipient marks a notification read (checked on the stored row)."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"没有编号为 {notification_id} 的通知",
                       detail=f"unknown notification {notification_id}")
    if row.user_id != principal.user_id:
        raise Forbidden("只能处理发给自己的通知",
                        detail=f"notification {notification_id} is not {principal.username}'s")
    if row.read_at is None:
        row.read_at = now()
        session.flush()
    return row


def mark_all_read(session: Session, principal: Principal) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
        .values(read_at=now()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
