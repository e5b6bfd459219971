"""Indicators: computed from the records as of a date, or reported with evidence.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.config import get_settings
from coopzone.cooperation.models import (
    Document,
    Indicator,
    IndicatorValue,
)
from coopzone.cooperation.schemas import (
    ReportedValueIn,
)
from coopzone.cooperation.service.agreements import (
    AgreementFilter,
    agreement_ids,
    agreements_by_county,
)
from coopzone.cooperation.service.documents import Upload, _store_upload
from coopzone.cooperation.service.meetings import MeetingFilter, list_meetings
from coopzone.cooperation.service.projects import list_projects
from coopzone.cooperation.service.tasks import TaskFilter, list_tasks, on_time
from coopzone.db import now
from coopzone.ecology.evaluation import Headline, headline
from coopzone.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError

# ---- indicators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    """A computed value and what it was computed from: the kind of record (``entity``), the
    rows' ids, records without an id (``keys``, e.g. a section's months) and the filter that
    selects them (``params``). The page and API layers build links from these
    (coopzone.web.links); services build no URLs."""

    value: Decimal | None
    entity: str = ""
    ids: tuple[int, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    note: str = ""
    keys: tuple[str, ...] = ()
    # How many records, where there are too many to list their ids (the filter selects them).
    count: int | None = None

    def provenance(self) -> dict[str, Any]:
        out: dict[str, Any] = {"entity": self.entity, "ids": list(self.ids),
                               "params": dict(self.params), "note": self.note}
        if self.keys:
            out["keys"] = list(self.keys)
        if self.count is not None:
            out["count"] = self.count
        return out


def _params(values: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in values.items() if v not in (None, ""))


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _c_agreements_signed(session: Session, as_of: date) -> Computed:
    """与湘赣边24个县签署各类合作协议: agreements of every kind with a party in one of the
    zone's counties (so not, e.g., a 跨省通办 agreement between 萍乡市 and 长沙市)."""
    f = AgreementFilter(signed_to=as_of, zone_county=True)
    ids = agreement_ids(session, f)
    return Computed(Decimal(len(ids)), "cooperation_agreement", tuple(ids),
                    _params(f.params()))


def _c_agreements_in_force(session: Session, as_of: date) -> Computed:
    f = AgreementFilter(in_force_at=as_of)
    ids = agreement_ids(session, f)
    return Computed(Decimal(len(ids)), "cooperation_agreement", tuple(ids),
                    _params(f.params()))


def _c_counties_covered(session: Session, as_of: date) -> Computed:
    f = AgreementFilter(signed_to=as_of)
    counties = agreements_by_county(session, f)
    return Computed(Decimal(len(counties)), "cooperation_agreement", tuple(agreement_ids(
        session, f)), _params(f.params() | {"view": "county"}),
        note="覆盖县（市、区）代码：" + "、".join(sorted(counties)))


def _c_tasks_on_time(session: Session, as_of: date) -> Computed:
    tasks = [t for t in list_tasks(session, TaskFilter(state="accepted"))
             if t.accepted_at is not None and t.accepted_at.date() <= as_of]
    good = [t for t in tasks if on_time(t)]
    return Computed(_share(len(good), len(tasks)), "cooperation_task",
                    tuple(t.id for t in tasks), (("state", "accepted"),),
                    note=f"已验收 {len(tasks)} 项，其中按期提交 {len(good)} 项")


def _c_project_completion(session: Session, as_of: date) -> Computed:
    projects = list_projects(session)
    figures: list[int] = []
    for p in projects:
        reports = [r for r in p.reports if r.reported_on <= as_of]
        figures.append(max(reports, key=lambda r: (r.reported_on, r.id)).percent_complete
                       if reports else 0)
    value = (Decimal(sum(figures)) / len(figures)).quantize(Decimal("0.1"), ROUND_HALF_UP) \
        if figures else None
    return Computed(value, "cooperation_project", tuple(p.id for p in projects),
                    note="各项目截至当日最近一次报告的完成率的平均值")


