"""coopzone.kit.documents: the one store of uploaded files (size, types, names, hash)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.errors import InvalidInput, TooLarge
from coopzone.kit import documents
from coopzone.kit.models import Document
from coopzone.kit.uploads import Limits

RUNS = "文件内容是网页、脚本或可执行程序，不能上传"


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Document)) or 0


def test_one_file_per_content_under_a_safe_name(session: Session, tmp_path: Path) -> None:
    doc = documents.store_document(session, tmp_path, "../../验收\x00报告.pdf", b"%PDF-1.4 x",
                                   "编辑")
    again = documents.store_document(session, tmp_path, "copy.pdf", b"%PDF-1.4 x")
    assert again.id == doc.id and doc.filename == "验收报告.pdf" and count(session) == 1
    assert [p.name for p in tmp_path.iterdir()] == [doc.sha256]
    assert documents.document_content(tmp_path, doc) == b"%PDF-1.4 x"
    # the cooperation services still reach the same functions and model
    assert service.store_document is documents.store_document
    assert service._store_upload is documents.store_upload
    from coopzone.cooperation.models import Document as CooperationDocument
    assert CooperationDocument is Document and Document.__tablename__ == "cooperation_document"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("报告.html", b"<p>x</p>", "不支持的文件类型：.html"),
    ("run", b"%PDF-1.4", "不支持的文件类型：（无扩展名）"),
    ("报告.pdf", b"<!DOCTYPE html><script>alert(1)</script>", RUNS),
    ("照片.jpg", b"<svg onload=alert(1)>", RUNS),
    ("工具.pdf", b"MZ\x90\x00 program", RUNS),
    ("照片.png", b"%PDF-1.4 not a picture", "文件内容与扩展名 .png 不符"),
    ("空.pdf", b"", "上传的文件是空的"),
])
def test_types_are_checked_by_extension_and_content(session: Session, tmp_path: Path,
                                                    name: str, content: bytes,
                                                    message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        documents.store_document(session, tmp_path, name, content)
    assert refused.value.message == message
    assert [e.column for e in refused.value.errors] == ["file"]
    assert count(session) == 0 and list(tmp_path.iterdir()) == []


def test_the_size_limit(session: Session, tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        documents.store_document(session, tmp_path, "a.pdf", b"%PDF" + b"x" * 100,
                                 limits=Limits(max_bytes=50))
    assert count(session) == 0 and list(tmp_path.iterdir()) == []
    assert documents.sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert documents.sniff(b"plain words") is None
