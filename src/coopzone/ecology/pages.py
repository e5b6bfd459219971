"""Ecology pages (public): sections on the map, a section's readings and monthly judgement,
a basin, and Excel export. Every figure is computed from stored readings."""

from __future__ import annotations

import io
import math
from datetime import date
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook

from coopzone.accounts.service import require_any_write
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep
from coopzone.api.listing import PageListParamsDep
from coopzone.db import SHANGHAI
from coopzone.ecology import evaluation, lists, monitoring, readings, service, water_files
from coopzone.ecology.models import Section
from coopzone.ecology.readings import stored_readings
from coopzone.engines.water_quality import item_spec
from coopzone.errors import (
    Forbidden,
    InvalidInput,
    NeedsConfirmation,
    NotFound,
    RowError,
    TooLarge,
)
from coopzone.kit import uploads
from coopzone.kit.exporting import XLSX_MEDIA_TYPE, append_row, attachment_headers
from coopzone.kit.importing import stage, stage_suffix, staged, staged_file, template_name
from coopzone.kit.validation import Id, Key, Str
from coopzone.web.listing import ListView
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(prefix="/ecology", include_in_schema=False)

# The basin methods of 环办〔2011〕22号 二(二), by the engine's code.
BASIN_METHODS = {"mean": N_("Mean over the sections"), "shares": N_("Shares of sections by class")}
LEVELS = {"national": N_("national"), "provincial": N_("provincial"),
          "municipal": N_("municipal")}
REVIEW_LABELS = {"feed": N_("Station feed"), "counted": N_("Counted"),
                 "entered": N_("Awaiting review"), "reviewed": N_("Reviewed"),
                 "returned": N_("Returned")}
STEP_LABELS = {"entered": N_("Entered"), "reviewed": N_("Reviewed"), "returned": N_("Returned")}
TABLE_ITEMS = ("do", "codmn", "cod", "bod5", "nh3n", "tp")
CHART_ITEMS = ("nh3n", "tp", "codmn", "do", "cod", "bod5")


def _today(request: Request) -> date:
    return request.app.state.settings.today()


def _latest(ev_sections: pl.DataFrame) -> dict[str, dict[str, Any]]:
    graded = ev_sections.filter(pl.col("water_class").is_not_null()).sort("period")
    return {r["section"]: r for r in graded.group_by("section").last().iter_rows(named=True)}


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, principal: OptionalUser,
          params: PageListParamsDep, basin: Key | None = None,
          q: Key | None = None) -> Response:
    """The map of every section and the sections' table, paged like every list (kit.listing:
    200 a page, up to 500; sort keys and ``q`` as on the API list); the table's rows are
    judged by the page's one evaluation of the sections it shows."""
    f = lists.SectionFilter(basin or None, q or None)
    result = lists.page_sections(session, f, params)
    sections = service.list_sections(session)  # the map shows them all
    rows = list(result.items)
    as_of = _today(request)
    # The map's classes and the rows, and the streaks (of every section: the same cached
    # figures whichever page is shown), all from each section's one cached evaluation.
    ev = evaluation.evaluate_sections(session, sections, end=as_of) if sections else None
    latest = (evaluation.cached(session, ("latest", as_of), sections,
                                lambda: _latest(ev.sections)) if ev is not None else {})
    runs = evaluation.streaks(session, sections, as_of) if sections else {}
    points = [
        {"name": s.name, "code": s.code, "value": [s.lng, s.lat],
         "cls": latest.get(s.code, {}).get("water_class")}
        for s in sections if s.lng is not None and s.lat is not None
    ]
    basins = sorted({s.basin for s in sections})
    return render(request, "ecology/index.html", {
        "sections": rows, "latest": latest, "runs": runs, "points": points, "f": f,
        "lv": ListView(request, result), "any_sections": bool(sections),
        "basins": basins, "can_import": monitoring.may_write_some(principal),
        "can_review": monitoring.is_reviewer(principal),
        "pending": monitoring.pending_months(session, [s.id for s in rows]),
    })


def _item_chart(frame: pl.DataFrame, item: str, water_body: str) -> dict[str, Any]:
    spec = item_spec(item)
    rows = frame.filter(pl.col("item") == item).sort("time")
    limits = spec.limits_for(water_body)  # type: ignore[arg-type]
    return {
        "item": item, "name": spec.name_zh, "unit": spec.unit,
        "direction": spec.direction, "limits": list(limits) if limits else [],
        # A non-finite value cannot be drawn (nor written as JSON): never sent to the chart.
        "points": [[t.strftime("%Y-%m-%d %H:%M"), v] for t, v in
                   zip(rows["time"].to_list(), rows["value"].to_list(), strict=True)
                   if v is None or math.isfinite(v)],
    }


