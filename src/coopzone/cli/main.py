"""``coopzone`` command line."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.progress import Progress
from rich.table import Table

import coopzone
from coopzone.accounts import service as accounts
from coopzone.cli.calendar import calendar_app, services_app
from coopzone.cli.context import command_session, console, err_console, fail, settings
from coopzone.config import Settings
from coopzone.cooperation.cli import app as cooperation_app
from coopzone.demo import DEMO_PASSWORD, demo_logins, demo_steps
from coopzone.ecology.cli import app as ecology_app
from coopzone.errors import CoopzoneError
from coopzone.gov_services import cli as _services_cli  # noqa: F401  (mounts services …)
from coopzone.migrate import upgrade
from coopzone.ops import backup as ops_backup
from coopzone.ops.checks import Finding, errors, startup_checks
from coopzone.places.service import load_places

app = typer.Typer(help="coopzone: 湘赣边区域合作示范区平台", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
places_app = typer.Typer(help="Reference places (GB/T 2260).", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for machine clients.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
backup_app = typer.Typer(help="Backup and restore: the database and the uploaded files in one "
                         "archive.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(places_app, name="places")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(demo_app, name="demo")
app.add_typer(backup_app, name="backup")
app.add_typer(ecology_app, name="ecology")
app.add_typer(cooperation_app, name="cooperation")
app.add_typer(calendar_app, name="calendar")
app.add_typer(services_app, name="services")


@app.command()
def version() -> None:
    """Print the version."""
    console.print(coopzone.__version__)


# Exit code of a start refused by the start-up checks or by invalid settings.
NOT_READY = 3


def _settings_or_exit(json_logs: bool = False) -> Settings:
    """The settings, or a clear message per invalid one and exit 3 (as a JSON log line when
    serving in production)."""
    try:
        return settings()
    except ValidationError as exc:
        log = logging.getLogger("coopzone.config")
        if json_logs:
            from coopzone.ops.logging import configure_json_logging

            configure_json_logging()
        for error in exc.errors():
            if json_logs:
                log.error("invalid setting: %s", error["msg"])
            else:
                err_console.print(f"[red]配置错误 configuration error:[/red] {error['msg']}")
        raise typer.Exit(code=NOT_READY) from None


def _print_findings(findings: list[Finding]) -> None:
    marks = {"ok": "[green]ok[/green]     ", "warning": "[yellow]warning[/yellow]",
             "error": "[red]error[/red]  "}
    for f in findings:
        err_console.print(f"{marks[f.level]} {f.check}: {f.zh}")
        err_console.print(f"         {f.en}", soft_wrap=True)


def _run_checks(cfg: Settings) -> None:
    findings = startup_checks(cfg)
    _print_findings(findings)
    if errors(findings):
        err_console.print(f"[red]{len(errors(findings))} 项检查未通过，不能启动 "
                          f"{len(errors(findings))} check(s) failed[/red]")
        raise typer.Exit(code=NOT_READY)


@app.command()
def check() -> None:
    """Run the start-up checks only (production rules; exit 3 if one fails)."""
    _run_checks(_settings_or_exit())


def _default_workers() -> int:
    return max(2, os.cpu_count() or 1)


@app.command()
def serve(host: str | None = None, port: int | None = None, reload: bool = False,
          workers: int | None = typer.Option(
              None, min=1, envvar="COOPZONE_WORKERS",
              help="Worker processes (production default: the number of CPUs, at least 2; "
                   "development: 1)."),
          check_only: bool = typer.Option(False, "--check",
                                          help="Run the start-up checks and exit.")) -> None:
    """Serve the web app and API (uvicorn). In production the start-up checks run first,
    several workers serve and the logs are JSON lines."""
    import uvicorn

    cfg = _settings_or_exit(json_logs=not check_only
                            and os.environ.get("COOPZONE_ENV") == "production")
    if check_only:
        _run_checks(cfg)
        return
    production = cfg.env == "production"
    count = workers or (_default_workers() if production else 1)
    if reload and (production or count > 1):
        err_console.print("[red]--reload 只用于开发 --reload is for development with one "
                          "worker[/red]")
        raise typer.Exit(code=NOT_READY)
    options: dict[str, Any] = {"log_level": "info"}
    if production:
        from coopzone.ops.logging import configure_json_logging, log_config

        configure_json_logging()
        log = logging.getLogger("coopzone.ops.checks")
        findings = startup_checks(cfg)
        for f in findings:
            if f.level != "ok":
                log.log(logging.ERROR if f.level == "error" else logging.WARNING,
                        "%s: %s (%s)", f.check, f.zh, f.en)
        if errors(findings):
            log.error("refusing to start: %d start-up check(s) failed", len(errors(findings)))
            raise typer.Exit(code=NOT_READY)
        options.update(log_config=log_config(), server_header=False)
    uvicorn.run("coopzone.api.main:app", host=host or cfg.host, port=port or cfg.port,
                reload=reload, workers=count, **options)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or upgrade the database to the newest schema, then load the reference places."""
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(cfg.effective_database_url, revision)
    with command_session() as session:
        changed = load_places(session)
    console.print(f"database at {revision}; places changed: {changed}")


