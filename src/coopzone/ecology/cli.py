"""``coopzone ecology …`` commands. No database: files in, evaluation out."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from coopzone.ecology.settle_command import settle
from coopzone.ecology.water_files import FileRejected, read_water_files
from coopzone.engines.water_quality import CLASS_NAMES, Evaluation, evaluate
from coopzone.engines.water_quality_gb3838 import ITEM_CODES

app = typer.Typer(help="Ecology: evaluate surface-water quality files (GB 3838-2002).")


class PeriodOpt(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"
    all = "all"


class WaterBodyOpt(StrEnum):
    river = "river"
    lake = "lake"


class FormatOpt(StrEnum):
    json = "json"
    csv = "csv"
    table = "table"


class LangOpt(StrEnum):
    zh_CN = "zh_CN"
    en = "en"


LANG_HELP = "Language of the reasons a file is refused for: zh_CN (default) or en"


@app.callback()
def _root() -> None:
    """Ecology commands."""


def parse_target(text: str | None) -> int | None:
    """``III``/``Ⅲ``/``3`` → 3; only Classes I–V can be targets."""
    if text is None:
        return None
    t = unicodedata.normalize("NFKC", text).strip().upper()
    if t.isdigit() and 1 <= int(t) <= 5:
        return int(t)
    if t in CLASS_NAMES[:5]:
        return CLASS_NAMES.index(t) + 1
    raise typer.BadParameter(f"target must be I–V or 1–5, not {text!r}")


def _records(ev: Evaluation) -> list[dict[str, Any]]:
    """One object per section-period, items keyed by code."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for r in ev.items.iter_rows(named=True):
        items.setdefault((r["section"], r["period"]), {})[r["item"]] = {
            "mean": r["mean"],
            "class": r["class_name"],
            "exceedance": r["exceedance"],
        }
    out = []
    for s in ev.sections.iter_rows(named=True):
        rec: dict[str, Any] = {
            "section": s["section"],
            "period": s["period"],
            "class": s["class_name"],
            "status": s["status"],
        }
        if ev.target is not None:
            rec["compliant"] = s["compliant"]
        rec["main_pollutants"] = s["main_pollutants"]
        rec["items"] = items.get((s["section"], s["period"]), {})
        out.append(rec)
    return out


def _to_csv(records: list[dict[str, Any]]) -> str:
    codes = [c for c in _item_order() if any(c in r["items"] for r in records)]
    head = [k for k in ("section", "period", "class", "status", "compliant") if
            records and k in records[0]]
    fields = [*head, "main_pollutants"]
    for c in codes:
        fields += [f"{c}_mean", f"{c}_class", f"{c}_exceedance"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in records:
        row: dict[str, Any] = {k: r[k] for k in head}
        row["main_pollutants"] = "、".join(r["main_pollutants"])
        for c in codes:
            it = r["items"].get(c, {})
            row[f"{c}_mean"] = it.get("mean")
            row[f"{c}_class"] = it.get("class")
            row[f"{c}_exceedance"] = it.get("exceedance")
        writer.writerow(row)
    return buf.getvalue()


def _item_order() -> list[str]:
    return list(ITEM_CODES)


def _table(records: list[dict[str, Any]], with_target: bool) -> Table:
    table = Table(title="Water quality (GB 3838-2002, 环办〔2011〕22号)")
    cols = ["section", "period", "class", "status", *(["compliant"] if with_target else []),
            "main pollutants"]
    for c in cols:
        table.add_column(c)
    for r in records:
        cells = [r["section"], r["period"], r["class"] or "-", r["status"] or "-"]
        if with_target:
            cells.append({True: "yes", False: "no"}.get(r["compliant"], "-"))
        cells.append("、".join(r["main_pollutants"]))
        table.add_row(*cells)
    return table


@app.command("evaluate")
def evaluate_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV or Excel files", exists=True,
                                                dir_okay=False)],
    period: Annotated[PeriodOpt, typer.Option(help="Evaluation period")] = PeriodOpt.month,
    water_body: Annotated[WaterBodyOpt, typer.Option(help="river or lake/reservoir")] = (
        WaterBodyOpt.river
    ),
    target: Annotated[str | None, typer.Option(help="Target class, I–V or 1–5")] = None,
    year: Annotated[int | None, typer.Option(help="Year for times written without one")] = None,
    fmt: Annotated[FormatOpt, typer.Option("--format", help="Output format")] = FormatOpt.table,
    lang: Annotated[LangOpt, typer.Option(help=LANG_HELP)] = LangOpt.zh_CN,
) -> None:
    """Evaluate water-quality files by the single-factor method, without a database."""
    target_class = parse_target(target)
    en = lang is LangOpt.en
    try:
        readings = read_water_files(files, year=year, locale=lang.value)
    except FileRejected as exc:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(f"Refused: {len(exc.errors)} problem(s); nothing was evaluated." if en else
                  f"已拒绝：{len(exc.errors)} 处问题，未作评价。")
        for name, errors in exc.per_file.items():
            for row, column, reason in errors:
                err.print(f"{name}: row {row}, column {column}: {reason}" if en else
                          f"{name}：第 {row} 行，列「{column}」：{reason}", markup=False)
        raise typer.Exit(code=2) from None
    ev = evaluate(readings.drop("source_file", "row"), period=period.value,
                  water_body=water_body.value, target=target_class)
    records = _records(ev)
    if fmt is FormatOpt.json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif fmt is FormatOpt.csv:
        typer.echo(_to_csv(records), nl=False)
    else:
        Console(soft_wrap=True).print(_table(records, target_class is not None))


