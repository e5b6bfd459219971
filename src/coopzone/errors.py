"""The one exception hierarchy. Each edge (API, pages, CLI) renders these its own way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """One reason a row of input was refused. ``row`` is 1-based as the user sees it."""

    row: int | None
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


class CoopzoneError(Exception):
    """Base of expected failures; ``message`` is shown to the user."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class Unauthorized(CoopzoneError):
    status_code = 401
    code = "unauthorized"


class Forbidden(CoopzoneError):
    status_code = 403
    code = "forbidden"


class NotFound(CoopzoneError):
    status_code = 404
    code = "not_found"


class Conflict(CoopzoneError):
    status_code = 409
    code = "conflict"


class InvalidInput(CoopzoneError):
    """Input refused as a whole; ``errors`` lists every row, column and reason."""

    status_code = 422
    code = "invalid_input"

    def __init__(
        self, message: str, errors: list[RowError] | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message, detail)
        self.errors = errors or []


class NeedsConfirmation(Conflict):
    """The input would change stored records; ``errors`` lists each change for the user to
    confirm. Nothing was written."""

    code = "needs_confirmation"

    def __init__(self, message: str, errors: list[RowError], detail: str | None = None) -> None:
        super().__init__(message, detail)
        self.errors = errors


def found(row: T | None, what_zh: str, what_en: str, ident: object) -> T:
    """``row``, or NotFound naming what was looked for (e.g. 会议 / meeting 12)."""
    if row is None:
        raise NotFound(f"没有编号为 {ident} 的{what_zh}", detail=f"unknown {what_en} {ident}")
    return row


class TooManyAttempts(CoopzoneError):
    status_code = 429
    code = "too_many_attempts"


class ServiceUnavailable(CoopzoneError):
    """The platform cannot write now (read-only database, full disk, database unreachable):
    answered as 503 with a message; nothing was written."""

    status_code = 503
    code = "service_unavailable"


class TooLarge(CoopzoneError):
    """An upload over a size limit (setting); refused while it was received, nothing kept."""

    status_code = 413
    code = "too_large"
