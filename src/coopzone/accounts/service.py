"""Accounts rules: users, organisations, roles, API tokens, permissions (login and sessions:
sessions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts import roles as policy
from coopzone.accounts.models import (
    ORG_KINDS,
    ROLES,
    ApiToken,
    AuditLog,
    Membership,
    Organisation,
    User,
)
from coopzone.accounts.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    hash_token,
    new_api_token,
)
from coopzone.db import best_effort, now
from coopzone.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RowError,
    Unauthorized,
    found,
)
from coopzone.kit import data_versions
from coopzone.places.service import get_place

TOKEN_SCOPES = ("read", "write")
WRITE_ROLES = policy.WRITE_ROLES


@dataclass(frozen=True)
class Role:
    organisation_id: int
    organisation: str
    kind: str
    place_code: str
    role: str


@dataclass(frozen=True)
class Principal:
    """Who is acting, with what roles; ``scopes`` is set when acting through an API token."""

    user_id: int
    username: str
    display_name: str
    is_platform_admin: bool
    roles: tuple[Role, ...] = ()
    scopes: frozenset[str] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.username

    def may_write_scope(self) -> bool:
        return self.scopes is None or "write" in self.scopes

    def can_write_place(self, place_code: str) -> bool:
        """Whether a record of ``place_code`` is within a jurisdiction this principal edits
        (see the ``place.write`` rule of :mod:`coopzone.accounts.roles`)."""
        return policy.may(self, "place.write", [place_code])

    def is_member(self, organisation_id: int, roles: tuple[str, ...] = ROLES) -> bool:
        return any(r.organisation_id == organisation_id and r.role in roles for r in self.roles)


def require_write(principal: Principal, place_code: str, what: str = "记录") -> None:
    """Refuse a write outside the principal's jurisdiction (or with a read-only role/token)."""
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")
    if not principal.can_write_place(place_code):
        raise Forbidden(
            f"无权修改辖区 {place_code} 的{what}",
            detail=f"{principal.username} may not write records of place {place_code}",
        )


def require_any_write(principal: Principal, what: str = "数据") -> None:
    """Refuse at once a caller who may write nowhere (a viewer, a read-only token): checked
    before an upload is even received. Which records it may write is checked per record."""
    policy.require(principal, "any.write", message=f"没有编辑权限，不能提交{what}",
                   detail=f"{principal.username} has no write role")


def require_platform_admin(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden("需要平台管理员权限", detail="platform administrator only")


# ---- users and organisations -------------------------------------------------------------


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
            [RowError(None, "password", f"shorter than {MIN_PASSWORD_LENGTH} characters")],
        )


def create_user(session: Session, username: str, password: str, display_name: str = "",
                is_platform_admin: bool = False) -> User:
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在", detail=f"user {username} exists")
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password), is_platform_admin=is_platform_admin)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = hash_password(password)
    session.flush()


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}", detail=f"unknown user {username}")
    return user


def create_organisation(session: Session, name: str, kind: str, place_code: str) -> Organisation:
    if kind not in ORG_KINDS:
        raise InvalidInput(f"未知的机构类型 {kind}",
                           [RowError(None, "kind", f"must be one of {', '.join(ORG_KINDS)}")])
    get_place(session, place_code)
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise Conflict(f"机构 {name} 已存在", detail=f"organisation {name} exists")
    org = Organisation(name=name, kind=kind, place_code=place_code)
    session.add(org)
    session.flush()
    return org


def get_or_create_organisation(session: Session, name: str, kind: str,
                               place_code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    return org if org is not None else create_organisation(session, name, kind, place_code)


def get_organisation(session: Session, org_id: int) -> Organisation:
    return found(session.get(Organisation, org_id), "机构", "organisation", org_id)


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.place_code,
                                                              Organisation.name)))


