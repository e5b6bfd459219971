from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.orm import Session

from coopzone.config import DEVELOPMENT_SECRET, Settings
from coopzone.db import SHANGHAI, AwareDateTime, Money
from coopzone.models import Base


def test_default_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="COOPZONE_SECRET_KEY"):
        Settings(env="production", secret_key=DEVELOPMENT_SECRET)
    assert Settings(env="development").secret_key == DEVELOPMENT_SECRET
    assert Settings(env="production", secret_key="x" * 32).env == "production"


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path)  # type: ignore[arg-type]
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/coopzone.sqlite3"


def test_models_and_migrations_agree(session: Session) -> None:
    context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


probe = Table("probe_types", MetaData(), Column("id", Integer, primary_key=True),
              Column("amount", Money()), Column("at", AwareDateTime()))


def test_money_is_exact_yuan_and_times_are_shanghai(session: Session) -> None:
    conn = session.connection()
    probe.create(conn)
    at = datetime(2019, 7, 31, 23, 30, tzinfo=SHANGHAI)
    conn.execute(probe.insert().values(id=1, amount=Decimal("66000000.10"), at=at))
    conn.execute(probe.insert().values(id=2, amount=Decimal("0.07"),
                                       at=datetime(2019, 7, 31, 15, 30, tzinfo=UTC)))
    rows = conn.execute(select(probe.c.amount, probe.c.at).order_by(probe.c.id)).all()
    assert rows[0].amount == Decimal("66000000.10")
    assert rows[1].amount == Decimal("0.07")
    assert rows[0].at == at and rows[0].at.utcoffset() == at.utcoffset()
    assert rows[1].at.tzinfo is not None and rows[1].at.hour == 23  # 15:30 UTC = 23:30 CST


def test_money_refuses_fractions_of_a_fen_and_naive_times(session: Session) -> None:
    conn = session.connection()
    probe.create(conn)
    with pytest.raises(Exception, match="one fen"):
        conn.execute(probe.insert().values(id=1, amount=Decimal("1.001")))
    with pytest.raises(Exception, match="naive datetime"):
        conn.execute(probe.insert().values(id=2, at=datetime(2020, 1, 1)))


def test_migrations_have_one_head() -> None:
    from alembic.script import ScriptDirectory

    from coopzone.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"merge the migration branches: {heads}"


def test_pool_settings_size_the_engine_and_bound_the_requests_in_flight(tmp_path: object) -> None:
    from coopzone.db import make_engine

    settings = Settings(data_dir=tmp_path, db_pool_size=7, db_max_overflow=3,  # type: ignore[arg-type]
                        db_pool_timeout=5, max_requests_in_flight=10)
    assert settings.pool_options == {"pool_size": 7, "max_overflow": 3, "pool_timeout": 5}
    engine = make_engine(settings.effective_database_url, **settings.pool_options)
    try:
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 3  # type: ignore[attr-defined]
        assert engine.pool.timeout() == 5  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    # An in-memory database has one shared connection: the pool options do not apply.
    memory = make_engine("sqlite://", **settings.pool_options)
    assert type(memory.pool).__name__ == "StaticPool"
    memory.dispose()
    # More requests inside than connections could starve the pool: refused at start.
    with pytest.raises(ValidationError, match="COOPZONE_MAX_REQUESTS_IN_FLIGHT"):
        Settings(db_pool_size=4, db_max_overflow=2, max_requests_in_flight=7)
    defaults = Settings()
    assert defaults.max_requests_in_flight <= defaults.db_pool_size + defaults.db_max_overflow
