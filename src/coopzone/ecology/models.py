from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coopzone.db import AwareDateTime, Base, now


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


class Reading(Base):
    """One measured value of one item at one section and time."""

    __tablename__ = "ecology_reading"
    __table_args__ = (UniqueConstraint("section_id", "measured_at", "item"),)

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
