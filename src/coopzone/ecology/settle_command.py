"""``coopzone ecology settle``: settle eco-compensation agreements from water-quality files.

No database: the files are read with ``coopzone.ecology.water_files``, evaluated per the
agreement (``coopzone.engines.water_quality.evaluate``), turned into ``PeriodResult``s here
and settled by the pure engine ``coopzone.engines.eco_compensation``.

Several rounds: ``--agreement lushui`` (a series) or ``--agreement lushui-2019,lushui-2022``
settles each round over its own dates and nets them per year. Without ``--from``/``--to``
the window is the span of the data (first to last month with a reading); months inside the
window that lack data are still settled per the agreement's missing-data policy.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from coopzone.ecology.agreement_files import AgreementInvalid, load_agreements
from coopzone.ecology.settlement_adapter import data_window, period_results
from coopzone.ecology.water_files import FileRejected, read_water_files
from coopzone.engines.eco_compensation import (
    Agreement,
    Settlement,
    SettlementLine,
    settle_each,
)
from coopzone.errors import NotFound

FORMATS = ("table", "json", "csv")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


# --- output ---------------------------------------------------------------------------------


def _names(agreements: Sequence[Agreement]) -> dict[str, str]:
    return {p.id: p.name for a in agreements for p in a.parties}


def line_record(line: SettlementLine, names: dict[str, str]) -> dict[str, Any]:
    return {
        "period": line.period,
        "payer": line.payer,
        "payer_name": names.get(line.payer or ""),
        "payee": line.payee,
        "payee_name": names.get(line.payee or ""),
        "amount": str(line.amount),
        "rule": line.rule,
        "rule_id": line.rule_id,
        "agreement": line.agreement,
        "round": line.round,
        "section": line.section,
        "status": line.status.value,
        "year": line.year,
        "due": line.due.isoformat(),
        "steps": [{"kind": s.kind, "text": s.text} for s in line.steps],
    }


def settlement_record(result: Settlement, agreements: Sequence[Agreement],
                      window: tuple[str | None, str | None]) -> dict[str, Any]:
    names = _names(agreements)
    return {
        "agreements": [
            {"id": a.id, "title": a.title, "version": a.version, "source": a.source.label}
            for a in agreements
        ],
        "from": window[0],
        "to": window[1],
        "lines": [line_record(line, names) for line in result.lines],
        "net": [
            {"year": n.year, "due": n.due.isoformat(), "payer": n.payer,
             "payer_name": names.get(n.payer), "payee": n.payee,
             "payee_name": names.get(n.payee), "amount": str(n.amount), "lines": n.lines,
             "text": n.text}
            for n in result.net
        ],
        "years": [
            {"year": y.year, "due": y.due.isoformat(), "held": y.held, "skipped": y.skipped}
            for y in result.years
        ],
    }


def to_csv(record: dict[str, Any]) -> str:
    """Lines, then one ``net`` row per year and pair of parties."""
    fields = ["record", "period", "agreement", "rule", "section", "payer", "payee", "amount",
              "status", "due", "steps"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for line in record["lines"]:
        steps = " | ".join(s["text"] for s in line["steps"])
        writer.writerow({**line, "record": "line", "steps": steps})
    for net in record["net"]:
        writer.writerow({**net, "record": "net", "period": net["year"], "status": "net",
                         "steps": net["text"]})
    return buf.getvalue()


def _tables(record: dict[str, Any]) -> list[Table]:
    lines = Table(title="Settlement lines (" + ", ".join(a["id"] for a in record["agreements"])
                  + ")")
    for col in ("period", "rule", "section", "payer", "payee", "amount", "status", "working"):
        lines.add_column(col, justify="right" if col == "amount" else "left")
    for ln in record["lines"]:
        working = next((s["text"] for s in reversed(ln["steps"]) if s["kind"] != "rounding"), "")
        lines.add_row(ln["period"], ln["rule_id"], ln["section"], ln["payer_name"] or "-",
                      ln["payee_name"] or "-", f"{Decimal(ln['amount']):,}", ln["status"],
                      working)
    net = Table(title="Net per settlement year")
    for col in ("year", "payer", "payee", "amount", "due", "held", "skipped"):
        net.add_column(col, justify="right" if col == "amount" else "left")
    counts = {y["year"]: y for y in record["years"]}
    for n in record["net"]:
        year = counts[n["year"]]
        net.add_row(str(n["year"]), n["payer_name"], n["payee_name"],
                    f"{Decimal(n['amount']):,}", n["due"], str(year["held"]),
                    str(year["skipped"]))
    return [lines, net]


# --- the command ----------------------------------------------------------------------------


def _fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(message, markup=False)
    return typer.Exit(code=code)


def _check_month(value: str | None, option: str) -> str | None:
    if value is not None and not _MONTH.fullmatch(value):
        raise typer.BadParameter(f"{value!r} is not a month: use YYYY-MM", param_hint=option)
    return value


def _load(agreement: str) -> list[Agreement]:
    try:
        return load_agreements(agreement)
    except AgreementInvalid as exc:
        raise _fail(exc.message) from None
    except NotFound as exc:
        raise _fail(exc.message) from None


def _read(data: list[Path]) -> pl.DataFrame:
    try:
        readings = read_water_files(data)
    except FileRejected as exc:
        problems = [f"{name}: row {row}, column {column}: {reason}"
                    for name, errors in exc.per_file.items() for row, column, reason in errors]
        raise _fail("\n".join(["Refused: nothing was settled.", *problems])) from None
    return readings.drop("source_file", "row")


def settle(
    agreement: Annotated[str, typer.Option(
        "--agreement", "-a",
        help="Built-in id (lushui-2019), series (lushui), TOML path, or a comma list",
    )],
    data: Annotated[list[Path], typer.Argument(help="Water-quality CSV or Excel files",
                                               exists=True, dir_okay=False)],
    from_: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """Settle eco-compensation agreements from water-quality files, without a database."""
    if format not in FORMATS:
        raise typer.BadParameter(f"{format!r}: use one of {', '.join(FORMATS)}",
                                 param_hint="--format")
    start, end = _check_month(from_, "--from"), _check_month(to, "--to")
    agreements = _load(agreement)
    readings = _read(data)
    first, last = data_window(readings)
    window = (start or first, end or last)
    pairs = [(a, period_results(readings, a)) for a in agreements]
    result = settle_each(pairs, *window)
    record = settlement_record(result, agreements, window)
    if format == "json":
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
    elif format == "csv":
        typer.echo(to_csv(record), nl=False)
    else:
        console = Console(soft_wrap=True)
        for table in _tables(record):
            console.print(table)