def _monthly_rows(section: Section, ev: evaluation.Evaluation) -> list[dict[str, Any]]:
    means = (ev.items.filter(pl.col("item").is_in(TABLE_ITEMS))
             .pivot(on="item", index="period", values="mean"))
    table = ev.sections.join(means, on="period", how="left").sort("period", descending=True)
    return list(table.iter_rows(named=True))


@router.get("/sections/{code}", response_class=HTMLResponse)
def section_page(request: Request, session: SessionDep, principal: OptionalUser, code: Key,
                 item: Key = "nh3n") -> Response:
    section = service.get_section(session, code)
    item = item if item in CHART_ITEMS else "nh3n"
    # Every month (the table) and the streak up to the last complete month come from the
    # section's one cached evaluation (shared with the other pages).
    ev = evaluation.evaluate_sections(session, [section])
    stored = stored_readings(session, [section.id])
    run = evaluation.streaks(session, [section], _today(request)).get(section.code, {})
    # The table and the chart are cached with the evaluation (until the readings change).
    rows = evaluation.cached(session, "monthly rows", [section],
                             lambda: _monthly_rows(section, ev))
    chart = evaluation.cached(session, ("chart", item), [section],
                              lambda: _item_chart(stored.frame, item, section.water_body))
    return render(request, "ecology/section.html", {
        "section": section, "rows": rows, "run": run,
        "chart": chart, "skipped": stored.skipped,
        "chart_items": [(i, item_spec(i).name_zh) for i in CHART_ITEMS],
        "table_items": [(i, item_spec(i).name_zh) for i in TABLE_ITEMS],
        "pending": monitoring.pending_months(session, [section.id]).get(section.id, []),
    })


@router.get("/sections/{code}/monthly.xlsx")
def section_export(request: Request, session: SessionDep, code: Key) -> Response:
    section = service.get_section(session, code)
    ev = evaluation.evaluate_sections(session, [section])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "月度评价"
    append_row(sheet, ["断面", "月份", "类别", "水质状况", "是否达标", "主要污染物",
                  *[item_spec(i).name_zh for i in TABLE_ITEMS]])
    for row in sorted(_monthly_rows(section, ev), key=lambda r: r["period"]):
        append_row(sheet, [section.name, row["period"], row["class_name"], row["status"],
                      {True: "达标", False: "不达标"}.get(row["compliant"], ""),
                      "、".join(row["main_pollutants"]),
                      *[row.get(i) for i in TABLE_ITEMS]])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers=attachment_headers(f"{section.code}-monthly.xlsx"))


@router.get("/basins/{basin}", response_class=HTMLResponse)
def basin_page(request: Request, session: SessionDep, principal: OptionalUser,
               basin: Key) -> Response:
    sections = service.list_sections(session, basin)
    if not sections:
        service.get_section(session, basin)  # raises NotFound with a clear message
    rows = evaluation.basin_evaluation(session, basin).sort("period", descending=True)
    month = evaluation.basin_month(session, basin,
                                   evaluation.last_complete_month(_today(request)))
    return render(request, "ecology/basin.html", {
        "basin": basin, "sections": sections, "rows": list(rows.iter_rows(named=True)),
        "month": month, "methods": BASIN_METHODS,
    })


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, principal: CurrentUser) -> Response:
    return render(request, "ecology/import.html", {
        "result": None, "changes": [], "errors": [],
        "can_import": monitoring.may_write_some(principal)})


@router.get("/import/template.xlsx")
def import_template(request: Request) -> Response:
    """The readings file to fill in (the national publication's wide layout, one example
    row), written from the reader's own column definitions; ``?lang=en`` for item codes."""
    locale = locale_of(request)
    return Response(water_files.template(locale), media_type=XLSX_MEDIA_TYPE,
                    headers=attachment_headers(template_name("监测数据", "readings", locale)))