app.command("settle")(settle)


@app.command("template")
def template(
    output: Path,
    lang: Annotated[LangOpt, typer.Option("--lang", help="Headers: Chinese or en (codes)")]
    = LangOpt.zh_CN,
) -> None:
    """Write the readings import template (wide layout, one example row) to OUTPUT."""
    from coopzone.ecology.water_files import template as water_template

    output.write_bytes(water_template(lang.value))
    Console().print(f"template written to {output}")


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV or Excel files", exists=True)],
    user: Annotated[str, typer.Option("--as", help="User whose rights the import uses")],
    source: Annotated[str, typer.Option(help="auto | manual")] = "manual",
    year: Annotated[int | None, typer.Option(help="Year for times without one")] = None,
    preview: Annotated[bool, typer.Option(
        "--preview", help="Only say what the files would do; keep them for `confirm`")] = False,
    lang: Annotated[LangOpt, typer.Option(help=LANG_HELP)] = LangOpt.zh_CN,
) -> None:
    """Import monitoring files, preview first: the command is all or nothing, the same file
    twice adds nothing.

    Every file is checked first (rights, rows, who monitors each section). If none would
    change a stored value, they are imported at once. If one would (or with --preview),
    nothing is imported: each change is listed, the files are kept, and
    `coopzone ecology confirm TOKEN... --as USER` imports them (exit code 3: waiting for
    that confirmation)."""
    from coopzone.accounts.audit import set_actor
    from coopzone.accounts.service import get_user_by_name, principal_for
    from coopzone.cli.context import command_session, console, settings
    from coopzone.ecology.monitoring import READINGS_IMPORT
    from coopzone.ecology.readings import import_file, item_label
    from coopzone.kit.importing import stage, stage_suffix

    cfg = settings()
    waiting: list[str] = []
    with command_session() as session:
        principal = principal_for(session, get_user_by_name(session, user).id)
        set_actor(session, principal.user_id, f"cli:{principal.username}")
        previews = [(path, import_file(session, principal, path, source=source, year=year,
                                       locale=lang.value, settings=cfg, preview=True))
                    for path in files]
        if preview or any(result.changes for _path, result in previews):
            for path, result in previews:
                note = " (already imported)" if result.duplicate_file else ""
                console.print(f"{path.name}: would add {result.added}, update "
                              f"{result.updated}, leave {result.unchanged} unchanged{note}")
                for change in result.changes:  # the reason in --lang's language
                    console.print(f"  row {change.row}, column "
                                  f"{item_label(change.column, lang.value)}: {change.reason}",
                                  markup=False)
                if not result.duplicate_file:
                    waiting.append(stage(session, cfg.data_dir / "files", path.name,
                                         path.read_bytes(), principal.label,
                                         suffix=stage_suffix(path.name),
                                         target=READINGS_IMPORT,
                                         user_id=principal.user_id).sha256)
        else:
            for path, _preview in previews:
                result = import_file(session, principal, path, source=source, year=year,
                                     locale=lang.value, settings=cfg)
                note = " (already imported)" if result.duplicate_file else ""
                console.print(f"{path.name}: added {result.added}, updated {result.updated}, "
                              f"unchanged {result.unchanged}{note}")
    if waiting:
        options = f" --source {source}" + (f" --year {year}" if year is not None else "")
        console.print("nothing imported yet; to import these files as previewed:\n"
                      f"  coopzone ecology confirm {' '.join(waiting)} --as {user}{options}",
                      soft_wrap=True)
        raise typer.Exit(code=3)


@app.command("confirm")
def confirm_cmd(
    tokens: Annotated[list[str], typer.Argument(help="Tokens printed by `import`")],
    user: Annotated[str, typer.Option("--as", help="User whose rights the import uses")],
    source: Annotated[str, typer.Option(help="auto | manual")] = "manual",
    year: Annotated[int | None, typer.Option(help="Year for times without one")] = None,
    lang: Annotated[LangOpt, typer.Option(help=LANG_HELP)] = LangOpt.zh_CN,
) -> None:
    """Import files kept by `import` (previewed), changes included: all or nothing, with
    every check made again on the data stored now."""
    from coopzone.accounts.audit import set_actor
    from coopzone.accounts.service import get_user_by_name, principal_for, require_any_write
    from coopzone.cli.context import command_session, console, settings
    from coopzone.ecology.monitoring import READINGS_IMPORT
    from coopzone.ecology.readings import import_file
    from coopzone.kit.importing import staged, staged_file

    cfg = settings()
    with command_session() as session:
        principal = principal_for(session, get_user_by_name(session, user).id)
        set_actor(session, principal.user_id, f"cli:{principal.username}")
        require_any_write(principal, "监测数据")
        for token in tokens:
            doc, content = staged(session, cfg.data_dir / "files", token.strip(),
                                  target=READINGS_IMPORT, principal=principal)
            with staged_file(cfg, doc.filename, content) as received:
                result = import_file(session, principal, received.path, source=source,
                                     year=year, confirm=True, filename=doc.filename,
                                     locale=lang.value, settings=cfg)
            note = " (already imported)" if result.duplicate_file else ""
            console.print(f"{doc.filename}: added {result.added}, updated {result.updated}, "
                          f"unchanged {result.unchanged}{note}")
