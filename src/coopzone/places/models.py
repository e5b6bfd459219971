from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coopzone.db import Base


class Place(Base):
    """A province, prefecture city or county-level unit, keyed by its GB/T 2260 code."""

    __tablename__ = "places_place"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))  # province | city | county
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("places_place.code"), index=True, default=None
    )
    in_zone: Mapped[bool] = mapped_column(Boolean, default=False)
    zone_group: Mapped[str | None] = mapped_column(String(10), default=None)
