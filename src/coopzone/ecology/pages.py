"""Ecology pages (public): sections and their water quality."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from coopzone.api.deps import OptionalUser, SessionDep
from coopzone.ecology import service
from coopzone.web.templating import render

router = APIRouter(prefix="/ecology", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, principal: OptionalUser) -> Response:
    return render(request, "ecology/index.html", {"sections": service.list_sections(session)})
