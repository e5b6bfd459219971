"""Agreements, their parties and obligations, and who may change them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.cooperation.models import Agreement, Document, Obligation, ObligationReport
from coopzone.cooperation.schemas import (
    AgreementCreate,
    ObligationCreate,
    ObligationReportCreate,
    PartyIn,
)
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.helpers import Coop, count, xiangdong_agreement


def test_parties_are_recognised_by_name(session: Session, coop: Coop) -> None:
    agreement = service.create_agreement(session, coop.office, AgreementCreate(
        title="萍乡—醴陵合作协议", field="industry", signed_on=date(2022, 1, 5),
        parties=[PartyIn(name="萍乡市湘东区人民政府"), PartyIn(name="醴陵市工业和信息化局"),
                 PartyIn(name="中南大学"), PartyIn(name="湘赣边新材料产业园区"),
                 PartyIn(name="江西省人民政府")]))
    got = [(ap.party.name, ap.party.kind, ap.party.place_code) for ap in agreement.parties]
    assert got == [("萍乡市湘东区人民政府", "county", "360313"),
                   ("醴陵市工业和信息化局", "bureau", "430281"),
                   ("中南大学", "university", None),
                   ("湘赣边新材料产业园区", "park", None),
                   ("江西省人民政府", "province", "360000")]
    with pytest.raises(Conflict):
        service.create_agreement(session, coop.office, AgreementCreate(
            title="萍乡—醴陵合作协议", field="industry", signed_on=date(2022, 1, 5),
            parties=[PartyIn(name="萍乡市人民政府")]))
    assert count(session, Agreement) == 1


def test_a_hunan_office_cannot_edit_the_obligations_of_a_jiangxi_agreement(
    session: Session, coop: Coop
) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    with pytest.raises(Forbidden):
        service.add_obligation(session, coop.hunan, agreement_id, ObligationCreate(
            description="建设联合监测站", owner="萍乡市湘东区人民政府"))
    assert count(session, Obligation) == 0
    obligation = service.add_obligation(session, coop.jiangxi, agreement_id, ObligationCreate(
        description="建设联合监测站", owner="萍乡市湘东区人民政府", due_on=date(2024, 6, 30)))
    with pytest.raises(Forbidden):
        service.report_obligation(session, coop.hunan, obligation.id, ObligationReportCreate(
            reported_on=date(2024, 6, 1), text="已完成"))
    with pytest.raises(Forbidden):
        service.add_obligation(session, coop.viewer, agreement_id, ObligationCreate(
            description="x" * 3, owner="萍乡市湘东区人民政府"))
    assert count(session, ObligationReport) == 0
    assert count(session, Obligation) == 1


def test_an_obligation_belongs_to_a_party(session: Session, coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    with pytest.raises(InvalidInput):
        service.add_obligation(session, coop.office, agreement_id, ObligationCreate(
            description="建设联合监测站", owner="株洲市人民政府"))
    assert count(session, Obligation) == 0


def test_progress_with_evidence_is_stored_by_hash(session: Session, coop: Coop,
                                                 tmp_path: Path) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    obligation = service.add_obligation(session, coop.jiangxi, agreement_id, ObligationCreate(
        description="建设联合监测站", owner="萍乡市湘东区人民政府", due_on=date(2024, 6, 30)))
    doc = service.store_document(session, tmp_path, "验收报告.pdf", b"%PDF-1.4 demo",
                                 "xiangdong")
    report = service.report_obligation(session, coop.jiangxi, obligation.id,
                                       ObligationReportCreate(reported_on=date(2024, 6, 20),
                                                              text="已建成", done=True), doc)
    assert report.evidence_id == doc.id and obligation.done_on == date(2024, 6, 20)
    assert (tmp_path / doc.sha256).read_bytes() == b"%PDF-1.4 demo"
    assert len(doc.sha256) == 64 and doc.filename == "验收报告.pdf" and doc.size == 13
    again = service.store_document(session, tmp_path, "copy.pdf", b"%PDF-1.4 demo")
    assert again.id == doc.id and count(session, Document) == 1
    attached = service.attach_document(session, coop.jiangxi, agreement_id, tmp_path,
                                       "协议文本.pdf", b"agreement text")
    assert attached.document is not None and attached.document.filename == "协议文本.pdf"
    with pytest.raises(Forbidden):
        service.attach_document(session, coop.hunan, agreement_id, tmp_path, "x.pdf", b"x")


def test_filters_and_counts_by_county_and_field(session: Session, coop: Coop) -> None:
    xiangdong_agreement(session, coop.office, "协议一")
    service.create_agreement(session, coop.office, AgreementCreate(
        title="协议二", field="transport", signed_on=date(2021, 5, 1), status="expired",
        parties=[PartyIn(name="萍乡市湘东区人民政府"), PartyIn(name="醴陵市人民政府")]))
    service.create_agreement(session, coop.office, AgreementCreate(
        title="协议三", field="transport", signed_on=date(2025, 5, 1), status="in_force",
        parties=[PartyIn(name="萍乡市人民政府"), PartyIn(name="浏阳市人民政府")]))
    f = service.AgreementFilter
    assert [a.title for a in service.list_agreements(session, f(county="360313"))] == [
        "协议一", "协议二"]
    assert [a.title for a in service.list_agreements(
        session, f(county="360313", status="in_force"))] == ["协议一"]
    assert [a.title for a in service.list_agreements(session, f(field="transport",
                                                               year=2021))] == ["协议二"]
    assert service.agreements_by_county(session) == {"360313": 2, "430281": 1, "430181": 1}
    assert service.agreements_by_field(session) == [("transport", 2), ("ecology", 1)]
    assert f(county="360313", status="in_force").query_string() == (
        "county=360313&status=in_force")


def test_a_hunan_editor_may_record_an_agreement_only_with_a_party_of_theirs(
    session: Session, coop: Coop
) -> None:
    with pytest.raises(Forbidden):
        xiangdong_agreement(session, coop.hunan)
    agreement = service.create_agreement(session, coop.hunan, AgreementCreate(
        title="醴陵—湘东协议", field="ecology", signed_on=date(2023, 4, 1),
        parties=[PartyIn(name="醴陵市人民政府"), PartyIn(name="萍乡市湘东区人民政府")]))
    assert agreement.id and count(session, Agreement) == 1
