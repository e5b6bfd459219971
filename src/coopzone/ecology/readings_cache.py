"""A per-process cache of what is computed from the stored readings (frames, evaluations,
streaks), so that public pages do not re-read and re-judge every reading on each request.

Entries are per section and keyed by the section's readings versions in the database
(:mod:`coopzone.kit.data_versions`), which every worker process reads with one query per
request and which every write of readings moves in its own transaction:

* the *rewrite* version (readings of the section changed or deleted, readings changed by a
  bulk statement, any change of a section, any review step of a hand-entered batch): a new
  one makes every entry of the section obsolete;
* the *append* version (readings added to the section, e.g. a station push): an entry that
  knows how to *grow* (:func:`per_section_grown`: the section's frame, its monthly
  evaluation) is brought up to date from the readings added since, instead of being
  computed again from all of them. Readings are appended with their ids growing in commit
  order per section (the append counter's row lock orders the writers), so "ids above the
  newest one I have" is exactly what was added.

The versions are read before the data, in the same transaction, so an entry is never older
than its key; keys also name the database (one process may serve several: tests). Entries
also expire ``TTL`` seconds after they were last built from scratch, which bounds how long a
change made outside the platform (by hand in SQL) can go unseen.
A session that has itself written readings (not yet committed) is neither served nor
stored. Cached values are shared between threads and must be treated as read-only (polars
frames are immutable).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from coopzone.kit import data_versions

T = TypeVar("T")
MAX_ENTRIES = 512  # a few kinds x sections x date ranges
TTL = 300.0  # seconds
SECTION_TOPIC = "ecology_section"
# A review step (审核, ecology/monitoring.py) changes which stored readings count without
# touching a reading: every entry is obsolete (a station feed's batch writes no review step).
REVIEW_TOPIC = "ecology_batch_review"

_lock = threading.Lock()
_entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
_inflight: dict[Hashable, threading.Lock] = {}

RewriteKey = tuple[int, int, int, int, int, object]


@dataclass(frozen=True)
class SectionVersion:
    rewrite: RewriteKey  # any change: every entry of the section is obsolete
    appended: int  # readings added: growable entries grow


@dataclass(frozen=True)
class Grown(Generic[T]):
    """A value current for a section's ``appended`` version; ``mark`` is what its grower
    needs to continue (the newest reading id, the frame height it was computed from);
    ``lineage`` names the build from scratch it grew from."""

    value: T
    appended: int
    mark: Any
    lineage: object


def invalidate() -> None:
    """Forget every entry of this process (tests; never needed for correctness)."""
    with _lock:
        _entries.clear()


def _bypass(session: Session) -> bool:
    return any(t.startswith(data_versions.READING_TABLE) or t in (SECTION_TOPIC, REVIEW_TOPIC)
               for t in data_versions.touched(session))


def versions(session: Session, section_ids: Iterable[int]) -> dict[int, SectionVersion]:
    """Each section's readings versions, read once per transaction."""
    ids = sorted(set(section_ids))
    topics = [SECTION_TOPIC, REVIEW_TOPIC, data_versions.ANY_READING_CHANGED]
    for i in ids:
        topics += [data_versions.appended(i), data_versions.rewritten(i)]
    generation = data_versions.generation()  # before the versions: a bump only ages keys
    v = data_versions.read(session, topics)
    # The database too: a process that serves several (tests, a live server beside them)
    # must never grow one database's entry with another's readings.
    shared = (v[data_versions.ANY_READING_CHANGED], v[SECTION_TOPIC], v[REVIEW_TOPIC],
              generation, session.get_bind().engine.url)
    return {i: SectionVersion((v[data_versions.rewritten(i)], *shared),
                              v[data_versions.appended(i)]) for i in ids}


def _get(key: Hashable) -> tuple[float, Any] | None:
    with _lock:
        hit = _entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL:
            _entries.move_to_end(key)
            return hit
    return None


def _put(key: Hashable, born: float, value: Any) -> None:
    with _lock:
        _entries[key] = (born, value)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def _single_flight(key: Hashable) -> threading.Lock:
    """One thread computes an entry while the others asking for it wait for its result
    (after a station push, every page request would otherwise re-judge the same section)."""
    with _lock:
        return _inflight.setdefault(key, threading.Lock())


def _done(key: Hashable) -> None:
    with _lock:
        _inflight.pop(key, None)


def _get_or_compute(key: Hashable, compute: Callable[[], T]) -> T:
    hit = _get(key)
    if hit is not None:
        return hit[1]
    with _single_flight(key):
        hit = _get(key)
        if hit is not None:
            return hit[1]
        try:
            born = time.monotonic()
            value = compute()
            _put(key, born, value)
        finally:
            _done(key)
    return value


def over_sections(session: Session, kind: Hashable, section_ids: Iterable[int],
                  compute: Callable[[], T]) -> T:
    """``compute()`` of something made from several sections' readings, or its value from an
    entry of the same ``kind`` and the same versions of every one of those sections."""
    if _bypass(session):
        return compute()
    current = versions(session, section_ids)
    return _get_or_compute((kind, tuple(sorted(current.items()))), compute)


def per_section(session: Session, kind: Hashable, section_ids: Iterable[int],
                compute: Callable[[int], T]) -> dict[int, T]:
    """``compute(section_id)`` for each section, or its value from an entry of the same
    ``kind`` and the section's readings versions (computed again on any change)."""
    ids = list(dict.fromkeys(section_ids))
    if _bypass(session):
        return {i: compute(i) for i in ids}
    current = versions(session, ids)
    return {i: _get_or_compute((kind, i, current[i]), lambda i=i: compute(i))  # type: ignore[misc]
            for i in ids}


Build = Callable[[int], tuple[T, Any]]
Grow = Callable[[int, "Grown[T]"], "tuple[T, Any] | None"]


def per_section_grown(session: Session, kind: Hashable, section_ids: Iterable[int],
                      build: Build[T], grow: Grow[T]) -> dict[int, Grown[T]]:
    """Each section's entry of ``kind``: current as it is, grown by ``grow(section_id,
    entry)`` when readings were only added since (it returns the new value and mark, or
    None to build again), or ``build(section_id)`` (value, mark) from scratch when there
    is no entry or the section's rewrite version moved."""
    ids = list(dict.fromkeys(section_ids))
    if _bypass(session):
        return {i: _fresh(build, i) for i in ids}
    current = versions(session, ids)
    return {i: _grown(kind, i, current[i], build, grow) for i in ids}


def _fresh(build: Build[T], i: int) -> Grown[T]:
    value, mark = build(i)
    return Grown(value, -1, mark, object())


def _grown(kind: Hashable, i: int, version: SectionVersion, build: Build[T],
           grow: Grow[T]) -> Grown[T]:
    key = (kind, i, version.rewrite)
    hit = _get(key)
    if hit is not None and hit[1].appended == version.appended:
        return hit[1]
    with _single_flight(key):
        try:
            hit = _get(key)
            if hit is not None:
                old: Grown[T] = hit[1]
                if old.appended == version.appended:
                    return old
                grown = grow(i, old)
                if grown is not None:
                    entry = Grown(grown[0], version.appended, grown[1], old.lineage)
                    _put(key, hit[0], entry)  # expires with the build it grew from
                    return entry
            born = time.monotonic()
            value, mark = build(i)
            entry = Grown(value, version.appended, mark, object())
            _put(key, born, entry)
            return entry
        finally:
            _done(key)
