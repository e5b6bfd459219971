"""What every command shares: settings, a session per command (all or nothing), output."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from coopzone.accounts.audit import install_audit_hook, set_actor
from coopzone.config import Settings, get_settings
from coopzone.db import make_engine, make_session_factory, transaction
from coopzone.errors import CoopzoneError
from coopzone.kit import uploads

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


@contextmanager
def command_session(actor: str | None = None, write: bool = True) -> Iterator[Session]:
    """One command, one transaction; an expected failure prints its reasons and exits 2.
    Commands write unless they say otherwise (``write=False``): on SQLite the transaction
    begins IMMEDIATE so a command queues behind the server's writers instead of failing."""
    install_audit_hook()
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    uploads.sweep(cfg.data_dir, cfg.data_dir / "files")  # left by a process that died
    factory = make_session_factory(make_engine(cfg.effective_database_url,
                                               sqlite_busy_timeout=cfg.sqlite_busy_timeout))
    try:
        with transaction(factory, write=write) as session:
            set_actor(session, None, actor or f"cli:{getpass.getuser()}")
            yield session
    except CoopzoneError as exc:
        fail(exc)


def fail(exc: CoopzoneError) -> None:
    err_console.print(f"[red]错误 error:[/red] {exc.message}")
    if exc.detail:
        err_console.print(f"  {exc.detail}")
    for e in getattr(exc, "errors", []):
        err_console.print(f"  row {e.row}, column {e.column}: {e.reason}")
    raise typer.Exit(code=2)
