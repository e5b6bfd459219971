from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopzone.db import AwareDateTime, Base, Money, now
from coopzone.kit.statements.models import TwoPartyChange, TwoPartyStatement


class Section(Base):
    """A surface-water monitoring section (断面)."""

    __tablename__ = "ecology_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    river: Mapped[str] = mapped_column(String(60))
    basin: Mapped[str] = mapped_column(String(60), index=True)
    water_body: Mapped[str] = mapped_column(String(10), default="river")  # river | lake
    province_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"))
    county_code: Mapped[str] = mapped_column(ForeignKey("places_place.code"), index=True)
    upstream_code: Mapped[str | None] = mapped_column(String(40), default=None)
    downstream_code: Mapped[str | None] = mapped_column(String(40), default=None)
    level: Mapped[str] = mapped_column(String(12), default="provincial")
    target_class: Mapped[int] = mapped_column(Integer, default=3)
    is_border: Mapped[bool] = mapped_column(Boolean, default=False)
    lng: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    # First day the station measured; readings dated before it are refused (null: only the
    # platform's earliest year applies).
    started_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Who monitors the section (issue 10): ``national_station`` — only the national station's
    # feed (a token of ``monitor_org``) writes its readings; ``jurisdiction`` — the ecology
    # bureau or monitoring station whose jurisdiction covers the county (or ``monitor_org``,
    # when set). See ecology/monitoring.py.
    monitored_by: Mapped[str] = mapped_column(String(20), default="jurisdiction",
                                              server_default="jurisdiction")
    monitor_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_organisation.id"), default=None)


class ImportBatch(Base):
    """One imported file or API push; a file's SHA-256 makes a second import add nothing."""

    __tablename__ = "ecology_import_batch"
    __table_args__ = (UniqueConstraint("sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))  # auto | manual | api
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    created_by: Mapped[str] = mapped_column(String(120))
    # Review (审核, issue 10): ``feed`` (a station's feed) and ``counted`` (entered by hand at
    # sections that decide no money) count at once; a hand-entered batch touching a section
    # that decides money between parties is ``entered`` and counts only once ``reviewed`` by
    # another party's ecology bureau (``review_parties``: their codes, comma-separated), or is
    # ``returned`` with a reason. See ecology/monitoring.py.
    review_state: Mapped[str] = mapped_column(String(10), default="counted",
                                              server_default="counted")
    review_parties: Mapped[str | None] = mapped_column(String(60), default=None)


class BatchReview(Base):
    """One step of a batch's review history: entered, reviewed or returned (with a reason)."""

    __tablename__ = "ecology_batch_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ecology_import_batch.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # entered | reviewed | returned
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    by: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(120), default="")


class Reading(Base):
    """One measured value of one item at one section and time."""

    __tablename__ = "ecology_reading"
    __table_args__ = (
        UniqueConstraint("section_id", "measured_at", "item"),
        # A section's readings version (newest batch, newest reading) in two index look-ups:
        # the key of the per-section caches (ecology/readings_cache.py).
        Index("ix_ecology_reading_section_batch", "section_id", "batch_id"),
        Index("ix_ecology_reading_section_newest", "section_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("ecology_section.id"), index=True)
    measured_at: Mapped[datetime] = mapped_column(AwareDateTime())
    item: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    below_dl: Mapped[bool] = mapped_column(Boolean, default=False)
    detection_limit: Mapped[float | None] = mapped_column(Float, default=None)
    source: Mapped[str] = mapped_column(String(10), default="manual")  # auto | manual
    qualifier: Mapped[str | None] = mapped_column(String(20), default=None)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ecology_import_batch.id"),
                                                 default=None, index=True)


# ---- eco-compensation ledger (issue #4) ----------------------------------------------------


class AgreementVersion(Base):
    """One stored text of an agreement (TOML, see agreements/FORMAT.md). A changed text for
    the same id is a new version; the highest version is the current one."""

    __tablename__ = "ecology_agreement_version"
    __table_args__ = (UniqueConstraint("agreement_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(60), index=True)
    series: Mapped[str] = mapped_column(String(60), index=True)  # the agreement id if none
    version_no: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    declared_version: Mapped[str] = mapped_column(String(60))  # the file's own "version"
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(255))  # built-in file name or "upload"
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    created_by: Mapped[str] = mapped_column(String(120))


class Statement(TwoPartyStatement, Base):
    """A settlement year of one agreement series between two parties ("月核算、年清缴"):
    the net, its due date and its state computed → confirmed → paid → closed (the columns
    and the life cycle of a two-party statement: :mod:`coopzone.kit.statements`).

    ``party_a``/``party_b`` are the two parties' division codes in sorted order (the key);
    ``payer_code``/``payee_code`` give the net's direction."""

    __tablename__ = "ecology_statement"
    __table_args__ = (UniqueConstraint("series", "year", "party_a", "party_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(60), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    gross_payer_to_payee: Mapped[Decimal] = mapped_column(Money())
    gross_payee_to_payer: Mapped[Decimal] = mapped_column(Money())
    due: Mapped[date] = mapped_column(Date)
    through: Mapped[str] = mapped_column(String(7))  # last month the computation covered
    held: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    agreement_versions: Mapped[list[int]] = mapped_column(JSON, default=list)

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", lazy="raise", cascade="all, delete-orphan",
        order_by="(StatementLine.period, StatementLine.agreement, StatementLine.rule_id)")
    changes: Mapped[list[StatementChange]] = relationship(
        back_populates="statement", lazy="raise", cascade="all, delete-orphan",
        order_by="StatementChange.id")


class StatementLine(Base):
    """One settlement line of a statement: a rule applied to a section and period, with its
    working (``steps``). ``previous_*`` keep the values before the last recomputation that
    changed the line."""

    __tablename__ = "ecology_statement_line"
    # Explicit short names: the conventional ones exceed PostgreSQL's 63 characters.
    __table_args__ = (UniqueConstraint("statement_id", "agreement", "rule_id", "section",
                                       "period", name="uq_ecology_statement_line_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("ecology_statement.id", ondelete="CASCADE"), index=True)
    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("ecology_agreement_version.id", name="fk_ecology_statement_line_version"),
        index=True)
    agreement: Mapped[str] = mapped_column(String(60))
    round: Mapped[str] = mapped_column(String(30))
    rule_id: Mapped[str] = mapped_column(String(60))
    rule: Mapped[str] = mapped_column(String(20))
    section: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(7))
    water_class: Mapped[int | None] = mapped_column(Integer, default=None)
    payer_code: Mapped[str | None] = mapped_column(String(6), default=None)
    payee_code: Mapped[str | None] = mapped_column(String(6), default=None)
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(10))  # accrued | held | skipped | withdrawn
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    previous_payer_code: Mapped[str | None] = mapped_column(String(6), default=None)
    previous_amount: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    previous_status: Mapped[str | None] = mapped_column(String(10), default=None)
    changed_in_revision: Mapped[int | None] = mapped_column(Integer, default=None)

    statement: Mapped[Statement] = relationship(back_populates="lines", lazy="raise")


class StatementChange(TwoPartyChange, Base):
    """What a recomputation found (:class:`coopzone.kit.statements.TwoPartyChange`); its
    ``lines`` list each changed line (period, rule, old and new payer, amount, status)."""

    __tablename__ = "ecology_statement_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("ecology_statement.id", ondelete="CASCADE"), index=True)

    statement: Mapped[Statement] = relationship(back_populates="changes", lazy="raise")
