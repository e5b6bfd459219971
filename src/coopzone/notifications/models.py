"""Notifications: one row per recipient user. The row names what happened (``kind``) and the
record it is about (``entity``, ``entity_id``); pages build the link and the sentence in the
reader's language, so nothing here is English or a URL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coopzone.db import AwareDateTime, Base, now


class Notification(Base):
    __tablename__ = "notifications_notification"
    # ``key`` makes a notification idempotent per user (a due-soon reminder is sent once per
    # task, organisation and deadline however often the reminder job runs).
    __table_args__ = (UniqueConstraint("user_id", "key"),
                      Index("ix_notifications_notification_unread", "user_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    key: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
