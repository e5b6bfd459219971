"""Data versions: one counter per *topic* in the database, bumped in the same transaction as
every write to what it names, so caches in every worker process can tell with one cheap read
whether what they computed is still current.

A topic is a table name (``cooperation_agreement``) or, for monitoring readings, one of
``ecology_reading+<section id>`` (readings appended to that section), ``ecology_reading~<section
id>`` (readings of that section changed or deleted) and ``ecology_reading~`` (readings changed
by a bulk statement: every section). Writes are seen by the session events below, whoever
makes them (services, commands, the demo, tests): objects flushed by the unit of work and
INSERT/UPDATE/DELETE statements run through the session. SQL run outside a session (by hand)
is not seen; caches bound that with their own expiry.

When the counters move:

* a table topic and a readings change (``~``) at commit, after the last flush, in one
  sorted pass, so two writers never wait for each other's counters in opposite orders;
* a readings append (``+``) *before* the readings are inserted. On PostgreSQL the counter's row
  lock then orders the writers of one section, so a section's reading ids grow in commit
  order and a cache may fetch "ids above the newest I have" without missing a reading
  committed late by a slower transaction (SQLite writers are serialised anyway).

Bookkeeping tables (login sessions, token use, failed logins, the audit log) have no topic:
nothing is computed from them and every request may touch them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Connection, Engine, String, event, select, text
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    UOWTransaction,
    mapped_column,
)

from coopzone.db import Base

T = TypeVar("T")


class DataVersion(Base):
    """The counter of one topic (see the module docstring); no row means version 0."""

    __tablename__ = "kit_data_version"

    topic: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


UNTRACKED = frozenset({"kit_data_version", "accounts_session", "accounts_api_token",
                       "accounts_login_failure", "accounts_audit_log"})
READING_TABLE = "ecology_reading"
ANY_READING_CHANGED = "ecology_reading~"

_PENDING = "coopzone_data_versions_pending"  # topics to bump at commit
_CLAIMED = "coopzone_data_versions_claimed"  # append topics bumped in this transaction
_MEMO = "coopzone_data_versions_memo"  # versions read in this transaction

_BUMP = text("INSERT INTO kit_data_version (topic, version) VALUES (:topic, 1) "
             "ON CONFLICT (topic) DO UPDATE SET version = kit_data_version.version + 1")


_BUMPED = "coopzone_data_versions_bumped"
_generation = 0


def generation() -> int:
    """A process-local number that changes when a transaction that moved counters is rolled
    back on its connection: the same version numbers may then be given again to other data.
    (A request never does this after its commit; a test that rolls back committed
    savepoints does.) Caches put it in their keys."""
    return _generation


def forget() -> None:
    """Make every cache entry of this process unreachable (a new generation): for a test
    that served another database in this process, whose version numbers the next test's
    database may give again to other data."""
    global _generation
    _generation += 1


def _bump(session: Session, topics: list[str]) -> None:
    conn = session.connection()
    conn.execute(_BUMP, [{"topic": t} for t in topics])
    conn.info[_BUMPED] = True


def _on_rollback(conn: Connection) -> None:
    global _generation
    if conn.info.pop(_BUMPED, False):
        _generation += 1


def _on_commit(conn: Connection) -> None:
    conn.info.pop(_BUMPED, None)


def appended(section_id: int) -> str:
    return f"{READING_TABLE}+{section_id}"


def rewritten(section_id: int) -> str:
    return f"{READING_TABLE}~{section_id}"


def read(session: Session, topics: Iterable[str]) -> dict[str, int]:
    """The current version of each topic (0 if never written), read once per transaction:
    the same transaction asking again gets the same answer. Read it before the data it
    keys, in the same transaction, so an entry is never older than its key."""
    wanted = sorted(set(topics))
    memo: dict[str, int] = session.info.setdefault(_MEMO, {})
    missing = [t for t in wanted if t not in memo]
    if missing:
        found = dict(session.execute(select(DataVersion.topic, DataVersion.version)
                                     .where(DataVersion.topic.in_(missing))).all())
        memo.update({t: int(found.get(t, 0)) for t in missing})
    return {t: memo[t] for t in wanted}


def touched(session: Session) -> frozenset[str]:
    """Topics this session has written in its current transaction (committed or not): a
    cache must neither serve nor store for it, since others cannot see its writes yet."""
    pending: set[str] = session.info.get(_PENDING, set())
    claimed: set[str] = session.info.get(_CLAIMED, set())
    return frozenset(pending | claimed)


def _note(session: Session, topics: Iterable[str]) -> None:
    new = {t for t in topics if t.split("+")[0].split("~")[0] not in UNTRACKED}
    if new:
        session.info.setdefault(_PENDING, set()).update(new)
        session.info.pop(_MEMO, None)


def _claim(session: Session, section_ids: Iterable[Any]) -> None:
    """Bump the append counters of these sections now, before their readings are inserted."""
    claimed: set[str] = session.info.setdefault(_CLAIMED, set())
    topics = sorted({appended(int(i)) for i in section_ids if i is not None} - claimed)
    if topics:
        _bump(session, topics)
        claimed.update(topics)
        session.info.pop(_MEMO, None)


def _table_topics(obj: Any) -> set[str]:
    table = getattr(obj, "__table__", None)
    return {table.name} if table is not None else set()


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    new_readings = [o for o in session.new if getattr(o, "__tablename__", "") == READING_TABLE]
    if new_readings:
        if any(o.section_id is None for o in new_readings):
            _note(session, [ANY_READING_CHANGED])  # section set through a relationship
        _claim(session, (o.section_id for o in new_readings))


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    topics: set[str] = set()
    for obj in session.new:
        topics |= _table_topics(obj)
    for objects in (session.dirty, session.deleted):
        for obj in objects:
            topics |= _table_topics(obj)
            if getattr(obj, "__tablename__", "") == READING_TABLE:
                topics.add(rewritten(obj.section_id) if obj.section_id is not None
                           else ANY_READING_CHANGED)
    _note(session, topics)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    tables = {t.name for m in state.all_mappers for t in m.tables}
    if READING_TABLE in tables:
        params = state.parameters
        rows: list[Any] = list(params) if isinstance(params, list) else [params] if params else []
        if state.is_insert and rows and all("section_id" in r for r in rows):
            _claim(state.session, (r["section_id"] for r in rows))
        else:
            tables.add(ANY_READING_CHANGED)
    _note(state.session, tables)


def _before_commit(session: Session) -> None:
    session.flush()  # the last flush notes its topics first
    topics = sorted(session.info.pop(_PENDING, set()))
    if topics:
        _bump(session, topics)


def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        for key in (_PENDING, _CLAIMED, _MEMO):
            session.info.pop(key, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _on_execute)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_transaction_end", _after_end)
event.listen(Engine, "rollback", _on_rollback)
event.listen(Engine, "commit", _on_commit)


def table_topics(*, leave_out: Iterable[str] = ()) -> list[str]:
    """Every table topic (all tables but the bookkeeping ones and ``leave_out``)."""
    skip = UNTRACKED | set(leave_out)
    return sorted(t for t in Base.metadata.tables if t not in skip)


class VersionedCache:
    """A small per-process cache of values computed from the records of some topics: an
    entry is served while none of those topics has moved (one read of their versions per
    transaction), never to or from a session that has written itself (its writes are not
    committed yet), and for ``ttl`` seconds at most (changes made by hand in SQL). Values
    are shared between threads and must be treated as read-only."""

    def __init__(self, max_entries: int = 64, ttl: float = 300.0) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}

    def get(self, session: Session, key: Hashable, topics: Iterable[str],
            compute: Callable[[], T]) -> T:
        topics = list(topics)
        if touched(session):
            return compute()
        gen = generation()  # before the versions: a bump only ages the key
        # The database too: a process that serves several (tests beside a live server) must
        # never answer one database's key (a user id, a section) with another's entry.
        engine = session.get_bind().engine
        full = (key, gen, str(engine.url), id(engine),
                tuple(sorted(read(session, topics).items())))
        hit = self._get(full)
        if hit is not None:
            cached: T = hit[0]
            return cached
        with self._lock:
            flight = self._flights.setdefault(full, threading.Lock())
        with flight:  # one thread computes, the others wait for its result
            hit = self._get(full)
            if hit is not None:
                cached = hit[0]
                return cached
            try:
                born = time.monotonic()
                value = compute()
                with self._lock:
                    self._entries[full] = (born, value)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._flights.pop(full, None)
        return value

    def _get(self, key: Hashable) -> tuple[Any] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl:
                self._entries.move_to_end(key)
                return (hit[1],)
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
