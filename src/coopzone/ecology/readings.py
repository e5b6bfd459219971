"""Monitoring readings: import files and station pushes (all or nothing, idempotent), and
load stored readings for the water-quality engine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import DateTime, String, func, insert, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.db import SHANGHAI
from coopzone.ecology import readings_cache
from coopzone.ecology.models import ImportBatch, Reading, Section
from coopzone.ecology.water_files import FileRejected, read_water_file
from coopzone.errors import Forbidden, InvalidInput, NeedsConfirmation, RowError

SOURCES = ("auto", "manual")


@dataclass
class ImportResult:
    batch_id: int | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate_file: bool = False
    changes: list[RowError] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_file(path: Path, year: int | None = None) -> pl.DataFrame:
    """Read a bureau's file; a bad file becomes InvalidInput with every row and column."""
    try:
        return read_water_file(path, year=year)
    except FileRejected as exc:
        raise InvalidInput(
            f"文件 {path.name} 有 {len(exc.errors)} 处错误，整个文件未导入",
            [RowError(row, column, reason) for row, column, reason in exc.errors],
        ) from None


def _sections_by_key(session: Session) -> dict[str, Section]:
    sections = list(session.scalars(select(Section)))
    return {**{s.name: s for s in sections}, **{s.code: s for s in sections}}


def _resolve_sections(session: Session, frame: pl.DataFrame) -> dict[str, Section]:
    known = _sections_by_key(session)
    unknown = (frame.filter(~pl.col("section").is_in(list(known)))
               .group_by("section").agg(pl.col("row").min()).sort("row"))
    if unknown.height:
        raise InvalidInput("文件中有未登记的断面，整个文件未导入", [
            RowError(int(row), "section", f"unknown section {name!r}: register it first")
            for name, row in unknown.iter_rows()])
    return {name: known[name] for name in frame["section"].unique().to_list()}


def _check_rights(principal: Principal, sections: Iterable[Section]) -> None:
    refused = sorted({s.name for s in sections if not principal.can_write_place(s.county_code)})
    if refused:
        raise Forbidden(f"无权写入这些断面的监测数据：{'、'.join(refused)}",
                        detail=f"not allowed for sections {', '.join(refused)}")


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _same(old: Reading, value: float | None, below_dl: bool) -> bool:
    if old.below_dl != below_dl:
        return False
    if old.value is None or value is None:
        return old.value is value
    return abs(old.value - value) <= 1e-12 * max(1.0, abs(value))


def _fmt(value: float | None, below_dl: bool) -> str:
    return "--" if value is None else f"{value:g}{'L' if below_dl else ''}"


def import_frame(session: Session, principal: Principal, frame: pl.DataFrame, *,
                 filename: str, sha256: str, source: str = "manual",
                 confirm: bool = False) -> ImportResult:
    """Store long readings (the water_files schema) as one batch.

    The same content twice adds nothing. Values that differ from stored ones are refused
    with every change listed (NeedsConfirmation) unless ``confirm`` is set. Nothing is
    written unless everything is accepted.
    """
    if source not in SOURCES:
        raise InvalidInput("来源必须为 auto 或 manual", [RowError(None, "source", source)])
    old_batch = session.scalar(select(ImportBatch).where(ImportBatch.sha256 == sha256))
    if old_batch is not None:
        return ImportResult(old_batch.id, unchanged=frame.height, duplicate_file=True)
    sections = _resolve_sections(session, frame)
    _check_rights(principal, sections.values())

    rows = [
        _Row(sections[r["section"]].id, _aware(r["time"]), r["item"], r["value"],
             r["below_dl"], r["detection_limit"], r["row"])
        for r in frame.iter_rows(named=True)
    ]
    existing = _existing(session, rows)
    new_rows, changed, unchanged = [], [], 0
    for section_id, at, item, value, below_dl, dl, row in rows:
        old = existing.get((section_id, at, item))
        if old is None:
            new_rows.append({"section_id": section_id, "measured_at": at, "item": item,
                             "value": value, "below_dl": below_dl, "detection_limit": dl,
                             "source": source})
        elif _same(old, value, below_dl):
            unchanged += 1
        else:
            changed.append((old, value, below_dl, dl, row))
    changes = [RowError(row, old.item,
                        f"{old.measured_at:%Y-%m-%d %H:%M} stored {_fmt(old.value, old.below_dl)}"
                        f", file has {_fmt(value, below_dl)}")
               for old, value, below_dl, _dl, row in changed]
    if changes and not confirm:
        raise NeedsConfirmation(
            f"文件会修改 {len(changes)} 条已有监测数据，请确认后再导入", changes)

    batch = ImportBatch(filename=filename, sha256=sha256, source=source,
                        rows=len(new_rows) + len(changed), created_by=principal.label)
    session.add(batch)
    session.flush()
    if new_rows:
        session.execute(insert(Reading), [{**r, "batch_id": batch.id} for r in new_rows])
    for old, value, below_dl, dl, _row in changed:  # few rows; audited one by one
        old.value, old.below_dl, old.detection_limit = value, below_dl, dl
        old.batch_id, old.source = batch.id, source
    session.flush()
    return ImportResult(batch.id, added=len(new_rows), updated=len(changed),
                        unchanged=unchanged, changes=changes)