def _form_year(text: str, request: Request) -> int | None:
    """The upload form's year (for times without one), or InvalidInput."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and 1900 <= int(text) <= 2199):
        en = locale_of(request) == "en"
        raise InvalidInput("年份必须是 1900–2199 之间的整数", [RowError(
            None, "year", f"not a year between 1900 and 2199: {text}" if en else
            f"不是 1900–2199 之间的年份：{text}")])
    return int(text)


@router.post("/import", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_upload(request: Request, session: SessionDep, principal: CurrentUser,
                  file: Annotated[UploadFile, File()],
                  source: Annotated[Key, Form()] = "manual",
                  year: Annotated[Str, Form()] = "",
                  confirm: Annotated[str, Form()] = "") -> Response:
    """Upload a bureau's file. A refused file lists every row, column and reason; a file that
    would change stored values shows the changes and asks for confirmation."""
    settings = request.app.state.settings
    require_any_write(principal, "监测数据")  # before the file is received
    context: dict[str, Any] = {"result": None, "changes": [], "errors": [],
                               "can_import": monitoring.may_write_some(principal),
                               "filename": uploads.display_name(file.filename, "upload.csv"),
                               "source": source, "year": year}
    try:
        with uploads.receive(file, settings, "upload.csv",
                             locale=locale_of(request)) as received:
            try:
                context["result"] = readings.import_file(
                    session, principal, received.path, source=source,
                    year=_form_year(year, request),
                    confirm=confirm == "yes", filename=received.display,
                    limits=uploads.Limits.of(settings), locale=locale_of(request),
                    settings=settings)
            except NeedsConfirmation:
                # Preview: nothing written but the file, staged by its hash (the token of
                # the confirmation below), so the clerk confirms without uploading again.
                context["token"] = stage(session, settings.data_dir / "files", received.name,
                                         received.read_bytes(), principal.label,
                                         suffix=stage_suffix(received.name),
                                         target=monitoring.READINGS_IMPORT,
                                         user_id=principal.user_id).sha256
                raise
    except NeedsConfirmation as exc:
        # Each change by the item's name as the pages show it (总磷), its reason already in
        # the reader's language (readings.change_reason).
        locale = locale_of(request)
        context["changes"] = [RowError(e.row, readings.item_label(e.column, locale), e.reason)
                              for e in exc.errors]
        context["message"] = exc.message
        return render(request, "ecology/import.html", context, status_code=409)
    except (InvalidInput, Forbidden, TooLarge) as exc:
        session.rollback()
        context["errors"] = getattr(exc, "errors", [])
        context["message"] = exc.message
        return render(request, "ecology/import.html", context, status_code=exc.status_code)
    return render(request, "ecology/import.html", context)


# ---- review (审核) of hand-entered readings --------------------------------------------------


@router.get("/reviews", response_class=HTMLResponse)
def reviews(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    """Batches awaiting my review, with review and return forms, and my recent decisions."""
    return render(request, "ecology/reviews.html", {
        "pending": monitoring.awaiting_review(session, principal),
        "decided": monitoring.recent_decisions(session, principal),
        "can_review": monitoring.is_reviewer(principal),
        "state_labels": REVIEW_LABELS, "step_labels": STEP_LABELS,
        "when": lambda at: f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
    })


@router.post("/reviews/{batch_id}/review", dependencies=[CsrfChecked])
def review_batch(session: SessionDep, principal: CurrentUser, batch_id: Id) -> Response:
    monitoring.review(session, principal, batch_id)
    return RedirectResponse("/ecology/reviews", status_code=303)


@router.post("/reviews/{batch_id}/return", dependencies=[CsrfChecked])
def return_batch(session: SessionDep, principal: CurrentUser, batch_id: Id,
                 reason: Annotated[Str, Form(max_length=500)] = "") -> Response:
    monitoring.return_batch(session, principal, batch_id, reason)
    return RedirectResponse("/ecology/reviews", status_code=303)


@router.post("/import/confirm", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_confirm(request: Request, session: SessionDep, principal: CurrentUser,
                   token: Annotated[Key, Form()],
                   source: Annotated[Key, Form()] = "manual",
                   year: Annotated[Str, Form()] = "") -> Response:
    """Apply a file staged by the preview (its changes shown and confirmed), all or nothing;
    the same rights and checks as an upload."""
    settings = request.app.state.settings
    require_any_write(principal, "监测数据")
    context: dict[str, Any] = {"result": None, "changes": [], "errors": [],
                               "source": source, "year": year}
    try:
        doc, content = staged(session, settings.data_dir / "files", token,
                              target=monitoring.READINGS_IMPORT, principal=principal)
        context["filename"] = doc.filename
        with staged_file(settings, doc.filename, content) as received:
            context["result"] = readings.import_file(
                session, principal, received.path, source=source,
                year=_form_year(year, request), confirm=True, filename=doc.filename,
                limits=uploads.Limits.of(settings), locale=locale_of(request),
                settings=settings)
    except (InvalidInput, Forbidden, NotFound) as exc:
        session.rollback()
        context["errors"] = getattr(exc, "errors", [])
        context["message"] = exc.message
        return render(request, "ecology/import.html", context, status_code=exc.status_code)
    return render(request, "ecology/import.html", context)
