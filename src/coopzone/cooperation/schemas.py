from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coopzone.cooperation.models import (
    AGREEMENT_STATUSES,
    FIELDS,
    MEETING_KINDS,
    MEMBER_ROLES,
    PARTY_KINDS,
    PROJECT_STATUSES,
)
from coopzone.kit.validation import TEXT_MAX, Day, Id, Money, Quantity, Str


def _one_of(values: tuple[str, ...]) -> str:
    return "^(" + "|".join(values) + ")$"


class PartyIn(BaseModel):
    name: Str = Field(min_length=2, max_length=120)
    kind: str | None = Field(default=None, pattern=_one_of(PARTY_KINDS))
    place_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class PartyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    place_code: str | None


class AgreementCreate(BaseModel):
    title: Str = Field(min_length=2, max_length=200)
    parties: list[PartyIn] = Field(min_length=1, max_length=100)
    field: str = Field(pattern=_one_of(FIELDS))
    signed_on: Day
    signed_at: Str = Field(default="", max_length=120)
    term_years: int | None = Field(default=None, ge=1, le=50)
    expires_on: Day | None = None
    status: str = Field(default="signed", pattern=_one_of(AGREEMENT_STATUSES))
    summary: Str = Field(default="", max_length=TEXT_MAX)


class AgreementStatusChange(BaseModel):
    """signed -> in force -> expired or terminated, as of a date."""

    status: str = Field(pattern=_one_of(AGREEMENT_STATUSES))
    effective_on: Day


