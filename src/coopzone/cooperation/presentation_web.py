"""What every cooperation page shares: the names of the stored codes, figures written as people
write them, and the context each template gets (reminders, what the user may do)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.responses import Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.cooperation import service
from coopzone.kit.exporting import attachment_headers
from coopzone.web.i18n import translations
from coopzone.web.links import record_count, record_link
from coopzone.web.templating import N_

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FIELD_NAMES = {
    "transport": N_("Transport"), "industry": N_("Industry"), "ecology": N_("Ecology"),
    "public_services": N_("Public services"), "culture_tourism": N_("Culture and tourism"),
    "credit": N_("Credit"), "talent": N_("Talent"), "science": N_("Science and technology"),
    "agriculture": N_("Agriculture"), "trade": N_("Trade and logistics"), "other": N_("Other"),
}
STATUS_NAMES = {"signed": N_("Signed"), "in_force": N_("In force"), "expired": N_("Expired"),
                "terminated": N_("Terminated")}
STATE_NAMES = {"open": N_("Open"), "in_progress": N_("In progress"),
               "submitted": N_("Submitted"), "accepted": N_("Accepted")}
ACTION_NAMES = {"create": N_("Assigned"), "start": N_("Start"), "submit": N_("Submit"),
                "accept": N_("Accept"), "return": N_("Return")}
MEETING_KIND_NAMES = {"joint_meeting": N_("Joint meeting"), "forum": N_("Forum"),
                      "conference": N_("Conference")}
ROLE_NAMES = {"host": N_("Host"), "member": N_("Member"), "observer": N_("Observer")}
INDICATOR_PERIOD_NAMES = {"year": N_("Yearly"), "quarter": N_("Quarterly"),
                          "month": N_("Monthly")}
INDICATOR_SOURCE_NAMES = {"computed": N_("Computed by the platform"),
                          "reported": N_("Reported by an organisation")}
PROJECT_STATUS_NAMES = {"planned": N_("Planned"), "under_construction": N_("Under construction"),
                        "completed": N_("Completed"), "suspended": N_("Suspended")}

# Indicator units are stored in Chinese; their English forms for the English pages.
UNIT_EN = {"项": "", "个": "", "次": "times", "%": "%", "个月": "months", "万元": "×10,000 yuan",
           "家": "companies", "元": "yuan"}


def num(value: Decimal | int | float | None, places: int | None = None) -> str:
    """A figure as people write it: 212, 83.3, 6,600 (no trailing zeros)."""
    if value is None:
        return "—"
    d = Decimal(str(value))
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places))
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def spark(trend: list[tuple[str, Decimal]], width: int = 120, height: int = 28) -> str:
    """Points of an inline SVG polyline for a trend (no script needed)."""
    values = [float(v) for _p, v in trend]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
                    for i, v in enumerate(values))


def page_context(session: Session, principal: Principal | None, **extra: Any
                 ) -> dict[str, Any]:
    """The context of every cooperation template, with ``extra`` on top."""
    writer = principal is not None and service.has_write_role(principal)
    ctx: dict[str, Any] = {
        "reminders": service.reminders_for(session, principal),
        "is_office": principal is not None and service.is_office(principal),
        "may_create_agreement": writer, "may_create_project": writer,
        "field_names": FIELD_NAMES, "status_names": STATUS_NAMES, "state_names": STATE_NAMES,
        "action_names": ACTION_NAMES, "meeting_kind_names": MEETING_KIND_NAMES,
        "role_names": ROLE_NAMES, "project_status_names": PROJECT_STATUS_NAMES,
        "indicator_period_names": INDICATOR_PERIOD_NAMES,
        "num": num, "spark": spark, "record_link": record_link, "record_count": record_count,
    }
    ctx.update(extra)
    return ctx


def xlsx_response(name: str, content: bytes) -> Response:
    return Response(content, media_type=XLSX,
                    headers=attachment_headers(name))


def agreement_filters(session: Session, f: service.AgreementFilter, locale: str
                      ) -> list[tuple[str, str]]:
    """The agreement list's filters as (label, value) rows in the user's language, for the
    exported file: the same filters as the page."""
    t = translations(locale).gettext
    counties = service.unit_names(session)
    values = [
        (N_("County"), counties.get(f.county, f.county) if f.county else None),
        (N_("Status"), t(STATUS_NAMES.get(f.status, f.status)) if f.status else None),
        (N_("Field"), t(FIELD_NAMES.get(f.field, f.field)) if f.field else None),
        (N_("Party"), f.party), (N_("Year"), str(f.year) if f.year else None),
        (N_("Signed by"), f.signed_to.isoformat() if f.signed_to else None),
        (N_("Keyword"), f.q),
        (N_("In force on"), f.in_force_at.isoformat() if f.in_force_at else None),
    ]
    return [(t(label), value) for label, value in values if value]
