"""The summary the case statistics read (:func:`case_statistics`), so that they answer in
milliseconds at 1,000,000 cases over years instead of reading every case.

A row of :class:`CaseSummary` holds, for the cases of one group, the sums the statistics
need: cases, decided (``decided_on`` set), timed (``on_time`` set), on time, and the sum and
count of ``working_days_used``. A group is

* a ``dim`` and its ``group_key``: ``base`` ('' : the month and place groupings read it),
  ``mode`` (the mode's code), ``window`` (the window's id, '' for none), ``item`` (its id);
* a ``grain`` and ``period``: ``m`` the month of application (``YYYY-MM``), ``y`` its year
  (``YYYY``), ``a`` all time (``*``) — a range of months is read as its partial years' months
  and its whole years, and no range as one ``a`` slice, so five years read no more rows than
  one;
* the collecting and handling place codes, exactly as stored on the cases: the reads are
  scoped by the principal's places on these two columns with the very condition that scopes
  the cases (:func:`permissions.read_filter`), so every principal sees the sums of exactly
  the cases they may read.

Each case adds to 12 rows (4 dims × 3 grains). The rows move in the transaction of every write:
session events see each Case the unit of work inserts, deletes or changes in a counted field
(item, mode, window, places, month of application, decided_on, on_time, working days), whoever
makes it (create_case, move_case, a ledger import, tests): before the flush the rows' stored
values are subtracted, after it the new values added, both read back with SQL from the cases
themselves (so an attribute that was never loaded is still right). A step that is refused
writes nothing, so moves nothing. Bulk INSERT/UPDATE statements bypass the unit of work: their
writer calls :func:`add_cases` (the demo's bulk insert) or :func:`rebuild` (the benchmark).
``coopzone services statistics check`` / ``rebuild`` compare and rebuild from the cases.

On PostgreSQL the additions are ``INSERT … ON CONFLICT DO UPDATE`` in key order (two writers
wait for each other's row, never in opposite orders within one flush).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    delete,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql.schema import Table

from coopzone.accounts.service import Principal
from coopzone.gov_services.models import (
    MODE_LABELS,
    SUMMARY_DIMS,
    SUMMARY_GRAINS,
    Case,
    CaseSummary,
    Item,
    Window,
)
from coopzone.gov_services.service.permissions import read_filter
from coopzone.places.models import Place

# The fields of a case the statistics count; a change to any of them moves the summary.
COUNTED = ("item_id", "mode", "window_id", "collect_place_code", "handling_place_code",
           "applied_month", "decided_on", "on_time", "working_days_used")
MEASURES = ("cases", "decided", "timed", "on_time", "days_sum", "days_count")
KEY = ("dim", "grain", "period", "group_key", "collect_place_code", "handling_place_code")
CHUNK = 500
_SUBTRACTED = "coopzone_case_summary_subtracted"
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def cast_table(table: object) -> Table:
    assert isinstance(table, Table)
    return table


_T = cast_table(CaseSummary.__table__)
_C = Case.__table__.c


# ---- the sums of some cases -------------------------------------------------------------------


def _measures() -> list[ColumnElement[Any]]:
    return [func.count(), func.count(_C.decided_on), func.count(_C.on_time),
            func.coalesce(func.sum(case((_C.on_time.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(_C.working_days_used), 0), func.count(_C.working_days_used)]


_DIMS = (_C.item_id, _C.mode, _C.window_id, _C.collect_place_code, _C.handling_place_code,
         _C.applied_month)


def _deltas(session: Session, ids: Sequence[int], sign: int,
            into: dict[tuple[str, ...], list[int]]) -> None:
    """Add ``sign`` × the sums of the cases ``ids`` (as stored now) to the rows ``into``."""
    for start in range(0, len(ids), CHUNK):
        query = (select(*_DIMS, *_measures()).where(_C.id.in_(ids[start:start + CHUNK]))
                 .group_by(*_DIMS))
        for item_id, mode, window_id, collect, handling, month, *sums in session.execute(query):
            keys = {"base": "", "mode": mode, "window": "" if window_id is None
                    else str(window_id), "item": str(item_id)}
            for dim in SUMMARY_DIMS:
                for grain, period in (("m", month), ("y", month[:4]), ("a", "*")):
                    row = into.setdefault((dim, grain, period, keys[dim], collect or "",
                                           handling), [0] * len(MEASURES))
                    for i, value in enumerate(sums):
                        row[i] += sign * int(value)


def _upsert(session: Session, rows: dict[tuple[str, ...], list[int]]) -> None:
    values = [dict(zip(KEY, k, strict=True)) | dict(zip(MEASURES, v, strict=True))
              for k, v in sorted(rows.items()) if any(v)]
    if not values:
        return
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(_T)
    stmt = stmt.on_conflict_do_update(index_elements=list(KEY), set_={
        m: _T.c[m] + stmt.excluded[m] for m in MEASURES})
    session.execute(stmt, values)


def add_cases(session: Session, ids: Iterable[int]) -> None:
    """Count cases written by a bulk INSERT (which the session events do not see)."""
    rows: dict[tuple[str, ...], list[int]] = {}
    _deltas(session, sorted(ids), 1, rows)
    _upsert(session, rows)


# ---- the session events -----------------------------------------------------------------------


def _changed(obj: object) -> bool:
    state = inspect(obj)
    return any(state.attrs[k].history.has_changes() for k in COUNTED)


def _id(obj: object) -> int:
    return int(inspect(obj).identity[0])  # without loading an expired instance


def _before_flush(session: Session, ctx: UOWTransaction, _objects: Any) -> None:
    dirty = [_id(o) for o in session.dirty if isinstance(o, Case) and _changed(o)]
    gone = [_id(o) for o in session.deleted if isinstance(o, Case)]
    if not dirty and not gone:
        return
    rows: dict[tuple[str, ...], list[int]] = {}
    _deltas(session, sorted({*dirty, *gone}), -1, rows)
    _upsert(session, rows)
    ctx.attributes[_SUBTRACTED] = dirty


def _after_flush(session: Session, ctx: UOWTransaction) -> None:
    ids = [o.id for o in session.new if isinstance(o, Case)]
    ids += ctx.attributes.get(_SUBTRACTED, [])
    if ids:
        add_cases(session, ids)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)


# ---- rebuilding and checking ------------------------------------------------------------------


def _fresh_month_rows(dim: str) -> Any:
    key: ColumnElement[Any] = {
        "base": literal(""), "mode": _C.mode,
        "window": func.coalesce(cast(_C.window_id, String), ""),
        "item": cast(_C.item_id, String)}[dim]
    collect = func.coalesce(_C.collect_place_code, "")
    keys = [key] if dim != "base" else []  # PostgreSQL groups by no constant
    return (select(literal(dim).label("dim"), literal("m").label("grain"),
                   _C.applied_month.label("period"), key.label("group_key"),
                   collect.label("collect_place_code"), _C.handling_place_code,
                   *[m.label(n) for m, n in zip(_measures(), MEASURES, strict=True)])
            .group_by(_C.applied_month, *keys, collect, _C.handling_place_code))


def _rollup(grain: str) -> Any:
    period = func.substr(_T.c.period, 1, 4) if grain == "y" else literal("*")
    periods = [period] if grain == "y" else []  # PostgreSQL groups by no constant
    return (select(_T.c.dim, literal(grain).label("grain"), period.label("period"),
                   _T.c.group_key, _T.c.collect_place_code, _T.c.handling_place_code,
                   *[func.sum(_T.c[m]).label(m) for m in MEASURES])
            .where(_T.c.grain == "m").group_by(_T.c.dim, *periods, _T.c.group_key,
                                               _T.c.collect_place_code,
                                               _T.c.handling_place_code))


def rebuild(session: Session) -> int:
    """Replace the summary by the sums of the stored cases (set-based: months from the cases,
    years and all time from the months); returns the number of rows written."""
    session.flush()
    session.execute(delete(_T))
    columns = [*KEY, *MEASURES]
    for dim in SUMMARY_DIMS:
        session.execute(_T.insert().from_select(columns, _fresh_month_rows(dim)))
    for grain in SUMMARY_GRAINS[1:]:
        session.execute(_T.insert().from_select(columns, _rollup(grain)))
    return int(session.scalar(select(func.count()).select_from(_T)) or 0)


def drift(session: Session) -> int:
    """How many summary rows differ from the sums of the stored cases (0: right)."""
    session.flush()
    stored = {tuple(r[:6]): tuple(r[6:]) for r in session.execute(
        select(*[_T.c[k] for k in (*KEY, *MEASURES)]))}
    stored = {k: v for k, v in stored.items() if any(v)}
    fresh: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for dim in SUMMARY_DIMS:
        for r in session.execute(_fresh_month_rows(dim)):
            sums = tuple(int(x) for x in r[6:])
            for grain, period in (("m", r[2]), ("y", r[2][:4]), ("a", "*")):
                key = (dim, grain, period, *r[3:6])
                old = fresh.get(key, (0,) * len(MEASURES))
                fresh[key] = tuple(a + b for a, b in zip(old, sums, strict=True))
    return sum(1 for k in stored.keys() | fresh.keys() if stored.get(k) != fresh.get(k))


# ---- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatRow:
    """One group: ``key`` (an id, code or ``YYYY-MM``) and its label."""

    key: str
    label: str
    cases: int
    decided: int
    on_time: int
    on_time_rate: Decimal | None  # on time / decided with a known deadline, 0.0001 places
    avg_working_days: Decimal | None  # over decided cases, 0.01 places


def ratio(a: int, b: int) -> Decimal | None:
    if not b:
        return None
    return (Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _slices(month_from: str | None, month_to: str | None
            ) -> list[tuple[str, str | None, str | None]]:
    """(grain, first period, last period; None: open) whose rows sum to the months between
    ``month_from`` and ``month_to`` (inclusive, as strings compare)."""
    f, t = month_from or None, month_to or None
    if f is None and t is None:
        return [("a", None, None)]
    if any(m is not None and not MONTH.fullmatch(m) for m in (f, t)):
        return [("m", f, t)]  # not YYYY-MM: the months as strings compare, as the cases did
    if f is not None and t is not None and f[:4] == t[:4]:
        whole = f[5:] == "01" and t[5:] == "12"
        return [("y", f[:4], f[:4])] if whole else [("m", f, t)]
    out: list[tuple[str, str | None, str | None]] = []
    first_year = last_year = None
    if f is not None:
        first_year = f[:4] if f[5:] == "01" else f"{int(f[:4]) + 1:04d}"
        if f[5:] != "01":
            out.append(("m", f, f"{f[:4]}-12"))
    if t is not None:
        last_year = t[:4] if t[5:] == "12" else f"{int(t[:4]) - 1:04d}"
        if t[5:] != "12":
            out.append(("m", f"{t[:4]}-01", t))
    if first_year is None or last_year is None or first_year <= last_year:
        out.append(("y", first_year, last_year))
    return out


def _clamped(session: Session, first: str | None, last: str | None
             ) -> tuple[str | None, str | None]:
    """The range with an end beyond the months that have cases left open (the same sums):
    "2025-01 to 2025-09" on the last day of September reads the year 2025's rows, not nine
    months' (two index seeks)."""
    months = select(_T.c.period).where(_T.c.dim == "base", _T.c.grain == "m")
    if first is not None:
        earliest = session.scalar(months.order_by(_T.c.period).limit(1))
        if earliest is None or first <= earliest:
            first = None
    if last is not None:
        latest = session.scalar(months.order_by(_T.c.period.desc()).limit(1))
        if latest is None or last >= latest:
            last = None
    return first, last


