"""The form on a reported indicator's page: its reporting organisation reports the value for a
period, with an evidence file. Computed indicators have no form: the platform counts them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.cooperation import service
from coopzone.cooperation.form_pages import parse, render_form, upload
from coopzone.cooperation.schemas import ReportedValueIn
from coopzone.errors import CoopzoneError
from coopzone.kit.validation import Key
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_

router = APIRouter(include_in_schema=False)

VALUE_LABELS = {"period": N_("Period"), "value": N_("Value"), "evidence": N_("Evidence")}
PERIOD_HINTS = {"year": N_("A year, e.g. 2025"), "quarter": N_("A quarter, e.g. 2025-Q3"),
                "month": N_("A month, e.g. 2025-09")}


def indicator_page(request: Request, session: Session, principal: Principal | None,
                   code: str, values: dict[str, Any] | None = None,
                   refused: CoopzoneError | None = None) -> Response:
    ind = service.get_indicator(session, code)
    history = service.history(session, ind.id)
    return render_form(
        request, session, principal, "indicator.html", values or {}, VALUE_LABELS, refused,
        file_field="evidence", ind=ind, history=history,
        documents=service.documents_by_id(session, (v.evidence_id for v in history)),
        may_report=principal is not None and service.may_report_indicator(principal, ind),
        period_hint=PERIOD_HINTS.get(ind.period, ""))


@router.post("/cooperation/indicators/{code}/values", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def indicator_report(request: Request, session: SessionDep, settings: SettingsDep,
                     principal: CurrentUser, code: Key, period: Annotated[str, Form()] = "",
                     value: Annotated[str, Form()] = "",
                     evidence: Annotated[UploadFile | None, File()] = None) -> Response:
    """A reported indicator's value for a period; reporting it again replaces it."""
    values = {"period": period, "value": value}
    try:
        service.report_value_with_evidence(
            session, principal, code,
            parse(request, ReportedValueIn, values | {"value": value.replace(",", "")}),
            settings.data_dir / "files", upload(evidence, settings))
    except CoopzoneError as exc:
        session.rollback()
        return indicator_page(request, session, principal, code, values, exc)
    return RedirectResponse(f"/cooperation/indicators/{code}#history", status_code=303)
