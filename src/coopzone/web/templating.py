"""Jinja2 environment shared by every domain's pages, with per-request locale and CSRF."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

import coopzone
from coopzone.accounts.security import new_csrf_token
from coopzone.web.i18n import LANGUAGE_NAMES, LOCALES, normalise, translations
from coopzone.web.listing import language_links
from coopzone.web.reasons import shown

TEMPLATE_PACKAGES = ("coopzone.web", "coopzone.ecology", "coopzone.cooperation",
                     "coopzone.notifications", "coopzone.gov_services")



def N_(message: str) -> str:
    """Mark a string for translation without translating it here (gettext convention)."""
    return message


NAVIGATION = (
    ("/", N_("Home")),
    ("/map", N_("Zone map")),
    ("/ecology", N_("Ecology")),
    ("/dashboard", N_("Dashboard")),
    ("/cooperation", N_("Cooperation")),
)


def _environment() -> Environment:
    loader = ChoiceLoader([PackageLoader(pkg, "templates") for pkg in TEMPLATE_PACKAGES])
    return Environment(loader=loader, autoescape=select_autoescape(["html"]))


templates = Jinja2Templates(env=_environment())


def locale_of(request: Request) -> str:
    """?lang= first, then the lang cookie, then the configured default (Chinese).
    The browser's Accept-Language is ignored on purpose: the platform speaks Chinese first."""
    settings_default = getattr(request.app.state.settings, "default_locale", "zh_CN")
    return (
        normalise(request.query_params.get("lang"))
        or normalise(request.cookies.get("lang"))
        or settings_default
    )


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:  # static files (an error page there has no form)
        return ""
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return str(token)


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    locale = locale_of(request)
    trans = translations(locale)
    ctx: dict[str, Any] = {
        "_": trans.gettext,
        "ngettext": trans.ngettext,
        "locale": locale,
        "html_lang": "zh-CN" if locale == "zh_CN" else "en",
        "locales": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        # The switch keeps the page's filters, page and sort.
        "language_links": language_links(request, list(LOCALES)),
        "navigation": NAVIGATION,
        "principal": getattr(request.state, "principal", None),
        # Called by the page header: the logged-in user's unread notifications (api.deps).
        "unread_notifications": getattr(request.state, "unread_notifications", None),
        "csrf_token": csrf_token(request),
        "version": coopzone.__version__,
        "path": request.url.path,
        # A refusal's row errors as this reader sees them (web/reasons.py).
        "shown_errors": lambda errors: shown(errors or [], locale),
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") and normalise(request.query_params.get("lang")):
        response.set_cookie("lang", locale, max_age=365 * 86400, samesite="lax", httponly=True,
                            secure=bool(getattr(request.app.state.settings, "cookie_secure",
                                                False)))
    return response
