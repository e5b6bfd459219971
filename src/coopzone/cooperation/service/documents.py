"""Stored documents: one file per content hash, kept under the files folder.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.cooperation.models import (
    Document,
)
from coopzone.errors import InvalidInput, NotFound, RowError
from coopzone.kit.uploads import atomic_write, safe_name

# ---- documents ------------------------------------------------------------------------------


def store_document(session: Session, files_dir: Path, filename: str, content: bytes,
                   uploaded_by: str = "") -> Document:
    """Keep an uploaded file under ``files_dir/<sha256>``; the same content is stored once."""
    if not content:
        raise InvalidInput("上传的文件是空的", [RowError(None, "file", "empty file")])
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(Document).where(Document.sha256 == digest))
    if existing is not None:
        return existing
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / digest
    if not path.exists():
        atomic_write(path, content)  # whole or not at all: no .part is left behind
    doc = Document(filename=safe_name(filename, digest)[:255], sha256=digest,
                   size=len(content), uploaded_by=uploaded_by)
    session.add(doc)
    session.flush()
    return doc


def get_document(session: Session, sha256: str) -> Document:
    doc = session.scalar(select(Document).where(Document.sha256 == sha256))
    if doc is None:
        raise NotFound("没有这个文件", detail=f"unknown document {sha256}")
    return doc


@dataclass(frozen=True)
class Upload:
    """A file as received from a form, not yet stored."""

    filename: str
    content: bytes


def _store_upload(session: Session, files_dir: Path, upload: Upload | None,
                  uploaded_by: str) -> Document | None:
    if upload is None:
        return None
    return store_document(session, files_dir, upload.filename, upload.content, uploaded_by)


def documents_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Document]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(wanted)))}


def document_path(files_dir: Path, doc: Document) -> Path:
    path = files_dir / doc.sha256
    if not path.is_file():
        raise NotFound(f"文件 {doc.filename} 未保存在本机", detail=f"missing file {doc.sha256}")
    return path


