"""Cooperation governance records: agreements and their parties and obligations, joint
meetings and their resolutions, platform projects, leading-group tasks (督办) and indicators.

Tables are named ``cooperation_<entity>``; every relationship raises instead of lazy-loading.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from coopzone.db import AwareDateTime, Base, Money, now
from coopzone.kit.models import Document as Document  # moved to the shared kit; same table
from coopzone.kit.workflow import HistoryColumns

PARTY_KINDS = ("province", "city", "county", "bureau", "park", "university", "company",
               "office", "other")
FIELDS = ("transport", "industry", "ecology", "public_services", "culture_tourism", "credit",
          "talent", "science", "agriculture", "trade", "other")
AGREEMENT_STATUSES = ("signed", "in_force", "expired", "terminated")
MEETING_KINDS = ("joint_meeting", "forum", "conference")
MEMBER_ROLES = ("host", "member", "observer")
PROJECT_STATUSES = ("planned", "under_construction", "completed", "suspended")
TASK_STATES = ("open", "in_progress", "submitted", "accepted")
EXTENSION_STATES = ("requested", "granted", "refused")
INDICATOR_PERIODS = ("year", "quarter", "month")
INDICATOR_SOURCES = ("computed", "reported")

QUANTITY_SCALE = Decimal(10000)


class Quantity(TypeDecorator[Decimal]):
    """An exact decimal with four places, stored as a scaled integer (SQLite's Numeric is a
    float underneath). Indicator values are counts, shares and yuan alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * QUANTITY_SCALE
        return int(scaled.to_integral_value())

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / QUANTITY_SCALE).quantize(Decimal("0.0001"))


class Party(Base):
    """A signatory: a province, city, county, bureau, park, university, company, …"""

    __tablename__ = "cooperation_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    place_code: Mapped[str | None] = mapped_column(ForeignKey("places_place.code"), index=True,
                                                   default=None)


class AgreementParty(Base):
    __tablename__ = "cooperation_agreement_party"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_agreement.id", ondelete="CASCADE"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("cooperation_party.id"), primary_key=True,
                                          index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    party: Mapped[Party] = relationship(lazy="raise")


class Agreement(Base):
    """A cooperation agreement (合作协议); ``title`` identifies it across imports."""

    __tablename__ = "cooperation_agreement"
    __audit_exclude__ = ("lock_version",)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    field: Mapped[str] = mapped_column(String(20), index=True)
    signed_on: Mapped[date] = mapped_column(Date, index=True)
    signed_at: Mapped[str] = mapped_column(String(120), default="")
    term_years: Mapped[int | None] = mapped_column(Integer, default=None)
    expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    # When it came into force; unset means on signing (自签署之日起生效), the usual clause.
    in_force_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(12), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("cooperation_document.id"),
                                                    default=None)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    # Optimistic lock (issue 9): every UPDATE checks and bumps it, so a change based on a stale
    # read is refused (StaleDataError → 409) instead of overwriting a concurrent one.
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012

    parties: Mapped[list[AgreementParty]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by=AgreementParty.position)
    obligations: Mapped[list[Obligation]] = relationship(
        back_populates="agreement", lazy="raise", cascade="all, delete-orphan")
    document: Mapped[Document | None] = relationship(lazy="raise")
    events: Mapped[list[AgreementEvent]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="AgreementEvent.id")


class AgreementEvent(HistoryColumns, Base):
    """One status change of an agreement (kit.workflow history): who, when, from, to, why,
    and the date it took effect."""

    __tablename__ = "cooperation_agreement_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_agreement.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date | None] = mapped_column(Date, default=None)


class AgreementImport(Base):
    """One agreements workbook applied (confirmed): its content's SHA-256 makes a second
    import of the same file add nothing, and say so (kit.importing's ``duplicate_file``).
    The counts are what it did when it was applied."""

    __tablename__ = "cooperation_agreement_import"
    __table_args__ = (UniqueConstraint("sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    applied_by: Mapped[str] = mapped_column(String(120))


class Obligation(Base):
    """What one organisation promised under an agreement, by when."""

    __tablename__ = "cooperation_obligation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_agreement.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_party_id: Mapped[int] = mapped_column(ForeignKey("cooperation_party.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    done_on: Mapped[date | None] = mapped_column(Date, default=None)

    agreement: Mapped[Agreement] = relationship(back_populates="obligations", lazy="raise")
    owner: Mapped[Party] = relationship(lazy="raise")
    reports: Mapped[list[ObligationReport]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ObligationReport.reported_on")


class ObligationReport(Base):
    __tablename__ = "cooperation_obligation_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_obligation.id", ondelete="CASCADE"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("cooperation_document.id"),
                                                    default=None)
    reported_by: Mapped[str] = mapped_column(String(120), default="")


class Meeting(Base):
    """A joint meeting (联席会议), forum (论坛) or conference (推进大会)."""

    __tablename__ = "cooperation_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    series: Mapped[str] = mapped_column(String(120), default="", index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(120), default="")
    host: Mapped[str] = mapped_column(String(120))
    # Pingxiang's own role at the meeting: host, member or observer (列席/观察员).
    our_role: Mapped[str] = mapped_column(String(10), default="member")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)

    __table_args__ = (UniqueConstraint("title", "held_on"),)

    members: Mapped[list[MeetingMember]] = relationship(
        lazy="raise", cascade="all, delete-orphan")
    resolutions: Mapped[list[Resolution]] = relationship(
        back_populates="meeting", lazy="raise", cascade="all, delete-orphan",
        order_by="Resolution.number")


class MeetingMember(Base):
    __tablename__ = "cooperation_meeting_member"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_meeting.id", ondelete="CASCADE"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("cooperation_party.id"), primary_key=True,
                                          index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")

    party: Mapped[Party] = relationship(lazy="raise")


class Resolution(Base):
    __tablename__ = "cooperation_resolution"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_meeting.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="resolutions", lazy="raise")


