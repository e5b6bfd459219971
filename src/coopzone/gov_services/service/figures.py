"""The dashboard's 跨省通办 figures, counted from the records, with what they were counted
from (a :class:`~coopzone.cooperation.service.indicators.Computed`: the kind of record, the
filter selecting them, the ids where they are few) for the pages to link to.

* ``kstb_agreements`` — 跨省通办 agreements (cooperation agreements linked to a
  :class:`KstbAgreement`) signed by the day: the article's "117".
* ``hunan_served_in_person`` — person-times (人次: cases, not distinct people) of applicants
  whose resident ID says Hunan (``applicant_province`` 430000, from the ID's first two
  digits), collected at a Pingxiang window (收件 done: ``formal_check_ok``), applied by the
  day: the article's "8000余人次湖南籍群众".
* ``services_on_time`` — of the cases decided by the day with a known deadline, the share
  decided on or before it (``on_time``), in per cent.

Registered with the cooperation indicators (:func:`register_computation`) when this module is
imported (the gov_services service package imports it), since gov_services builds on
cooperation and not the reverse. One SQL COUNT each: indexed, never a loop over cases.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.cooperation.models import Agreement
from coopzone.cooperation.service.indicators import Computed, register_computation
from coopzone.db import SHANGHAI
from coopzone.gov_services.models import Case, KstbAgreement
from coopzone.gov_services.service.queries import CaseSearch, served_conditions

PINGXIANG = "360300"
HUNAN = "430000"


def _next_day_start(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def kstb_agreements(session: Session, as_of: date) -> Computed:
    ids = list(session.scalars(select(KstbAgreement.id).join(
        Agreement, Agreement.id == KstbAgreement.agreement_id)
        .where(Agreement.signed_on <= as_of).order_by(KstbAgreement.id)))
    return Computed(Decimal(len(ids)), "gov_services_kstb_agreement", tuple(ids),
                    (("signed_to", as_of.isoformat()),),
                    note="与合作协议关联的跨省通办协议（市县两级签署）")


def served_filter(as_of: date, province: str = HUNAN, within: str = PINGXIANG) -> CaseSearch:
    """The cases counted as served in person: the case search's filter (the link's)."""
    return CaseSearch(applicant_kind="person", applicant_province=province,
                      collect_within=within, collected=True, applied_to=as_of)


def served_in_person(session: Session, as_of: date, province: str = HUNAN,
                     within: str = PINGXIANG) -> int:
    """Person-times of ``province``'s residents whose cases were collected at a window of
    ``within`` (applied by ``as_of``)."""
    f = served_filter(as_of, province, within)
    query = select(func.count(Case.id)).where(
        *served_conditions(f), Case.applied_at < _next_day_start(as_of))
    return int(session.scalar(query) or 0)


def hunan_served_in_person(session: Session, as_of: date) -> Computed:
    n = served_in_person(session, as_of)
    people = int(session.scalar(select(func.count(func.distinct(Case.id_number))).where(
        *served_conditions(served_filter(as_of)),
        Case.applied_at < _next_day_start(as_of))) or 0)
    params = (("applicant_kind", "person"), ("applicant_province", HUNAN),
              ("collect_within", PINGXIANG), ("collected", "1"),
              ("applied_to", as_of.isoformat()))
    return Computed(Decimal(n), "gov_services_case", (), params, count=n,
                    note=f"萍乡窗口收件、身份证号为湖南籍的办件 {n} 人次（{people} 人）")


def services_on_time(session: Session, as_of: date) -> Computed:
    decided = Case.decided_on <= as_of
    timed, good = session.execute(select(
        func.count(Case.on_time), func.count(Case.id).filter(Case.on_time.is_(True)))
        .where(decided)).one()
    value = None if not timed else (Decimal(good) * 100 / Decimal(timed)).quantize(
        Decimal("0.1"), ROUND_HALF_UP)
    month = f"{as_of:%Y-%m}"
    return Computed(value, "gov_services_statistics", (),
                    (("by", "month"), ("month_to", month)), count=int(timed),
                    note=f"截至当日办结且有办结时限的 {timed} 件中按时办结 {good} 件")


register_computation("kstb_agreements", kstb_agreements)
register_computation("hunan_served_in_person", hunan_served_in_person)
register_computation("services_on_time", services_on_time)