GROUPS = ("item", "mode", "collect_place", "handling_place", "window", "month")
_BY = {"item": ("item", _T.c.group_key), "mode": ("mode", _T.c.group_key),
       "window": ("window", _T.c.group_key), "month": ("base", _T.c.period),
       "collect_place": ("base", _T.c.collect_place_code),
       "handling_place": ("base", _T.c.handling_place_code)}


def sort_key(by: str, key: str) -> tuple[bool, int, str]:
    """Groups in key order (ids as numbers), the group without a key ('') last."""
    numeric = by in ("item", "window") and key.isdigit()
    return key == "", int(key) if numeric else 0, key


def _labels(session: Session, by: str, keys: list[str]) -> dict[str, str]:
    real = [k for k in keys if k]
    if by == "month":
        return {k: k for k in keys}
    if by == "mode":
        return {k: MODE_LABELS.get(k, k) for k in keys}
    if by in ("item", "window"):
        model: Any = Item if by == "item" else Window
        ids = [int(k) for k in real if k.isdigit()]
        return {str(i): n for i, n in session.execute(
            select(model.id, model.name).where(model.id.in_(ids)))}
    return {code: name for code, name in session.execute(
        select(Place.code, Place.name).where(Place.code.in_(real)))}


def statistics(session: Session, principal: Principal, by: str,
               month_from: str | None = None, month_to: str | None = None) -> list[StatRow]:
    """:func:`queries.case_statistics` from the summary: one GROUP BY per slice of the range
    (at most three), each over the slice's rows the principal's places select."""
    dim, column = _BY[by]
    first_month, last_month = _clamped(session, month_from or None, month_to or None)
    grains = [("m", first_month, last_month)] if by == "month" \
        else _slices(first_month, last_month)
    scope = read_filter(principal, _T.c.collect_place_code, _T.c.handling_place_code)
    sums: dict[str, list[int]] = {}
    for grain, first, last in grains:
        query = select(column, *[func.sum(_T.c[m]) for m in MEASURES]).where(
            _T.c.dim == dim, _T.c.grain == grain)
        if first is not None:
            query = query.where(_T.c.period >= first)
        if last is not None:
            query = query.where(_T.c.period <= last)
        if scope is not None:
            query = query.where(scope)
        for key, *values in session.execute(query.group_by(column)):
            row = sums.setdefault(key, [0] * len(MEASURES))
            for i, v in enumerate(values):
                row[i] += int(v or 0)
    keys = sorted((k for k, v in sums.items() if v[0] > 0), key=lambda k: sort_key(by, k))
    labels = _labels(session, by, keys)
    out = []
    for k in keys:
        cases, decided, timed, on_time, days_sum, days_count = sums[k]
        average = None if not days_count else (Decimal(days_sum) / Decimal(days_count)).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
        out.append(StatRow(k, labels.get(k, ""), cases, decided, on_time,
                           ratio(on_time, timed), average))
    return out
