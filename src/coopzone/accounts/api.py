from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from coopzone.accounts import service
from coopzone.accounts.models import User
from coopzone.accounts.schemas import (
    AuditRead,
    MembershipRead,
    OrganisationCreate,
    OrganisationRead,
    TokenCreated,
    UserRead,
)
from coopzone.api.deps import CurrentUser, SessionDep
from coopzone.errors import Forbidden
from coopzone.kit.validation import Id, Key, Str

router = APIRouter(tags=["accounts"])


class TokenCreate(BaseModel):
    name: Str = Field(min_length=1, max_length=120)
    scopes: list[Annotated[Str, Field(max_length=20)]] = Field(default=["read"], max_length=10)
    days: int | None = Field(default=None, ge=1, le=3650)


@router.get("/me", response_model=UserRead)
def me(principal: CurrentUser) -> UserRead:
    return UserRead(
        id=principal.user_id, username=principal.username,
        display_name=principal.display_name, is_platform_admin=principal.is_platform_admin,
        memberships=[MembershipRead(organisation_id=r.organisation_id,
                                    organisation=r.organisation, kind=r.kind,
                                    place_code=r.place_code, role=r.role)
                     for r in principal.roles],
    )


@router.get("/organisations", response_model=list[OrganisationRead])
def organisations(session: SessionDep, principal: CurrentUser) -> list[Any]:
    return list(service.list_organisations(session))


@router.post("/organisations", response_model=OrganisationRead, status_code=201)
def create_organisation(session: SessionDep, principal: CurrentUser,
                        body: OrganisationCreate) -> Any:
    service.require_platform_admin(principal)
    return service.create_organisation(session, body.name, body.kind, body.place_code)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(session: SessionDep, principal: CurrentUser, body: TokenCreate) -> TokenCreated:
    user = session.get(User, principal.user_id)
    assert user is not None
    # A token never carries more rights than the token that made it (a read token makes
    # none at all: refused with every other unsafe request by enforce_token_scope).
    extra = sorted(set(body.scopes) - principal.scopes) if principal.scopes is not None else []
    if extra:
        raise Forbidden("令牌不能创建权限比自己多的令牌",
                        detail=f"this token lacks the scopes {', '.join(extra)}")
    token, plain = service.create_token(session, user, body.name, body.scopes, body.days)
    return TokenCreated(id=token.id, name=token.name, scopes=token.scopes.split(), token=plain,
                        expires_at=token.expires_at)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(session: SessionDep, principal: CurrentUser, token_id: Id) -> None:
    service.revoke_token(session, token_id, principal)


@router.get("/audit", response_model=list[AuditRead])
def audit(session: SessionDep, principal: CurrentUser, entity: Key | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[Any]:
    service.require_platform_admin(principal)
    return list(service.list_audit(session, entity, min(limit, 1000)))
