"""``coopzone services …`` commands beside ``services deadline`` (cli/calendar.py): the shipped
items, imports of an office's item list and a window's 台账, the case lists, and the 差评
follow-ups due soon or overdue (with reminders). One command, one transaction; an expected
failure prints its reasons (row, column, reason) and exits 2.

Commands that act for someone take ``--user`` (the user whose rights apply: a window's clerk
imports its ledger); without it a command acts as the platform (item imports, lists of every
case, masked).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.service import Principal
from coopzone.cli.calendar import services_app
from coopzone.cli.context import command_session, console, fail, settings
from coopzone.errors import InvalidInput, NotFound, RowError
from coopzone.gov_services import importers, service
from coopzone.gov_services.models import MODE_LABELS, Window
from coopzone.gov_services.service import ledger, summary
from coopzone.gov_services.service.queries import VIEWS
from coopzone.kit.importing import Outcome
from coopzone.kit.listing import ListParams
from coopzone.kit.uploads import Limits

items_app = typer.Typer(help="跨省通办 items (事项): the shipped list and an office's own.",
                        no_args_is_help=True)
ledger_app = typer.Typer(help="A window's ledger (台账) of past cases.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases (办件), applicant masked.", no_args_is_help=True)
stats_app = typer.Typer(help="The case statistics' summary (rebuilt from the cases).",
                        no_args_is_help=True)
services_app.add_typer(items_app, name="items")
services_app.add_typer(ledger_app, name="ledger")
services_app.add_typer(cases_app, name="cases")
services_app.add_typer(stats_app, name="statistics")

# Run by whoever can reach the server's database: the platform (no clerk, see roles.py).
CLI = Principal(0, "cli", "cli", True)
User = Annotated[str | None, typer.Option("--user", help="Act as this user (their rights).")]
Lang = Annotated[str, typer.Option("--lang", help="zh_CN or en: language of the reasons")]


def _principal(session: Session, username: str | None) -> Principal:
    if not username:
        return CLI
    return accounts.principal_for(session, accounts.get_user_by_name(session, username).id)


def _window(session: Session, key: str) -> Window:
    query = (select(Window).where(Window.id == int(key)) if key.isdigit()
             else select(Window).where(Window.name == key.strip()))
    window = session.scalar(query)
    if window is None:
        raise NotFound(f"没有窗口“{key}”", detail=f"unknown window {key}")
    return window


def _report(result: Outcome, preview: bool, lang: str) -> None:
    table = Table("row", "key", "action", "changes")
    for r in result.rows:
        if r.action != "unchanged":
            table.add_row(str(r.row), r.key, r.action, "、".join(r.changes))
    if table.row_count:
        console.print(table)
    console.print(f"new {result.count('new')}, changed {result.count('changed')}, unchanged "
                  f"{result.count('unchanged')}" + (" (preview: nothing written)" if preview
                                                    else ""))
    if result.nothing_to_do:
        console.print(result.summary(lang))


@items_app.command("seed")
def items_seed() -> None:
    """Load the shipped 跨省通办 items (data/kstb-items.csv); idempotent by name."""
    with command_session() as session:
        result = service.seed_items(session)
    console.print(f"items added {result.added}, kept {result.kept}")


@items_app.command("import")
def items_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    preview: Annotated[bool, typer.Option("--preview", help="Check only; write nothing.")]
    = False,
    user: User = None, lang: Lang = "zh_CN",
) -> None:
    """Import an office's item list (CSV or Excel): new codes added, changed ones updated;
    all or nothing; the same file twice adds nothing."""
    content = path.read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    with command_session() as session:
        principal = _principal(session, user)
        ledger.require_item_import(principal)
        rows = importers.read_item_list(content, path.name, Limits.of(settings()), lang)
        if preview:
            result = ledger.preview_items(session, principal, rows, sha256, lang)
            session.rollback()
        else:
            result = ledger.import_items(session, principal, rows, sha256=sha256,
                                         filename=path.name, locale=lang)
    _report(result, preview, lang)


@items_app.command("template")
def items_template(output: Path, lang: Lang = "zh_CN") -> None:
    """Write the item list template (headers and one example row) to OUTPUT."""
    output.write_bytes(importers.item_template(lang))
    console.print(f"template written to {output}")


@ledger_app.command("import")
def ledger_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    window: Annotated[str, typer.Option("--window", help="The window: its id or name.")],
    user: Annotated[str, typer.Option("--user", help="A clerk of the window (their rights).")],
    preview: Annotated[bool, typer.Option("--preview", help="Check only; write nothing.")]
    = False,
    lang: Lang = "zh_CN",
) -> None:
    """Import a window's ledger of past cases (CSV or Excel) with their history and clock;
    all or nothing with row, column and reason; the same file twice adds nothing."""
    content = path.read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    with command_session() as session:
        principal = _principal(session, user)
        w = _window(session, window)
        ledger.require_ledger_import(principal, service.get_window(session, w.id))
        rows = importers.read_ledger(content, path.name, settings().today(),
                                     Limits.of(settings()), lang)
        if preview:
            result = ledger.preview_ledger(session, principal, w.id, rows, sha256, lang)
            session.rollback()
        else:
            result = ledger.import_ledger(session, principal, w.id, rows, sha256=sha256,
                                          filename=path.name, locale=lang)
    _report(result, preview, lang)


@ledger_app.command("template")
def ledger_template(output: Path, lang: Lang = "zh_CN") -> None:
    """Write the ledger template (headers and one example row) to OUTPUT."""
    output.write_bytes(importers.ledger_template(lang))
    console.print(f"template written to {output}")


@cases_app.command("list")
def cases_list(
    view: Annotated[str | None, typer.Option(
        "--view", help="mine, due_soon, overdue or correction (mine/due_soon/correction "
                       "need --user); default: every readable case")] = None,
    user: User = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    page: Annotated[int, typer.Option(min=1)] = 1,
    per_page: Annotated[int, typer.Option("--per-page", min=1, max=500)] = 50,
) -> None:
    """Cases the user (default: the platform) may read, applicant masked."""
    with command_session(write=False) as session:
        if fmt not in ("table", "json"):
            raise InvalidInput(f"--format 只能是 table 或 json：{fmt}",
                               [RowError(None, "--format", "table | json")])
        if view is not None and view not in VIEWS:
            raise InvalidInput(f"未知的列表“{view}”", [RowError(None, "--view", "、".join(VIEWS))])
        principal = _principal(session, user)
        params = ListParams.parse(page, per_page, None, None, max_per_page=500)
        if view is None:
            result = service.search_cases(session, principal, params=params)
        elif view == "overdue" and principal is CLI:
            result = service.overdue_list(session, principal, params)
        else:
            if principal is CLI:
                raise InvalidInput(f"列表“{view}”是工作人员自己的，请用 --user 指定",
                                   [RowError(None, "--user", "必填")])
            result = service.work_list(session, principal, view, params)
    rows: list[dict[str, Any]] = [{
        "id": r.id, "number": r.number, "applicant": r.applicant_name,
        "id_number": r.id_number, "mode": r.mode, "state": r.state,
        "applied_at": r.applied_at.isoformat(),
        "deadline": r.deadline.isoformat() if r.deadline else None,
        "deadline_reason": r.deadline_reason, "overdue": r.overdue} for r in result.items]
    if fmt == "json":
        print(json.dumps({"total": result.total, "page": result.page, "cases": rows},
                         ensure_ascii=False))
        return
    table = Table("id", "number", "applicant", "ID number", "mode", "state", "deadline",
                  "overdue")
    for r in rows:
        table.add_row(str(r["id"]), r["number"], r["applicant"], r["id_number"],
                      MODE_LABELS.get(r["mode"], r["mode"]),
                      service.STATE_LABELS.get(r["state"], r["state"]),
                      r["deadline"] or (f"unknown: {r['deadline_reason']}"
                                        if r["deadline_reason"] else "—"),
                      "yes" if r["overdue"] else "")
    console.print(table)
    console.print(f"{result.total} cases (page {result.page})")


@services_app.command("followups")
def followups(
    due_within: Annotated[int, typer.Option(
        "--due-within", min=0, max=250,
        help="Working days: list open follow-ups due within this many working days of the "
             "platform's today (COOPZONE_AS_OF), and every overdue one.")] = 3,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    notify: Annotated[bool, typer.Option(
        "--notify", help="Remind each follow-up's organisation (notifications), once per "
                         "follow-up per day however often this runs.")] = False,
) -> None:
    """Open 差评 follow-ups (整改 and 回访) due soon or overdue on the working-day clock;
    run daily with --notify to remind their owners."""
    if fmt not in ("table", "json"):
        fail(InvalidInput(f"--format 只能是 table 或 json：{fmt}",
                          [RowError(None, "--format", "table | json")]))
    today = settings().today()
    made: int | None = None
    with command_session(write=notify) as session:
        if notify:
            rows, made = service.notify_due_followups(session, due_within, today)
        else:
            rows = service.due_followups(session, due_within, today)
        out: list[dict[str, Any]] = [{
            "id": r.followup.id, "case_id": r.case_id, "case_number": r.case_number,
            "item": r.item_name, "owner_org_id": r.owner_org_id, "owner": r.owner,
            "due_on": r.followup.due_on.isoformat() if r.followup.due_on else None,
            "working_days_left": r.left, "overdue": r.overdue} for r in rows]
    if fmt == "json":
        body: dict[str, Any] = {"as_of": today.isoformat(), "due_within": due_within,
                                "followups": out}
        if made is not None:
            body["notifications"] = made
        print(json.dumps(body, ensure_ascii=False))
        return
    table = Table("id", "case", "item", "owner", "due on", "working days left", "overdue")
    for r in out:
        table.add_row(str(r["id"]), r["case_number"], r["item"], r["owner"], r["due_on"],
                      "—" if r["working_days_left"] is None else str(r["working_days_left"]),
                      "yes" if r["overdue"] else "")
    console.print(table)
    console.print(f"{len(out)} follow-ups due within {due_within} working days or overdue "
                  f"(as of {today.isoformat()})"
                  + (f"; {made} notifications" if made is not None else ""))


@stats_app.command("check")
def statistics_check() -> None:
    """Compare the statistics' summary with the sums of the stored cases; exit 1 when rows
    differ (then run ``statistics rebuild``)."""
    with command_session(write=False) as session:
        differing = summary.drift(session)
    if differing:
        console.print(f"{differing} summary rows differ from the cases: run "
                      "`coopzone services statistics rebuild`")
        raise typer.Exit(1)
    console.print("the summary equals the cases")


@stats_app.command("rebuild")
def statistics_rebuild() -> None:
    """Rebuild the statistics' summary from the stored cases (one transaction)."""
    with command_session() as session:
        differing = summary.drift(session)
        rows = summary.rebuild(session)
    console.print(f"summary rebuilt: {rows} rows ({differing} differed)")
