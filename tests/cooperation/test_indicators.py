"""Indicators: computed from the records with their provenance, or reported with evidence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.cooperation.models import IndicatorValue
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementStatusChange,
    AgreementUpdate,
    PartyIn,
)
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.helpers import Coop, count, xiangdong_agreement


def test_a_computed_value_is_stored_per_period_with_the_ids_it_came_from(
    session: Session, coop: Coop
) -> None:
    service.define_indicator(session, "agreements_in_force", "履行中的合作协议", "项",
                             "computed", Decimal(150))
    first = xiangdong_agreement(session, coop.office, "协议一")
    [value] = service.snapshot(session, "2023")
    assert (value.period, value.value, value.source) == ("2023", Decimal(1), "computed")
    assert value.provenance["ids"] == [first]
    assert value.provenance["link"] == (
        "/cooperation/agreements?in_force_at=2023-12-31")
    assert value.provenance["as_of"] == "2023-12-31"
    # Nothing was signed by the end of 2022.
    [earlier] = service.snapshot(session, "2022")
    assert earlier.value == Decimal(0) and earlier.provenance["ids"] == []
    # The same figures again change nothing.
    service.snapshot(session, "2023")
    assert count(session, IndicatorValue) == 2
    assert [(v.period, v.value) for v in service.history(session, value.indicator_id)] == [
        ("2022", Decimal(0)), ("2023", Decimal(1))]


def test_agreements_in_force_in_a_past_year_follow_their_dates(
    session: Session, coop: Coop
) -> None:
    """History is read from the dates (came into force, expired), not from today's status."""
    service.define_indicator(session, "agreements_in_force", "履行中的合作协议", "项",
                             "computed", Decimal(150))
    ended = xiangdong_agreement(session, coop.office, "协议一")  # in force from 2023-04-01
    service.change_agreement_status(session, coop.office, ended, AgreementStatusChange(
        status="expired", effective_on=date(2024, 6, 30)))
    later = service.create_agreement(session, coop.office, AgreementCreate(
        title="协议二", parties=[PartyIn(name="萍乡市湘东区人民政府")], field="ecology",
        signed_on=date(2023, 5, 1)))
    service.change_agreement_status(session, coop.office, later.id, AgreementStatusChange(
        status="in_force", effective_on=date(2024, 2, 1)))
    assert later.in_force_on == date(2024, 2, 1)
    in_force = {period: value.provenance["ids"]
                for period in ("2023", "2024", "2025")
                for value in service.snapshot(session, period)}
    assert in_force == {"2023": [ended], "2024": [later.id], "2025": [later.id]}
    listed = service.list_agreements(session, service.AgreementFilter(
        in_force_at=date(2023, 12, 31)))
    assert [a.id for a in listed] == [ended]
    # Terminated with no date on record: not counted as running on any day.
    unknown = xiangdong_agreement(session, coop.office, "协议三")
    service.update_agreement(session, coop.office, unknown,
                             AgreementUpdate(status="terminated"))
    assert [v.provenance["ids"] for v in service.snapshot(session, "2023")] == [[ended]]


def test_reported_values_need_the_reporting_organisation(session: Session, coop: Coop) -> None:
    reporter = coop.people.jiangxi_county_org.name
    service.define_indicator(session, "licensees", "品牌授权企业", "家", "reported",
                             Decimal(200), reporter=reporter)
    for outsider in (coop.office, coop.hunan, coop.viewer):
        with pytest.raises(Forbidden) as refused:
            service.report_value(session, outsider, "licensees", "2024", Decimal(210))
        assert refused.value.message == f"只有{reporter}的编辑可以填报此指标"
    assert count(session, IndicatorValue) == 0
    value = service.report_value(session, coop.jiangxi, "licensees", "2024", Decimal(210))
    assert value.source == "reported" and value.provenance["reported_by"] == "xiangdong"
    [card] = service.indicator_cards(session, date(2025, 9, 30))
    assert card.value == Decimal(210) and card.reached is True
    ind = service.get_indicator(session, "licensees")
    assert [service.may_report_indicator(p, ind) for p in (
        coop.jiangxi, coop.admin, coop.office, coop.hunan, coop.viewer)] == [
        True, True, False, False, False]
    service.define_indicator(session, "agreements_signed", "协议", "项", "computed")
    with pytest.raises(Conflict):
        service.report_value(session, coop.jiangxi, "agreements_signed", "2024", Decimal(1))


def test_a_reported_period_must_match_the_indicators_period(session: Session,
                                                            coop: Coop) -> None:
    reporter = coop.people.jiangxi_county_org.name
    service.define_indicator(session, "quarterly", "季度指标", "家", "reported", period="quarter",
                             reporter=reporter)
    for period in ("2025", "2025-09", "2025-Q5", "25-Q1"):
        with pytest.raises(InvalidInput) as bad:
            service.report_value(session, coop.jiangxi, "quarterly", period, Decimal(1))
        assert [(e.column, e.reason) for e in bad.value.errors] == [
            ("period", "a quarter such as 2025-Q3")]
    assert count(session, IndicatorValue) == 0
    assert service.report_value(session, coop.jiangxi, "quarterly", "2025-Q3",
                                Decimal("1.5")).value == Decimal("1.5000")


def test_periods() -> None:
    assert service.period_end("2024") == date(2024, 12, 31)
    assert service.period_end("2024-Q1") == date(2024, 3, 31)
    assert service.period_end("2024-02") == date(2024, 2, 29)
    assert service.period_end("2024-12") == date(2024, 12, 31)
    assert service.valid_period("2025-Q3") and not service.valid_period("2025-13")


def test_ecology_figures_follow_the_contract_when_present(session: Session) -> None:
    figures = service.ecology_figures(session, date(2025, 9, 30))
    if figures is not None:
        assert {"jinyushi_streak_months", "basin_sections_good_share", "basin_sections",
                "compensation_paid_to_jiangxi"} <= set(figures)
