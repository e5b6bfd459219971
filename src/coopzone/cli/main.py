"""``coopzone`` command line."""

from __future__ import annotations

import typer
from rich.progress import Progress
from rich.table import Table

import coopzone
from coopzone.accounts import service as accounts
from coopzone.cli.context import command_session, console, settings
from coopzone.cooperation.cli import app as cooperation_app
from coopzone.demo import DEMO_PASSWORD, demo_logins, demo_steps
from coopzone.ecology.cli import app as ecology_app
from coopzone.migrate import upgrade
from coopzone.places.service import load_places

app = typer.Typer(help="coopzone: 湘赣边区域合作示范区平台", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
places_app = typer.Typer(help="Reference places (GB/T 2260).", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for machine clients.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(places_app, name="places")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(demo_app, name="demo")
app.add_typer(ecology_app, name="ecology")
app.add_typer(cooperation_app, name="cooperation")


@app.command()
def version() -> None:
    """Print the version."""
    console.print(coopzone.__version__)


@app.command()
def serve(host: str | None = None, port: int | None = None, reload: bool = False) -> None:
    """Serve the web app and API (uvicorn)."""
    import uvicorn

    cfg = settings()
    uvicorn.run("coopzone.api.main:app", host=host or cfg.host, port=port or cfg.port,
                reload=reload, log_level="info")


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


def main() -> None:
    app()
