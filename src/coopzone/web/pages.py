"""Shell pages: home, login/logout, the zone map. Each page is public or needs a login."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coopzone.accounts import audit_labels
from coopzone.accounts import sessions as login_sessions
from coopzone.accounts.audit import set_actor
from coopzone.accounts.lists import AuditFilter, page_audit
from coopzone.accounts.models import User
from coopzone.accounts.service import (
    Principal,
    create_token,
    list_tokens,
    require_platform_admin,
    revoke_token,
)
from coopzone.api.deps import CurrentUser, OptionalUser, SessionDep, check_csrf
from coopzone.api.listing import list_params
from coopzone.api.sessions import begin_login, client_address, current_login, end_login
from coopzone.errors import InvalidInput
from coopzone.kit.listing import ListParams
from coopzone.kit.validation import Id, Key, Str
from coopzone.places import service as places
from coopzone.web.i18n import translations
from coopzone.web.listing import ListView
from coopzone.web.templating import N_, locale_of, render

router = APIRouter(include_in_schema=False)

# Marked for translation; templates show them with _(role).
ROLE_NAMES = (N_("admin"), N_("editor"), N_("viewer"))


def verify_csrf_form(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form post carries the session's CSRF token."""
    check_csrf(request, csrf_token)


CsrfChecked = Depends(verify_csrf_form)
AuditPageParams = Annotated[ListParams, Depends(list_params(default_per_page=100,
                                                            max_per_page=1000))]


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
    settings = request.app.state.settings
    result = login_sessions.authenticate(session, username.strip(), password, settings,
                          address=client_address(request))
    if result.principal is None:
        _ = translations(locale_of(request)).gettext
        # A known and an unknown name get the same page, status and headers.
        if result.reason == "throttled":
            error = (_("Too many failed attempts. Try again in %(seconds)s seconds.")
                     % {"seconds": result.retry_after})
            response = render(request, "login.html", {"next": _safe_next(next),
                                                      "error": error}, status_code=429)
            response.headers["Retry-After"] = str(result.retry_after)
            return response
        # The failure is committed by the session dependency; the page says no.
        return render(request, "login.html", {"next": _safe_next(next),
                                              "error": _("Wrong user name or password.")},
                      status_code=401)
    principal = result.principal
    set_actor(session, principal.user_id, principal.label)
    previous = current_login(request)
    if previous is not None:
        login_sessions.end_session(session, previous.id, "replaced")
    row, key = login_sessions.start_session(
        session, principal.user_id, settings, ip=client_address(request),
        user_agent=request.headers.get("user-agent", ""))
    begin_login(request, row, key)  # a new session key and a new CSRF token after login
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep) -> Response:
    login = current_login(request)
    if login is not None:
        login_sessions.end_session(session, login.id, "logout")
    end_login(request)
    return RedirectResponse("/", status_code=303)


def _account_page(request: Request, session: SessionDep, principal: Principal,
                  status_code: int = 200, **extra: object) -> Response:
    login = current_login(request)
    return render(request, "account.html", {
        "tokens": list_tokens(session, principal.user_id),
        "sessions": login_sessions.list_active_sessions(session, principal.user_id,
                                                        request.app.state.settings),
        "current_session_id": login.id if login is not None else None,
        "new_token": None, "message": None, "password_error": None, **extra,
    }, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, principal: CurrentUser,
            done: Key | None = None) -> Response:
    """The user's roles, login sessions, password and API tokens (for automatic stations
    and other machine clients)."""
    _ = translations(locale_of(request)).gettext
    messages = {"password": _("Password changed. Your other sessions were ended."),
                "sessions": _("Your other sessions were ended."),
                "session": _("The session was ended.")}
    return _account_page(request, session, principal, message=messages.get(done or ""))


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=[CsrfChecked])
def account_create_token(request: Request, session: SessionDep, principal: CurrentUser,
                         name: Annotated[Str, Form(max_length=120)],
                         write: Annotated[str, Form()] = "") -> Response:
    user = session.get(User, principal.user_id)
    assert user is not None
    scopes = ["read", "write"] if write == "yes" else ["read"]
    _token, plain = create_token(session, user, name.strip() or "token", scopes)
    # Shown once, on this page: never stored in plain text, never put in a cookie.
    return _account_page(request, session, principal, new_token=plain)


@router.post("/account/password", response_class=HTMLResponse, dependencies=[CsrfChecked])
def account_change_password(request: Request, session: SessionDep, principal: CurrentUser,
                            current_password: Annotated[str, Form()],
                            new_password: Annotated[str, Form()],
                            new_password_again: Annotated[str, Form()]) -> Response:
    """Change the password; every other session of the user ends, this one stays."""
    _ = translations(locale_of(request)).gettext
    if new_password != new_password_again:
        return _account_page(request, session, principal, status_code=422,
                             password_error=_("The two new passwords differ."))
    login = current_login(request)
    try:
        login_sessions.change_password(
            session, principal, current_password, new_password, request.app.state.settings,
            keep_session_id=login.id if login is not None else None,
            address=client_address(request))
    except InvalidInput as exc:
        # Committed all the same: a wrong current password counts as a failed try.
        return _account_page(request, session, principal, status_code=422,
                             password_error=exc.message)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/sessions/end-others", dependencies=[CsrfChecked])
def account_end_other_sessions(request: Request, session: SessionDep,
                               principal: CurrentUser) -> Response:
    login = current_login(request)
    login_sessions.end_user_sessions(session, principal.user_id, "ended",
                                     keep_session_id=login.id if login is not None else None)
    return RedirectResponse("/account?done=sessions", status_code=303)


@router.post("/account/sessions/{session_id}/end", dependencies=[CsrfChecked])
def account_end_session(request: Request, session: SessionDep, principal: CurrentUser,
                        session_id: int) -> Response:
    login_sessions.end_own_session(session, principal, session_id)
    login = current_login(request)
    if login is not None and login.id == session_id:
        end_login(request)
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/account?done=session", status_code=303)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def account_revoke_token(session: SessionDep, principal: CurrentUser,
                         token_id: Id) -> Response:
    revoke_token(session, token_id, principal)
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, principal: CurrentUser,
               params: AuditPageParams, entity: Key | None = None,
               q: Key | None = None) -> Response:
    """Every write, newest first: who, when, what, before and after (platform admins)."""
    require_platform_admin(principal)
    result = page_audit(session, AuditFilter(entity or None, q or None), params)
    locale = locale_of(request)
    return render(request, "audit.html", {
        "rows": result.items, "lv": ListView(request, result), "entity": entity or "",
        "q": q or "", "tables": audit_labels.table_choices(locale),
        "table_label": lambda t: audit_labels.table_label(t, locale),
        "field_label": lambda f: audit_labels.field_label(f, locale),
        "action_label": lambda a: audit_labels.action_label(a, locale),
        "actor_label": lambda a: audit_labels.actor_label(a, locale)})
