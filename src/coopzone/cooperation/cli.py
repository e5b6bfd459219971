"""``coopzone cooperation …`` commands: import and export agreements, snapshot indicators,
list overdue tasks. One command, one transaction."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coopzone.accounts.service import Principal
from coopzone.cli.context import command_session, console, settings
from coopzone.cooperation import service
from coopzone.cooperation.exporters import workbook
from coopzone.cooperation.importers import read_agreements
from coopzone.cooperation.importers import template as agreement_template
from coopzone.errors import InvalidInput, RowError

app = typer.Typer(help="Cooperation: agreements, tasks, indicators.", no_args_is_help=True)

# Commands run by whoever can reach the server's database: they act as the platform.
CLI = Principal(0, "cli", "cli", True)


@app.command("import-agreements")
def import_agreements(
    workbook_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    confirm: Annotated[bool, typer.Option("--confirm", help="Apply; default is a preview.")]
    = False,
    lang: Annotated[str, typer.Option("--lang", help="zh_CN or en: language of the reasons")]
    = "zh_CN",
) -> None:
    """Preview (or with --confirm apply) an agreements workbook; all or nothing."""
    with command_session() as session:
        content = workbook_path.read_bytes()
        sha256 = hashlib.sha256(content).hexdigest()
        rows = read_agreements(content, workbook_path.name, locale=lang)
        result = (service.import_agreements(session, CLI, rows, filename=workbook_path.name,
                                            sha256=sha256) if confirm
                  else service.preview_agreements(session, rows, sha256))
        if not confirm:
            session.rollback()
    table = Table("row", "title", "action", "changes")
    for r in result.rows:
        if r.action != "unchanged":
            table.add_row(str(r.row), r.key, r.action,
                          "; ".join(f"{k}: {a} → {b}" for k, (a, b) in r.changes.items()))
    console.print(table)
    console.print(f"new {result.count('new')}, changed {result.count('changed')}, unchanged "
                  f"{result.count('unchanged')}" + ("" if confirm else " (preview; --confirm)"))
    if result.nothing_to_do:
        console.print(result.summary(lang))


@app.command("agreements-template")
def agreements_template(
    output: Path,
    lang: Annotated[str, typer.Option("--lang", help="zh_CN or en: language of the headers")]
    = "zh_CN",
) -> None:
    """Write the agreements import template (headers and one example row) to OUTPUT."""
    output.write_bytes(agreement_template(lang))
    console.print(f"template written to {output}")


@app.command("export-agreements")
def export_agreements(output: Path) -> None:
    """Write every agreement to an Excel workbook (the import format)."""
    with command_session(write=False) as session:
        rows = service.agreement_rows(service.list_agreements(session))
    output.write_bytes(workbook("合作协议", service.AGREEMENT_HEADERS, rows))
    console.print(f"{len(rows)} agreements written to {output}")


@app.command("snapshot")
def snapshot(period: str, as_of: str | None = None) -> None:
    """Compute and store every computed indicator for PERIOD (2025, 2025-Q3 or 2025-09)."""
    with command_session() as session:
        if not service.valid_period(period):
            raise InvalidInput("期间格式应为 2025、2025-Q3 或 2025-09",
                               [RowError(None, "period", "YYYY, YYYY-Qn or YYYY-MM")])
        values = service.snapshot(session, period,
                                  date.fromisoformat(as_of) if as_of else None, "cli",
                                  today=settings().today())
        for v in values:
            console.print(f"{v.indicator_id}\t{period}\t{v.value}")


@app.command("overdue")
def overdue() -> None:
    """List the leading group's overdue tasks."""
    table = Table("id", "task", "owner", "deadline", "state")
    with command_session() as session:
        orgs = service.organisation_names(session)
        for t in service.list_tasks(session, service.TaskFilter(overdue=True)):
            table.add_row(str(t.id), t.title, orgs.get(t.owner_org_id, ""),
                          t.deadline.isoformat(), t.state)
    console.print(table)


@app.command("remind")
def remind() -> None:
    """Notify each organisation whose open task is due within the ``due_soon_days`` setting
    (run it daily, e.g. from cron; a reminder is sent once per assignee and deadline)."""
    with command_session() as session:
        made = service.notify_due_soon(session)
    console.print(f"{made} notifications")
