"""The meetings, tasks and indicators lists as Excel or CSV, through
:func:`coopzone.kit.exporting.export_list`: the rows the page shows (its filters, its order,
every page), Chinese headers unless the page is in English (``?lang=en``), stored codes as
their names, the filters on the workbook's second sheet, formula-like text kept as text.

The tasks export reads like the task list: a login, and only the tasks the user may read
(:func:`coopzone.cooperation.service.readable_by`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.api.listing import PageListParamsDep
from coopzone.cooperation import service
from coopzone.cooperation.models import Indicator, IndicatorValue, Meeting, Task
from coopzone.cooperation.presentation_web import (
    INDICATOR_SOURCE_NAMES,
    MEETING_KIND_NAMES,
    ROLE_NAMES,
    STATE_NAMES,
    UNIT_EN,
)
from coopzone.errors import NotFound
from coopzone.kit.exporting import Export, ExportColumn, attachment_headers, export_list
from coopzone.kit.importing import say
from coopzone.kit.listing import sort_rows
from coopzone.kit.times import localize
from coopzone.kit.validation import Day, Key, Year
from coopzone.web.i18n import translations
from coopzone.web.links import record_count
from coopzone.web.templating import N_, locale_of

router = APIRouter(include_in_schema=False)

FORMATS = ("xlsx", "csv")


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"没有 {fmt} 格式的导出", detail=f"unknown export format {fmt}")
    return fmt


def _send(out: Export) -> Response:
    return Response(out.content, media_type=out.media_type,
                    headers=attachment_headers(out.filename))


def _named(locale: str) -> Callable[[dict[str, str], str | None], str]:
    """A stored code as its name in ``locale`` (an unknown code as it is)."""
    t = translations(locale).gettext

    def name(names: dict[str, str], code: str | None) -> str:
        return t(names[code]) if code in names else (code or "")
    return name


def _filters(locale: str, values: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """The page's filters as (label, value) rows in ``locale``, the unset ones left out."""
    t = translations(locale).gettext
    return [(t(label), value) for label, value in values if value]


def _time(value: datetime | None) -> str | None:
    """An aware time as Asia/Shanghai wall-clock text (Excel keeps no time zone)."""
    return localize(value).strftime("%Y-%m-%d %H:%M") if value else None


# ---- meetings -----------------------------------------------------------------------------------


def meeting_columns(locale: str) -> list[ExportColumn[Meeting]]:
    name = _named(locale)
    return [
        ExportColumn("会议名称", "Meeting", lambda m: m.title),
        ExportColumn("类型", "Kind", lambda m: name(MEETING_KIND_NAMES, m.kind)),
        ExportColumn("系列", "Series", lambda m: m.series),
        ExportColumn("日期", "Date", lambda m: m.held_on),
        ExportColumn("地点", "Place", lambda m: m.place),
        ExportColumn("主办", "Host", lambda m: m.host),
        ExportColumn("我方身份", "Our role", lambda m: name(ROLE_NAMES, m.our_role)),
        ExportColumn("决议", "Resolutions", lambda m: "；".join(r.text for r in m.resolutions)),
    ]


@router.get("/cooperation/export/meetings.{fmt}")
def export_meetings(request: Request, session: SessionDep, fmt: Key, params: PageListParamsDep,
                    kind: Key | None = None, series: Key | None = None,
                    our_role: Key | None = None, year: Year | None = None,
                    q: Key | None = None) -> Response:
    """The meetings the page lists (its filters and order, every page) as Excel or CSV."""
    fmt = _format(fmt)
    locale = locale_of(request)
    name = _named(locale)
    f = service.MeetingFilter(kind or None, series or None, our_role or None, year, q or None)
    items = session.scalars(sort_rows(service.meeting_query(f), service.MEETING_SORTING,
                                      params)).unique()
    filters = _filters(locale, [
        (N_("Kind"), name(MEETING_KIND_NAMES, f.kind) if f.kind else None),
        (N_("Series"), f.series),
        (N_("Our role"), name(ROLE_NAMES, f.our_role) if f.our_role else None),
        (N_("Year"), str(f.year) if f.year else None), (N_("Keyword"), f.q)])
    return _send(export_list(say(locale, "联席会议", "Meetings"), meeting_columns(locale), items,
                             name="meetings", fmt=fmt, filters=filters, locale=locale))


# ---- tasks --------------------------------------------------------------------------------------


def task_columns(locale: str, orgs: dict[int, str]) -> list[ExportColumn[Task]]:
    name = _named(locale)
    return [
        ExportColumn("事项", "Task", lambda t: t.title),
        ExportColumn("承办单位", "Assignees",
                     lambda t: "、".join(orgs.get(a.org_id, "") for a in t.assignees)),
        ExportColumn("办理时限", "Deadline", lambda t: t.deadline),
        ExportColumn("状态", "State", lambda t: name(STATE_NAMES, t.state)),
        ExportColumn("退回次数", "Times returned", lambda t: t.returned_count),
        ExportColumn("提交时间", "Submitted at", lambda t: _time(t.submitted_at)),
        ExportColumn("验收时间", "Accepted at", lambda t: _time(t.accepted_at)),
    ]