def _meetings(session: Session, as_of: date, series: str, our_role: str | None = None
              ) -> Computed:
    f = MeetingFilter(series=series, our_role=our_role)
    kw = {k: v for k, v in (("series", series), ("our_role", our_role)) if v}
    meetings = [m for m in list_meetings(session, f) if m.held_on <= as_of]
    return Computed(Decimal(len(meetings)), "cooperation_meeting",
                    tuple(sorted(m.id for m in meetings)), _params(kw))


CZT_SERIES = "长株潭一体化发展市委书记联席会议"
CONFERENCE_SERIES = "湘赣边区域合作示范区建设推进大会"


def _c_observer(session: Session, as_of: date) -> Computed:
    return _meetings(session, as_of, series=CZT_SERIES, our_role="observer")


def _c_conferences(session: Session, as_of: date) -> Computed:
    return _meetings(session, as_of, series=CONFERENCE_SERIES)


@contextmanager
def _figures_cache(session: Session) -> Iterator[None]:
    """Compute the ecology figures once per page, not once per card."""
    owner = "coop_ecology_figures" not in session.info
    if owner:
        session.info["coop_ecology_figures"] = {}
    try:
        yield
    finally:
        if owner:
            session.info.pop("coop_ecology_figures", None)


def _ecology_headline(session: Session, as_of: date) -> Headline:
    cache: dict[date, Headline] | None = session.info.get("coop_ecology_figures")
    if cache is not None and as_of in cache:
        return cache[as_of]
    result = headline(session, as_of)
    if cache is not None:
        cache[as_of] = result
    return result


def ecology_figures(session: Session, as_of: date) -> dict[str, Any] | None:
    """The ecology domain's headline figures as of ``as_of`` (computed from readings and the
    ledger)."""
    return dict(_ecology_headline(session, as_of).figures)


ECOLOGY_NOTES = {
    "jinyushi_streak_months": "金鱼石断面截至上一个完整月份的连续达标月份",
    "basin_sections_good_share": "渌水流域上一个完整月份水质优良（Ⅲ类及以上）的断面占比",
    "compensation_paid_to_jiangxi": "截至当日已支付的年度结算单与已结清的调整",
}
_FROM_ECOLOGY = "from_ecology"


def ecology_card(session: Session, indicator: Indicator, as_of: date) -> Computed | None:
    """The current value of a computed indicator that comes from the ecology figures (so
    from readings), or None for any other indicator."""
    computation = COMPUTATIONS.get(indicator.code) if indicator.source == "computed" else None
    if computation is None or not getattr(computation, _FROM_ECOLOGY, False):
        return None
    return computation(session, as_of)


def _ecology(key: str, scale: Decimal = Decimal(1)) -> Callable[[Session, date], Computed]:
    def compute(session: Session, as_of: date) -> Computed:
        found = _ecology_headline(session, as_of)
        source = found.sources.get(key)
        if found.figures.get(key) is None or source is None:
            return Computed(None, "ecology_month", note="暂无数据")
        value = (Decimal(str(found.figures[key])) * scale).quantize(Decimal("0.0001"))
        return Computed(value, source.entity, source.ids, source.params,
                        note=ECOLOGY_NOTES.get(key, ""), keys=source.keys)
    setattr(compute, _FROM_ECOLOGY, True)
    return compute


COMPUTATIONS: dict[str, Callable[[Session, date], Computed]] = {
    "agreements_signed": _c_agreements_signed,
    "agreements_in_force": _c_agreements_in_force,
    "counties_covered": _c_counties_covered,
    "tasks_on_time": _c_tasks_on_time,
    "project_completion": _c_project_completion,
    "czt_observer_meetings": _c_observer,
    "promotion_conferences": _c_conferences,
    "jinyushi_streak_months": _ecology("jinyushi_streak_months"),
    "basin_sections_good_share": _ecology("basin_sections_good_share", Decimal(100)),
    "compensation_paid_to_jiangxi": _ecology("compensation_paid_to_jiangxi",
                                             Decimal("0.0001")),  # yuan -> 万元
}


