"""政务服务"好差评": one evaluation per case, and the follow-up of a 差评.

* :func:`evaluate_case` — the front of the case (its window's clerks, or the department's for
  全程网办) records the applicant's grade once the result is delivered; the case moves
  ``delivered → evaluated`` (kit.workflow, history row). One per case.
* A 差评 (不满意, 非常不满意) opens a :class:`FollowUp` for the organisation rated (the
  window's organisation, else the department), due ``gov_followup_working_days`` working days
  after the evaluation day (setting, default 15: one city's rule [S], an assumption), counted
  as the clock counts; where the calendar ends, the due date is NULL with the reason.
* :func:`answer_followup` — that organisation's editors answer with the rectification (整改)
  and the return call (回访); answered late is recorded as such (``on_time`` False).
* :func:`due_followups` — the open follow-ups due within N working days of the platform's
  today, or overdue (``coopzone services followups``); :func:`notify_due_followups` reminds
  the owner organisation's users of each through the notifications module, once per
  follow-up per day however often it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import Organisation
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.engines.working_days import Calendar, Deadline
from coopzone.errors import Conflict, Forbidden, InvalidInput, RowError, found
from coopzone.gov_services.models import (
    BAD_GRADES,
    Case,
    CaseEvent,
    Evaluation,
    FollowUp,
    Item,
)
from coopzone.gov_services.schemas import EvaluationCreate, FollowUpAnswer
from coopzone.gov_services.service import clock
from coopzone.gov_services.service.cases import CASE_FLOW, get_case
from coopzone.gov_services.service.permissions import org_ids
from coopzone.kit.workflow import Moved
from coopzone.notifications import service as notifications
from coopzone.notifications.service import Event


@dataclass(frozen=True)
class Evaluated:
    evaluation: Evaluation
    followup: FollowUp | None


def evaluate_case(session: Session, principal: Principal, case_id: int,
                  data: EvaluationCreate, at: datetime | None = None,
                  calendar: Calendar | None = None, platform: clock.Clock | None = None
                  ) -> Evaluated:
    """Record the applicant's grade (see the module docstring): at ``at``, else now on the
    ``platform`` clock, whose settings give the follow-up's period."""
    CASE_FLOW.transition("evaluate")
    case = get_case(session, case_id, lock=True)
    CASE_FLOW.check(principal, case, "evaluate")
    if session.scalar(select(Evaluation.id).where(Evaluation.case_id == case.id)) is not None:
        raise Conflict("此办件已评价（每件一次）", detail=f"case {case.id} is evaluated")
    on = clock.process_clock(platform)
    when = at or on.now()
    owner = case.window.organisation_id if case.window is not None else case.department_id
    made: list[Evaluation] = []

    def effects(c: Case, moved: Moved[Case]) -> None:
        ev = Evaluation(case_id=c.id, grade=data.grade, comment=data.comment.strip(),
                        window_id=c.window_id, owner_org_id=owner, evaluated_at=moved.at,
                        recorded_by=principal.label)
        session.add(ev)
        made.append(ev)

    moved = CASE_FLOW.move(session, principal, case, "evaluate", data.comment, at=when,
                           effects=effects)
    if isinstance(moved.row, CaseEvent):
        case.events.append(moved.row)
    evaluation = made[0]
    followup = None
    if data.grade in BAD_GRADES:
        days = on.settings.gov_followup_working_days
        due = (calendar or on.calendar).add(when, days)
        followup = FollowUp(evaluation_id=evaluation.id, owner_org_id=owner, state="open",
                            due_on=due.due, due_reason=due.reason)
        session.add(followup)
        session.flush()
    return Evaluated(evaluation, followup)


def get_followup(session: Session, followup_id: int) -> FollowUp:
    return found(session.get(FollowUp, followup_id), "差评整改", "follow-up", followup_id)


