"""A per-process cache of what is computed from the stored readings (frames, evaluations,
streaks), so that public pages do not re-read and re-judge every reading on each request.

Entries are per section, keyed by what they were computed from plus the section's readings
*version*: the newest import batch among its readings and its newest reading id (every write
of readings — file import, station push, demo — goes through a batch, and a changed value
takes the new batch's id, so another worker's import changes it; both are index look-ups),
and a process-local generation bumped whenever this process flushes, executes or commits a
change to readings, batches or sections (direct edits too). So a station pushing to one
section leaves the other sections' entries valid. The version is read before the data, in
the same transaction, so an entry is never older than its key. Entries also expire after
``TTL`` seconds, which bounds how long a change made outside the platform (by hand in SQL)
can go unseen. Cached values are shared
between threads and must be treated as read-only (polars frames are immutable).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from coopzone.ecology.models import BatchReview, ImportBatch, Reading, Section

T = TypeVar("T")
MAX_ENTRIES = 512  # a few kinds x sections x date ranges
TTL = 300.0  # seconds
_WATCHED = (Reading, ImportBatch, Section, BatchReview)
_CHANGED = "coopzone_readings_changed"
_MEMO = "coopzone_readings_versions"

_lock = threading.Lock()
_generation = 0
_entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()


def _changed(session: Session, edit: bool) -> None:
    """This session changed readings: it is neither served nor stored until its transaction
    ends. New readings (always in a new batch) change their section's version by themselves;
    an *edit* (a changed or deleted reading, any change of a section) may not, so it forgets
    every entry now and again when the transaction ends."""
    session.info[_CHANGED] = session.info.get(_CHANGED, False) or edit
    session.info.pop(_MEMO, None)
    if edit:
        invalidate()


def invalidate() -> None:
    """Forget every entry (called on any change of readings in this process)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def versions(session: Session, section_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """(newest batch id, newest reading id, newest review step) of each section's readings.
    A review (ecology/monitoring.py) changes which readings count without a new batch: the
    newest review step, one index look-up for all sections, keys that too."""
    ids = list(section_ids)
    if not ids:
        return {}
    memo: dict[tuple[int, ...], dict[int, tuple[Any, ...]]] = session.info.setdefault(_MEMO, {})
    key = tuple(sorted(set(ids)))
    if key in memo:  # once per request: same transaction, nothing changed since
        return memo[key]
    newest_batch = (select(func.max(Reading.batch_id)).where(Reading.section_id == Section.id)
                    .correlate(Section).scalar_subquery())
    newest_reading = (select(func.max(Reading.id)).where(Reading.section_id == Section.id)
                      .correlate(Section).scalar_subquery())
    newest_review = select(func.max(BatchReview.id)).scalar_subquery()
    rows = session.execute(select(Section.id, newest_batch, newest_reading, newest_review)
                           .where(Section.id.in_(ids)))
    found = {r[0]: (r[1], r[2], r[3]) for r in rows}
    memo[key] = {i: found.get(i, (None, None, None)) for i in key}
    return memo[key]


def _get(key: Hashable, now: float) -> tuple[bool, Any]:
    with _lock:
        hit = _entries.get(key)
        if hit is not None and now - hit[0] < TTL:
            _entries.move_to_end(key)
            return True, hit[1]
    return False, None


def _put(key: Hashable, now: float, value: Any) -> None:
    with _lock:
        _entries[key] = (now, value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


_inflight: dict[Hashable, threading.Lock] = {}


def _get_or_compute(key: Hashable, compute: Callable[[], T]) -> T:
    """The entry, or ``compute()`` stored under ``key``. One thread computes a missing entry
    while the others asking for it wait for its result (after a station push, every page
    request would otherwise re-judge the same section at once)."""
    now = time.monotonic()
    hit, value = _get(key, now)
    if hit:
        return value
    with _lock:
        flight = _inflight.setdefault(key, threading.Lock())
    with flight:
        hit, value = _get(key, time.monotonic())
        if hit:
            return value
        try:
            value = compute()
            _put(key, now, value)
        finally:
            with _lock:
                _inflight.pop(key, None)
    return value


def over_sections(session: Session, kind: Hashable, section_ids: Iterable[int],
                  compute: Callable[[], T]) -> T:
    """``compute()`` of something made from several sections' readings, or its value from an
    entry of the same ``kind`` and the same versions of every one of those sections."""
    if _CHANGED in session.info:
        return compute()
    generation = _generation
    current = versions(session, section_ids)
    return _get_or_compute((kind, tuple(sorted(current.items())), generation), compute)


def per_section(session: Session, kind: Hashable, section_ids: Iterable[int],
                compute: Callable[[int], T]) -> dict[int, T]:
    """``compute(section_id)`` for each section, or its value from an entry of the same
    ``kind`` and the section's readings version. A session that has changed readings itself
    (not yet committed) is never served nor stored."""
    ids = list(dict.fromkeys(section_ids))
    if _CHANGED in session.info:
        return {i: compute(i) for i in ids}
    generation = _generation  # read first: a bump after this only makes the keys older
    current = versions(session, ids)
    return {i: _get_or_compute((kind, i, current[i], generation),
                               lambda i=i: compute(i))  # type: ignore[misc]
            for i in ids}


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    edited = any(isinstance(obj, _WATCHED) for objects in (session.dirty, session.deleted)
                 for obj in objects) or any(isinstance(obj, Section) for obj in session.new)
    if edited or any(isinstance(obj, _WATCHED) for obj in session.new):
        _changed(session, edit=edited)


def _on_execute(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and any(
            m.class_ in _WATCHED for m in state.all_mappers):
        _changed(state.session, edit=not state.is_insert)


def _after_end(session: Session) -> None:
    session.info.pop(_MEMO, None)  # the next transaction may see other commits
    if session.info.pop(_CHANGED, None):  # True: an edit
        invalidate()


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _on_execute)
event.listen(Session, "after_commit", _after_end)
event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_end(session))