@router.get("/cooperation/export/tasks.{fmt}")
def export_tasks(request: Request, session: SessionDep, settings: SettingsDep,
                 principal: CurrentUser, fmt: Key, params: PageListParamsDep,
                 state: Key | None = None, overdue: bool = False, due_soon: bool = False,
                 mine: bool = False, q: Key | None = None) -> Response:
    """The tasks the page lists (its filters and order, every page; only those the user may
    read) as Excel or CSV. Overdue and due soon count from the platform's today."""
    fmt = _format(fmt)
    locale = locale_of(request)
    name = _named(locale)
    org_ids = tuple(r.organisation_id for r in principal.roles) if mine else None
    f = service.TaskFilter(state or None, org_ids, overdue, due_soon, settings.today(),
                           settings.due_soon_days, reader=principal)
    items = service.task_list(session, f, params, q or None)
    t = translations(locale).gettext
    yes = t(N_("Yes"))
    filters = _filters(locale, [
        (N_("State"), name(STATE_NAMES, f.state) if f.state else None),
        (N_("My organisation's"), yes if mine else None),
        (N_("Overdue"), yes if overdue else None),
        (N_("Due soon"), yes if due_soon else None), (N_("Keyword"), q or None),
        (N_("As of"), settings.today().isoformat() if overdue or due_soon else None)])
    return _send(export_list(say(locale, "督办事项", "Tasks"),
                             task_columns(locale, service.organisation_names(session)), items,
                             name="tasks", fmt=fmt, filters=filters, locale=locale))


# ---- indicators ---------------------------------------------------------------------------------


def _basis(provenance: dict[str, Any], locale: str) -> str:
    """What a value rests on, in words: the records counted (as of a day) or the evidence."""
    if provenance.get("evidence"):
        return say(locale, f"证明材料：{provenance['evidence']}",
                   f"evidence: {provenance['evidence']}")
    if provenance.get("reported_by"):
        return say(locale, f"{provenance['reported_by']}填报",
                   f"reported by {provenance['reported_by']}")
    parts = []
    if provenance.get("entity"):
        n = record_count(provenance)
        parts.append(say(locale, f"{n} 条记录", f"{n} records"))
    if provenance.get("as_of"):
        parts.append(say(locale, f"截至 {provenance['as_of']}", f"as of {provenance['as_of']}"))
    return say(locale, "，", ", ").join(parts)


def indicator_columns(locale: str) -> list[ExportColumn[tuple[Indicator, IndicatorValue]]]:
    name = _named(locale)
    english = locale == "en"
    return [
        ExportColumn("指标", "Indicator",
                     lambda iv: (iv[0].name_en or iv[0].name) if english else iv[0].name),
        ExportColumn("单位", "Unit",
                     lambda iv: UNIT_EN.get(iv[0].unit, iv[0].unit) if english else iv[0].unit),
        ExportColumn("目标", "Target", lambda iv: iv[0].target),
        ExportColumn("期间", "Period", lambda iv: iv[1].period),
        ExportColumn("数值", "Value", lambda iv: iv[1].value),
        ExportColumn("来源", "Source", lambda iv: name(INDICATOR_SOURCE_NAMES, iv[1].source)),
        ExportColumn("依据", "Basis", lambda iv: _basis(iv[1].provenance, locale)),
    ]


def period_start(period: str) -> date:
    """The first day of a period (2025, 2025-Q3, 2025-09)."""
    year, _, rest = period.partition("-")
    if rest.startswith("Q"):
        return date(int(year), 3 * int(rest[1:]) - 2, 1)
    return date(int(year), int(rest) if rest else 1, 1)


def indicator_rows(session: Session, as_of: date | None
                   ) -> list[tuple[Indicator, IndicatorValue]]:
    """Every indicator's history in the page's order; with ``as_of``, the periods begun by
    that day (what the page as of that day could have shown)."""
    return [(ind, v) for ind in service.list_indicators(session)
            for v in service.history(session, ind.id)
            if as_of is None or period_start(v.period) <= as_of]


@router.get("/cooperation/export/indicators.{fmt}")
def export_indicators(request: Request, session: SessionDep, fmt: Key,
                      as_of: Day | None = None) -> Response:
    """Every indicator's history (the page's ``as_of``: the periods begun by then) as Excel
    or CSV."""
    fmt = _format(fmt)
    locale = locale_of(request)
    filters = _filters(locale, [(N_("As of"), as_of.isoformat() if as_of else None)])
    return _send(export_list(say(locale, "指标", "Indicators"), indicator_columns(locale),
                             indicator_rows(session, as_of), name="indicators", fmt=fmt,
                             filters=filters, locale=locale, numbered=False))