def grant_role(session: Session, user: User, org: Organisation, role: str) -> Membership:
    if role not in ROLES:
        raise InvalidInput(f"未知的角色 {role}",
                           [RowError(None, "role", f"must be one of {', '.join(ROLES)}")])
    membership = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.organisation_id == org.id))
    if membership is None:
        membership = Membership(user_id=user.id, organisation_id=org.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    return membership


# Who a user is (name, roles in which organisations) changes seldom and is read on every
# authenticated request: built once per process and kept until one of these tables moves
# (data versions, read once per request; correct across worker processes), or for a minute
# at most (changes made by hand in SQL).
PRINCIPAL_TOPICS = ("accounts_user", "accounts_membership", "accounts_organisation")
_PRINCIPALS = data_versions.VersionedCache(max_entries=256, ttl=60.0)


def principal_for(session: Session, user_id: int,
                  scopes: frozenset[str] | None = None) -> Principal:
    """The acting principal of an active user (Unauthorized for an unknown or inactive one);
    ``scopes`` when acting through an API token."""
    cached = _PRINCIPALS.get(session, ("principal", user_id), PRINCIPAL_TOPICS,
                             lambda: _principal_for(session, user_id))
    return replace(cached, scopes=scopes, extra={})


def _principal_for(session: Session, user_id: int) -> Principal:
    user = session.scalar(
        select(User).where(User.id == user_id)
        .options(selectinload(User.memberships).selectinload(Membership.organisation))
    )
    if user is None or not user.is_active:
        raise Unauthorized("请先登录", detail="no such active user")
    roles = tuple(
        Role(m.organisation_id, m.organisation.name, m.organisation.kind,
             m.organisation.place_code, m.role)
        for m in user.memberships
    )
    return Principal(user.id, user.username, user.display_name, user.is_platform_admin,
                     roles)


# ---- login: see accounts/sessions.py (server-side sessions and the login throttle) ------------


# ---- API tokens ------------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str, scopes: list[str],
                 days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; the plain text is returned once and only its hash is stored."""
    bad = [s for s in scopes if s not in TOKEN_SCOPES]
    if bad or not scopes:
        raise InvalidInput("令牌权限范围无效", [RowError(
            None, "scopes", f"choose from {', '.join(TOKEN_SCOPES)}; got {', '.join(bad)}")])
    plain = new_api_token()
    token = ApiToken(
        user_id=user.id, name=name, prefix=plain[:12], token_hash=hash_token(plain),
        scopes=" ".join(sorted(set(scopes))),
        expires_at=now() + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return token, plain


def revoke_token(session: Session, token_id: int, principal: Principal) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"没有编号为 {token_id} 的令牌", detail=f"unknown token {token_id}")
    if token.user_id != principal.user_id and not principal.is_platform_admin:
        raise Forbidden("只能吊销自己的令牌", detail="not your token")
    token.revoked_at = token.revoked_at or now()
    session.flush()
    return token


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.id.desc())))


def principal_for_token(session: Session, plain: str) -> Principal:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    at = now()
    if token is None or token.revoked_at is not None:
        raise Unauthorized("令牌无效或已吊销", detail="invalid or revoked token")
    if token.expires_at is not None and token.expires_at <= at:
        raise Unauthorized("令牌已过期", detail="expired token")
    _touch_token(session, token, at)
    return principal_for(session, token.user_id, frozenset(token.scopes.split()))


def token_scopes(session: Session, plain: str) -> frozenset[str] | None:
    """The scopes of a live token (None for an unknown, revoked or expired one); reads only,
    so it can vet a request before anything else runs."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now():
        return None
    return frozenset(token.scopes.split())
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def _touch_token(session: Session, token: ApiToken, at: datetime) -> None:
    """Note when a token was used: at most once a minute, so a read stays a read; and only if
    it can be done at once — a busy database (another writer, or a concurrent request with
    the same token holding the row) skips it rather than delaying or failing the request."""
    if token.last_used_at is not None and at - token.last_used_at < TOKEN_TOUCH_EVERY:
        return
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at - TOKEN_TOUCH_EVERY)
    free = (select(ApiToken.id).where(ApiToken.id == token.id, stale)
            .with_for_update(skip_locked=True).scalar_subquery())
    with best_effort(session):
        session.execute(update(ApiToken).where(ApiToken.id == free).values(last_used_at=at),
                        execution_options={"synchronize_session": False})


def list_audit(session: Session, entity: str | None = None, limit: int = 200) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditLog.entity == entity)
    return list(session.scalars(query))
