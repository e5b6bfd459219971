"""Meetings and their resolutions.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.service import Principal
from coopzone.cooperation.models import (
    Meeting,
    MeetingMember,
    Resolution,
)
from coopzone.cooperation.schemas import (
    MeetingCreate,
    PartyIn,
)
from coopzone.cooperation.service.parties import PlaceIndex, resolve_party
from coopzone.cooperation.service.permissions import require_office
from coopzone.errors import Conflict, found
from coopzone.kit.listing import contains

# ---- meetings ---------------------------------------------------------------------------------


def create_meeting(session: Session, principal: Principal, data: MeetingCreate) -> Meeting:
    require_office(principal, "登记联席会议")
    clash = session.scalar(select(Meeting.id).where(Meeting.title == data.title,
                                                    Meeting.held_on == data.held_on))
    if clash is not None:
        raise Conflict(f"会议《{data.title}》已登记", detail="meeting exists")
    meeting = Meeting(**data.model_dump(exclude={"members", "resolutions"}))
    index = PlaceIndex.load(session)
    seen: set[int] = set()
    for m in data.members:
        party = resolve_party(session, PartyIn(name=m.name), index)
        if party.id not in seen:
            meeting.members.append(MeetingMember(party_id=party.id, party=party, role=m.role))
            seen.add(party.id)
    meeting.resolutions = [Resolution(number=i, text=t)
                           for i, t in enumerate(data.resolutions, start=1)]
    session.add(meeting)
    session.flush()
    return meeting


@dataclass(frozen=True)
class MeetingFilter:
    kind: str | None = None
    series: str | None = None
    our_role: str | None = None
    year: int | None = None
    q: str | None = None  # a keyword in the title, place or host


# The columns the keyword ``q`` searches.
MEETING_SEARCH = (Meeting.title, Meeting.place, Meeting.host)


def meeting_query(f: MeetingFilter | None = None) -> Select[Meeting]:
    """The meetings a filter selects (unordered; a list or an export orders it)."""
    f = f or MeetingFilter()
    query = select(Meeting).options(
        selectinload(Meeting.members).selectinload(MeetingMember.party),
        selectinload(Meeting.resolutions))
    if f.kind:
        query = query.where(Meeting.kind == f.kind)
    if f.series:
        query = query.where(Meeting.series == f.series)
    if f.our_role:
        query = query.where(Meeting.our_role == f.our_role)
    if f.year:
        query = query.where(Meeting.held_on >= date(f.year, 1, 1),
                            Meeting.held_on <= date(f.year, 12, 31))
    keyword = contains(f.q, MEETING_SEARCH)
    if keyword is not None:
        query = query.where(keyword)
    return query


def list_meetings(session: Session, f: MeetingFilter | None = None) -> list[Meeting]:
    return list(session.scalars(meeting_query(f).order_by(Meeting.held_on.desc(),
                                                          Meeting.id.desc())))


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(
        selectinload(Meeting.members).selectinload(MeetingMember.party),
        selectinload(Meeting.resolutions)))
    return found(meeting, "会议", "meeting", meeting_id)


def list_resolutions(session: Session) -> list[Resolution]:
    """Every resolution with its meeting, newest meeting first (the sources of tasks)."""
    return list(session.scalars(
        select(Resolution).join(Meeting).options(selectinload(Resolution.meeting))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc(), Resolution.number)))


def get_resolution(session: Session, resolution_id: int) -> Resolution:
    return found(session.get(Resolution, resolution_id), "决议", "resolution", resolution_id)




