"""Monitoring readings: import files and station pushes (all or nothing, idempotent), and
load stored readings for the water-quality engine.

Every reading is checked before anything is written: a finite value within its item's
plausible range, a real Asia/Shanghai time within the platform's window (not before the
earliest year or the section's start, not more than a tolerance after the platform's
clock), see :mod:`coopzone.ecology.plausibility`. Reasons are Chinese unless the caller
passes an English locale.

Before that, :func:`import_frame` (the one service every write path uses) checks who writes:
only the body monitoring each section (:mod:`coopzone.ecology.monitoring`). A hand-entered
batch at a section deciding money awaits review, and the loaders here return only counted
readings (not those of a batch ``entered`` or ``returned``)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl
from sqlalchemy import DateTime, String, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.db import SHANGHAI, now
from coopzone.ecology import monitoring, readings_cache
from coopzone.ecology.models import ImportBatch, Reading, Section
from coopzone.ecology.plausibility import (
    NON_FINITE_TEXT,
    ReadingWindow,
    bounds_columns,
    bounds_reason,
    english,
    local_time_reason,
    local_time_suspect,
    number_text,
    out_of_bounds,
    say,
    value_reason,
    window_problems,
)
from coopzone.ecology.water_files import FileRejected, read_water_file
from coopzone.engines.water_quality_gb3838 import ITEM_BY_CODE
from coopzone.errors import InvalidInput, NeedsConfirmation, RowError
from coopzone.kit.times import EARLIEST_YEAR, LATEST_YEAR, LocalTimeError, localize

if TYPE_CHECKING:
    from coopzone.config import Settings
from coopzone.kit.uploads import UNLIMITED, Limits

SOURCES = ("auto", "manual")
log = logging.getLogger(__name__)


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


def reading_window(settings: Settings, sections: Iterable[Section] = ()) -> ReadingWindow:
    """When readings may be dated, by the platform's settings and clock: from
    ``readings_earliest_year`` (or a section's ``started_on``) to
    ``readings_future_tolerance_hours`` after now. With ``as_of`` set (a replay of a past
    state) the platform's now is the end of that day."""
    clock = now() if settings.as_of is None else datetime.combine(
        settings.as_of, time(23, 59, 59), SHANGHAI)
    return ReadingWindow(clock, settings.readings_earliest_year,
                         timedelta(hours=settings.readings_future_tolerance_hours),
                         reading_window_starts(sections))


def _default_window(sections: Iterable[Section] = ()) -> ReadingWindow:
    from coopzone.config import get_settings

    return reading_window(get_settings(), sections)


def read_file(path: Path, year: int | None = None, limits: Limits = UNLIMITED,
              label: str | None = None, *, locale: str | None = None,
              window: ReadingWindow | None = None) -> pl.DataFrame:
    """Read a bureau's file; a bad file becomes InvalidInput with every row and column.
    ``limits`` bound an uploaded file (rows, unzipped size); ``label`` names it."""
    try:
        return read_water_file(path, year=year, limits=limits, locale=locale, window=window)
    except FileRejected as exc:
        name, count = label or path.name, len(exc.errors)
        raise InvalidInput(
            say(locale, f"文件 {name} 有 {count} 处错误，整个文件未导入",
                f"The file {name} has {count} problem(s): nothing was imported"),
            [RowError(row, column, reason) for row, column, reason in exc.errors],
            detail=f"file {path.name}: {len(exc.errors)} problem(s), nothing imported",
        ) from None


def _sections_by_key(session: Session) -> dict[str, Section]:
    sections = list(session.scalars(select(Section)))
    return {**{s.name: s for s in sections}, **{s.code: s for s in sections}}


def _resolve_sections(session: Session, frame: pl.DataFrame,
                      locale: str | None = None) -> dict[str, Section]:
    known = _sections_by_key(session)
    unknown = (frame.filter(~pl.col("section").is_in(list(known)))
               .group_by("section").agg(pl.col("row").min()).sort("row"))
    if unknown.height:
        raise InvalidInput("文件中有未登记的断面，整个文件未导入", [
            RowError(int(row), "section", say(locale, f"未登记的断面「{name}」：请先登记",
                                              f"unknown section {name!r}: register it first"))
            for name, row in unknown.iter_rows()])
    return {name: known[name] for name in frame["section"].unique().to_list()}


def _check_readings(frame: pl.DataFrame, window: ReadingWindow,
                    locale: str | None) -> pl.DataFrame:
    """Refuse the whole frame (InvalidInput, nothing written) if any reading is implausible:
    a non-finite value or one outside its item's bounds, a time that is not a real
    Asia/Shanghai wall-clock time, or one outside ``window``. The file reader and the push
    parser check the same first with the user's own column names; this is the service's
    own gate for every frame. ``time`` is naive local time (files) or aware (pushes).
    Returns the frame with aware times."""
    dtype = frame.schema["time"]
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        at = pl.col("time").dt.convert_time_zone("Asia/Shanghai")
        local = frame.with_columns(at.alias("_at"), at.dt.replace_time_zone(None).alias("time"))
        suspect_expr = ~pl.col("time").dt.year().is_between(EARLIEST_YEAR, LATEST_YEAR)
    else:
        local = frame.with_columns(
            pl.col("time").dt.replace_time_zone("Asia/Shanghai", ambiguous="null",
                                                non_existent="null").alias("_at"))
        suspect_expr = local_time_suspect(pl.col("time"))
    value = pl.col("value")
    non_finite = value.is_not_null() & ~value.is_finite()
    # The flags in one pass; the reasons are formatted only when some row is refused.
    columns = [*local.columns, "_local_bad"]
    local = (local.lazy().with_columns(suspect_expr.alias("_local_bad"),
                                       *bounds_columns(pl.col("item")))
             .with_columns((non_finite | out_of_bounds(value)).alias("_bad_value"))
             .collect())
    flags = local.select(pl.col("_local_bad").any(), pl.col("_bad_value").any()).row(0)
    errors: list[RowError] = []
    if flags[0]:
        suspect = local.filter(pl.col("_local_bad"))
        for row, moment in suspect.select("row", "time").iter_rows():
            errors.append(RowError(int(row), "time", local_time_reason(moment, locale) or ""))
    if flags[1]:
        reason = (pl.when(non_finite)
                  .then(pl.format(say(locale, "不是有限数字：{}", "not a finite number: {}"),
                                  value.cast(pl.String)))
                  .otherwise(bounds_reason(value, value.cast(pl.String), locale)))
        errors += [RowError(int(r), "value", str(m)) for r, m in
                   local.filter(pl.col("_bad_value")).select("row", reason).iter_rows()]
    local = local.select(columns)
    dated = local.filter(~pl.col("_local_bad")) if flags[0] else local
    errors += [RowError(int(r), str(c), str(m)) for r, c, m in
               window_problems(dated, window, pl.lit("time"), locale).iter_rows()]
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise InvalidInput(f"有 {len(errors)} 条监测数据不合理，全部未写入", errors,
                           detail=f"{len(errors)} implausible reading(s), nothing written")
    return local.with_columns(pl.col("_at").alias("time")).drop("_at", "_local_bad")


def _same(old: Reading, value: float | None, below_dl: bool) -> bool:
    if old.below_dl != below_dl:
        return False
    if old.value is None or value is None:
        return old.value is value
    return abs(old.value - value) <= 1e-12 * max(1.0, abs(value))


def _fmt(value: float | None, below_dl: bool) -> str:
    return "--" if value is None else f"{value:g}{'L' if below_dl else ''}"


def change_reason(old: Reading, value: float | None, below_dl: bool,
                  locale: str | None) -> str:
    """Why a row would change a stored reading, in the reader's language: "2025-09-05 08:00
    已存 0.2，文件为 0.3" (English: "… stored 0.2, file has 0.3"); the item is the row
    error's column (its code, named by :func:`item_label`)."""
    at = f"{old.measured_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
    was, new = _fmt(old.value, old.below_dl), _fmt(value, below_dl)
    return say(locale, f"{at} 已存 {was}，文件为 {new}", f"{at} stored {was}, file has {new}")


def item_label(code: str | None, locale: str | None) -> str:
    """An item as the pages name it (总磷 for ``tp``); its code in English or if unknown."""
    if not code:
        return ""
    spec = ITEM_BY_CODE.get(code)
    return code if spec is None or english(locale) else spec.name_zh


def import_frame(session: Session, principal: Principal, frame: pl.DataFrame, *,
                 filename: str, sha256: str, source: str = "manual",
                 confirm: bool = False, window: ReadingWindow | None = None,
                 locale: str | None = None, preview: bool = False) -> ImportResult:
    """Store long readings (the water_files schema, naive Asia/Shanghai times) as one batch.

    ``preview``: every check is made and the result (added, updated, unchanged and every
    change) returned, but nothing is written (``batch_id`` None): the first step of
    preview → confirm, whose second step imports the staged file with ``confirm``.

    The same content twice adds nothing. Every reading must be plausible (finite, within
    its item's bounds, dated inside ``window`` — by default the platform's settings — and
    after its section's start), else the whole frame is refused. Values that differ from
    stored ones are refused with every change listed (NeedsConfirmation) unless ``confirm``
    is set. Nothing is written unless everything is accepted.
    """
    if source not in SOURCES:
        raise InvalidInput("来源必须为 auto 或 manual", [RowError(None, "source", source)])
    # Rights first: a file already imported is answered as a duplicate only to those who
    # may write its sections.
    sections = _resolve_sections(session, frame, locale)
    # Who monitors each section (ecology/monitoring.py): refused before anything is written.
    feed = monitoring.check_writers(principal, sections.values())
    old_batch = session.scalar(select(ImportBatch).where(ImportBatch.sha256 == sha256))
    if old_batch is not None:
        return ImportResult(old_batch.id, unchanged=frame.height, duplicate_file=True)
    window = window or _default_window()
    starts = {**window.starts, **reading_window_starts(sections.values())}
    frame = _check_readings(frame, dataclasses.replace(window, starts=starts), locale)

    rows = [
        # Keys in UTC: aware times in one zone compare by wall clock, ignoring DST folds.
        _Row(sections[r["section"]].id, r["time"].astimezone(UTC), r["item"], r["value"],
             r["below_dl"], r["detection_limit"], r["row"])
        for r in frame.iter_rows(named=True)
    ]
    existing = _existing(session, rows)
    # Readings of a batch returned by its reviewer are replaced by the corrected file
    # without asking, and those it repeats move to the new batch (to be reviewed again).
    returned = _returned_batches(session, existing.values())
    new_rows, changed, unchanged, moved = [], [], 0, []
    corrected: list[tuple[Reading, float | None, bool, float | None, int]] = []
    for section_id, at, item, value, below_dl, dl, row in rows:
        old = existing.get((section_id, at, item))
        if old is None:
            new_rows.append({"section_id": section_id, "measured_at": at, "item": item,
                             "value": value, "below_dl": below_dl, "detection_limit": dl,
                             "source": source})
        elif _same(old, value, below_dl):
            unchanged += 1
            if old.batch_id in returned:
                moved.append(old)
        elif old.batch_id in returned:
            corrected.append((old, value, below_dl, dl, row))
        else:
            changed.append((old, value, below_dl, dl, row))
    changes = [RowError(row, old.item, change_reason(old, value, below_dl, locale))
               for old, value, below_dl, _dl, row in changed]
    if preview:
        return ImportResult(None, added=len(new_rows), updated=len(changed) + len(corrected),
                            unchanged=unchanged, changes=changes)
    if changes and not confirm:
        raise NeedsConfirmation(
            f"文件会修改 {len(changes)} 条已有监测数据，请确认后再导入", changes)

    state, parties = monitoring.review_state_for(session, list(sections.values()), feed)
    batch = ImportBatch(filename=filename, sha256=sha256, source=source,
                        rows=len(new_rows) + len(changed) + len(corrected),
                        created_by=principal.label, review_state=state, review_parties=parties)
    session.add(batch)
    session.flush()
    if state == monitoring.ENTERED:
        monitoring.record_entered(session, batch, principal)
    if new_rows:
        session.execute(insert(Reading), [{**r, "batch_id": batch.id} for r in new_rows])
    for old, value, below_dl, dl, _row in [*changed, *corrected]:  # few rows; audited
        old.value, old.below_dl, old.detection_limit = value, below_dl, dl
        old.batch_id, old.source = batch.id, source
    for old in moved:
        old.batch_id = batch.id
    session.flush()
    return ImportResult(batch.id, added=len(new_rows), updated=len(changed) + len(corrected),
                        unchanged=unchanged, changes=changes)


def _returned_batches(session: Session, olds: Iterable[Reading]) -> set[int]:
    ids = {r.batch_id for r in olds if r.batch_id is not None}
    if not ids:
        return set()
    return set(session.scalars(select(ImportBatch.id).where(
        ImportBatch.id.in_(ids), ImportBatch.review_state == monitoring.RETURNED)))


def reading_window_starts(sections: Iterable[Section]) -> dict[str, date]:
    """Each section's first day by name and by code (sections without one are left out)."""
    out: dict[str, date] = {}
    for s in sections:
        if s.started_on is not None:
            out[s.name] = out[s.code] = s.started_on
    return out


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
    by_section: dict[int, list[tuple[int, datetime, str]]] = {}
    for r in rows:
        by_section.setdefault(r.section_id, []).append((r.section_id, r.at, r.item))
    for section_id, keys in sorted(by_section.items()):
        for start in range(0, len(keys), 500):
            chunk = set(keys[start:start + 500])
            # One section, and an IN list of times and of items: both databases look each
            # combination up in the unique (section, time, item) index (SQLite scans the
            # whole table for a row-value IN list); combinations that are not keys of the
            # chunk are dropped.
            query = select(Reading).where(
                Reading.section_id == section_id,
                Reading.measured_at.in_(sorted({k[1] for k in chunk})),
                Reading.item.in_(sorted({k[2] for k in chunk})))
            for reading in session.scalars(query):
                key = (reading.section_id, reading.measured_at.astimezone(UTC), reading.item)
                if key in chunk:
                    found[key] = reading
    return found


def import_file(session: Session, principal: Principal, path: Path, *, source: str = "manual",
                year: int | None = None, confirm: bool = False,
                filename: str | None = None, limits: Limits = UNLIMITED,
                locale: str | None = None, settings: Settings | None = None,
                preview: bool = False) -> ImportResult:
    """Read and store one file (see :func:`import_frame`; ``preview``: check only, write
    nothing); ``settings`` give the window (default: the platform's settings), ``locale``
    the language of the reasons."""
    sections = list(_sections_by_key(session).values())
    window = _default_window(sections) if settings is None else reading_window(settings, sections)
    frame = read_file(path, year, limits, filename, locale=locale, window=window)
    return import_frame(session, principal, frame, filename=filename or path.name,
                        sha256=file_sha256(path), source=source, confirm=confirm,
                        window=window, locale=locale, preview=preview)


@dataclass(frozen=True)
class StoredReadings:
    """Stored readings as the engine's frame, and how many were left out of it because
    their value or detection limit is not a finite number (stored before values were
    checked): an ∞ would make its month 劣V, a NaN would poison every mean, and neither
    can be drawn."""

    frame: pl.DataFrame
    skipped: int


def readings_frame(session: Session, section_ids: list[int] | None = None,
                   start: date | None = None, end: date | None = None,
                   key: str = "code") -> pl.DataFrame:
    """Stored readings as the engine's long frame, local (Asia/Shanghai) naive times.
    ``key`` chooses what names a section: its ``code`` or its ``name`` (agreements use
    names such as 金鱼石). Non-finite values are left out (see :class:`StoredReadings`).
    Cached per readings version (see readings_cache): treat the frame as read-only."""
    return stored_readings(session, section_ids, start, end, key).frame


def stored_readings(session: Session, section_ids: list[int] | None = None,
                    start: date | None = None, end: date | None = None,
                    key: str = "code") -> StoredReadings:
    """:func:`readings_frame` with the count of non-finite stored values it left out."""
    if section_ids is None:
        section_ids = list(session.scalars(select(Section.id).order_by(Section.id)))
    parts = section_frames(session, section_ids, start, end, key)
    if not parts:
        return StoredReadings(pl.DataFrame(schema=_FRAME_SCHEMA), 0)
    return StoredReadings(pl.concat([p.value.frame for p in parts.values()], how="vertical"),
                          sum(p.value.skipped for p in parts.values()))


def section_frames(session: Session, section_ids: Iterable[int], start: date | None = None,
                   end: date | None = None, key: str = "code"
                   ) -> dict[int, readings_cache.Grown[StoredReadings]]:
    """Each section's stored readings (see :func:`stored_readings`) as a cache entry: a
    station push appends its readings to the cached frame (rows are only ever added at the
    end while the entry grows; its ``lineage`` changes when it is read again whole)."""
    def build(i: int) -> tuple[StoredReadings, int | None]:
        frame, newest = _readings_frame(session, (i,), start, end, key)
        return _finite_only(frame), newest

    def grow(i: int, old: readings_cache.Grown[StoredReadings]
             ) -> tuple[StoredReadings, int | None] | None:
        if old.mark is None:
            return None  # nothing was stored: read it whole
        frame, newest = _readings_frame(session, (i,), start, end, key, after_id=old.mark)
        if frame.height == 0:
            return old.value, old.mark
        added = _finite_only(frame)
        return (StoredReadings(pl.concat([old.value.frame, added.frame], how="vertical"),
                               old.value.skipped + added.skipped), newest)

    return readings_cache.per_section_grown(session, ("frame", start, end, key), section_ids,
                                            build, grow)


def periods_of(frame: pl.DataFrame, period: str) -> list[str]:
    """The periods ("2019-07" a month, "2019" a year) that ``frame``'s readings fall in."""
    fmt = {"month": "%Y-%m", "year": "%Y"}[period]
    return sorted({t.strftime(fmt) for t in frame["time"].to_list()})


def in_periods(labels: Iterable[str]) -> pl.Expr:
    """Readings (local naive ``time``) in any of these months ("2019-07") or years ("2019"),
    as time ranges (cheaper on a long frame than formatting every time)."""
    ranges = []
    for label in labels:
        year, month = int(label[:4]), (int(label[5:7]) if len(label) > 4 else 0)
        lo = datetime(year, month or 1, 1)
        hi = (datetime(year + 1, 1, 1) if not month or month == 12
              else datetime(year, month + 1, 1))
        ranges.append(pl.col("time").is_between(lo, hi, closed="left"))
    return pl.any_horizontal(ranges) if ranges else pl.lit(False)


_FRAME_SCHEMA: dict[str, Any] = {
    "section": pl.String, "water_body": pl.String, "time": pl.Datetime("us"), "item": pl.String,
    "value": pl.Float64, "below_dl": pl.Boolean, "detection_limit": pl.Float64}


def _finite_only(frame: pl.DataFrame) -> StoredReadings:
    """Leave out (and log) readings whose value or detection limit is not finite."""
    finite = ((pl.col("value").is_null() | pl.col("value").is_finite())
              & (pl.col("detection_limit").is_null() | pl.col("detection_limit").is_finite()))
    kept = frame.filter(finite)
    skipped = frame.height - kept.height
    if skipped:
        bad = frame.filter(~finite).select("section", "time", "item").head(5).rows()
        log.warning("%d stored reading(s) are not finite numbers and were left out, e.g. %s",
                    skipped, bad)
    return StoredReadings(kept, skipped)


def _readings_frame(session: Session, section_ids: tuple[int, ...],
                    start: date | None, end: date | None, key: str,
                    after_id: int | None = None) -> tuple[pl.DataFrame, int | None]:
    """The frame of the sections' readings (those with ids above ``after_id`` only, when
    given) and the newest reading id in it (``after_id`` if none)."""
    label = Section.name if key == "name" else Section.code
    # The times come as stored, in UTC, and are converted in one vectorised step (per-row
    # datetime objects cost most of the time at 50,000 readings): SQLite stores the text
    # "YYYY-MM-DD HH:MM:SS.ffffff", PostgreSQL is asked for the UTC wall time.
    sqlite = session.get_bind().dialect.name == "sqlite"
    stored = (type_coerce(Reading.measured_at, String()) if sqlite
              else func.timezone("UTC", Reading.measured_at, type_=DateTime()))
    query = (select(label, Section.water_body, stored, Reading.item,
                    Reading.value, Reading.below_dl, Reading.detection_limit, Reading.id)
             .join(Section, Section.id == Reading.section_id)
             # Only counted readings: not those of a batch awaiting review (monitoring.py).
             .outerjoin(ImportBatch, ImportBatch.id == Reading.batch_id)
             .where(Reading.section_id.in_(section_ids), monitoring.counted_clause()))
    if after_id is not None:
        query = query.where(Reading.id > after_id)
    if start is not None:
        query = query.where(Reading.measured_at >= datetime(start.year, start.month, start.day,
                                                            tzinfo=SHANGHAI))
    if end is not None:
        query = query.where(Reading.measured_at < datetime(end.year, end.month, end.day,
                                                           tzinfo=SHANGHAI))
    rows = session.execute(query).all()
    schema = {**_FRAME_SCHEMA, "time": pl.String if sqlite else pl.Datetime("us"),
              "id": pl.Int64}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    newest = frame["id"].max() if frame.height else after_id
    frame = frame.drop("id")
    utc = (pl.col("time").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us") if sqlite
           else pl.col("time"))
    local = utc.dt.replace_time_zone("UTC").dt.convert_time_zone(SHANGHAI.key)
    return (frame.with_columns(local.dt.replace_time_zone(None).alias("time")),
            int(newest) if newest is not None else None)  # type: ignore[arg-type]


def push_frame(pushed: list[dict[str, object]], locale: str | None = None) -> pl.DataFrame:
    """Validate readings pushed by an automatic station into the long frame; every bad field
    is listed (row = 1-based position in the list). Values must be finite numbers within
    the item's plausible range; times real Asia/Shanghai times (the window is checked by
    :func:`import_frame`)."""
    from coopzone.engines.water_quality_gb3838 import ITEM_ALIASES

    errors: list[RowError] = []
    out: dict[str, list[object]] = {k: [] for k in ("section", "time", "item", "value",
                                                    "below_dl", "detection_limit", "row")}
    seen: dict[tuple[object, object, object], int] = {}
    for n, entry in enumerate(pushed, start=1):
        problems = len(errors)
        section = str(entry.get("section") or "").strip()
        if not section:
            errors.append(RowError(n, "section", say(locale, "断面为空", "missing")))
        item_text = str(entry.get("item") or "").strip()
        item = ITEM_ALIASES.get(item_text.lower()) or ITEM_ALIASES.get(item_text)
        if item is None:
            errors.append(RowError(n, "item", say(locale, f"未知项目：{item_text}",
                                                  f"unknown item {entry.get('item')!r}")))
        at = _push_time(entry.get("time"), n, errors, locale)
        value, below_dl, dl = _push_value(entry.get("value"), item, n, errors, locale)
        key = (section, at.astimezone(UTC) if at is not None else None, item)
        if len(errors) == problems and key in seen:
            errors.append(RowError(n, "time", say(
                locale, f"与第 {seen[key]} 条的断面、时间和项目相同",
                f"same section, time and item as row {seen[key]}")))
        seen.setdefault(key, n)
        for name, v in zip(out, (section, at, item, value, below_dl, dl, n), strict=True):
            out[name].append(v)
    if errors:
        raise InvalidInput(f"推送的数据有 {len(errors)} 处错误，全部未写入", errors,
                           detail=f"{len(errors)} problem(s) in the push, nothing written")
    return pl.DataFrame(out, schema={"section": pl.String,
                                     "time": pl.Datetime("us", "Asia/Shanghai"),
                                     "item": pl.String, "value": pl.Float64,
                                     "below_dl": pl.Boolean, "detection_limit": pl.Float64,
                                     "row": pl.Int64})


def _push_value(raw: object, item: str | None, n: int, errors: list[RowError],
                locale: str | None) -> tuple[float | None, bool, float | None]:
    """(value, below_dl, detection_limit) of one pushed value, or an error appended."""
    import re

    from coopzone.engines.water_quality import parse_value

    def refuse(zh: str, en: str) -> tuple[None, bool, None]:
        errors.append(RowError(n, "value", say(locale, zh, en)))
        return None, False, None

    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return refuse(f"不是数字：{raw!r}", f"not a number: {raw!r}")
    if isinstance(raw, int):
        try:
            raw = float(raw)
        except OverflowError:
            text = f"{str(raw)[:12]}…"
            return refuse(f"不是有限数字：{text}", f"not a finite number: {text}")
    if isinstance(raw, float):
        # A JSON Infinity/NaN literal, or 1e309 which JSON parsers read as +inf.
        text = number_text(raw)
        if not math.isfinite(raw):
            return refuse(f"不是有限数字：{text}", f"not a finite number: {text}")
    else:
        text = raw
        if re.match(NON_FINITE_TEXT, raw.strip()) or _is_overflow(raw):
            return refuse(f"不是有限数字：{text}", f"not a finite number: {text}")
    try:
        value, below_dl, dl = parse_value(raw)
    except ValueError as exc:
        if "detection limit" in str(exc):
            return refuse(f"检出限必须大于 0：{text}", f"detection limit must be positive: {text}")
        return refuse(f"不是数字：{text}", f"not a number: {text}")
    if value is None and below_dl:  # a bare ND, as the file reader refuses it
        return refuse("低于检出限但未给出检出限，请写成 ND(0.002)",
                      "below detection limit without the limit, write ND(0.002)")
    if value is None:
        return refuse("缺少数值", "missing value")
    if item is not None:
        reason = value_reason(item, value, text, locale)
        if reason is not None:
            errors.append(RowError(n, "value", reason))
            return None, False, None
    return value, below_dl, dl


def _is_overflow(text: str) -> bool:
    """Whether ``text`` (``1e309``, ``1e309L``, ``<1e309``) is a number too large for a float."""
    import unicodedata

    s = unicodedata.normalize("NFKC", text).strip().upper()
    s = s.removeprefix("ND(").removeprefix("<").removesuffix(")").removesuffix("L")
    try:
        return not math.isfinite(float(s))
    except ValueError:
        return False


def _push_time(raw: object, n: int, errors: list[RowError],
               locale: str | None = None) -> datetime | None:
    """ISO 8601 time; with an offset it is converted to Asia/Shanghai, without it is read as
    Asia/Shanghai wall-clock time (refused in a daylight-saving gap or fold, and outside the
    years 1900–2199). Returns the aware time (a time in the autumn hour that happened twice
    stays unambiguous when it carries its offset)."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        errors.append(RowError(n, "time", say(locale, f"不是 ISO 8601 时间：{raw}",
                                              f"not an ISO 8601 time: {raw!r}")))
        return None
    try:
        aware = localize(moment)
    except LocalTimeError as exc:
        errors.append(RowError(n, "time", say(locale, exc.zh, exc.en)))
        return None
    return aware


def push_sha256(source: str, pushed: list[dict[str, object]]) -> str:
    """A push is identified by its content, so a station re-sending the same batch adds
    nothing."""
    import json

    canonical = json.dumps([source, pushed], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
