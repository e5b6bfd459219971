from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from coopzone.kit.validation import Str


class OrganisationCreate(BaseModel):
    name: Str = Field(min_length=2, max_length=120)
    kind: Str = Field(min_length=1, max_length=30)
    place_code: str = Field(pattern=r"^\d{6}$")


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    place_code: str


class MembershipRead(BaseModel):
    organisation_id: int
    organisation: str
    kind: str
    place_code: str
    role: str


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    is_platform_admin: bool
    memberships: list[MembershipRead]


class TokenCreated(BaseModel):
    id: int
    name: str
    scopes: list[str]
    token: str
    expires_at: datetime | None


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
