"""Records the shared parts keep: stored documents (uploaded files, one row per content) and
who staged an import file for which import (:class:`StagedImport`).

The table keeps the name it had when only cooperation stored files
(``cooperation_document``), so moving the model here needed no data migration; every domain
refers to a document by this table's id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
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


class StagedImport(Base):
    """An import preview kept a document for its confirmation: who staged it (``user_id``)
    for which import (``target``, e.g. ``ecology.readings``). Only that user, or one who may
    import into the same target, may download or confirm the staged file (404 for anyone
    else, as for a file that does not exist). The same content staged twice, by another user
    or for another import, has one row each."""

    __tablename__ = "kit_staged_import"
    __table_args__ = (UniqueConstraint("document_id", "target", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("cooperation_document.id"), index=True)
    target: Mapped[str] = mapped_column(String(60))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    staged_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
