"""Records the shared parts keep: stored documents (uploaded files, one row per content).

The table keeps the name it had when only cooperation stored files
(``cooperation_document``), so moving the model here needed no data migration; every domain
refers to a document by this table's id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from coopzone.db import AwareDateTime, Base, now


class Document(Base):
    """An uploaded file, stored under ``data_dir/files/<sha256>``; one row per content."""

    __tablename__ = "cooperation_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    uploaded_by: Mapped[str] = mapped_column(String(120), default="")
