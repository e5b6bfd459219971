"""Eco-compensation pages: the agreements in plain Chinese, each month's class, balances and
the yearly statements with their working (public); confirming, paying, closing and
recomputing (logged-in finance bureaus, with the form's CSRF token)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from coopzone.api.listing import PageListParamsDep
from coopzone.ecology import compensation_views, ledger, lists, statements
from coopzone.ecology.compensation_views import describe, resolve, series_overview
from coopzone.ecology.models import AgreementVersion, Statement
from coopzone.errors import Forbidden, InvalidInput, RowError
from coopzone.kit.exporting import attachment_headers
from coopzone.kit.validation import EARLIEST_YEAR, LATEST_YEAR, Id, Key, Str, Year
from coopzone.web.listing import ListView
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, render

router = APIRouter(prefix="/ecology/compensation", include_in_schema=False)

STATE_LABELS = {"computed": N_("Computed"), "confirmed": N_("Confirmed by both parties"),
                "paid": N_("Paid"), "closed": N_("Closed")}
STATUS_LABELS = {"accrued": N_("Accrued"), "held": N_("Held for review"),
                 "skipped": N_("Skipped"), "withdrawn": N_("Withdrawn")}
CHANGE_LABELS = {"recorded": N_("Recorded"), "open": N_("To be settled"),
                 "settled": N_("Settled")}
ACTION_LABELS = {"compute": N_("Computed"), "confirm": N_("Confirmed"),
                 "pay": N_("Payment recorded"), "close": N_("Receipt confirmed and closed"),
                 "reopen": N_("Recomputed: the net changed, both sides confirm again"),
                 "recompute": N_("Recomputed"), "adjust": N_("Adjustment recorded"),
                 "settle": N_("Adjustment settled")}
LABELS = {"state_labels": STATE_LABELS, "status_labels": STATUS_LABELS,
          "change_labels": CHANGE_LABELS, "action_labels": ACTION_LABELS}


def _agreements(session: Session) -> list[dict[str, Any]]:
    out = []
    for version in ledger.current_versions(session):
        agreement = ledger.agreement_of(version)
        out.append({"version": version, "agreement": agreement,
                    "terms": describe(agreement),
                    "history": len(ledger.version_history(session, version.agreement_id))})
    return out


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, principal: OptionalUser,
          params: PageListParamsDep, series: Key | None = None,
          year: Year | None = None) -> Response:
    """Each series' figures, and the yearly statements as one paged list (kit.listing: 200
    a page, up to 500; sorted by series and year unless asked), shown in their series'
    panels; ``series`` and ``year`` narrow it as on the API list."""
    f = lists.StatementFilter(series or None, year)
    result = lists.page_statements(session, f, params)
    names = [n for n in ledger.series_names(session) if f.series is None or n == f.series]
    overviews = [series_overview(session, name, with_statements=False) for name in names]
    for x in overviews:
        x["statements"] = [s for s in result.items if s.series == x["series"]]
    return render(request, "ecology/compensation.html", {
        "agreements": _agreements(session), "series": overviews, "f": f,
        "lv": ListView(request, result),
        "can_recompute": principal is not None and _can_recompute(session, principal,
                                                                  overviews),
        **LABELS,
    })


def _can_recompute(session: Session, principal: Principal, series: list[dict[str, Any]]) -> bool:
    try:
        for s in series:
            ledger.require_recompute(session, principal, s["series"])
    except Forbidden:  # the button is simply not shown
        return False
    return bool(series)


def statement_context(session: Session, statement: Statement,
                      principal: Principal | None, today: date) -> dict[str, Any]:
    doc = statements.document(session, statement.id)
    versions = {v.id: v for v in _versions(session, statement)}

    def may(code: str) -> bool:
        return principal is not None and ledger.acts_for(principal, code)

    # The buttons come from the statements' workflow (kit.statements on kit.workflow).
    confirmable, can_pay, can_close = ledger.offered(principal, statement)
    return {
        "doc": doc, "s": statement, "names": doc.names, "bureaus": doc.bureaus,
        "versions": versions, "state_name": statements.STATE_NAMES.get(statement.state),
        "status_names": statements.STATUS_NAMES, "class_label": statements.class_label,
        "rule_label": statements.rule_label,
        "confirmable": confirmable,
        "can_pay": can_pay,
        "can_close": can_close,
        "may": may, "today": today.isoformat(),
        "effective": ledger.effective_signed(statement),
        "in_words": statements.in_words, "left_out": doc.left_out, "history": doc.history,
        "unreviewed": compensation_views.unreviewed_in_year(session, statement),
        **LABELS,
    }


def _versions(session: Session, statement: Statement) -> list[AgreementVersion]:
    ids = {ln.agreement_version_id for ln in statement.lines}
    return [session.get_one(AgreementVersion, i) for i in sorted(ids)]


@router.get("/{ref}", response_class=HTMLResponse)
def statement_page(request: Request, session: SessionDep, principal: OptionalUser, ref: Key,
                   series: Key | None = None) -> Response:
    found = resolve(session, ref, series)
    if isinstance(found, list):
        return render(request, "ecology/compensation_year.html",
                      {"year": int(ref), "statements": found})
    return render(request, "ecology/compensation_statement.html",
                  statement_context(session, found, principal,
                                    request.app.state.settings.today()))


def _download(session: Session, ref: str, series: str | None, ext: str) -> Response:
    body, media, name = compensation_views.statement_file(session, ref, series, ext)
    return Response(body, media_type=media, headers=attachment_headers(name))


@router.get("/{ref}/statement.xlsx")
def statement_xlsx(session: SessionDep, ref: Key, series: Key | None = None) -> Response:
    return _download(session, ref, series, "xlsx")


@router.get("/{ref}/statement.pdf")
def statement_pdf(session: SessionDep, ref: Key, series: Key | None = None) -> Response:
    return _download(session, ref, series, "pdf")


# The version of the statement the form was rendered from: an action on a figure that
# changed since (a recomputation) is refused rather than applied to what the user did not see.
LockVersion = Annotated[int | None, Form(ge=1, le=2**31 - 1)]


def _back(statement_id: int) -> RedirectResponse:
    return RedirectResponse(f"/ecology/compensation/{statement_id}", status_code=303)


def parse_day(value: str, column: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD", [RowError(None, column, value)]) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(f"日期应在 {EARLIEST_YEAR}–{LATEST_YEAR} 年之间",
                           [RowError(None, column, value)])
    return day


@router.post("/recompute", dependencies=[CsrfChecked])
def recompute(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
              series: Annotated[Str, Form(max_length=60)]) -> Response:
    ledger.recompute(session, principal, series, settings.today())
    return RedirectResponse("/ecology/compensation", status_code=303)


@router.post("/adjustments/{change_id}/settle", dependencies=[CsrfChecked])
def settle_adjustment(session: SessionDep, settings: SettingsDep, principal: CurrentUser,
                      change_id: Id, paid_on: Annotated[str, Form()],
                      voucher_no: Annotated[Str, Form(max_length=60)],
                      lock_version: LockVersion = None) -> Response:
    change = ledger.settle_adjustment(session, principal, change_id,
                                      parse_day(paid_on, "paid_on"), voucher_no, lock_version,
                                      settings.today())
    return _back(change.statement_id)


@router.post("/{statement_id}/confirm", dependencies=[CsrfChecked])
def confirm(session: SessionDep, principal: CurrentUser, statement_id: Id,
            party_code: Annotated[Str, Form(max_length=6)] = "",
            lock_version: LockVersion = None) -> Response:
    ledger.confirm(session, principal, statement_id, party_code or None, lock_version)
    return _back(statement_id)


@router.post("/{statement_id}/pay", dependencies=[CsrfChecked])
def pay(session: SessionDep, settings: SettingsDep, principal: CurrentUser, statement_id: Id,
        paid_on: Annotated[str, Form()],
        voucher_no: Annotated[Str, Form(max_length=60)],
        lock_version: LockVersion = None) -> Response:
    ledger.record_payment(session, principal, statement_id, parse_day(paid_on, "paid_on"),
                          voucher_no, lock_version, settings.today())
    return _back(statement_id)


@router.post("/{statement_id}/close", dependencies=[CsrfChecked])
def close(session: SessionDep, principal: CurrentUser, statement_id: Id,
          lock_version: LockVersion = None) -> Response:
    ledger.close(session, principal, statement_id, lock_version)
    return _back(statement_id)