class _Row(NamedTuple):
    section_id: int
    at: datetime
    item: str
    value: float | None
    below_dl: bool
    detection_limit: float | None
    row: int


def _existing(session: Session, rows: list[_Row]) -> dict[tuple[int, datetime, str], Reading]:
    """Stored readings with the same (section, time, item) keys, looked up in chunks."""
    found: dict[tuple[int, datetime, str], Reading] = {}
    keys = [(r.section_id, r.at, r.item) for r in rows]
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        query = select(Reading).where(
            tuple_(Reading.section_id, Reading.measured_at, Reading.item).in_(chunk))
        for reading in session.scalars(query):
            found[(reading.section_id, reading.measured_at, reading.item)] = reading
    return found


def import_file(session: Session, principal: Principal, path: Path, *, source: str = "manual",
                year: int | None = None, confirm: bool = False,
                filename: str | None = None) -> ImportResult:
    frame = read_file(path, year)
    return import_frame(session, principal, frame, filename=filename or path.name,
                        sha256=file_sha256(path), source=source, confirm=confirm)


def readings_frame(session: Session, section_ids: list[int] | None = None,
                   start: date | None = None, end: date | None = None,
                   key: str = "code") -> pl.DataFrame:
    """Stored readings as the engine's long frame, local (Asia/Shanghai) naive times.
    ``key`` chooses what names a section: its ``code`` or its ``name`` (agreements use
    names such as 金鱼石). Cached per readings version (see readings_cache): treat the frame
    as read-only."""
    if section_ids is None:
        section_ids = list(session.scalars(select(Section.id).order_by(Section.id)))
    frames = readings_cache.per_section(
        session, ("frame", start, end, key), section_ids,
        lambda i: _readings_frame(session, (i,), start, end, key))
    if not frames:
        return pl.DataFrame(schema=_FRAME_SCHEMA)
    return pl.concat(list(frames.values()), how="vertical")


_FRAME_SCHEMA: dict[str, Any] = {
    "section": pl.String, "water_body": pl.String, "time": pl.Datetime("us"), "item": pl.String,
    "value": pl.Float64, "below_dl": pl.Boolean, "detection_limit": pl.Float64}