@places_app.command("load")
def places_load() -> None:
    """Load or refresh the shipped places (idempotent)."""
    with command_session() as session:
        changed = load_places(session)
    console.print(f"places changed: {changed}")


@user_app.command("create")
def user_create(
    username: str,
    password: str = typer.Option(None, help="Prompted when not given."),
    display_name: str = "",
    platform_admin: bool = typer.Option(False, "--platform-admin"),
    organisation: str | None = typer.Option(None, "--org", help="Organisation name."),
    org_kind: str = typer.Option("cooperation_office", "--org-kind"),
    place: str | None = typer.Option(None, "--place", help="6-digit place code of a new org."),
    role: str = typer.Option("viewer", "--role", help="admin | editor | viewer"),
) -> None:
    """Create a user, optionally with a role in an organisation (created when missing)."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with command_session() as session:
        user = accounts.create_user(session, username, password, display_name, platform_admin)
        if organisation:
            org = accounts.get_or_create_organisation(
                session, organisation, org_kind, place or "360300")
            accounts.grant_role(session, user, org, role)
    console.print(f"user {username} created")


@user_app.command("grant")
def user_grant(username: str, organisation: str, role: str = "viewer") -> None:
    """Give a user a role in an existing organisation."""
    from sqlalchemy import select

    from coopzone.accounts.models import Organisation
    from coopzone.errors import NotFound

    with command_session() as session:
        user = accounts.get_user_by_name(session, username)
        org = session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            raise NotFound(f"没有机构 {organisation}")
        accounts.grant_role(session, user, org, role)
    console.print(f"{username}: {role} of {organisation}")


@user_app.command("deactivate")
def user_deactivate(username: str) -> None:
    """Deactivate a user: no more logins, and every open session of theirs ends now."""
    from coopzone.accounts.sessions import set_user_active

    with command_session() as session:
        set_user_active(session, accounts.Principal(0, "cli", "cli", True), username, False)
    console.print(f"user {username} deactivated; their sessions ended")


@user_app.command("activate")
def user_activate(username: str) -> None:
    """Let a deactivated user log in again (their old sessions stay ended)."""
    from coopzone.accounts.sessions import set_user_active

    with command_session() as session:
        set_user_active(session, accounts.Principal(0, "cli", "cli", True), username, True)
    console.print(f"user {username} activated")


@token_app.command("create")
def token_create(username: str, name: str = "cli",
                 scope: list[str] = typer.Option(["read"], "--scope"),
                 days: int | None = None) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    with command_session() as session:
        user = accounts.get_user_by_name(session, username)
        _token, plain = accounts.create_token(session, user, name, scope, days)
    console.print(plain, soft_wrap=True)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    with command_session() as session:
        principal = accounts.Principal(0, "cli", "cli", True)
        accounts.revoke_token(session, token_id, principal)
    console.print(f"token {token_id} revoked")


@token_app.command("list")
def token_list(username: str) -> None:
    """List a user's tokens (never their secret)."""
    from sqlalchemy import select

    from coopzone.accounts.models import ApiToken

    table = Table("id", "name", "prefix", "scopes", "created", "revoked")
    with command_session(write=False) as session:
        user = accounts.get_user_by_name(session, username)
        for t in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            table.add_row(str(t.id), t.name, t.prefix + "…", t.scopes,
                          t.created_at.strftime("%Y-%m-%d %H:%M"),
                          t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "")
    console.print(table)


