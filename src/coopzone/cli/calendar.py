"""``coopzone calendar …`` and ``coopzone services deadline``: the working-day calendar and
the clock, from the calendar alone (no database)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from coopzone.cli.context import console, err_console, fail, settings
from coopzone.engines.working_days import Calendar, Deadline
from coopzone.errors import CoopzoneError, InvalidInput
from coopzone.kit.calendar import load_notice, loaded_notices, platform_calendar
from coopzone.kit.times import LocalTimeError, localize

calendar_app = typer.Typer(help="The working-day calendar: statutory holidays and make-up "
                           "working days (调休) per year.", no_args_is_help=True)
services_app = typer.Typer(help="Cross-province government services (跨省通办).",
                           no_args_is_help=True)


@calendar_app.command("load")
def load(
    notice: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                           help="CSV: 日期,类型,名称 (类型 休 or 班)")],
    source: Annotated[str | None, typer.Option(help="The notice, e.g. 国办发明电〔2026〕…号")]
    = None,
) -> None:
    """Load one year's holiday notice (a later year, or a correction of a shipped one)."""
    try:
        year, replaced = load_notice(settings(), notice.read_bytes(), notice.name, source)
    except CoopzoneError as exc:
        fail(exc)
    action = "replaced" if replaced else "loaded"
    console.print(f"{year.year}: {action}, {len(year.holidays)} days off, "
                  f"{len(year.workdays)} make-up working days ({year.source})")


@calendar_app.command("show")
def show(year: Annotated[int | None, typer.Argument()] = None) -> None:
    """The years the calendar knows, or one year's days off and make-up working days."""
    cfg = settings()
    calendar = platform_calendar(cfg)
    if year is None:
        loaded = {n.year for n in loaded_notices(cfg)}
        table = Table("year", "days off", "make-up working days", "source")
        for y in calendar.years:
            n = calendar.notices[y]
            table.add_row(str(y), str(len(n.holidays)), str(len(n.workdays)),
                          n.source + (" (loaded)" if y in loaded else ""))
        console.print(table)
        return
    notice = calendar.notices.get(year)
    if notice is None:
        err_console.print(f"[red]错误 error:[/red] 没有 {year} 年的节假日安排 "
                          f"(no calendar for {year}); load it with `coopzone calendar load FILE`")
        raise typer.Exit(code=2)
    table = Table("date", "kind", "name")
    rows = [(d, "休 day off", n) for d, n in notice.holidays.items()]
    rows += [(d, "班 working day", n) for d, n in notice.workdays.items()]
    for day, kind, name in sorted(rows):
        table.add_row(day.isoformat(), kind, name)
    console.print(table)


def _moment(value: str, what: str) -> date | datetime:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return localize(datetime.fromisoformat(value))
    except LocalTimeError as exc:
        raise InvalidInput(f"{what}：{exc}") from None
    except ValueError:
        raise InvalidInput(f"{what} 不是日期或时间（如 2026-09-30 或 2026-09-30T15:00）：{value}"
                           ) from None


def deadline_record(calendar: Calendar, start: date | datetime, n: int,
                    pauses: list[tuple[date, date]]) -> dict[str, Any]:
    result: Deadline = calendar.add(start, n, pauses)
    return {"start": start.isoformat(), "working_days": n,
            "pauses": [[a.isoformat(), b.isoformat()] for a, b in pauses],
            "deadline": result.due.isoformat() if result.due else None,
            "ends_at": result.ends_at.isoformat() if result.ends_at else None,
            "reason": result.reason}


def _pause_pairs(args: list[str]) -> list[tuple[str, str]]:
    """``--pause FROM TO`` repeated (Typer has no repeated two-value option)."""
    pairs, rest = [], list(args)
    while rest:
        flag = rest.pop(0)
        if flag != "--pause":
            raise InvalidInput(f"不认识的参数：{flag}（停表期间写作 --pause FROM TO）")
        if len(rest) < 2 or rest[0].startswith("--") or rest[1].startswith("--"):
            raise InvalidInput("--pause 需要两个日期：FROM TO")
        pairs.append((rest.pop(0), rest.pop(0)))
    return pairs


@services_app.command("deadline", context_settings={"allow_extra_args": True,
                                                    "ignore_unknown_options": True})
def deadline(
    ctx: typer.Context,
    start: Annotated[str, typer.Argument(help="A date (2026-09-30) or a moment "
                                              "(2026-09-30T15:00, Asia/Shanghai if no offset)")],
    working_days: Annotated[int, typer.Argument(min=0, max=3650)],
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """The deadline of a time limit of WORKING_DAYS working days that starts at START.

    The start's day is not counted (day 1 is the next working day); the deadline is 24:00 of
    the last working day. A year the calendar does not know gives no date but a reason.

    Pauses: --pause FROM TO (two dates, both included, on which the clock stands still, e.g.
    补正), repeated for more."""
    try:
        if fmt not in ("table", "json"):
            raise InvalidInput(f"--format 只能是 table 或 json：{fmt}")
        begin = _moment(start, "START")
        pauses = []
        for a, b in _pause_pairs(ctx.args):
            lo, hi = _moment(a, "--pause FROM"), _moment(b, "--pause TO")
            if isinstance(lo, datetime) or isinstance(hi, datetime):
                raise InvalidInput("--pause 的两端应为日期（如 2026-10-09）")
            if hi < lo:
                raise InvalidInput(f"--pause 结束日期早于开始日期：{lo} {hi}")
            pauses.append((lo, hi))
        record = deadline_record(platform_calendar(settings()), begin, working_days, pauses)
    except CoopzoneError as exc:
        fail(exc)
    if fmt == "json":
        print(json.dumps(record, ensure_ascii=False))
        return
    table = Table("start", "working days", "deadline", "ends at", "reason")
    table.add_row(record["start"], str(working_days), record["deadline"] or "—",
                  record["ends_at"] or "—", record["reason"] or "")
    console.print(table)