class Project(Base):
    """A platform project (平台项目) with an owner, a budget and milestones."""

    __tablename__ = "cooperation_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20), index=True)
    owner: Mapped[str] = mapped_column(String(120))
    owner_place_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"))
    budget: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    started_on: Mapped[date | None] = mapped_column(Date, default=None)
    planned_finish: Mapped[date | None] = mapped_column(Date, default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)

    sites: Mapped[list[ProjectSite]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ProjectSite.position")
    milestones: Mapped[list[Milestone]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="Milestone.due_on")
    reports: Mapped[list[ProjectReport]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ProjectReport.reported_on")


class ProjectSite(Base):
    """Where a project touches a county (e.g. a station of a railway)."""

    __tablename__ = "cooperation_project_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    county_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Milestone(Base):
    __tablename__ = "cooperation_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date, default=None)


class ProjectReport(Base):
    """A progress report: percent complete as of a date, with an optional attachment."""

    __tablename__ = "cooperation_project_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_project.id", ondelete="CASCADE"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    percent_complete: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("cooperation_document.id"),
                                                      default=None)
    reported_by: Mapped[str] = mapped_column(String(120), default="")


class Task(Base):
    """A leading-group task (督办事项) assigned to one organisation, with a deadline."""

    __tablename__ = "cooperation_task"
    __audit_exclude__ = ("lock_version",)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"),
                                              index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(12), index=True, default="open")
    resolution_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperation_resolution.id"), default=None, index=True)
    returned_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    # Optimistic lock (issue 9): every UPDATE checks and bumps it, so a change based on a stale
    # read is refused (StaleDataError → 409) instead of overwriting a concurrent one.
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012

    events: Mapped[list[TaskEvent]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="TaskEvent.id")
    assignees: Mapped[list[TaskAssignee]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="TaskAssignee.id")


class TaskAssignee(Base):
    """One organisation a task is assigned to, with its own progress (a task may be assigned
    to several organisations at once; ``Task.owner_org_id`` is the first, the lead) and its own
    deadline (the task's, moved by a granted extension)."""

    __tablename__ = "cooperation_task_assignee"
    __audit_exclude__ = ("lock_version",)
    __table_args__ = (UniqueConstraint("task_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("cooperation_task.id", ondelete="CASCADE"),
                                         index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True, default="open")
    deadline: Mapped[date] = mapped_column(Date, index=True)
    returned_count: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012


class TaskEvent(HistoryColumns, Base):
    """One change of a task (kit.workflow history): who moved it, when, and why; ``org_id``
    names the assignee organisation the move was about (none for the task as a whole)."""

    __tablename__ = "cooperation_task_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("cooperation_task.id", ondelete="CASCADE"),
                                         index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_organisation.id"),
                                               default=None)


class TaskReply(Base):
    """What an assignee organisation answered on a task, with its evidence files
    (:class:`TaskAttachment` rows pointing at the reply)."""

    __tablename__ = "cooperation_task_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("cooperation_task.id", ondelete="CASCADE"),
                                         index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    by: Mapped[str] = mapped_column(String(120))


class TaskAttachment(Base):
    """A stored document attached to a task (by the office, ``reply_id`` unset) or to a
    reply (evidence from an assignee)."""

    __tablename__ = "cooperation_task_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("cooperation_task.id", ondelete="CASCADE"),
                                         index=True)
    reply_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperation_task_reply.id", ondelete="CASCADE"), default=None, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("cooperation_document.id"))
    added_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    added_by: Mapped[str] = mapped_column(String(120))

    document: Mapped[Document] = relationship(lazy="raise")


class TaskExtension(Base):
    """An assignee's request for a later deadline: asked with a reason and a new date, then
    granted or refused by the cooperation office (kit.workflow; history in TaskEvent)."""

    __tablename__ = "cooperation_task_extension"
    __audit_exclude__ = ("lock_version",)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("cooperation_task.id", ondelete="CASCADE"),
                                         index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"))
    old_deadline: Mapped[date] = mapped_column(Date)
    new_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), index=True, default="requested")
    asked_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    asked_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012


class Indicator(Base):
    """A yearly goal: what is measured, its unit, target and period, and where values come
    from (computed from the platform's records, or reported by an organisation)."""

    __tablename__ = "cooperation_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    unit: Mapped[str] = mapped_column(String(20))
    target: Mapped[Decimal | None] = mapped_column(Quantity(), default=None)
    period: Mapped[str] = mapped_column(String(10), default="year")
    source: Mapped[str] = mapped_column(String(10))  # computed | reported
    reporter: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorValue(Base):
    """An indicator's value for one period, with its provenance (which records, or which
    organisation reported it with what evidence)."""

    __tablename__ = "cooperation_indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_indicator.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2025 | 2025-Q3 | 2025-09
    value: Mapped[Decimal] = mapped_column(Quantity())
    source: Mapped[str] = mapped_column(String(10))
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("cooperation_document.id"),
                                                    default=None)
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    recorded_by: Mapped[str] = mapped_column(String(120), default="")
