"""The agreements workbook: all or nothing, a preview first, idempotent, round-trips."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation import service
from coopzone.cooperation.exporters import workbook
from coopzone.cooperation.importers import read_agreements
from coopzone.cooperation.models import Agreement, AgreementParty, Party
from coopzone.errors import InvalidInput, RowError
from tests.helpers import GOOD_ROWS, HEADER, Coop, count, xlsx


def snapshot_counts(session: Session) -> tuple[int, int, int, int]:
    return (count(session, Agreement), count(session, Party), count(session, AgreementParty),
            count(session, AuditLog))


def test_preview_writes_nothing_then_confirm_writes_every_row(session: Session,
                                                              coop: Coop) -> None:
    rows = read_agreements(xlsx([HEADER, *GOOD_ROWS]))
    before = snapshot_counts(session)
    preview = service.preview_agreements(session, rows)
    assert [(r.row, r.action) for r in preview.rows] == [(2, "new"), (3, "new"), (4, "new")]
    assert snapshot_counts(session) == before
    service.import_agreements(session, coop.office, rows)
    assert count(session, Agreement) == 3
    second = service.list_agreements(session, service.AgreementFilter(q="产业园区"))[0]
    assert [ap.party.place_code for ap in second.parties] == ["360313", "430281"]
    assert (second.signed_on, second.field, second.status) == (date(2023, 3, 8), "industry",
                                                               "in_force")
    third = service.list_agreements(session, service.AgreementFilter(q="红色文旅"))[0]
    assert third.signed_on == date(2024, 7, 1) and third.status == "signed"


def test_the_same_file_twice_adds_nothing(session: Session, coop: Coop) -> None:
    content = xlsx([HEADER, *GOOD_ROWS])
    service.import_agreements(session, coop.office, read_agreements(content))
    session.flush()
    before = snapshot_counts(session)
    again = service.import_agreements(session, coop.office, read_agreements(content))
    assert [r.action for r in again.rows] == ["unchanged"] * 3
    assert snapshot_counts(session) == before


def test_a_changed_row_is_shown_then_updated(session: Session, coop: Coop) -> None:
    service.import_agreements(session, coop.office, read_agreements(xlsx([HEADER, *GOOD_ROWS])))
    changed = list(GOOD_ROWS)
    changed[0] = (*changed[0][:5], "已到期")
    rows = read_agreements(xlsx([HEADER, *changed]))
    preview = service.preview_agreements(session, rows)
    assert [(r.action, r.changes) for r in preview.rows] == [
        ("changed", {"status": ["in_force", "expired"]}), ("unchanged", {}), ("unchanged", {})]
    service.import_agreements(session, coop.office, rows)
    first = service.list_agreements(session, service.AgreementFilter(q="互联互通"))[0]
    assert first.status == "expired" and count(session, Agreement) == 3


def test_header_variants_are_tolerated(session: Session, coop: Coop) -> None:
    content = xlsx([("编号", "名称", "签约单位", "签订日期", "合作领域", "协议状态", "签约地点",
                     "期限（年）"),
                    (1, "萍乡市—攸县信用体系建设合作框架协议",
                     "萍乡市发展和改革委员会；攸县发展和改革局", "2023/11/2", "信用", "生效",
                     "攸县", "5年")])
    [row] = read_agreements(content)
    assert (row.title, row.parties, row.signed_on, row.field, row.status, row.signed_at,
            row.term_years) == ("萍乡市—攸县信用体系建设合作框架协议",
                                ("萍乡市发展和改革委员会", "攸县发展和改革局"),
                                date(2023, 11, 2), "credit", "in_force", "攸县", 5)


def test_a_file_with_bad_rows_is_refused_whole_with_every_reason(session: Session,
                                                                 coop: Coop) -> None:
    content = xlsx([HEADER, GOOD_ROWS[0],
                    (2, "", "萍乡市人民政府", "2023-02-30", "航天", "作废"),
                    (3, "萍乡市—茶陵县人才交流合作协议", "", "2023-05-01", "人才", "履行中"),
                    (4, GOOD_ROWS[0][1], "萍乡市人民政府", "2023-05-01", "人才", "履行中")])
    before = snapshot_counts(session)
    with pytest.raises(InvalidInput) as refused:
        read_agreements(content, "协议.xlsx", locale="en")
    assert refused.value.errors == [
        RowError(3, "协议名称", "empty or too short"),
        RowError(3, "签署日期", "not a date: '2023-02-30'"),
        RowError(3, "领域", refused.value.errors[2].reason),
        RowError(3, "状态", refused.value.errors[3].reason),
        RowError(4, "签署单位", "no party named (separate several with 、 or ；)"),
        RowError(5, "协议名称", "same title as row 2"),
    ]
    assert refused.value.errors[2].reason.startswith("unknown field '航天'")
    assert refused.value.errors[3].reason.startswith("unknown status '作废'")
    assert snapshot_counts(session) == before


def test_missing_columns_and_non_workbooks_are_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_agreements(xlsx([("序号", "协议名称", "签署日期"), (1, "某协议", "2023-01-01")]))
    assert [(e.row, e.column) for e in refused.value.errors] == [
        (1, "签署单位"), (1, "领域"), (1, "状态")]
    with pytest.raises(InvalidInput, match="不是 Excel"):
        read_agreements(b"not,a,workbook\n", "list.csv")


def test_rows_outside_your_jurisdiction_refuse_the_whole_file(session: Session,
                                                              coop: Coop) -> None:
    rows = read_agreements(xlsx([HEADER, *GOOD_ROWS]))
    before = snapshot_counts(session)
    with pytest.raises(InvalidInput) as refused:
        service.import_agreements(session, coop.jiangxi, rows)  # 湘东 is party to row 3 only
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "签署单位"),
                                                                (4, "签署单位")]
    assert snapshot_counts(session) == before


def test_export_then_import_changes_nothing(session: Session, coop: Coop) -> None:
    service.import_agreements(session, coop.office, read_agreements(xlsx([HEADER, *GOOD_ROWS])))
    exported = workbook("合作协议", service.AGREEMENT_HEADERS,
                        service.agreement_rows(service.list_agreements(session)))
    rows = read_agreements(exported)
    assert sorted(r.title for r in rows) == sorted(str(r[1]) for r in GOOD_ROWS)
    before = snapshot_counts(session)
    result = service.import_agreements(session, coop.office, rows)
    assert {r.action for r in result.rows} == {"unchanged"}
    assert snapshot_counts(session) == before
