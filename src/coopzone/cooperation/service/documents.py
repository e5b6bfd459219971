"""Stored documents: moved to :mod:`coopzone.kit.documents`, the one place every domain keeps
uploaded files. These names stay importable from here and from ``cooperation.service``."""

from __future__ import annotations

from coopzone.kit.documents import (
    Upload,
    document_path,
    documents_by_id,
    get_document,
    store_document,
    store_upload,
)
from coopzone.kit.models import Document

# The name the cooperation services have always called.
_store_upload = store_upload

__all__ = ["Document", "Upload", "_store_upload", "document_path", "documents_by_id",
           "get_document", "store_document", "store_upload"]