class AgreementUpdate(BaseModel):
    """Only the fields sent are changed; ``expires_on`` may be cleared with null, the status
    and the summary may not."""

    status: str | None = Field(default=None, pattern=_one_of(AGREEMENT_STATUSES))
    expires_on: Day | None = None
    summary: Str | None = Field(default=None, max_length=TEXT_MAX)

    @field_validator("status", "summary", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("不能为空 (may not be null)")
        return value


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    sha256: str
    size: int


class ObligationCreate(BaseModel):
    description: Str = Field(min_length=2, max_length=TEXT_MAX)
    owner: Str = Field(min_length=2, max_length=120, description="name of a party")
    due_on: Day | None = None


class ObligationReportCreate(BaseModel):
    reported_on: Day
    text: Str = Field(min_length=1, max_length=TEXT_MAX)
    done: bool = False


class ObligationReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reported_on: date
    text: str
    evidence_id: int | None
    reported_by: str


class ObligationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    description: str
    owner: PartyRead
    due_on: date | None
    done_on: date | None
    reports: list[ObligationReportRead]


class AgreementRead(BaseModel):
    id: int
    title: str
    field: str
    signed_on: date
    signed_at: str
    term_years: int | None
    expires_on: date | None
    in_force_on: date | None = None
    status: str
    summary: str
    parties: list[PartyRead]
    document: DocumentRead | None = None
    obligations: list[ObligationRead] = []


class MemberIn(BaseModel):
    name: Str = Field(min_length=2, max_length=120)
    role: str = Field(default="member", pattern=_one_of(MEMBER_ROLES))


class MeetingCreate(BaseModel):
    title: Str = Field(min_length=2, max_length=200)
    kind: str = Field(pattern=_one_of(MEETING_KINDS))
    series: Str = Field(default="", max_length=120)
    held_on: Day
    place: Str = Field(default="", max_length=120)
    host: Str = Field(min_length=2, max_length=120)
    our_role: str = Field(default="member", pattern=_one_of(MEMBER_ROLES))
    members: list[MemberIn] = Field(default=[], max_length=500)
    resolutions: list[Annotated[Str, Field(max_length=TEXT_MAX)]] = Field(default=[],
                                                                          max_length=500)


class ResolutionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int
    text: str


class MeetingRead(BaseModel):
    id: int
    title: str
    kind: str
    series: str
    held_on: date
    place: str
    host: str
    our_role: str
    members: list[dict[str, str]]
    resolutions: list[ResolutionRead]


class SiteIn(BaseModel):
    # Left blank, the site is named after its county (a form chooses counties only).
    name: Str = Field(default="", max_length=120)
    county_code: str = Field(pattern=r"^\d{6}$")


class SitesChoice(BaseModel):
    """The counties a project touches, as chosen on its page."""

    sites: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = []


class MilestoneIn(BaseModel):
    name: Str = Field(min_length=1, max_length=200)
    due_on: Day
    done_on: Day | None = None


class MilestoneDone(BaseModel):
    done_on: Day


class ProjectCreate(BaseModel):
    # Left out, the platform numbers the project (see service.create_project).
    code: Str | None = Field(default=None, min_length=1, max_length=40)
    name: Str = Field(min_length=2, max_length=200)
    field: str = Field(pattern=_one_of(FIELDS))
    owner: Str = Field(min_length=2, max_length=120)
    owner_place_code: str = Field(pattern=r"^\d{6}$")
    budget: Money | None = None
    status: str = Field(default="planned", pattern=_one_of(PROJECT_STATUSES))
    started_on: Day | None = None
    planned_finish: Day | None = None
    summary: Str = Field(default="", max_length=TEXT_MAX)
    sites: list[SiteIn] = Field(default=[], max_length=500)
    milestones: list[MilestoneIn] = Field(default=[], max_length=500)


class ProjectReportCreate(BaseModel):
    reported_on: Day
    percent_complete: int = Field(ge=0, le=100)
    text: Str = Field(default="", max_length=TEXT_MAX)


class ProjectRead(BaseModel):
    id: int
    code: str
    name: str
    field: str
    owner: str
    owner_place_code: str
    budget: Decimal | None
    status: str
    started_on: date | None
    planned_finish: date | None
    percent_complete: int
    sites: list[dict[str, str]]
    milestones: list[dict[str, Any]]


class TaskCreate(BaseModel):
    title: Str = Field(min_length=2, max_length=200)
    description: Str = Field(default="", max_length=TEXT_MAX)
    owner_org_id: Id
    deadline: Day
    resolution_id: Id | None = None
    # Further organisations the task is assigned to at once (each with its own progress).
    assignee_org_ids: list[Id] = Field(default_factory=list, max_length=200)


class TaskAction(BaseModel):
    note: Str = Field(default="", max_length=TEXT_MAX)
    org_id: Id | None = None  # the assignee acted on, when the task has several


class TaskReplyCreate(BaseModel):
    text: Str = Field(default="", max_length=TEXT_MAX)
    org_id: Id | None = None


class ExtensionCreate(BaseModel):
    new_deadline: Day
    reason: Str = Field(min_length=1, max_length=TEXT_MAX)
    org_id: Id | None = None


class ExtensionDecision(BaseModel):
    note: Str = Field(default="", max_length=TEXT_MAX)


class TaskAssigneeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: int
    state: str
    deadline: date
    returned_count: int
    submitted_at: datetime | None
    accepted_at: datetime | None


class TaskExtensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: int
    org_id: int
    old_deadline: date
    new_deadline: date
    reason: str
    state: str
    asked_at: datetime
    asked_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str


class TaskFileRead(BaseModel):
    filename: str
    sha256: str
    size: int
    reply_id: int | None
    added_by: str


class TaskReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    text: str
    at: datetime
    by: str


class TaskEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str
    org_id: int | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    owner_org_id: int
    deadline: date
    state: str
    resolution_id: int | None
    returned_count: int
    submitted_at: datetime | None
    accepted_at: datetime | None
    assignees: list[TaskAssigneeRead] = []


class TaskDetailRead(TaskRead):
    replies: list[TaskReplyRead]
    files: list[TaskFileRead]
    extensions: list[TaskExtensionRead]
    events: list[TaskEventRead]


class IndicatorValueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: str
    value: Decimal
    source: str
    provenance: dict[str, Any]
    evidence_id: int | None
    recorded_by: str


class IndicatorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str
    unit: str
    target: Decimal | None
    period: str
    source: str
    reporter: str


class ReportedValueIn(BaseModel):
    # Checked against the indicator's period (year, quarter or month) by the service.
    period: Str = Field(min_length=4, max_length=10)
    value: Quantity


class ImportRowRead(BaseModel):
    row: int
    title: str
    action: str  # new | changed | unchanged
    changes: dict[str, list[str]]


class ImportPreviewRead(BaseModel):
    sha256: str
    filename: str
    applied: bool  # false for a preview, and for a file applied before (nothing to apply)
    duplicate_file: bool = False  # this content was applied before: it adds nothing
    summary: str = ""  # what it does, in words (the request's language)
    new: int
    changed: int
    unchanged: int
    rows: list[ImportRowRead]
