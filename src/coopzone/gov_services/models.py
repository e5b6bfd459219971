"""跨省通办 records: items (事项), 跨省通办 agreements, windows (窗口), cases (办件) with their
history and clock pauses, evaluations (好差评) and the follow-up of a 差评.

Tables are named ``gov_services_<entity>``; every relationship raises instead of lazy-loading.

Personal data (the applicant's name, ID number or USCC, phone, address) is stored in full and
masked on every read by the service (:mod:`coopzone.gov_services.service.privacy`); the audit
hook redacts it (``__audit_redact__``) so the audit log does not become a second copy.

The clock fields of a case are stored, not computed on read, so that the work list, the
overdue list and the monthly statistics are plain indexed SQL at 1,000,000 cases:

* ``deadline`` — the last working day of the time limit (its 24:00 is the deadline), or NULL
  with ``deadline_reason`` ("no calendar for 2027", "paused for correction", "no time limit",
  NULL while the clock has not started);
* ``paused_days`` — working days the clock stood still (补正, postage where the item says so);
* ``decided_on`` / ``working_days_used`` / ``on_time`` — set when the case is decided (办结);
* ``applied_month`` — ``YYYY-MM`` of the application (Asia/Shanghai), for GROUP BY month.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopzone.db import AwareDateTime, Base, now
from coopzone.kit.workflow import HistoryColumns

# Handling modes (国办发〔2020〕35号): codes stored, labels shown.
MODES = ("online", "proxy", "joint")
MODE_LABELS = {"online": "全程网办", "proxy": "异地代收代办", "joint": "多地联办"}
# Modes in which a 跨省通办 window collects the application (全程网办 has none).
WINDOW_MODES = ("proxy", "joint")

DEPARTMENT_KINDS = ("public_security", "human_resources_social_security", "market_regulation",
                    "civil_affairs", "housing", "medical_insurance", "taxation",
                    "natural_resources", "ecology", "education", "health", "transport",
                    "justice", "other")
DEPARTMENT_KIND_LABELS = {
    "public_security": "公安", "human_resources_social_security": "人力资源社会保障",
    "market_regulation": "市场监管", "civil_affairs": "民政", "housing": "住房公积金/住建",
    "medical_insurance": "医疗保障", "taxation": "税务", "natural_resources": "自然资源",
    "ecology": "生态环境", "education": "教育", "health": "卫生健康", "transport": "交通运输",
    "justice": "司法行政（公证）", "other": "其他"}
CERTAINTIES = ("[V]", "[S]", "[U]")

APPLICANT_KINDS = ("person", "enterprise")
APPLICANT_KIND_LABELS = {"person": "个人", "enterprise": "企业"}

CASE_STATES = ("applied", "collected", "sent", "accepted", "not_accepted", "correction",
               "decided", "delivered", "evaluated", "archived")
OUTCOMES = ("granted", "denied")
OUTCOME_LABELS = {"granted": "准予", "denied": "不予"}

PAUSE_KINDS = ("correction", "postage")

# 政务服务"好差评": five grades, best first; the last two are a 差评.
GRADES = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
GRADE_LABELS = {"very_satisfied": "非常满意", "satisfied": "满意", "basic": "基本满意",
                "dissatisfied": "不满意", "very_dissatisfied": "非常不满意"}
BAD_GRADES = ("dissatisfied", "very_dissatisfied")
FOLLOWUP_STATES = ("open", "answered")


class Item(Base):
    """A 跨省通办 item (事项) with its unified guide: modes, time limits, materials, fees."""

    __tablename__ = "gov_services_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    department: Mapped[str] = mapped_column(String(60), default="")  # the ministry (公安部)
    department_kind: Mapped[str] = mapped_column(String(40), index=True)
    modes: Mapped[str] = mapped_column(String(40))  # comma-separated codes of MODES
    statutory_days: Mapped[int | None] = mapped_column(Integer, default=None)  # 法定时限
    promised_days: Mapped[int | None] = mapped_column(Integer, default=None)  # 承诺时限
    postage_pauses: Mapped[bool] = mapped_column(Boolean, default=False)
    materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    fees: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(String(300), default="")
    source_title: Mapped[str] = mapped_column(String(300), default="")
    certainty: Mapped[str] = mapped_column(String(4), default="[U]")
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)

    @property
    def mode_list(self) -> tuple[str, ...]:
        return tuple(m for m in self.modes.split(",") if m)

    @property
    def time_limit(self) -> int | None:
        """The limit the clock counts: the promised one where the guide sets it (it is never
        longer than the statutory one), else the statutory one."""
        return self.promised_days if self.promised_days is not None else self.statutory_days


class KstbAgreement(Base):
    """A cooperation agreement (cooperation module) read as a 跨省通办 agreement: which
    places' windows collect for which places' departments, for which items."""

    __tablename__ = "gov_services_kstb_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("cooperation_agreement.id", ondelete="CASCADE"), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)

    places: Mapped[list[KstbAgreementPlace]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="KstbAgreementPlace.place_code")
    items: Mapped[list[KstbAgreementItem]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="KstbAgreementItem.item_id")


class KstbAgreementPlace(Base):
    """One place of a 跨省通办 agreement and its side: ``collect`` (收件地) or ``handle``
    (办理地); a place may be on both sides (mutual agreements)."""

    __tablename__ = "gov_services_kstb_place"

    kstb_id: Mapped[int] = mapped_column(
        ForeignKey("gov_services_kstb_agreement.id", ondelete="CASCADE"), primary_key=True)
    place_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"), primary_key=True,
                                            index=True)
    side: Mapped[str] = mapped_column(String(8), primary_key=True)  # collect | handle


class KstbAgreementItem(Base):
    __tablename__ = "gov_services_kstb_item"

    kstb_id: Mapped[int] = mapped_column(
        ForeignKey("gov_services_kstb_agreement.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("gov_services_item.id"), primary_key=True,
                                         index=True)


class Window(Base):
    """A 跨省通办 window (窗口) run by an organisation (kind ``service_window``)."""

    __tablename__ = "gov_services_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    place_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"),
                                                 index=True)
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)

    items: Mapped[list[WindowItem]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="WindowItem.item_id")


class WindowItem(Base):
    """An item a window takes (a window with none listed takes every item)."""

    __tablename__ = "gov_services_window_item"

    window_id: Mapped[int] = mapped_column(
        ForeignKey("gov_services_window.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("gov_services_item.id"), primary_key=True,
                                         index=True)


class Case(Base):
    """One application (办件): who applied, for what, where it was collected and who handles
    it, its state on the case workflow and its clock (see the module docstring)."""

    __tablename__ = "gov_services_case"
    __audit_exclude__ = ("lock_version",)
    __audit_redact__ = ("applicant_name", "id_number", "phone", "address")
    __table_args__ = (
        # The work list, the overdue list (state + deadline), the window's and the
        # department's lists, and the monthly statistics.
        Index("ix_gov_services_case_state_deadline", "state", "deadline"),
        Index("ix_gov_services_case_window_state", "window_id", "state"),
        Index("ix_gov_services_case_department_state", "department_id", "state"),
        Index("ix_gov_services_case_month_item", "applied_month", "item_id"),
        # The monthly statistics read this index alone (what the read filter and the sums
        # need), not the case rows (migration 9db88c1ed09f, bench/services.py).
        Index("ix_gov_services_case_month_stats", "applied_month", "collect_place_code",
              "handling_place_code", "decided_on", "on_time", "working_days_used"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 业务协同编号
    applicant_kind: Mapped[str] = mapped_column(String(10))
    applicant_name: Mapped[str] = mapped_column(String(120))
    id_number: Mapped[str] = mapped_column(String(18), index=True)  # ID number or USCC
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    address_place_code: Mapped[str | None] = mapped_column(ForeignKey("places_place.code"),
                                                           default=None)
    # From the ID number's first two digits (a person) or the address code: "Hunan residents
    # served" is counted from this column.
    applicant_province: Mapped[str | None] = mapped_column(String(6), index=True, default=None)
    item_id: Mapped[int] = mapped_column(ForeignKey("gov_services_item.id"), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("gov_services_window.id"),
                                                  default=None)
    collect_place_code: Mapped[str | None] = mapped_column(
        ForeignKey("places_place.code"), index=True, default=None)
    department_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"))
    handling_place_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"),
                                                     index=True)
    kstb_id: Mapped[int | None] = mapped_column(
        ForeignKey("gov_services_kstb_agreement.id", ondelete="SET NULL"), default=None)
    materials_received: Mapped[list[str]] = mapped_column(JSON, default=list)
    tracking_number: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    formal_check_ok: Mapped[bool] = mapped_column(Boolean, default=False)  # 形式审查
    identity_checked: Mapped[bool] = mapped_column(Boolean, default=False)  # 身份核验
    state: Mapped[str] = mapped_column(String(14), default="applied")
    applied_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    applied_month: Mapped[str] = mapped_column(String(7))
    accepted_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    deadline: Mapped[date | None] = mapped_column(Date, default=None)
    deadline_reason: Mapped[str | None] = mapped_column(String(60), default=None)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(8), default=None)  # granted | denied
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    decided_on: Mapped[date | None] = mapped_column(Date, default=None)
    working_days_used: Mapped[int | None] = mapped_column(Integer, default=None)
    on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now, onupdate=now)
    lock_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012

    item: Mapped[Item] = relationship(lazy="raise")
    window: Mapped[Window | None] = relationship(lazy="raise")
    events: Mapped[list[CaseEvent]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CaseEvent.id")
    pauses: Mapped[list[CasePause]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CasePause.id")


# The statistics' summary (service/summary.py): what a row is summed over.
SUMMARY_DIMS = ("base", "mode", "window", "item")
SUMMARY_GRAINS = ("m", "y", "a")  # month YYYY-MM, year YYYY, all time *


class CaseSummary(Base):
    """Sums of the counted fields of the cases of one (``dim``, ``group_key``), ``grain`` and
    ``period``, collecting and handling place (the places scoping reads: see
    :func:`permissions.read_filter`); kept in the transaction of every write to a case by
    :mod:`coopzone.gov_services.service.summary`, which documents the grains and dims.
    ``collect_place_code`` is '' for a case without a collecting window."""

    __tablename__ = "gov_services_case_summary"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  the key is the row's order
    # Derived from the cases (which are audited) and rebuilt from them at will: not audited.
    __audit_skip__ = True

    dim: Mapped[str] = mapped_column(String(8), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    collect_place_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    handling_place_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    decided: Mapped[int] = mapped_column(Integer, default=0)  # decided_on set
    timed: Mapped[int] = mapped_column(Integer, default=0)  # on_time set
    on_time: Mapped[int] = mapped_column(Integer, default=0)  # on_time true
    days_sum: Mapped[int] = mapped_column(BigInteger, default=0)  # of working_days_used
    days_count: Mapped[int] = mapped_column(Integer, default=0)  # working_days_used set


class CaseEvent(HistoryColumns, Base):
    """One step of a case (kit.workflow history): who, when, from, to, why."""

    __tablename__ = "gov_services_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("gov_services_case.id", ondelete="CASCADE"),
                                         index=True)


class CasePause(Base):
    """Days on which a case's clock stands still, both ends included; ``last_day`` NULL while
    the pause is open (补正 not yet completed)."""

    __tablename__ = "gov_services_case_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("gov_services_case.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(10))  # correction | postage
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class Evaluation(Base):
    """The applicant's 好差评 of one case (one per case), and whose service it rates: the
    collecting window's organisation, or the department for a case without a window."""

    __tablename__ = "gov_services_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("gov_services_case.id", ondelete="CASCADE"),
                                         unique=True)
    grade: Mapped[str] = mapped_column(String(20), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    window_id: Mapped[int | None] = mapped_column(ForeignKey("gov_services_window.id"),
                                                  index=True, default=None)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"),
                                              index=True)
    evaluated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    recorded_by: Mapped[str] = mapped_column(String(120), default="")


class FollowUp(Base):
    """The remedy of a 差评: the owner organisation answers with its rectification (整改) and
    the return call to the applicant (回访) by ``due_on`` (working days from the evaluation,
    the ``gov_followup_working_days`` setting)."""

    __tablename__ = "gov_services_followup"
    __table_args__ = (Index("ix_gov_services_followup_state_due", "state", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("gov_services_evaluation.id", ondelete="CASCADE"), unique=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("accounts_organisation.id"),
                                              index=True)
    state: Mapped[str] = mapped_column(String(10), default="open")
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    due_reason: Mapped[str | None] = mapped_column(String(60), default=None)
    rectification: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), default=None)
    answered_by: Mapped[str | None] = mapped_column(String(120), default=None)
    on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)


IMPORT_KINDS = ("ledger", "items")


class ImportedFile(Base):
    """A file applied by an import (a window's 台账 of past cases, an office's item list):
    the same content is applied once (``sha256``), a second confirmation adds nothing."""

    __tablename__ = "gov_services_imported_file"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # ledger | items
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("gov_services_window.id"),
                                                  default=None)
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
