from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from coopzone.kit.validation import FiniteFloat, Str


class SectionCreate(BaseModel):
    code: Str = Field(min_length=1, max_length=40)
    name: Str = Field(min_length=1, max_length=60)
    river: Str = Field(min_length=1, max_length=60)
    basin: Str = Field(min_length=1, max_length=60)
    water_body: str = Field(default="river", pattern="^(river|lake)$")
    county_code: str = Field(pattern=r"^\d{6}$")
    upstream_code: Str | None = Field(default=None, max_length=40)
    downstream_code: Str | None = Field(default=None, max_length=40)
    level: str = Field(default="provincial", pattern="^(national|provincial|municipal)$")
    target_class: int = Field(default=3, ge=1, le=5)
    is_border: bool = False
    lng: FiniteFloat | None = Field(default=None, ge=73, le=136)
    lat: FiniteFloat | None = Field(default=None, ge=3, le=54)


class SectionRead(SectionCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    province_code: str
