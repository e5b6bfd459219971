from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopzone.db import AwareDateTime, Base, now

ORG_KINDS = (
    "cooperation_office",  # 合作办 / 湘赣边区域合作发展事务中心
    "ecology_bureau",  # 生态环境局
    "monitoring_station",  # 生态环境监测站（国家站的自动监测数据由其令牌推送）
    "finance_bureau",  # 财政局
    "service_window",  # 政务服务窗口（跨省通办窗口）
    "service_department",  # 政务服务事项的办理部门（业务属地的公安、人社、市场监管等）
    "services_office",  # 政务服务管理部门（政务服务中心、行政审批局、数据局）
    "medical_insurance",  # 医疗保障经办机构
    "scenic_spot",  # 景区
    "credit_office",  # 信用办
    "transport_bureau",  # 交通运输局
    "other",
)
ROLES = ("admin", "editor", "viewer")


class Organisation(Base):
    __tablename__ = "accounts_organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    place_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)


class User(Base):
    __tablename__ = "accounts_user"
    __audit_exclude__ = ("last_login_at",)
    __audit_redact__ = ("password_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role in one organisation."""

    __tablename__ = "accounts_membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10))

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")
    organisation: Mapped[Organisation] = relationship(lazy="raise")


class ApiToken(Base):
    """A machine client's token; only its SHA-256 hash is stored."""

    __tablename__ = "accounts_api_token"
    __audit_exclude__ = ("last_used_at",)
    __audit_redact__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated: read write
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)


class LoginSession(Base):
    """A browser's login: the cookie carries only a random key, stored here as its SHA-256.

    Ended by logout, a password change, an administrator deactivating the user, the idle
    timeout (``last_seen_at``) or the absolute lifetime (``expires_at``); an ended or expired
    row is never accepted again, so a replayed cookie is worthless.
    """

    __tablename__ = "accounts_session"
    # Not audited: the row is its own record (who, when, from where, how it ended), as a
    # login's last_login_at is not audited either.
    __audit_skip__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    last_seen_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    # logout | password | deactivated | ended (from the account page) | replaced (new login)
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class LoginFailure(Base):
    """One failed password try, keyed by the name typed (known or not) and the client address.

    Read over a sliding window by the login throttle; rows older than the window are deleted.
    Written with Core inserts, so failures do not flood the audit log.
    """

    __tablename__ = "accounts_login_failure"
    __table_args__ = (
        Index("ix_accounts_login_failure_account_at", "account", "at"),
        Index("ix_accounts_login_failure_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    account: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))


class AuditLog(Base):
    """Every write: who, when, what, before and after. Written by the flush hook in audit.py."""

    __tablename__ = "accounts_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(10))  # insert | update | delete
    entity: Mapped[str] = mapped_column(String(60), index=True)
    entity_id: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
