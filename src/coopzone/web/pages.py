"""Shell pages: home, login/logout, the zone map. Each page is public or needs a login."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coopzone.accounts.audit import set_actor
from coopzone.accounts.models import User
from coopzone.accounts.security import new_csrf_token
from coopzone.accounts.service import (
    authenticate,
    create_token,
    list_audit,
    list_tokens,
    require_platform_admin,
    revoke_token,
)
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep, check_csrf
from coopzone.kit.validation import Id, Key, Str
from coopzone.places import service as places
from coopzone.web.i18n import translations
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)

# Marked for translation; templates show them with _(role).
ROLE_NAMES = (N_("admin"), N_("editor"), N_("viewer"))


def verify_csrf_form(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form post carries the session's CSRF token."""
    check_csrf(request, csrf_token)


CsrfChecked = Depends(verify_csrf_form)


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths, so the login form cannot redirect elsewhere.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return urlparse(target).path or "/"


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    counties = places.list_places(session, level="county", in_zone=True)
    return render(request, "home.html", {
        "hunan": [p for p in counties if p.code.startswith("43")],
        "jiangxi": [p for p in counties if p.code.startswith("36")],
    })


@router.get("/map", response_class=HTMLResponse)
def zone_map(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    counties = places.list_places(session, level="county", in_zone=True)
    cities = {p.code: p.name for p in places.list_places(session, level="city")}
    return render(request, "map.html", {"counties": counties, "cities": cities})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
def login(request: Request, session: SessionDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    result = authenticate(session, username.strip(), password, request.app.state.settings)
    if result.principal is None:
        _ = translations(locale_of(request)).gettext
        error = (_("Too many failed attempts. Try again in %(seconds)s seconds.")
                 % {"seconds": result.retry_after} if result.reason == "locked"
                 else _("Wrong user name or password."))
        # The failure count is committed by the session dependency; the page says no.
        return render(request, "login.html", {"next": _safe_next(next), "error": error},
                      status_code=401 if result.reason != "locked" else 429)
    principal = result.principal
    set_actor(session, principal.user_id, principal.label)
    request.session.clear()
    request.session["uid"] = principal.user_id
    request.session["csrf"] = new_csrf_token()  # a new token after login
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, principal: CurrentUser,
            created: Key | None = None) -> Response:
    """The user's roles and API tokens (for automatic stations and other machine clients)."""
    return render(request, "account.html", {
        "tokens": list_tokens(session, principal.user_id),
        "new_token": request.session.pop("new_token", None),
    })


@router.post("/account/tokens", dependencies=[CsrfChecked])
def account_create_token(request: Request, session: SessionDep, principal: CurrentUser,
                         name: Annotated[Str, Form(max_length=120)],
                         write: Annotated[str, Form()] = "") -> Response:
    user = session.get(User, principal.user_id)
    assert user is not None
    scopes = ["read", "write"] if write == "yes" else ["read"]
    _token, plain = create_token(session, user, name.strip() or "token", scopes)
    # Shown once, on the next page, never stored in plain text.
    request.session["new_token"] = plain
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def account_revoke_token(session: SessionDep, principal: CurrentUser,
                         token_id: Id) -> Response:
    revoke_token(session, token_id, principal)
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, principal: CurrentUser,
               entity: Key | None = None) -> Response:
    """Every write, newest first: who, when, what, before and after (platform admins)."""
    require_platform_admin(principal)
    return render(request, "audit.html", {"rows": list_audit(session, entity or None, 300),
                                          "entity": entity or ""})
