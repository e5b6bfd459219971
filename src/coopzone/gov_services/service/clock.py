"""The case clock: deadlines, working days used and left, overdue (《行政许可法》).

* The time limit of a case is its item's promised limit (承诺时限), else its statutory one
  (法定时限), in working days (Art. 82: statutory holidays not counted).
* It starts at acceptance (受理) by the handling department; the day of acceptance is not
  counted (periods start the next day), so the deadline is the end (24:00, Asia/Shanghai) of
  the N-th working day after it: :meth:`Calendar.add`.
* Pauses (:class:`CasePause`) are days, both ends included, on which the clock stands still:
  a 补正 from the day the request is issued to the day the materials arrive (counting resumes
  the next working day, as a period restarting that day would); postage where the item says so.
  While a 补正 is open the deadline is unknown ("paused for correction").
* The calendar is the platform's (:func:`coopzone.kit.calendar.platform_calendar`: shipped
  years plus loaded notices). A count reaching a year it does not know stores no date but the
  reason "no calendar for 2027"; never a weekends-only guess.

"Now" is the platform's one clock (:class:`Clock`), never the machine's date: built from the
settings the app, the request or the command was made with, its today is their ``as_of`` date
(a demo, a replay) or else the day in Asia/Shanghai, as ``Settings.today()`` gives it to every
domain. The edges pass theirs (``Clock(settings)``); a service called with none falls back to
the process's settings (:func:`process_clock`: a command, a job, a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coopzone.config import Settings, get_settings
from coopzone.db import SHANGHAI, now
from coopzone.engines.working_days import Calendar, Deadline, Pause
from coopzone.gov_services.models import Case, CasePause
from coopzone.kit.calendar import platform_calendar

REASON_PAUSED = "paused for correction"
REASON_NO_LIMIT = "no time limit"
# The states in which the clock runs (a case that can be overdue).
RUNNING_STATES = ("accepted",)


@dataclass(frozen=True)
class Clock:
    """The platform's clock as one set of settings gives it (those of an app, a request or a
    command): today, now and the working-day calendar under their data dir."""

    settings: Settings

    def today(self) -> date:
        return self.settings.today()

    def now(self) -> datetime:
        """The current moment: with ``as_of`` set (a demo, a replay), that day at the current
        Shanghai time of day."""
        moment = now()
        if self.settings.as_of is None:
            return moment
        return datetime.combine(self.settings.as_of, moment.timetz()).astimezone(SHANGHAI)

    @property
    def calendar(self) -> Calendar:
        """The shipped years with the notices loaded under the settings' data dir."""
        return platform_calendar(self.settings)


def process_clock(given: Clock | None = None) -> Clock:
    """``given``, else the clock of the process's own settings (the environment): for a
    command, a job or a test that passes none. A request always passes its app's."""
    return given if given is not None else Clock(get_settings())


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def closed_pauses(pauses: list[CasePause], until: date | None = None) -> list[Pause]:
    """The pauses as date ranges; an open one runs until ``until`` (else it is left out)."""
    out: list[Pause] = []
    for p in pauses:
        last = p.last_day if p.last_day is not None else until
        if last is not None and last >= p.first_day:
            out.append((p.first_day, last))
    return out


def _paused_working_days(calendar: Calendar, start: date, pauses: list[Pause]) -> int:
    total = 0
    for first, last in pauses:
        begin = max(first - timedelta(days=1), start)
        counted = calendar.count(begin, last)
        total += counted.days or 0
    return total


def refresh_deadline(case: Case, pauses: list[CasePause], calendar: Calendar) -> None:
    """Set ``deadline``/``deadline_reason``/``paused_days`` from the acceptance, the item's
    limit and the pauses (``case.item`` loaded)."""
    if case.accepted_at is None:
        case.deadline, case.deadline_reason, case.paused_days = None, None, 0
        return
    start = local_day(case.accepted_at)
    ranges = closed_pauses(pauses)
    case.paused_days = _paused_working_days(calendar, start, ranges)
    limit = case.item.time_limit
    if limit is None:  # no limit: a 补正 pauses nothing that could fall due
        case.deadline, case.deadline_reason = None, REASON_NO_LIMIT
    elif any(p.last_day is None for p in pauses):
        case.deadline, case.deadline_reason = None, REASON_PAUSED
    else:
        due = calendar.add(case.accepted_at, limit, ranges)
        case.deadline, case.deadline_reason = due.due, due.reason


@dataclass(frozen=True)
class CaseClock:
    """What a case page shows of the clock. ``used``/``left`` are None when unknown (not
    started, paused with no deadline, or a year without a calendar: ``reason``)."""

    started_on: date | None
    limit: int | None
    deadline: date | None
    reason: str | None
    used: int | None
    left: int | None
    overdue: bool
    paused: bool
    paused_days: int

    @property
    def shown(self) -> str:
        """The deadline as a page shows it when there is no date: ``unknown: <reason>``."""
        if self.deadline is not None:
            return self.deadline.isoformat()
        return f"unknown: {self.reason}" if self.reason else ""


def case_clock(case: Case, pauses: list[CasePause], calendar: Calendar, today: date
               ) -> CaseClock:
    """The clock of ``case`` on ``today`` (the platform's): working days used (up to the
    decision, or today), left before the deadline (negative: overdue by that many)."""
    paused = case.state == "correction"
    if case.accepted_at is None:
        return CaseClock(None, case.item.time_limit, None, case.deadline_reason, None, None,
                         False, False, 0)
    start = local_day(case.accepted_at)
    end = case.decided_on or today
    ranges = closed_pauses(pauses, until=end)
    used = calendar.count(case.accepted_at, end, ranges).days
    left: int | None = None
    if case.deadline is not None and case.decided_on is None:
        left = calendar.left(Deadline(case.deadline, case.item.time_limit or 0), today).days
    return CaseClock(start, case.item.time_limit, case.deadline, case.deadline_reason,
                     used, left, is_overdue(case, today), paused, case.paused_days)


def is_overdue(case: Case, today: date) -> bool:
    """Running past its deadline, or decided after it."""
    if case.on_time is False:
        return True
    return (case.state in RUNNING_STATES and case.deadline is not None
            and case.deadline < today)
