"""Database plumbing: declarative base, engine factory, portable column types.

Services take a ``Session`` and never commit; the edge (request, command, upload) owns the
transaction through :func:`transaction`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from coopzone.errors import Conflict, ServiceUnavailable

SHANGHAI = ZoneInfo("Asia/Shanghai")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def now() -> datetime:
    """The current time, aware, in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


class Money(TypeDecorator[Decimal]):
    """Decimal yuan stored as integer fen (SQLite's Numeric is a float underneath)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        fen = (Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if fen != Decimal(value) * 100:
            raise ValueError(f"{value} yuan has more precision than one fen")
        return int(fen)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))


class AwareDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes: stored as UTC, read back in Asia/Shanghai.

    Naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: attach a timezone (Asia/Shanghai) first")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI)


# SQLite concurrency (issue 9). The file runs in WAL mode, so readers never wait for the writer
# and the writer never waits for readers; a writer that finds another writer waits up to the
# busy timeout instead of failing at once. A transaction that will write begins IMMEDIATE: it
# takes the write lock before its first read, so two writers queue. A plain (deferred)
# transaction that reads and then writes would instead fail with "database is locked" when
# another writer committed in between (SQLite cannot upgrade a stale read snapshot).
#
# Who says a transaction will write: the edge that owns it. An HTTP request with an unsafe
# method (POST, PUT, PATCH, DELETE) and every CLI command that changes data (imports, demo
# load, user and token commands) open their session with ``transaction(factory, write=True)``;
# GET/HEAD/OPTIONS requests read in a deferred transaction. The one write a read may do (an API
# token's ``last_used_at``) goes through :func:`best_effort`, which never waits and never
# fails the read. PostgreSQL ignores the option: state changes there lock their row (SELECT …
# FOR UPDATE) and carry a version column (``lock_version``).
WRITE_OPTION = "coopzone_write"
DEFAULT_BUSY_TIMEOUT = 15.0  # seconds; the setting COOPZONE_SQLITE_BUSY_TIMEOUT


def _sqlite_connect(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        # pysqlite transaction recipe: let SQLAlchemy emit BEGIN itself so that savepoints
        # and the tests' per-test rollback really roll back; and enforce foreign keys.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        # Persistent in the file; answers "memory" for an in-memory database. A read-only or
        # busy file keeps its mode: reads still work.
        with suppress(sqlite3.OperationalError):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        record.info["busy_timeout_ms"] = busy_timeout_ms

    return on_connect


def make_engine(url: str, *, sqlite_busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                pool_size: int | None = None, max_overflow: int | None = None,
                pool_timeout: float | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets the transaction recipe, foreign keys, WAL, a busy timeout
    and IMMEDIATE transactions for writers (see ``WRITE_OPTION``).

    ``pool_size``, ``max_overflow`` and ``pool_timeout`` size the connection pool of a file
    database or a server (the settings ``db_pool_size`` …; SQLAlchemy's defaults, 5 + 10,
    when not given); an in-memory SQLite database has one shared connection and ignores them."""
    pool = {k: v for k, v in (("pool_size", pool_size), ("max_overflow", max_overflow),
                              ("pool_timeout", pool_timeout)) if v is not None}
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        if kwargs.get("poolclass") is None:
            kwargs = {**pool, **kwargs}
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect(int(sqlite_busy_timeout * 1000)))

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if kwargs.get("poolclass") is None:
        kwargs = {**pool, **kwargs}
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session], write: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception.

    ``write=True`` when the unit will write: on SQLite its transaction begins IMMEDIATE (the
    write lock is taken before the first read, so concurrent writers queue). A row changed by
    another transaction since it was read (the version check) is a :class:`Conflict`; a
    database still locked after the busy timeout is :class:`ServiceUnavailable`."""
    session = factory(execution_options={WRITE_OPTION: True}) if write else factory()
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("记录已被他人同时修改，请刷新页面后重试",
                       detail=f"concurrent update: {exc}") from exc
    except OperationalError as exc:
        session.rollback()
        if is_busy(exc):
            raise ServiceUnavailable("数据库正忙，请稍后重试",
                                     detail=f"database busy: {exc.orig}") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# SQLite: locked / busy; PostgreSQL: serialization failure, deadlock, lock not available.
_BUSY_SQLSTATES = ("40001", "40P01", "55P03")


def is_busy(exc: DBAPIError) -> bool:
    """Whether a driver error means "another transaction holds the lock": try again later."""
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES


@contextmanager
def best_effort(session: Session) -> Iterator[None]:
    """Run a write that may be skipped (bookkeeping such as a token's ``last_used_at``) in a
    savepoint, without waiting for a lock: if the database is busy, the write is rolled back
    and dropped, and the surrounding transaction — typically a read — carries on unharmed.

    On SQLite the busy timeout is 0 while it runs (a reader whose snapshot is stale, or who
    finds another writer, gives up at once); on PostgreSQL the caller should select the row
    ``FOR UPDATE SKIP LOCKED`` so as not to wait either."""
    conn = session.connection()
    raw: Any = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
    if raw is not None:
        raw.execute("PRAGMA busy_timeout=0")
    try:
        with session.begin_nested():
            yield
    except OperationalError as exc:
        if not is_busy(exc):
            raise
    finally:
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout={conn.info.get('busy_timeout_ms', 0)}")
