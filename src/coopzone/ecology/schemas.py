from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from coopzone.kit.validation import Str


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
    lng: float | None = Field(default=None, ge=73, le=136, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=3, le=54, allow_inf_nan=False)
    started_on: date | None = Field(
        default=None, ge=date(1900, 1, 1), le=date(2199, 12, 31),
        description="First day the station measured; readings dated before it are refused")
    monitored_by: Literal["national_station", "jurisdiction"] = Field(
        default="jurisdiction",
        description="Who writes the readings: national_station — only the feed (API token) of "
                    "the monitoring station monitor_org_id; jurisdiction — the ecology bureau or "
                    "monitoring station whose jurisdiction covers the county (or monitor_org_id)")
    monitor_org_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1,
        description="The organisation responsible for monitoring the section (required for "
                    "national_station: a monitoring_station)")


class SectionRead(SectionCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    province_code: str


class PushedReading(BaseModel):
    section: Str = Field(max_length=60, description="Section code or name, e.g. jinyushi / 金鱼石")
    time: Str = Field(max_length=40,
                      description="ISO 8601; without an offset it is Asia/Shanghai time")
    item: Str = Field(max_length=40, description="Item code (nh3n) or Chinese name (氨氮)")
    # Any JSON number is taken here so that the service can refuse a non-finite one (a JSON
    # Infinity/NaN literal, or 1e309 which JSON parsers read as +inf) with its row, column
    # and a reason, like every other implausible value. Strict: true/false are not numbers.
    value: str | Annotated[float, Strict()] = Field(
        description="Finite number within the item's plausible range, or 0.002L / <0.002 / "
                    "ND(0.002); Infinity, NaN and 1e309 are refused")


class Push(BaseModel):
    source: Literal["auto", "manual"] = "auto"
    confirm: bool = False
    readings: list[PushedReading] = Field(min_length=1, max_length=100_000)
