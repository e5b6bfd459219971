"""The notifications page: the caller's notifications, newest first; opening one marks it
read and goes to its record."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coopzone.api.deps import CurrentUser, SessionDep
from coopzone.kit.validation import Id
from coopzone.notifications import service
from coopzone.notifications.models import Notification
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, render

router = APIRouter(include_in_schema=False)

KIND_NAMES = {
    "task_assigned": N_("A new task was assigned to your organisation"),
    "task_returned": N_("Your organisation's work on a task was returned"),
    "extension_requested": N_("An extension of a task's deadline was requested"),
    "extension_granted": N_("Your extension request was granted"),
    "extension_refused": N_("Your extension request was refused"),
    "task_due_soon": N_("A task of your organisation is due soon"),
    "followup_due": N_("A bad evaluation's follow-up is due soon or overdue: please answer"),
}
# Where each kind of record is shown (pages build links; the rows carry none).
ENTITY_PATHS = {"task": "/cooperation/tasks/{id}", "gov_case": "/services/cases/{id}"}


def link(n: Notification) -> str:
    pattern = ENTITY_PATHS.get(n.entity)
    return pattern.format(id=n.entity_id) if pattern else "/notifications"


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, session: SessionDep, principal: CurrentUser,
                  unread: bool = False) -> Response:
    rows = service.list_notifications(session, principal, unread)
    return render(request, "notifications/notifications.html", {
        "rows": rows, "unread_only": unread, "kind_names": KIND_NAMES, "link": link})


@router.post("/notifications/read", dependencies=[CsrfChecked])
def read_all(session: SessionDep, principal: CurrentUser) -> Response:
    service.mark_all_read(session, principal)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read", dependencies=[CsrfChecked])
def read_one(session: SessionDep, principal: CurrentUser, notification_id: Id) -> Response:
    row = service.mark_read(session, principal, notification_id)
    return RedirectResponse(link(row), status_code=303)
