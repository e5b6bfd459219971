"""Settings read from the environment (prefix ``COOPZONE_``) or a ``.env`` file."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COOPZONE_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = DEVELOPMENT_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    # Login throttling: after `login_slow_after` failures each try waits longer;
    # after `login_lock_after` failures the account is locked for `login_lock_minutes`.
    login_slow_after: int = 3
    login_lock_after: int = 10
    login_lock_minutes: int = 15
    session_max_age_seconds: int = 8 * 3600
    cookie_secure: bool = False
    # The date the platform treats as today (demos and replays of a past state); unset in
    # production. `make demo` sets it to 2025-09-30, the date of the article's figures.
    as_of: date | None = None
    # SQLite: how long a writer waits for another writer's lock before answering 503 (seconds).
    sqlite_busy_timeout: float = 15.0

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "COOPZONE_SECRET_KEY must be set to a real secret outside development mode"
            )
        if len(self.secret_key) < 16:
            raise ValueError("COOPZONE_SECRET_KEY must be at least 16 characters long")
        return self

    def today(self) -> date:
        return self.as_of or datetime.now(ZoneInfo("Asia/Shanghai")).date()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'coopzone.sqlite3').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