def register_computation(code: str, computation: Callable[[Session, date], Computed]) -> None:
    """Add a figure computed by a domain that builds on cooperation (gov_services imports
    cooperation, never the reverse): it registers its computations when it is imported."""
    COMPUTATIONS[code] = computation


def define_indicator(session: Session, code: str, name: str, unit: str, source: str,
                     target: Decimal | None = None, period: str = "year", name_en: str = "",
                     reporter: str = "", position: int = 0) -> Indicator:
    """Create or update an indicator definition (idempotent)."""
    if source == "computed" and code not in COMPUTATIONS:
        raise InvalidInput(f"没有名为 {code} 的计算方法",
                           [RowError(None, "code", "应为平台已有的计算方法之一："
                                     + "、".join(COMPUTATIONS))])
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        indicator = Indicator(code=code)
        session.add(indicator)
    indicator.name, indicator.unit, indicator.source = name, unit, source
    indicator.target, indicator.period, indicator.name_en = target, period, name_en
    indicator.reporter, indicator.position = reporter, position
    session.flush()
    return indicator


def get_indicator(session: Session, code: str) -> Indicator:
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound(f"没有指标 {code}", detail=f"unknown indicator {code}")
    return indicator


def list_indicators(session: Session) -> list[Indicator]:
    return list(session.scalars(select(Indicator).order_by(Indicator.position, Indicator.id)))


def compute(session: Session, indicator: Indicator, as_of: date) -> Computed:
    if indicator.source != "computed":
        raise Conflict(f"指标 {indicator.code} 由单位填报，不能计算", detail="reported indicator")
    computation = COMPUTATIONS.get(indicator.code)
    if computation is None:  # a domain's figure whose module this process has not imported
        return Computed(None, note="计算方法未加载")
    return computation(session, as_of)


def valid_period(period: str) -> bool:
    return re.fullmatch(r"\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?", period) is not None


def period_end(period: str) -> date:
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 12, 31)
    month = int(period[6]) * 3 if period[5] == "Q" else int(period[5:7])
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def store_value(session: Session, indicator: Indicator, period: str, value: Decimal,
                 source: str, provenance: dict[str, Any], by: str,
                 evidence: Document | None = None) -> IndicatorValue:
    row = session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == period))
    evidence_id = evidence.id if evidence else None
    if row is not None and (row.value, row.source, row.provenance, row.evidence_id) == (
            value, source, provenance, evidence_id):
        return row  # the same value again changes nothing
    if row is None:
        row = IndicatorValue(indicator_id=indicator.id, period=period)
        session.add(row)
    row.value, row.source, row.provenance, row.recorded_by = value, source, provenance, by
    row.evidence_id = evidence_id
    row.recorded_at = now()
    session.flush()
    return row


def snapshot(session: Session, period: str, as_of: date | None = None, by: str = "system",
             today: date | None = None) -> list[IndicatorValue]:
    """Compute every computed indicator for ``period`` as of its last day (or ``as_of``), but
    never later than the platform's today (``today``, else the settings' clock), and store the
    value with the records it was computed from."""
    as_of = as_of or min(period_end(period), today or get_settings().today())
    stored: list[IndicatorValue] = []
    with _figures_cache(session):
        computed = [(i, compute(session, i, as_of)) for i in list_indicators(session)
                    if i.source == "computed"]
    for indicator, result in computed:
        if result.value is not None:
            provenance = result.provenance() | {"as_of": as_of.isoformat()}
            stored.append(store_value(session, indicator, period, result.value, "computed",
                                       provenance, by))
    return stored


