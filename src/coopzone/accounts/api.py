from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from coopzone.accounts import lists, service
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
from coopzone.api.listing import ListParamsDep, list_params, paged, set_page_headers
from coopzone.errors import Forbidden
from coopzone.kit.listing import ListParams
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


@router.get("/organisations", response_model=list[OrganisationRead],
            **paged(list(lists.ORGANISATION_SORTING.keys)))
def organisations(request: Request, response: Response, session: SessionDep,
                  principal: CurrentUser, params: ListParamsDep, kind: Key | None = None,
                  q: Key | None = None) -> list[Any]:
    """Organisations by place code and name; ``q`` searches the name and place code."""
    result = lists.page_organisations(session, lists.OrganisationFilter(kind or None, q or None),
                                      params)
    set_page_headers(response, request, result)
    return list(result.items)


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


AuditParams = Annotated[ListParams, Depends(list_params(default_per_page=200,
                                                        max_per_page=1000))]


@router.get("/audit", response_model=list[AuditRead], **paged(list(lists.AUDIT_SORTING.keys)))
def audit(request: Request, response: Response, session: SessionDep, principal: CurrentUser,
          params: AuditParams, entity: Key | None = None, q: Key | None = None,
          limit: Annotated[int | None, Query(ge=1, le=1000, description=(
              "rows per page (the older name of per_page)"))] = None) -> list[Any]:
    """Every write, newest first (platform admins); ``q`` searches the actor, table and
    record id."""
    service.require_platform_admin(principal)
    if limit is not None and "per_page" not in request.query_params:
        params = ListParams(params.page, limit, params.sort, params.order)
    result = lists.page_audit(session, lists.AuditFilter(entity or None, q or None), params)
    set_page_headers(response, request, result)
    return list(result.items)
