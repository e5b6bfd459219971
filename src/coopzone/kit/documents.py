"""Stored documents and attachments: the one place every domain keeps an uploaded file.

* one file per content: ``files_dir/<sha256>``, written whole or not at all
  (:func:`coopzone.kit.uploads.atomic_write`); the same content uploaded twice is one
  :class:`~coopzone.kit.models.Document` row and one file;
* a size limit (the upload limit, :class:`coopzone.kit.uploads.Limits`);
* allowed types, by extension *and* content: the name must end in one of
  :data:`ALLOWED_SUFFIXES`; content that a browser could run (HTML, SVG, scripts,
  executables) is refused whatever its name says, and an image's content must be an image
  of that kind (a ``.jpg`` that is a zip);
* safe names (:func:`coopzone.kit.uploads.safe_name`): the stored name is only a label; the
  file on disk is named by its hash.

Services take the Session first and never commit; the edge owns the transaction. A caller
stores the file only once the record it belongs to has been accepted (rights first), so a
refused request keeps nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.errors import InvalidInput, NotFound, RowError, TooLarge
from coopzone.kit.models import Document
from coopzone.kit.uploads import Limits, atomic_write, safe_name, size_text

__all__ = [
    "ALLOWED_SUFFIXES",
    "Document",
    "Upload",
    "check_document",
    "document_path",
    "documents_by_id",
    "get_document",
    "sniff",
    "store_document",
    "store_upload",
]

# Extension -> the content family it must have when the content is recognisable.
ALLOWED_SUFFIXES: dict[str, str] = {
    ".pdf": "pdf", ".ofd": "zip",  # OFD: China's fixed-layout e-document (GB/T 33190)
    ".doc": "ole", ".xls": "ole", ".ppt": "ole", ".wps": "ole", ".et": "ole", ".dps": "ole",
    ".docx": "zip", ".xlsx": "zip", ".pptx": "zip", ".odt": "zip", ".ods": "zip",
    ".odp": "zip", ".zip": "zip",
    ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".webp": "webp",
    ".tif": "tiff", ".tiff": "tiff", ".bmp": "bmp",
    ".txt": "text", ".csv": "text", ".json": "text", ".xml": "text",
}
# Families a page may show inline (photos of a site): the content must be what the name says.
# Office files and PDFs are only downloaded, so a mislabelled one (a .pdf that is a .docx,
# as clerks' scanners and WPS produce) is kept as it is.
INLINE = {"jpeg", "png", "gif", "webp", "tiff", "bmp"}
# Families a browser or an operating system could run: never stored, whatever the name.
DANGEROUS = {"html", "svg", "script", "executable"}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"), (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"BM", "bmp"),
    (b"\x7fELF", "executable"), (b"MZ", "executable"), (b"#!", "script"),
    (b"\xcf\xfa\xed\xfe", "executable"), (b"\xca\xfe\xba\xbe", "executable"),
)
_MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<iframe", b"<body",
           b"<object", b"<embed")


def sniff(content: bytes) -> str | None:
    """The family the content's first bytes show (``pdf``, ``zip``, ``ole``, ``jpeg``, …,
    ``html``/``svg``/``executable``/``script`` for what could run), or None when the bytes
    say nothing (plain text, an unknown format)."""
    head = content[:512]
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    for magic, family in _MAGIC:
        if head.startswith(magic):
            return family
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(_MARKUP) or any(m in text for m in (b"<script", b"<svg")):
        return "svg" if text.startswith(b"<svg") or b"<svg" in text else "html"
    return None


def check_document(filename: str, content: bytes, limits: Limits | None = None) -> str:
    """The clean name to store ``content`` under, or a refusal: an empty file (422), one
    over the size limit (413), a type not allowed by its extension or its content (422)."""
    limits = limits or Limits()
    if not content:
        raise InvalidInput("上传的文件是空的", [RowError(None, "file", "文件是空的")],
                           detail="empty file")
    if len(content) > limits.max_bytes:
        raise TooLarge(f"上传的文件超过 {size_text(limits.max_bytes)} 的上限，未保存",
                       detail=f"upload larger than {limits.max_bytes} bytes")
    name = safe_name(filename, "document")
    suffix = Path(name).suffix.lower()
    expected = ALLOWED_SUFFIXES.get(suffix)
    found = sniff(content)
    if found in DANGEROUS:
        raise InvalidInput("文件内容是网页、脚本或可执行程序，不能上传",
                           [RowError(None, "file", f"{name}：内容是网页、脚本或可执行程序")],
                           detail=f"content sniffed as {found}")
    if expected is None:
        allowed = "、".join(sorted({s.lstrip(".") for s in ALLOWED_SUFFIXES}))
        raise InvalidInput(f"不支持的文件类型：{suffix or '（无扩展名）'}",
                           [RowError(None, "file", f"{name}：只能上传 {allowed}")],
                           detail=f"suffix {suffix!r} not allowed")
    if found is not None and found != expected and expected in INLINE:
        raise InvalidInput(f"文件内容与扩展名 {suffix} 不符",
                           [RowError(None, "file", f"{name}：扩展名为 {suffix}，内容却是 {found}")],
                           detail=f"suffix {suffix} but content sniffed as {found}")
    return name


def store_document(session: Session, files_dir: Path, filename: str, content: bytes,
                   uploaded_by: str = "", limits: Limits | None = None) -> Document:
    """Keep an uploaded file under ``files_dir/<sha256>``; the same content is stored once
    (the first name it was stored under is kept). Refused as :func:`check_document` says."""
    name = check_document(filename, content, limits)
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(Document).where(Document.sha256 == digest))
    if existing is not None:
        return existing
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / digest
    if not path.exists():
        atomic_write(path, content)  # whole or not at all: no .part is left behind
    doc = Document(filename=name[:255], sha256=digest, size=len(content),
                   uploaded_by=uploaded_by)
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


def store_upload(session: Session, files_dir: Path, upload: Upload | None,
                 uploaded_by: str) -> Document | None:
    """Store ``upload`` if there is one (see :func:`store_document`)."""
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


def document_content(files_dir: Path, doc: Document) -> bytes:
    """The stored bytes of ``doc``, checked against its hash (a file changed on disk is
    treated as missing)."""
    content = document_path(files_dir, doc).read_bytes()
    if hashlib.sha256(content).hexdigest() != doc.sha256:
        raise NotFound(f"文件 {doc.filename} 已损坏", detail=f"hash mismatch {doc.sha256}")
    return content