def _readings_frame(session: Session, section_ids: tuple[int, ...],
                    start: date | None, end: date | None, key: str) -> pl.DataFrame:
    label = Section.name if key == "name" else Section.code
    # The times come as stored, in UTC, and are converted in one vectorised step (per-row
    # datetime objects cost most of the time at 50,000 readings): SQLite stores the text
    # "YYYY-MM-DD HH:MM:SS.ffffff", PostgreSQL is asked for the UTC wall time.
    sqlite = session.get_bind().dialect.name == "sqlite"
    stored = (type_coerce(Reading.measured_at, String()) if sqlite
              else func.timezone("UTC", Reading.measured_at, type_=DateTime()))
    query = (select(label, Section.water_body, stored, Reading.item,
                    Reading.value, Reading.below_dl, Reading.detection_limit)
             .join(Section, Section.id == Reading.section_id)
             .where(Reading.section_id.in_(section_ids)))
    if start is not None:
        query = query.where(Reading.measured_at >= datetime(start.year, start.month, start.day,
                                                            tzinfo=SHANGHAI))
    if end is not None:
        query = query.where(Reading.measured_at < datetime(end.year, end.month, end.day,
                                                           tzinfo=SHANGHAI))
    rows = session.execute(query).all()
    schema = {**_FRAME_SCHEMA, "time": pl.String if sqlite else pl.Datetime("us")}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    utc = (pl.col("time").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us") if sqlite
           else pl.col("time"))
    local = utc.dt.replace_time_zone("UTC").dt.convert_time_zone(SHANGHAI.key)
    return frame.with_columns(local.dt.replace_time_zone(None).alias("time"))


def push_frame(pushed: list[dict[str, object]]) -> pl.DataFrame:
    """Validate readings pushed by an automatic station into the long frame; every bad field
    is listed (row = 1-based position in the list)."""
    from coopzone.engines.water_quality import parse_value
    from coopzone.engines.water_quality_gb3838 import ITEM_ALIASES

    errors: list[RowError] = []
    out: dict[str, list[object]] = {k: [] for k in ("section", "time", "item", "value",
                                                    "below_dl", "detection_limit", "row")}
    seen: dict[tuple[object, object, object], int] = {}
    for n, entry in enumerate(pushed, start=1):
        problems = len(errors)
        section = str(entry.get("section") or "").strip()
        if not section:
            errors.append(RowError(n, "section", "missing"))
        item = ITEM_ALIASES.get(str(entry.get("item") or "").strip().lower()) or \
            ITEM_ALIASES.get(str(entry.get("item") or "").strip())
        if item is None:
            errors.append(RowError(n, "item", f"unknown item {entry.get('item')!r}"))
        at = _push_time(entry.get("time"), n, errors)
        try:
            raw = entry.get("value")
            value, below_dl, dl = parse_value(raw if isinstance(raw, str | int | float) else None)
        except ValueError as exc:
            errors.append(RowError(n, "value", str(exc)))
            value, below_dl, dl = None, False, None
        if value is None and not below_dl and len(errors) == problems:
            errors.append(RowError(n, "value", "missing value"))
        if value is not None and value < 0 and item != "temperature":
            errors.append(RowError(n, "value", "negative concentration"))
        key = (section, at, item)
        if len(errors) == problems and key in seen:
            errors.append(RowError(n, "time", f"same section, time and item as row {seen[key]}"))
        seen.setdefault(key, n)
        for name, v in zip(out, (section, at, item, value, below_dl, dl, n), strict=True):
            out[name].append(v)
    if errors:
        raise InvalidInput(f"推送的数据有 {len(errors)} 处错误，全部未写入", errors)
    return pl.DataFrame(out, schema={"section": pl.String, "time": pl.Datetime("us"),
                                     "item": pl.String, "value": pl.Float64,
                                     "below_dl": pl.Boolean, "detection_limit": pl.Float64,
                                     "row": pl.Int64})


def _push_time(raw: object, n: int, errors: list[RowError]) -> datetime | None:
    """ISO 8601 time; with an offset it is converted to Asia/Shanghai, without it is taken
    as Asia/Shanghai local time."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        errors.append(RowError(n, "time", f"not an ISO 8601 time: {raw!r}"))
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.replace(tzinfo=None)


def push_sha256(source: str, pushed: list[dict[str, object]]) -> str:
    """A push is identified by its content, so a station re-sending the same batch adds
    nothing."""
    import json

    canonical = json.dumps([source, pushed], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