@demo_app.command("load")
def demo_load(password: str = typer.Option(DEMO_PASSWORD, help="Password of the demo users.")
              ) -> None:
    """Load the demo data of every module (idempotent) and print the demo logins."""
    steps = demo_steps(password)
    with command_session("cli:demo") as session, Progress(console=console) as progress:
        task = progress.add_task("demo", total=len(steps))
        for name, step in steps:
            progress.update(task, description=name)
            step(session)
            progress.advance(task)
    logins = demo_logins()
    table = Table("user", "password", "role")
    for username, role in logins:
        table.add_row(username, password, role)
    console.print(table)


def _revisions_note(cfg: Settings, revisions: list[str]) -> None:
    from alembic.script import ScriptDirectory

    from coopzone.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(cfg.effective_database_url)).get_heads()
    if set(revisions) != set(heads):
        console.print("the database is at an older schema revision than this coopzone: run "
                      "[bold]coopzone db upgrade[/bold] before serving")


@backup_app.command("create")
def backup_create(
    path: Path = typer.Argument(help="Archive to write (.tar.gz, .tar.xz, .tar.bz2 or .tar)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    compression: str | None = typer.Option(
        None, help="gz, xz, bz2 or none (default: from the file name)."),
) -> None:
    """Back up the database and the uploaded files into one archive (safe while serving)."""
    cfg = _settings_or_exit()
    chosen: Any = None if compression is None else {"none": ""}.get(compression, compression)
    if chosen not in (None, "", "gz", "xz", "bz2"):
        raise typer.BadParameter("gz, xz, bz2 or none", param_hint="--compression")
    try:
        manifest = ops_backup.create_backup(cfg, path, overwrite=force, compression=chosen)
    except CoopzoneError as exc:
        fail(exc)
    files = sum(1 for name in manifest["members"] if name.startswith(ops_backup.DATA_PREFIX))
    console.print(f"backup written to {path.resolve()}: {manifest['backend']} database at "
                  f"{', '.join(manifest['alembic_revisions'])}, {files} files, "
                  f"{path.stat().st_size} bytes")


@backup_app.command("verify")
def backup_verify(path: Path) -> None:
    """Check an archive (readable, complete, every checksum) without restoring it."""
    try:
        manifest = ops_backup.read_manifest(path)
    except CoopzoneError as exc:
        fail(exc)
    console.print(f"{path}: ok; {manifest['backend']} database at "
                  f"{', '.join(manifest['alembic_revisions'])}, created "
                  f"{manifest['created_at']}, {len(manifest['members'])} members")


@backup_app.command("restore")
def backup_restore(
    path: Path,
    force: bool = typer.Option(False, "--force",
                               help="Replace a database and data dir that are not empty."),
) -> None:
    """Restore the database and the uploaded files from an archive (stop the server first).
    Refused, with nothing changed, if the archive is damaged or from a newer schema."""
    cfg = _settings_or_exit()
    try:
        manifest = ops_backup.restore_backup(cfg, path, force=force)
    except CoopzoneError as exc:
        fail(exc)
    files = sum(1 for name in manifest["members"] if name.startswith(ops_backup.DATA_PREFIX))
    console.print(f"restored {path.resolve()} (created {manifest['created_at']}): database at "
                  f"{', '.join(manifest['alembic_revisions'])}, {files} files")
    _revisions_note(cfg, manifest["alembic_revisions"])


def main() -> None:
    app()
