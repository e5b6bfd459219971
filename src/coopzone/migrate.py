"""Alembic driven from code: migrations ship inside the package, so an installed coopzone can
create or upgrade its own database."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from coopzone.db import make_engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("coopzone").joinpath(
        "migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", engine: Engine | None = None) -> None:
    config = alembic_config(url)
    engine = engine or make_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_heads(url: str) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    with engine.connect() as connection:
        return list(MigrationContext.configure(connection).get_current_heads())