PERIOD_FORMS = {"year": (r"\d{4}", "a year such as 2025"),
                "quarter": (r"\d{4}-Q[1-4]", "a quarter such as 2025-Q3"),
                "month": (r"\d{4}-(0[1-9]|1[0-2])", "a month such as 2025-09")}


def may_report_indicator(principal: Principal, indicator: Indicator) -> bool:
    """Editors of the reporting organisation (and platform admins) report its values."""
    return indicator.source == "reported" and principal.may_write_scope() and (
        principal.is_platform_admin or any(
            r.organisation == indicator.reporter and r.role in WRITE_ROLES
            for r in principal.roles))


def _check_report(principal: Principal, indicator: Indicator, period: str) -> None:
    if indicator.source != "reported":
        raise Conflict(f"指标 {indicator.code} 由平台计算，不能填报", detail="computed indicator")
    if not may_report_indicator(principal, indicator):
        raise Forbidden(f"只有{indicator.reporter or '填报单位'}的编辑可以填报此指标",
                        detail=f"{principal.username} may not report {indicator.code}")
    pattern, example = PERIOD_FORMS[indicator.period]
    if re.fullmatch(pattern, period) is None:
        raise InvalidInput(f"期间 {period} 不符合指标的填报周期",
                           [RowError(None, "period", example)])


def report_value(session: Session, principal: Principal, code: str, period: str,
                 value: Decimal, evidence: Document | None = None) -> IndicatorValue:
    """The reporting organisation reports a value for a period (of the indicator's kind: a
    year, quarter or month), with evidence."""
    indicator = get_indicator(session, code)
    _check_report(principal, indicator, period)
    provenance = {"reported_by": principal.label,
                  "organisations": [r.organisation for r in principal.roles],
                  "evidence": evidence.filename if evidence else ""}
    return store_value(session, indicator, period, value, "reported", provenance,
                        principal.label, evidence)


def report_value_with_evidence(session: Session, principal: Principal, code: str,
                               data: ReportedValueIn, files_dir: Path,
                               evidence: Upload | None = None) -> IndicatorValue:
    """Report a value with an evidence file, stored only once the report may be made."""
    _check_report(principal, get_indicator(session, code), data.period)
    doc = _store_upload(session, files_dir, evidence, principal.label)
    return report_value(session, principal, code, data.period, data.value, doc)


def history(session: Session, indicator_id: int) -> list[IndicatorValue]:
    return list(session.scalars(select(IndicatorValue)
                                .where(IndicatorValue.indicator_id == indicator_id)
                                .order_by(IndicatorValue.period)))


@dataclass
class Card:
    """An indicator's current value; ``source`` is what it was computed from (a provenance:
    entity, ids, params), for the page to link to."""

    indicator: Indicator
    value: Decimal | None
    source: dict[str, Any]
    source_note: str
    trend: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def reached(self) -> bool | None:
        if self.value is None or self.indicator.target is None:
            return None
        return self.value >= self.indicator.target


def indicator_cards(session: Session, as_of: date) -> list[Card]:
    with _figures_cache(session):
        return _cards(session, as_of)


def _cards(session: Session, as_of: date) -> list[Card]:
    indicators = list_indicators(session)
    values: dict[int, list[IndicatorValue]] = {}
    for v in session.scalars(select(IndicatorValue).order_by(IndicatorValue.period)):
        values.setdefault(v.indicator_id, []).append(v)
    cards: list[Card] = []
    for ind in indicators:
        trend = [(v.period, v.value) for v in values.get(ind.id, [])]
        if ind.source == "computed":
            result = compute(session, ind, as_of)
            cards.append(Card(ind, result.value, result.provenance(), result.note, trend))
        else:
            latest = values.get(ind.id, [])
            last = latest[-1] if latest else None
            cards.append(Card(ind, last.value if last else None,
                              {"entity": "cooperation_indicator", "ids": [ind.id],
                               "params": {"code": ind.code}},
                              f"{ind.reporter} · {last.period}" if last else ind.reporter,
                              trend))
    return cards




