"""Input and output shapes of 跨省通办 (used by the API, pages and importers).

Reads of cases are **masked** (张*三, 3603**********1234, 138****5678) and are not here: the
service's views (:class:`coopzone.gov_services.service.CaseView`, ``CaseClock``, ``CaseRow``)
are their one definition, masked unless the principal holds the personal-data permission and
asked for the full view (audited); the API's response models are derived from them in
:mod:`coopzone.gov_services.api`.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from coopzone.gov_services.models import (
    APPLICANT_KINDS,
    DEPARTMENT_KINDS,
    GRADES,
    MODES,
    OUTCOMES,
)
from coopzone.kit.validation import Day, Id, LocalDateTime, LongText, PlaceCode, Str


def _one_of(values: tuple[str, ...]) -> str:
    return "^(" + "|".join(values) + ")$"


Mode = Field(pattern=_one_of(MODES))
Days = Field(default=None, ge=0, le=3650)


class ItemCreate(BaseModel):
    code: Str = Field(min_length=1, max_length=40)
    name: Str = Field(min_length=2, max_length=120)
    department: Str = Field(default="", max_length=60)
    department_kind: str = Field(pattern=_one_of(DEPARTMENT_KINDS))
    modes: list[str] = Field(min_length=1, max_length=3)
    statutory_days: int | None = Days
    promised_days: int | None = Days
    postage_pauses: bool = False
    materials: list[Str] = Field(default_factory=list, max_length=100)
    fees: LongText = ""
    legal_basis: LongText = ""
    source_url: Str = Field(default="", max_length=300)
    source_title: Str = Field(default="", max_length=300)
    certainty: str = Field(default="[U]", pattern=r"^\[(V|S|U)\]$")
    note: LongText = ""


class ItemUpdate(BaseModel):
    """Only the fields given are changed."""

    name: Str | None = Field(default=None, min_length=2, max_length=120)
    department: Str | None = Field(default=None, max_length=60)
    department_kind: str | None = Field(default=None, pattern=_one_of(DEPARTMENT_KINDS))
    modes: list[str] | None = Field(default=None, min_length=1, max_length=3)
    statutory_days: int | None = Days
    promised_days: int | None = Days
    postage_pauses: bool | None = None
    materials: list[Str] | None = None
    fees: LongText | None = None
    legal_basis: LongText | None = None
    source_url: Str | None = Field(default=None, max_length=300)
    source_title: Str | None = Field(default=None, max_length=300)
    certainty: str | None = Field(default=None, pattern=r"^\[(V|S|U)\]$")
    note: LongText | None = None
    active: bool | None = None


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    department: str
    department_kind: str
    mode_list: tuple[str, ...]
    statutory_days: int | None
    promised_days: int | None
    postage_pauses: bool
    materials: list[str]
    fees: str
    legal_basis: str
    source_url: str
    source_title: str
    certainty: str
    note: str
    active: bool


class WindowCreate(BaseModel):
    name: Str = Field(min_length=2, max_length=120)
    place_code: PlaceCode
    organisation_id: Id
    opening_hours: Str = Field(default="", max_length=200)
    address: Str = Field(default="", max_length=200)
    item_ids: list[Id] = Field(default_factory=list)  # none: every item


class WindowUpdate(BaseModel):
    """Only the fields given are changed (a window with cases keeps its place and
    organisation)."""

    name: Str | None = Field(default=None, min_length=2, max_length=120)
    place_code: PlaceCode | None = None
    organisation_id: Id | None = None
    opening_hours: Str | None = Field(default=None, max_length=200)
    address: Str | None = Field(default=None, max_length=200)
    item_ids: list[Id] | None = None


class WindowRead(BaseModel):
    id: int
    name: str
    place_code: str
    organisation_id: int
    opening_hours: str
    address: str
    item_ids: list[int]


class KstbAgreementCreate(BaseModel):
    agreement_id: Id  # the cooperation module's agreement
    collect_place_codes: list[PlaceCode] = Field(min_length=1)
    handle_place_codes: list[PlaceCode] = Field(min_length=1)
    item_ids: list[Id] = Field(default_factory=list)  # none: every item
    note: LongText = ""


class KstbAgreementUpdate(BaseModel):
    collect_place_codes: list[PlaceCode] | None = Field(default=None, min_length=1)
    handle_place_codes: list[PlaceCode] | None = Field(default=None, min_length=1)
    item_ids: list[Id] | None = None
    note: LongText | None = None


class KstbAgreementRead(BaseModel):
    id: int
    agreement_id: int
    title: str
    collect_place_codes: list[str]
    handle_place_codes: list[str]
    item_ids: list[int]
    note: str


class CaseCreate(BaseModel):
    """An application (申请). ``id_number`` is the resident ID (a person) or the USCC (an
    enterprise); ``window_id`` is required for 异地代收代办 and 多地联办 and refused for
    全程网办; the handling place defaults to the department's."""

    applicant_kind: str = Field(pattern=_one_of(APPLICANT_KINDS))
    applicant_name: Str = Field(min_length=1, max_length=120)
    id_number: Str = Field(min_length=1, max_length=40)
    phone: Str = Field(default="", max_length=30)
    address: Str = Field(default="", max_length=200)
    address_place_code: PlaceCode | None = None
    item_id: Id
    mode: str = Mode
    window_id: Id | None = None
    department_id: Id
    handling_place_code: PlaceCode | None = None
    materials_received: list[Str] = Field(default_factory=list, max_length=100)
    number: Str | None = Field(default=None, min_length=4, max_length=32)  # an imported 编号
    applied_at: LocalDateTime | None = None  # unset: now on the platform's clock


class StepIn(BaseModel):
    """A step of a case: ``action`` one of the workflow's; what some steps carry besides."""

    action: str = Field(min_length=1, max_length=30)
    note: LongText = ""
    formal_check_ok: bool | None = None  # collect
    identity_checked: bool | None = None  # collect
    materials: list[Str] | None = None  # collect, complete_correction
    tracking_number: Str | None = Field(default=None, max_length=40)  # send, deliver
    outcome: str | None = Field(default=None, pattern=_one_of(OUTCOMES))  # decide


class PostagePauseIn(BaseModel):
    first_day: Day
    last_day: Day
    note: LongText = ""


class CaseEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str


class EvaluationCreate(BaseModel):
    grade: str = Field(pattern=_one_of(GRADES))
    comment: LongText = ""


class EvaluationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    grade: str
    comment: str
    window_id: int | None
    owner_org_id: int
    evaluated_at: datetime


class FollowUpAnswer(BaseModel):
    rectification: LongText = Field(min_length=1)  # 整改
    reply: LongText = Field(min_length=1)  # 回访


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    evaluation_id: int
    owner_org_id: int
    state: str
    due_on: date | None
    due_reason: str | None
    rectification: str
    reply: str
    answered_at: datetime | None
    on_time: bool | None


