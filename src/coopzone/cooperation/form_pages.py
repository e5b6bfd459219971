"""How an entry form is read and answered: the fields are validated against the service's
schema, a refusal (bad input, no right, a conflict) comes back as the page again with the
message, each field's reasons and what was typed, and with the status of the refusal."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.config import Settings
from coopzone.cooperation import service
from coopzone.cooperation.presentation_web import page_context
from coopzone.errors import CoopzoneError, InvalidInput, RowError
from coopzone.kit import uploads
from coopzone.web.i18n import translations
from coopzone.web.reasons import reason_text, request_reason
from coopzone.web.templating import N_, locale_of, render

M = TypeVar("M", bound=BaseModel)

# Why a field was refused, by pydantic error type (the message ids are translated per request).
REASONS = {
    "missing": N_("Required"),
    "string_too_short": N_("At least %(min_length)s characters"),
    "string_too_long": N_("At most %(max_length)s characters"),
    "date_parsing": N_("A date such as 2025-09-30"),
    "date_from_datetime_parsing": N_("A date such as 2025-09-30"),
    "date_type": N_("A date such as 2025-09-30"),
    "int_parsing": N_("A whole number"),
    "int_type": N_("A whole number"),
    "int_from_float": N_("A whole number"),
    "decimal_parsing": N_("A number such as 1250000.50"),
    "decimal_type": N_("A number such as 1250000.50"),
    "decimal_max_places": N_("At most %(decimal_places)s decimal places"),
    "less_than_equal": N_("At most %(le)s"),
    "greater_than_equal": N_("At least %(ge)s"),
    "string_pattern_mismatch": N_("Choose one of the options"),
    "too_short": N_("At least one line"),
}
FORM_REFUSED = N_("Nothing was saved: correct the fields marked below.")


def lines(text: str) -> list[str]:
    """Several lines of a text area -> the non-blank ones, trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse(request: Request, schema: type[M], raw: dict[str, Any]) -> M:
    """Validate a form against its schema. Blank fields are left out, so optional ones take
    their defaults and required ones are reported as required."""
    data = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()}
    data = {k: v for k, v in data.items() if v not in ("", None, [])}
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        gettext = translations(locale_of(request)).gettext
        errors: list[RowError] = []
        for e in exc.errors():
            loc = list(e["loc"])
            reason_id = REASONS.get(e["type"])
            # Our own validators say "中文 (English)": the reader's half, never both.
            reason = (gettext(reason_id) % dict(e.get("ctx") or {}) if reason_id
                      else request_reason(dict(e), locale_of(request)))
            row = loc[1] + 1 if len(loc) > 1 and isinstance(loc[1], int) else None
            if row is not None:
                reason = gettext("line %(n)s: %(reason)s") % {"n": row, "reason": reason}
            errors.append(RowError(row, str(loc[0]) if loc else "", reason))
        raise InvalidInput(gettext(FORM_REFUSED), errors) from None


def upload(file: UploadFile | None, settings: Settings) -> service.Upload | None:
    """A file input left empty sends no file name: no upload. The file is received within
    the upload limit (413 past it) under a clean name; the services store it only once the
    record it belongs to has been accepted."""
    if file is None or not file.filename:
        return None
    with uploads.receive(file, settings, "document") as received:
        return service.Upload(received.name, received.read_bytes())


def refusal(exc: CoopzoneError | None, file_field: str = "", locale: str = "zh_CN"
            ) -> dict[str, Any]:
    """The message and the field errors of a refused form (none when nothing was refused);
    the services name an uploaded file ``file``, the form names its own input."""
    if exc is None:
        return {"message": None, "errors": {}}
    errors: dict[str, list[str]] = {}
    for e in getattr(exc, "errors", []):
        name = file_field if e.column == "file" and file_field else (e.column or "")
        errors.setdefault(name, []).append(reason_text(e.reason, locale))
    return {"message": exc.message, "errors": errors}


def render_form(request: Request, session: Session, principal: Principal | None,
                template: str, values: dict[str, Any], labels: dict[str, str],
                refused: CoopzoneError | None = None, file_field: str = "",
                **extra: Any) -> Response:
    """A page holding a form: first shown (200), or again after a refusal, with its status."""
    return render(request, f"cooperation/{template}", page_context(
        session, principal, values=values, labels=labels,
        **refusal(refused, file_field, locale_of(request)),
        **extra), status_code=refused.status_code if refused else 200)
