"""Settings read from the environment (prefix ``COOPZONE_``) or a ``.env`` file."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
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
    # Login throttling (accounts/sessions.py): failures are counted over a sliding window of
    # `login_window_minutes`; past a free allowance each further try must wait twice as long
    # (1 s, 2 s, 4 s ... capped), answered 429 + Retry-After when too early. Never a lock:
    # - per (name, address): `login_slow_after` free failures, waits up to the cap;
    # - per address, over all names: `login_address_slow_after`, waits up to the cap;
    # - per name, over all addresses: `login_account_slow_after`, waits up to
    #   `login_account_max_delay_seconds`, and only for addresses that have failed in the
    #   window, so the owner on a clean address is never kept out by an attack from elsewhere.
    login_window_minutes: int = 15
    login_slow_after: int = 3
    login_address_slow_after: int = 20
    login_account_slow_after: int = 10
    login_max_delay_seconds: int = 15 * 60
    login_account_max_delay_seconds: int = 60
    # Server-side sessions: an absolute lifetime, an idle timeout, and how seldom a request
    # records that the session was seen (a GET does not write every time).
    session_max_age_seconds: int = 8 * 3600
    session_idle_minutes: int = 30
    session_touch_seconds: int = 60
    # Secure cookies; defaults to True when env is production (set explicitly to override).
    cookie_secure: bool = False
    # The date the platform treats as today (demos and replays of a past state); unset in
    # production. `make demo` sets it to 2025-09-30, the date of the article's figures.
    as_of: date | None = None
    # A leading-group task is "due soon" (listed, counted in the reminders, notified) when its
    # deadline is at most this many days after the platform's today.
    due_soon_days: int = Field(default=7, ge=0, le=365)
    # 跨省通办 好差评: a 差评 (不满意, 非常不满意) is to be remedied (整改 and a return call) within
    # this many working days of the evaluation. 15 is one city's rule [S], not a national one:
    # an assumption each platform sets (COOPZONE_GOV_FOLLOWUP_WORKING_DAYS).
    gov_followup_working_days: int = Field(default=15, ge=1, le=250)
    # Monitoring readings dated before 1 January of this year are refused (CNEMC, China's
    # national environmental monitoring centre, dates from 1980); so are readings more than
    # this many hours after the platform's clock (station clocks drift, hourly values are
    # stamped at the end of their hour).
    readings_earliest_year: int = Field(default=1980, ge=1900, le=2199)
    readings_future_tolerance_hours: float = Field(default=2.0, ge=0, le=7 * 24)
    # Uploads (see coopzone.kit.uploads): bytes per uploaded file, and for spreadsheets the
    # sum of the zip members' uncompressed sizes, their overall compression ratio and the
    # data rows of a sheet or CSV file. Checked before anything is parsed or stored.
    upload_max_bytes: int = 20 * 1024 * 1024
    upload_max_unzipped_bytes: int = 200 * 1024 * 1024
    upload_max_zip_ratio: int = 100
    upload_max_rows: int = 1_000_000
    # SQLite: how long a writer waits for another writer's lock before answering 503 (seconds).
    sqlite_busy_timeout: float = 15.0
    # Database connections of one worker process (both backends): `db_pool_size` kept open,
    # up to `db_max_overflow` more under load, and how long a request waits for one (seconds).
    # On PostgreSQL keep workers x (db_pool_size + db_max_overflow) below the server's
    # max_connections (100 by default).
    db_pool_size: int = Field(default=20, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout: float = Field(default=30.0, gt=0, le=3600)
    # Requests one worker process serves at once; the others wait in line (first come, first
    # served) holding neither a thread nor a connection (api/limits.py). A request holds its
    # connection from its first query until its response is ready, also while it waits for a
    # thread, so this must not exceed the pool's whole size (checked here): more, and the
    # threads could all wait for connections held by requests that wait for a thread. The
    # work is CPU-bound (one process runs Python on one core at a time), so a few are enough:
    # more only share the core, and make a SQLite writer hold the write lock longer.
    max_requests_in_flight: int = Field(default=8, ge=1, le=10000)
    # Ask for the public pages once in each worker process before it takes requests, so the
    # first visitors do not pay for cold caches (api/warm.py); defaults to True when env is
    # production (set explicitly to override).
    warm_caches: bool = False

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "COOPZONE_SECRET_KEY must be set to a real secret outside development mode"
            )
        if len(self.secret_key) < 16:
            raise ValueError("COOPZONE_SECRET_KEY must be at least 16 characters long")
        return self

    @model_validator(mode="after")
    def _secure_cookies_in_production(self) -> Settings:
        if "cookie_secure" not in self.model_fields_set:
            self.cookie_secure = self.env == "production"
        return self

    @model_validator(mode="after")
    def _warm_caches_in_production(self) -> Settings:
        if "warm_caches" not in self.model_fields_set:
            self.warm_caches = self.env == "production"
        return self

    @model_validator(mode="after")
    def _in_flight_within_the_pool(self) -> Settings:
        pool = self.db_pool_size + self.db_max_overflow
        if self.max_requests_in_flight > pool:
            raise ValueError(
                f"COOPZONE_MAX_REQUESTS_IN_FLIGHT ({self.max_requests_in_flight}) must not exceed "
                f"COOPZONE_DB_POOL_SIZE + COOPZONE_DB_MAX_OVERFLOW ({pool}): a request waiting "
                "for a connection would hold a thread that the holders of the connections need")
        return self

    @property
    def pool_options(self) -> dict[str, Any]:
        """The connection pool's options for :func:`coopzone.db.make_engine`."""
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_max_overflow,
                "pool_timeout": self.db_pool_timeout}

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