def answer_followup(session: Session, principal: Principal, followup_id: int,
                    data: FollowUpAnswer, at: datetime | None = None,
                    platform: clock.Clock | None = None) -> FollowUp:
    """The rated organisation's editors answer a 差评 once: 整改 and 回访."""
    followup = session.scalar(select(FollowUp).where(FollowUp.id == followup_id)
                              .with_for_update().execution_options(populate_existing=True))
    followup = found(followup, "差评整改", "follow-up", followup_id)
    if not (principal.may_write_scope()
            and principal.is_member(followup.owner_org_id, WRITE_ROLES)):
        raise Forbidden("只有被评价的单位可以答复差评整改",
                        detail=f"{principal.label} may not answer follow-up {followup.id}")
    if followup.state != "open":
        raise Conflict("此差评已答复", detail=f"follow-up {followup.id} is answered")
    when = at or clock.process_clock(platform).now()
    followup.rectification, followup.reply = data.rectification.strip(), data.reply.strip()
    followup.state, followup.answered_at, followup.answered_by = "answered", when, principal.label
    followup.on_time = (None if followup.due_on is None
                        else clock.local_day(when) <= followup.due_on)
    session.flush()
    return followup


def open_followups(session: Session, principal: Principal, overdue_on: date | None = None
                   ) -> list[FollowUp]:
    """The open follow-ups of the principal's organisations (``overdue_on``: only those past
    their due date on that day)."""
    query = select(FollowUp).where(FollowUp.state == "open",
                                   FollowUp.owner_org_id.in_(org_ids(principal)))
    if overdue_on is not None:
        query = query.where(FollowUp.due_on < overdue_on)
    return list(session.scalars(query.order_by(FollowUp.due_on, FollowUp.id)))


# ---- reminders --------------------------------------------------------------------------------

FOLLOWUP_DUE_KIND = "followup_due"


@dataclass(frozen=True)
class DueFollowUp:
    """An open follow-up that is due soon or overdue, with its case and owner: ``left`` is
    the working days left before its due day ends (0 on the day itself; negative: overdue by
    that many; None where the calendar does not cover the count)."""

    followup: FollowUp
    case_id: int
    case_number: str
    item_name: str
    owner_org_id: int
    owner: str
    left: int | None
    overdue: bool


def due_followups(session: Session, within: int, today: date | None = None,
                  calendar: Calendar | None = None, platform: clock.Clock | None = None
                  ) -> list[DueFollowUp]:
    """The open follow-ups whose due day is at most ``within`` working days after ``today``
    (the platform's), or already past, most urgent first. A follow-up with no due date (its
    count reached a year without a calendar) is not due on any known day and is left out."""
    if within < 0:
        raise InvalidInput("提前天数不能为负数", [RowError(None, "due_within", "应为非负整数")])
    on = clock.process_clock(platform)
    today = today or on.today()
    calendar = calendar or on.calendar
    query = (select(FollowUp, Evaluation.case_id, Case.number, Item.name, Organisation.name)
             .join(Evaluation, Evaluation.id == FollowUp.evaluation_id)
             .join(Case, Case.id == Evaluation.case_id).join(Item, Item.id == Case.item_id)
             .join(Organisation, Organisation.id == FollowUp.owner_org_id)
             .where(FollowUp.state == "open", FollowUp.due_on.is_not(None)))
    # The N-th working day after today: a due day on or before it is due within N working
    # days (due days are working days). Past the calendar, every later day is a candidate.
    limit = calendar.add(today, within).due
    if limit is not None:
        query = query.where(FollowUp.due_on <= limit)
    out = []
    for followup, case_id, number, item_name, owner in session.execute(
            query.order_by(FollowUp.due_on, FollowUp.id)):
        due = followup.due_on
        assert due is not None  # the query's condition
        left = calendar.left(Deadline(due, 0), today).days
        overdue = due < today
        if not overdue and (left is None or left > within):
            continue
        out.append(DueFollowUp(followup, case_id, number, item_name, followup.owner_org_id,
                               owner, left, overdue))
    return out


def notify_due_followups(session: Session, within: int, today: date | None = None,
                         calendar: Calendar | None = None, platform: clock.Clock | None = None
                         ) -> tuple[list[DueFollowUp], int]:
    """Remind the users of each due follow-up's owner organisation (a notification about
    its case): once per follow-up and day, so a daily job that runs twice sends nothing
    more. Returns the follow-ups and the notifications made."""
    today = today or clock.process_clock(platform).today()
    rows = due_followups(session, within, today, calendar, platform)
    made = 0
    for row in rows:
        made += notifications.notify_organisations(session, [row.owner_org_id], Event(
            FOLLOWUP_DUE_KIND, "gov_case", row.case_id, f"{row.case_number} {row.item_name}",
            f"followup:{row.followup.id}:remind:{today.isoformat()}",
            row.followup.due_on.isoformat() if row.followup.due_on else ""))
    return rows, made
