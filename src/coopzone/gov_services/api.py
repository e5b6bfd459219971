"""跨省通办 JSON API under /api/v1/services: parse, call one service function, present.

The same permissions as the service (a token or a login; read tokens never write; the
request owns the transaction). Cases are read **masked**; ``GET /cases/{id}?full=true``
shows the applicant in full to those holding the personal-data permission and writes an
audit row. Items, windows and 跨省通办 agreements are public guides (read without login).
Imports (a window's 台账, an office's item list) preview by default and apply with
``confirm=true``: all or nothing, the same file twice adds nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.api.listing import ListParamsDep, paged, set_page_headers
from coopzone.config import Settings
from coopzone.cooperation.models import Agreement
from coopzone.gov_services import importers, service
from coopzone.gov_services.models import CaseEvent, FollowUp, KstbAgreement, Window
from coopzone.gov_services.schemas import (
    CaseCreate,
    CaseEventRead,
    EvaluationCreate,
    EvaluationRead,
    FollowUpAnswer,
    FollowUpRead,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    KstbAgreementCreate,
    KstbAgreementRead,
    KstbAgreementUpdate,
    PostagePauseIn,
    StepIn,
    WindowCreate,
    WindowRead,
    WindowUpdate,
)
from coopzone.gov_services.service import ledger
from coopzone.gov_services.service.clock import Clock
from coopzone.gov_services.service.evaluations import get_followup
from coopzone.gov_services.service.queries import CASE_SORTING, WORK_SORTING, CaseSearch
from coopzone.kit import uploads
from coopzone.kit.exporting import XLSX_MEDIA_TYPE, attachment_headers
from coopzone.kit.importing import Outcome, english, request_locale, stage, stage_suffix
from coopzone.kit.importing import template_name as import_template_name
from coopzone.kit.listing import Page
from coopzone.kit.validation import Day, Id, Key, PlaceCode

router = APIRouter(prefix="/services", tags=["services"])

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
STATE_PATTERN = "^(" + "|".join(service.STATE_LABELS) + ")$"
MODE_PATTERN = "^(online|proxy|joint)$"
VIEW_PATTERN = "^(mine|due_soon|overdue|correction)$"
GROUP_PATTERN = "^(item|mode|collect_place|handling_place|window|month)$"


# ---- shapes ---------------------------------------------------------------------------------


def _read_model(name: str, source: type, doc: str,
                nested: dict[type, type[BaseModel]] | None = None,
                **computed: Any) -> type[BaseModel]:
    """The response model of the service's dataclass ``source``: its fields, in its order and
    with its types, so a field is added once (to the service's view). A field whose type is in
    ``nested`` (alone or in a list) reads as that model; ``computed`` adds what the dataclass
    computes (its properties), read from the attributes too."""
    hints, nested = get_type_hints(source), nested or {}

    def shape(hint: Any) -> Any:
        if get_origin(hint) is list and get_args(hint)[0] in nested:
            return list[nested[get_args(hint)[0]]]  # type: ignore[misc]
        return nested.get(hint, hint)

    fields: dict[str, Any] = {f.name: (shape(hints[f.name]), ...)
                              for f in dataclasses.fields(source)}
    fields.update({k: (hint, ...) for k, hint in computed.items()})
    return create_model(name, __config__=ConfigDict(from_attributes=True), __doc__=doc,
                        **fields)


def _many(model: type[BaseModel]) -> Any:
    """``list[model]``, the response model of a list (a model made at import is no type to
    mypy)."""
    return list[model]  # type: ignore[valid-type]


ClockRead = _read_model("ClockRead", service.CaseClock,
                        "A case's clock: used, left, overdue; ``shown`` the deadline as the "
                        "page shows it (``unknown: <reason>`` without a date).", shown=str)
CaseDetailRead = _read_model(
    "CaseDetailRead", service.CaseView,
    "One case as its page shows it: masked unless ``full``; its clock, history and the steps "
    "the reader may make now.", {service.CaseClock: ClockRead, CaseEvent: CaseEventRead})
CaseRowRead = _read_model("CaseRowRead", service.CaseRow, "A case in a list (applicant masked).")
StatRowRead = _read_model("StatRowRead", service.StatRow, "One group of the case statistics.")
EvaluationStatRead = _read_model("EvaluationStatRead", service.EvaluationStat,
                                 "好差评 of one window (or department).")


class EvaluatedRead(BaseModel):
    evaluation: EvaluationRead
    followup: FollowUpRead | None


class ImportRowOutcome(BaseModel):
    row: int
    key: str
    action: str
    changes: dict[str, list[str]]


class ImportOutcomeRead(BaseModel):
    """A preview (``applied`` false: nothing written but the staged file) or an import."""

    sha256: str
    filename: str
    applied: bool
    duplicate_file: bool
    new: int
    changed: int
    unchanged: int
    summary: str
    rows: list[ImportRowOutcome]


def _rows(request: Request, response: Response, result: Page[service.CaseRow]) -> list[Any]:
    """A page of cases: its headers (total, links) set, its rows as the API reads them."""
    set_page_headers(response, request, result)
    return [CaseRowRead.model_validate(r) for r in result.items]


def window_read(w: Window) -> WindowRead:
    return WindowRead(id=w.id, name=w.name, place_code=w.place_code,
                      organisation_id=w.organisation_id, opening_hours=w.opening_hours,
                      address=w.address, item_ids=[i.item_id for i in w.items])


def kstb_read(session: Session, k: KstbAgreement) -> KstbAgreementRead:
    agreement = session.get(Agreement, k.agreement_id)
    return KstbAgreementRead(
        id=k.id, agreement_id=k.agreement_id, title=agreement.title if agreement else "",
        collect_place_codes=[p.place_code for p in k.places if p.side == "collect"],
        handle_place_codes=[p.place_code for p in k.places if p.side == "handle"],
        item_ids=[i.item_id for i in k.items], note=k.note)


def _clock(settings: SettingsDep) -> Clock:
    return Clock(settings)


# The one clock of a request: its app's settings (their as-of date, else Shanghai's today).
ClockDep = Annotated[Clock, Depends(_clock)]


def _view(session: Session, principal: Principal, case_id: int, on: Clock,
          full: bool = False) -> Any:
    return CaseDetailRead.model_validate(service.case_view(session, principal, case_id,
                                                           full=full, platform=on))


# ---- cases ----------------------------------------------------------------------------------


@router.get("/cases", response_model=_many(CaseRowRead), **paged(list(CASE_SORTING.keys)))
def list_cases(
    request: Request, response: Response, session: SessionDep, principal: CurrentUser,
    on: ClockDep, params: ListParamsDep, applicant: Key | None = None,
    item_id: Id | None = None, tracking_number: Key | None = None,
    state: Annotated[str | None, Query(pattern=STATE_PATTERN)] = None,
    mode: Annotated[str | None, Query(pattern=MODE_PATTERN)] = None,
    applied_from: Day | None = None, applied_to: Day | None = None,
    handling_place_code: PlaceCode | None = None, collect_place_code: PlaceCode | None = None,
) -> list[Any]:
    """The cases the caller may read (its windows', departments' or office's places),
    applicant masked; ``applicant`` is a name fragment or a whole ID number / USCC."""
    f = CaseSearch(applicant or None, item_id, tracking_number or None, state, mode,
                   applied_from, applied_to, handling_place_code, collect_place_code)
    return _rows(request, response, service.search_cases(session, principal, f, params,
                                                         platform=on))


@router.post("/cases", response_model=CaseDetailRead, status_code=201)
def create_case(session: SessionDep, principal: CurrentUser, on: ClockDep, body: CaseCreate
                ) -> Any:
    """申请: a window clerk records an application (异地代收代办, 多地联办); the department
    records an online one (全程网办)."""
    case = service.create_case(session, principal, body, platform=on)
    return _view(session, principal, case.id, on)


@router.get("/cases/{case_id}", response_model=CaseDetailRead)
def get_case(session: SessionDep, principal: CurrentUser, on: ClockDep, case_id: Id,
             full: bool = False) -> Any:
    """One case, masked; ``full=true`` shows the applicant's name, ID number, phone and
    address in full (the personal-data permission; an audit row is written)."""
    return _view(session, principal, case_id, on, full=full)


@router.post("/cases/{case_id}/steps", response_model=CaseDetailRead)
def step_case(session: SessionDep, principal: CurrentUser, on: ClockDep, case_id: Id,
              body: StepIn) -> Any:
    """One step: ``collect`` (formal_check_ok, identity_checked, materials), ``send``
    (tracking_number), ``accept``, ``refuse`` (note), ``request_correction`` (note),
    ``complete_correction`` (materials), ``decide`` (outcome) or ``approve``/``deny``,
    ``deliver`` (tracking_number), ``archive``."""
    service.step(session, principal, case_id, body, platform=on)
    return _view(session, principal, case_id, on)


@router.post("/cases/{case_id}/pauses", response_model=CaseDetailRead, status_code=201)
def pause_case(session: SessionDep, principal: CurrentUser, on: ClockDep, case_id: Id,
               body: PostagePauseIn) -> Any:
    """Days the materials were in the post (an item whose postage does not count)."""
    service.postage_pause(session, principal, case_id, body.first_day, body.last_day,
                          body.note, platform=on)
    return _view(session, principal, case_id, on)


@router.post("/cases/{case_id}/evaluation", response_model=EvaluatedRead, status_code=201)
def evaluate_case(session: SessionDep, principal: CurrentUser, on: ClockDep, case_id: Id,
                  body: EvaluationCreate) -> EvaluatedRead:
    """The applicant's 好差评, recorded by the front of the case; a 差评 opens a follow-up."""
    done = service.evaluate_case(session, principal, case_id, body, platform=on)
    return EvaluatedRead(
        evaluation=EvaluationRead.model_validate(done.evaluation),
        followup=FollowUpRead.model_validate(done.followup) if done.followup else None)


# ---- follow-ups -----------------------------------------------------------------------------


@router.get("/followups", response_model=list[FollowUpRead])
def list_followups(session: SessionDep, principal: CurrentUser, on: ClockDep,
                   overdue: bool = False) -> list[FollowUp]:
    """The open 差评 follow-ups of the caller's organisations (``overdue``: past due)."""
    return service.open_followups(session, principal,
                                  overdue_on=on.today() if overdue else None)


@router.post("/followups/{followup_id}/answer", response_model=FollowUpRead)
def answer_followup(session: SessionDep, principal: CurrentUser, on: ClockDep,
                    followup_id: Id, body: FollowUpAnswer) -> FollowUp:
    """The rated organisation's 整改 and 回访, once."""
    get_followup(session, followup_id)
    return service.answer_followup(session, principal, followup_id, body, platform=on)


# ---- work lists and statistics -----------------------------------------------------------


@router.get("/work/{view}", response_model=_many(CaseRowRead), **paged(list(WORK_SORTING.keys)))
def work_list(request: Request, response: Response, session: SessionDep,
              principal: CurrentUser, on: ClockDep, params: ListParamsDep,
              view: Annotated[str, Path(pattern=VIEW_PATTERN)]) -> list[Any]:
    """A clerk's list of their windows' and departments' cases: ``mine`` (open), ``due_soon``
    (the app's ``due_soon_days``), ``overdue``, ``correction`` (waiting for 补正)."""
    return _rows(request, response, service.work_list(session, principal, view, params,
                                                      platform=on))


@router.get("/incoming", response_model=_many(CaseRowRead), **paged(list(CASE_SORTING.keys)))
def incoming(request: Request, response: Response, session: SessionDep,
             principal: CurrentUser, on: ClockDep, params: ListParamsDep) -> list[Any]:
    """A department's cases waiting to be accepted (sent by a window, or online)."""
    return _rows(request, response, service.incoming(session, principal, params,
                                                     platform=on))


@router.get("/overdue", response_model=_many(CaseRowRead), **paged(list(WORK_SORTING.keys)))
def overdue(request: Request, response: Response, session: SessionDep,
            principal: CurrentUser, on: ClockDep, params: ListParamsDep) -> list[Any]:
    """Every running case past its deadline that the caller may read (supervision)."""
    return _rows(request, response, service.overdue_list(session, principal, params,
                                                         platform=on))


@router.get("/statistics", response_model=_many(StatRowRead))
def statistics(session: SessionDep, principal: CurrentUser,
               by: Annotated[str, Query(pattern=GROUP_PATTERN)] = "item",
               month_from: Month | None = None, month_to: Month | None = None) -> list[Any]:
    """Cases, decided, on time, on-time rate and average working days by item, mode, place,
    window or month, over the cases the caller may read."""
    return [StatRowRead.model_validate(r) for r in service.case_statistics(
        session, principal, by, month_from, month_to)]


@router.get("/statistics/evaluations", response_model=_many(EvaluationStatRead))
def evaluation_statistics(session: SessionDep, principal: CurrentUser) -> list[Any]:
    """好差评 by window (cases without a window: their department)."""
    return [EvaluationStatRead.model_validate(r)
            for r in service.evaluation_statistics(session, principal)]


# ---- imports (before the /items/{item_id} routes) ---------------------------------------------


def _outcome(result: Outcome, sha256: str, filename: str, applied: bool, locale: str
             ) -> ImportOutcomeRead:
    return ImportOutcomeRead(
        sha256=sha256, filename=filename, applied=applied,
        duplicate_file=result.duplicate_file, new=result.count("new"),
        changed=result.count("changed"), unchanged=result.count("unchanged"),
        summary=result.summary(locale),
        rows=[ImportRowOutcome(row=r.row, key=r.key, action=r.action, changes=r.changes)
              for r in result.rows])


def _import(request: Request, session: Session, settings: Settings, principal: Principal,
            file: UploadFile, kind: str, window_id: int | None, confirm: bool
            ) -> ImportOutcomeRead:
    """A file of ``kind`` (:data:`ledger.KINDS`) previewed, or imported with ``confirm``."""
    ledger.require_import(session, principal, kind, window_id)
    locale = request_locale(request.query_params.get("lang"),
                            request.headers.get("accept-language", ""))
    with uploads.receive(file, settings, f"{kind}.xlsx") as received:
        content = received.read_bytes()
    result = ledger.check_file(session, settings, principal, kind, window_id, content,
                               received.name, locale, apply=confirm,
                               sha256=hashlib.sha256(content).hexdigest(),
                               display=received.display)
    # Kept (by its hash) only once accepted: a refused file leaves nothing behind.
    doc = stage(session, settings.data_dir / "files", received.name, content, principal.label,
                suffix=stage_suffix(received.name), target=ledger.IMPORT_TARGETS[kind],
                user_id=principal.user_id)
    return _outcome(result, doc.sha256, doc.filename, confirm, locale)


def _xlsx(name: str, content: bytes) -> Response:
    return Response(content, media_type=XLSX_MEDIA_TYPE, headers=attachment_headers(name))


@router.get("/ledger/template.xlsx", response_class=Response)
def ledger_template(lang: Key | None = None) -> Response:
    """The window ledger (台账) to fill in: the headers ``POST /ledger/import`` reads and one
    example row (Chinese; ``?lang=en`` for English headers)."""
    locale = "en" if english(lang) else "zh_CN"
    return _xlsx(import_template_name("窗口台账", "ledger", locale),
                 importers.ledger_template(locale))


@router.post("/ledger/import", response_model=ImportOutcomeRead)
def import_ledger(request: Request, session: SessionDep, settings: SettingsDep,
                  principal: CurrentUser, file: Annotated[UploadFile, File()],
                  window_id: Annotated[Id, Query()],
                  confirm: Annotated[bool, Query()] = False) -> ImportOutcomeRead:
    """Preview (default) or, with ``confirm=true``, import a window's ledger of past cases
    (CSV or Excel): all or nothing with every row, column and reason (Chinese unless
    ``?lang=en``); the same file twice adds nothing. Only the window's clerks."""
    return _import(request, session, settings, principal, file, "ledger", window_id, confirm)


@router.get("/items/import/template.xlsx", response_class=Response)
def items_template(lang: Key | None = None) -> Response:
    """The item list (事项清单) to fill in (Chinese; ``?lang=en`` for English headers)."""
    locale = "en" if english(lang) else "zh_CN"
    return _xlsx(import_template_name("事项清单", "items", locale),
                 importers.item_template(locale))


@router.post("/items/import", response_model=ImportOutcomeRead)
def import_items(request: Request, session: SessionDep, settings: SettingsDep,
                 principal: CurrentUser, file: Annotated[UploadFile, File()],
                 confirm: Annotated[bool, Query()] = False) -> ImportOutcomeRead:
    """Preview (default) or, with ``confirm=true``, import an office's item list: new codes
    added, changed ones updated; all or nothing. Supervising offices only."""
    return _import(request, session, settings, principal, file, "items", None, confirm)


# ---- items, windows, 跨省通办 agreements ------------------------------------------------------


@router.get("/items", response_model=list[ItemRead])
def list_items(session: SessionDep, active: bool | None = True) -> list[Any]:
    """The 跨省通办 items (事项) with their guide; ``active`` (default true), or every item
    when omitted as empty."""
    return list(service.list_items(session, active))


@router.post("/items", response_model=ItemRead, status_code=201)
def create_item(session: SessionDep, principal: CurrentUser, body: ItemCreate) -> Any:
    return service.create_item(session, principal, body)


@router.get("/items/{item_id}", response_model=ItemRead)
def get_item(session: SessionDep, item_id: Id) -> Any:
    return service.get_item(session, item_id)


@router.patch("/items/{item_id}", response_model=ItemRead)
def update_item(session: SessionDep, principal: CurrentUser, item_id: Id, body: ItemUpdate
                ) -> Any:
    return service.update_item(session, principal, item_id, body)


@router.get("/windows", response_model=list[WindowRead])
def list_windows(session: SessionDep, place_code: PlaceCode | None = None) -> list[WindowRead]:
    """跨省通办 windows (窗口), within ``place_code`` when given."""
    return [window_read(w) for w in service.list_windows(session, place_code)]


@router.post("/windows", response_model=WindowRead, status_code=201)
def create_window(session: SessionDep, principal: CurrentUser, body: WindowCreate
                  ) -> WindowRead:
    return window_read(service.create_window(session, principal, body))


@router.get("/windows/{window_id}", response_model=WindowRead)
def get_window(session: SessionDep, window_id: Id) -> WindowRead:
    return window_read(service.get_window(session, window_id))


@router.patch("/windows/{window_id}", response_model=WindowRead)
def update_window(session: SessionDep, principal: CurrentUser, window_id: Id,
                  body: WindowUpdate) -> WindowRead:
    return window_read(service.update_window(session, principal, window_id, body))


@router.get("/agreements", response_model=list[KstbAgreementRead])
def list_agreements(session: SessionDep, signed_from: Day | None = None,
                    signed_to: Day | None = None, place_code: PlaceCode | None = None,
                    side: Annotated[str | None, Query(pattern="^(collect|handle)$")] = None,
                    item_id: Id | None = None, q: Key | None = None
                    ) -> list[KstbAgreementRead]:
    """跨省通办 agreements: the cooperation agreements read as which places' windows collect
    for which places' departments, for which items (none listed: every item). Filters (as
    on the page): signed from/to (inclusive), a place within ``place_code`` (on ``side``
    when given), covering ``item_id`` (listing it, or listing none), ``q`` in the title."""
    f = service.KstbFilter(signed_from, signed_to, place_code, side, item_id,
                           (q or "").strip() or None)
    return [kstb_read(session, k) for k in service.list_kstb_agreements(session, f)]


@router.post("/agreements", response_model=KstbAgreementRead, status_code=201)
def create_agreement(session: SessionDep, principal: CurrentUser, body: KstbAgreementCreate
                     ) -> KstbAgreementRead:
    return kstb_read(session, service.create_kstb_agreement(session, principal, body))


@router.get("/agreements/{kstb_id}", response_model=KstbAgreementRead)
def get_agreement(session: SessionDep, kstb_id: Id) -> KstbAgreementRead:
    return kstb_read(session, service.get_kstb_agreement(session, kstb_id))


@router.patch("/agreements/{kstb_id}", response_model=KstbAgreementRead)
def update_agreement(session: SessionDep, principal: CurrentUser, kstb_id: Id,
                     body: KstbAgreementUpdate) -> KstbAgreementRead:
    return kstb_read(session, service.update_kstb_agreement(session, principal, kstb_id, body))
