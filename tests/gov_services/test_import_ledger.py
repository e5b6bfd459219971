"""Importing a window's 台账 of past cases: history and clock written, all or nothing with
row/column/reason, refusals write nothing, the same file twice adds nothing, a preview writes
nothing, only the window's clerks."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.errors import Forbidden, InvalidInput
from coopzone.gov_services.importers import ledger_template, read_ledger
from coopzone.gov_services.models import Case, CaseEvent, Evaluation, FollowUp, ImportedFile
from coopzone.gov_services.service import ledger
from tests.gov_services.conftest import World, credit_code, resident_id
from tests.helpers import xlsx

TODAY = date(2025, 10, 31)
HEADER = ("受理编号", "申请人", "证件号码", "电话", "事项", "办理方式", "收件窗口", "办理部门",
          "收件日期", "受理日期", "办结日期", "结果", "评价", "快递单号")


def row(number: str = "XD2025-0001", *, name: str = "张小三", id_number: str | None = None,
        item: str = "户口迁移（测试）", window: str = "湘东区跨省通办窗口",
        dept: str = "醴陵市公安局", collected: str = "2025-09-22", accepted: str = "2025-09-24",
        decided: str = "2025-10-10", result: str = "准予", grade: str = "",
        mode: str = "异地代收代办") -> tuple[str, ...]:
    return (number, name, id_number or resident_id(), "13812345678", item, mode, window, dept,
            collected, accepted, decided, result, grade, "SF1234567890")


def csv_bytes(*rows: tuple[str, ...], header: tuple[str, ...] = HEADER) -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(int(session.scalar(select(func.count()).select_from(m)) or 0)
                 for m in (Case, CaseEvent, Evaluation, FollowUp, ImportedFile))


def apply(session: Session, w: World, content: bytes, name: str = "台账.csv",
          who: Principal | None = None) -> ledger.Outcome:
    rows = read_ledger(content, name, TODAY)
    return ledger.import_ledger(session, who or w.jx_window_clerk,
                                w.jx_window.id, rows, sha256=f"{hash(content):x}".ljust(64, "0"),
                                filename=name, calendar=w.calendar)


def refusal(session: Session, w: World, content: bytes) -> list[tuple[int | None, str | None,
                                                                      str]]:
    before = counts(session)
    with pytest.raises(InvalidInput) as caught:
        apply(session, w, content)
    assert counts(session) == before
    return [(e.row, e.column, e.reason) for e in caught.value.errors]


def test_past_cases_carry_their_history_and_clock(session: Session, world: World) -> None:
    w = world
    content = csv_bytes(
        row(),
        row("XD2025-0002", name="李四光", id_number=resident_id(seq="456"), accepted="2025-09-24",
            decided="2025-10-20", result="不予", grade="不满意"),
        row("XD2025-0003", name="萍乡某某有限公司", id_number=credit_code(), accepted="",
            decided="", result=""),
        row("XD2025-0004", accepted="", decided="2025-09-25", result="不予受理",
            id_number=resident_id(seq="789")),
    )
    outcome = apply(session, w, content)
    assert (outcome.count("new"), outcome.count("unchanged"), outcome.duplicate_file) == (
        4, 0, False)
    cases = {c.number: c for c in session.scalars(select(Case))}
    granted = cases["XD2025-0001"]
    # Accepted Wed 24 Sep 2025, 10 working days: 14 Oct (National Day, make-up days).
    assert (granted.state, granted.deadline, granted.outcome, granted.on_time,
            granted.working_days_used) == ("decided", date(2025, 10, 14), "granted", True, 7)
    assert (granted.collect_place_code, granted.handling_place_code, granted.applicant_province,
            granted.applied_month, granted.tracking_number) == (
        "360313", "430281", "430000", "2025-09", "SF1234567890")
    late = cases["XD2025-0002"]
    assert (late.state, late.on_time, late.outcome) == ("evaluated", False, "denied")
    assert cases["XD2025-0003"].state == "sent" and cases["XD2025-0003"].deadline is None
    assert cases["XD2025-0003"].applicant_kind == "enterprise"
    assert cases["XD2025-0004"].state == "not_accepted"
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == late.id)
                             .order_by(CaseEvent.id)).all()
    assert [(e.action, e.from_state, e.to_state, e.at.date()) for e in events] == [
        ("apply", "", "applied", date(2025, 9, 22)),
        ("collect", "applied", "collected", date(2025, 9, 22)),
        ("send", "collected", "sent", date(2025, 9, 22)),
        ("accept", "sent", "accepted", date(2025, 9, 24)),
        ("deny", "accepted", "decided", date(2025, 10, 20)),
        ("deliver", "decided", "delivered", date(2025, 10, 20)),
        ("evaluate", "delivered", "evaluated", date(2025, 10, 20))]
    assert all(e.note.startswith("台账导入（台账.csv 第 3 行）") for e in events)
    assert all(e.actor == "jxwin" for e in events)
    evaluation = session.scalar(select(Evaluation).where(Evaluation.case_id == late.id))
    assert evaluation is not None and evaluation.grade == "dissatisfied"
    # A past 差评 opens no follow-up (answered on paper, its time has passed).
    assert counts(session)[3] == 0
    stored = session.scalars(select(ImportedFile)).all()
    assert [(f.kind, f.rows, f.added, f.window_id) for f in stored] == [
        ("ledger", 4, 4, w.jx_window.id)]


def test_the_same_file_twice_adds_nothing(session: Session, world: World) -> None:
    w = world
    content = csv_bytes(row(), row("XD2025-0002", id_number=resident_id(seq="456")))
    apply(session, w, content)
    before = counts(session)
    again = apply(session, w, content)
    assert again.duplicate_file and again.nothing_to_do and again.count("new") == 0
    assert counts(session) == before
    # The same rows in another file (another order, an Excel copy): every row unchanged.
    book = xlsx([HEADER, row("XD2025-0002", id_number=resident_id(seq="456")), row()])
    copy = ledger.import_ledger(session, w.jx_window_clerk, w.jx_window.id,
                                read_ledger(book, "台账.xlsx", TODAY), sha256="b" * 64,
                                filename="台账.xlsx", calendar=w.calendar)
    assert (copy.count("new"), copy.count("unchanged"), copy.duplicate_file) == (0, 2, False)
    assert counts(session)[:4] == before[:4]


def test_a_preview_writes_nothing(session: Session, world: World) -> None:
    w = world
    before = counts(session)
    preview = ledger.preview_ledger(session, w.jx_window_clerk, w.jx_window.id,
                                    read_ledger(csv_bytes(row()), "台账.csv", TODAY), "c" * 64)
    assert [(r.row, r.key, r.action) for r in preview.rows] == [(2, "XD2025-0001", "new")]
    assert counts(session) == before


def test_bad_cells_are_refused_with_row_column_and_reason(session: Session,
                                                          world: World) -> None:
    w = world
    bad_id = resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1")
    errors = refusal(session, world, csv_bytes(
        row(),
        row("XD2025-0002", id_number=bad_id),
        row("XD2025-0003", collected="2025-11-02", accepted="", decided="", result=""),
        row("XD2025-0004", accepted="2025-09-20"),
        row("XD2025-0005", collected="2025-02-30"),
        row("XD2025-0001"),
    ))
    assert errors == [
        (3, "证件号码", "身份证号码校验位不对，可能有数字输错"),
        (4, "收件日期", "2025-11-02 晚于今天（2025-10-31）"),
        (5, "受理日期", "早于收件日期（2025-09-22）"),
        (6, "收件日期", "日期“2025-02-30”不存在"),
        (7, "受理编号", "与第 2 行的受理编号相同"),
    ]
    assert w.jx_window.id  # the window is untouched


def test_unknown_records_and_another_window_are_refused(session: Session,
                                                        world: World) -> None:
    errors = refusal(session, world, csv_bytes(
        row(),
        row("XD2025-0002", item="不存在的事项"),
        row("XD2025-0003", dept="某某局"),
        row("XD2025-0004", window="醴陵市跨省通办窗口"),
        row("XD2025-0005", dept="湘东区政务服务中心"),
    ))
    assert errors == [
        (3, "事项", "没有名称或编码为“不存在的事项”的事项"),
        (4, "办理部门", "没有名为“某某局”的机构"),
        (5, "收件窗口", "此行属于“醴陵市跨省通办窗口”，不是“湘东区跨省通办窗口”的台账"),
        (6, "办理部门", "“湘东区政务服务中心”不是办理部门"),
    ]


def test_impossible_orders_and_results(session: Session, world: World) -> None:
    errors = refusal(session, world, csv_bytes(
        row("A-0001", accepted="", decided="2025-10-10"),
        row("A-0002", result=""),
        row("A-0003", decided="", result="准予"),
        row("A-0004", accepted="", decided="", result="", grade="满意"),
        row("A-0005", mode="全程网办"),
    ))
    assert errors == [
        (2, "受理日期", "有办结日期的办件须有受理日期"),
        (3, "结果", "有办结日期的办件须填写结果（准予或不予）"),
        (4, "办结日期", "填写了结果，须有办结日期"),
        (5, "评价", "评价须在办结或不予受理之后"),
        (6, "办理方式", "全程网办的办件不经窗口收件，不在窗口台账中"),
    ]


def test_a_stored_number_with_other_values_is_refused(session: Session, world: World) -> None:
    w = world
    apply(session, w, csv_bytes(row()))
    errors = refusal(session, w, csv_bytes(row(decided="2025-10-13")))
    assert errors == [(2, "受理编号", "编号 XD2025-0001 的办件已存在，与此行不同（办结日期）；"
                                    "导入不改写已有办件")]


def test_english_reasons_and_missing_columns(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_ledger(csv_bytes(row(collected="2025-11-02", accepted="", decided="",
                                  result="")), "ledger.csv", TODAY, locale="en")
    assert [(e.row, e.column, e.reason) for e in caught.value.errors] == [
        (2, "收件日期", "2025-11-02 is after today (2025-10-31)")]
    with pytest.raises(InvalidInput) as missing:
        read_ledger("申请人,证件号码\n张三,1\n".encode(), "ledger.csv", TODAY)
    assert [e.column for e in missing.value.errors] == ["受理编号", "事项", "办理部门", "收件日期"]


def test_excel_with_aliases_dates_and_gbk_csv(session: Session, world: World) -> None:
    header = ("业务流水号", "申请人姓名", "身份证号", "办理事项", "承办部门", "收件时间",
              "受理时间")
    book = xlsx([header, ("XD-9", "王五", resident_id(), "T-001", "醴陵市公安局",
                          datetime(2025, 9, 22, 10, 30), "2025年9月24日")])
    rows = read_ledger(book, "台账.xlsx", TODAY)
    assert [(r.number, r.collected_on, r.accepted_on, r.item) for r in rows] == [
        ("XD-9", date(2025, 9, 22), date(2025, 9, 24), "T-001")]
    gbk = ",".join(header).encode("gb18030") + b"\n" + ",".join(
        ("XD-9", "王五", resident_id(), "T-001", "醴陵市公安局", "2025/9/22", "20250924")
    ).encode("gb18030") + b"\n"
    assert read_ledger(gbk, "台账.csv", TODAY) == rows
    done = ledger.import_ledger(session, world.jx_window_clerk, world.jx_window.id, rows,
                                sha256="d" * 64, filename="台账.xlsx", calendar=world.calendar)
    assert done.count("new") == 1
    case = session.scalar(select(Case).where(Case.number == "XD-9"))
    assert case is not None and (case.state, case.deadline) == ("accepted", date(2025, 10, 14))


def test_the_template_reads_back(world: World) -> None:
    rows = read_ledger(ledger_template(), "模板.xlsx", TODAY)
    assert [r.number for r in rows] == ["2025092201"]


def test_only_the_windows_clerks_import(session: Session, world: World) -> None:
    w = world
    rows = read_ledger(csv_bytes(row()), "台账.csv", TODAY)
    before = counts(session)
    for who in (w.hn_window_clerk, w.hn_dept_clerk, w.office, w.admin):
        with pytest.raises(Forbidden):
            ledger.import_ledger(session, who, w.jx_window.id, rows, sha256="e" * 64,
                                 filename="台账.csv")
        with pytest.raises(Forbidden):
            ledger.preview_ledger(session, who, w.jx_window.id, rows)
    assert counts(session) == before
