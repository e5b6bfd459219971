"""The statistics' summary (service/summary.py): after every kind of write to cases, the
statistics read from it equal the statistics counted from the cases, for every grouping,
range and principal; a refused step leaves it untouched; the rebuild repairs a drifted one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from coopzone.accounts.service import Principal
from coopzone.cli.main import app
from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.gov_services import service
from coopzone.gov_services.models import Case, CaseSummary
from coopzone.gov_services.schemas import EvaluationCreate
from coopzone.gov_services.service import summary
from coopzone.gov_services.service.queries import GROUPS
from tests.gov_services.conftest import World, at, resident_id
from tests.gov_services.test_cli import cli_db  # noqa: F401  the fixture
from tests.gov_services.test_import_ledger import apply as import_ledger
from tests.gov_services.test_import_ledger import csv_bytes, row

RANGES = ((None, None), ("2025-09", "2025-09"), ("2025-01", "2025-12"), ("2024-03", None),
          (None, "2024-12"), ("2023-11", "2025-02"), ("2024-01", "2025-12"),
          ("2024-12", "2025-01"), ("2025-10", "2025-09"), ("2025-9", None))


def principals(w: World) -> list[Principal]:
    return [w.admin, w.office, w.jx_window_clerk, w.hn_window_clerk, w.hn_dept_clerk,
            w.hn_viewer, w.jx_dept_clerk]


def assert_right(session: Session, w: World) -> None:
    """The summary equals the cases, row by row and through every statistic."""
    session.flush()
    assert summary.drift(session) == 0
    for who in principals(w):
        for by in GROUPS:
            for first, last in RANGES:
                assert service.case_statistics(session, who, by, first, last) == \
                    service.recompute_statistics(session, who, by, first, last), \
                    (who.label, by, first, last)


def stored(session: Session) -> list[tuple[object, ...]]:
    session.expire_all()
    return [tuple(r) for r in session.execute(select(CaseSummary.__table__).order_by(
        *CaseSummary.__table__.primary_key.columns))]


def test_creating_cases_counts_them_in_every_grain(session: Session, world: World) -> None:
    w = world
    assert stored(session) == []
    w.apply(session)
    w.apply(session, "online", id_number=resident_id(seq="456"))
    w.apply(session, day=date(2024, 1, 8), id_number=resident_id(seq="789"))
    rows = stored(session)
    # 3 cases; the online one has its own mode and window rows: base 2 place pairs × 3 grains
    # (2024-01 and 2025-09 months, 2024 and 2025 years, all), and so on.
    assert sum(r[6] for r in rows if r[0] == "base" and r[1] == "a") == 3
    assert sum(r[6] for r in rows if r[0] == "item" and r[1] == "y" and r[2] == "2025") == 2
    assert {r[3] for r in rows if r[0] == "window"} == {"", str(w.jx_window.id)}
    assert {r[4] for r in rows if r[0] == "base"} == {"", "360313"}
    by_month = service.case_statistics(session, w.admin, "month")
    assert [(r.key, r.cases, r.decided) for r in by_month] == [("2024-01", 1, 0),
                                                               ("2025-09", 2, 0)]
    assert_right(session, w)


def test_every_step_keeps_the_summary_right(session: Session, world: World) -> None:
    w = world
    cases = [w.accepted(session) for _ in range(3)]
    assert_right(session, w)
    ok, late, corrected = cases
    w.move(session, w.hn_dept_clerk, ok, "approve", date(2025, 9, 26))
    assert_right(session, w)
    w.move(session, w.hn_dept_clerk, late, "deny", date(2025, 10, 30), "材料不符合要求")
    assert_right(session, w)
    w.move(session, w.hn_dept_clerk, corrected, "request_correction", date(2025, 9, 25),
           "缺少户口簿")
    w.move(session, w.jx_window_clerk, corrected, "complete_correction", date(2025, 9, 29),
           materials=["户口簿"])
    w.move(session, w.hn_dept_clerk, corrected, "approve", date(2025, 10, 9))
    assert_right(session, w)
    for case in cases:
        w.move(session, w.hn_dept_clerk, case, "deliver", date(2025, 10, 31))
    service.evaluate_case(session, w.jx_window_clerk, ok.id, EvaluationCreate(
        grade="satisfied"))
    w.move(session, w.hn_dept_clerk, late, "archive", date(2025, 11, 3))
    refused = w.apply(session, id_number=resident_id(seq="321"))
    w.move(session, w.jx_window_clerk, refused, "collect", date(2025, 9, 22),
           formal_check_ok=True, identity_checked=True)
    w.move(session, w.jx_window_clerk, refused, "send", date(2025, 9, 23))
    w.move(session, w.hn_dept_clerk, refused, "refuse", date(2025, 9, 24), "不属于受理范围")
    assert_right(session, w)
    by_item = service.case_statistics(session, w.hn_dept_clerk, "item")
    assert [(r.cases, r.decided, r.on_time) for r in by_item] == [(4, 3, 2)]
    assert by_item[0].on_time_rate is not None and by_item[0].avg_working_days is not None


def test_a_refused_step_leaves_the_summary_untouched(session: Session, world: World) -> None:
    w = world
    case = w.accepted(session)
    before = stored(session)
    with pytest.raises(Forbidden):  # the other province's side
        w.move(session, w.jx_window_clerk, case, "approve", date(2025, 9, 26))
    with pytest.raises(Forbidden):  # another department
        w.move(session, w.jx_dept_clerk, case, "deny", date(2025, 9, 26), "不符合")
    with pytest.raises(Conflict):  # wrong state
        w.move(session, w.hn_dept_clerk, case, "deliver", date(2025, 9, 26))
    with pytest.raises(InvalidInput):  # a denial needs its reason
        w.move(session, w.hn_dept_clerk, case, "deny", date(2025, 9, 26))
    with pytest.raises(InvalidInput):  # before the acceptance
        w.move(session, w.hn_dept_clerk, case, "approve", date(2025, 9, 1))
    assert stored(session) == before
    assert_right(session, w)


def test_a_ledger_import_counts_its_cases(session: Session, world: World) -> None:
    w = world
    w.apply(session)
    import_ledger(session, w, csv_bytes(
        row(), row("XD2025-0002", id_number=resident_id(seq="456"), accepted="", decided="",
                   result=""),
        row("XD2024-0003", id_number=resident_id(seq="789"), collected="2024-12-30",
            accepted="2024-12-31", decided="2025-01-20"),
        row("XD2025-0004", id_number=resident_id(seq="135"), result="不予受理", accepted="",
            decided="2025-09-23")))
    assert_right(session, w)
    assert sum(r.cases for r in service.case_statistics(session, w.admin, "month")) == 5
    # The same file twice adds nothing, to the cases or the summary.
    before = stored(session)
    import_ledger(session, w, csv_bytes(row()))
    assert stored(session) == before


def test_any_orm_change_or_delete_of_a_counted_field(session: Session, world: World) -> None:
    w = world
    case = w.accepted(session)
    other = w.apply(session, "online", id_number=resident_id(seq="456"))
    w.move(session, w.hn_dept_clerk, case, "approve", date(2025, 9, 26))
    session.commit()  # every attribute expired: the old values are read from the rows
    case.handling_place_code, case.applied_month = "360313", "2024-07"
    session.flush()
    assert_right(session, w)
    session.delete(other)
    session.flush()
    assert_right(session, w)
    assert sum(r.cases for r in service.case_statistics(session, w.admin, "mode")) == 1


def test_a_bulk_insert_is_counted_by_add_cases_and_a_drift_is_rebuilt(
        session: Session, world: World) -> None:
    w = world
    w.accepted(session)
    # A bulk UPDATE bypasses the unit of work: the summary drifts, and says so.
    session.execute(update(Case).values(on_time=True, decided_on=date(2025, 9, 26),
                                        working_days_used=2))
    assert summary.drift(session) == 12  # 4 dims × 3 grains of the one case
    assert summary.rebuild(session) == 12
    assert_right(session, w)
    assert service.case_statistics(session, w.office, "month")[0].on_time == 1


def test_reads_are_scoped_as_the_cases_are(session: Session, world: World) -> None:
    w = world
    w.apply(session)  # Jiangxi window → Hunan department
    w.apply(session, "online", id_number=resident_id(seq="456"))  # Hunan online
    w.apply(session, window_id=w.hn_window.id, department_id=w.jx_dept.id,
            id_number=resident_id(seq="789"), applied_at=at(date(2025, 8, 5)))  # the reverse
    assert_right(session, w)
    count = {who.label: sum(r.cases for r in service.case_statistics(session, who, "window"))
             for who in principals(w)}
    assert count == {w.admin.label: 3, w.office.label: 2, w.jx_window_clerk.label: 1,
                     w.hn_window_clerk.label: 1, w.hn_dept_clerk.label: 2,
                     w.hn_viewer.label: 2, w.jx_dept_clerk.label: 1}
    # 全程网办 has no window: its group comes last, keyed ''.
    keys = [r.key for r in service.case_statistics(session, w.admin, "window")]
    assert keys == [*sorted(keys[:-1], key=int), ""]


def test_the_slices_of_a_range() -> None:
    s = summary._slices
    assert s(None, None) == [("a", None, None)]
    assert s("2025-01", "2025-12") == [("y", "2025", "2025")]
    assert s("2025-01", "2025-09") == [("m", "2025-01", "2025-09")]
    assert s("2020-10", "2025-09") == [("m", "2020-10", "2020-12"), ("m", "2025-01", "2025-09"),
                                       ("y", "2021", "2024")]
    assert s("2024-12", "2025-01") == [("m", "2024-12", "2024-12"),
                                       ("m", "2025-01", "2025-01")]
    assert s(None, "2024-12") == [("y", None, "2024")]
    assert s("2024-02", None) == [("m", "2024-02", "2024-12"), ("y", "2025", None)]
    assert s("2025-9", None) == [("m", "2025-9", None)]  # not a month: compared as text


def test_the_demo_counts_its_bulk_written_cases(session: Session) -> None:
    from tests.gov_services.test_demo import ROOT, _load
    _load(session)
    assert summary.drift(session) == 0
    for by in GROUPS:
        for first, last in ((None, None), ("2025-01", "2025-09"), ("2022-07", "2024-12")):
            assert service.case_statistics(session, ROOT, by, first, last) == \
                service.recompute_statistics(session, ROOT, by, first, last)


def test_the_commands_check_and_rebuild(cli_db: World, session: Session) -> None:  # noqa: F811
    w = cli_db
    w.accepted(session)
    session.commit()
    runner = CliRunner()
    done = runner.invoke(app, ["services", "statistics", "check"])
    assert done.exit_code == 0, done.output
    assert "the summary equals the cases" in done.output
    session.execute(update(CaseSummary).where(CaseSummary.grain == "a").values(cases=7))
    session.commit()
    done = runner.invoke(app, ["services", "statistics", "check"])
    assert done.exit_code == 1 and "4 summary rows differ" in done.output
    done = runner.invoke(app, ["services", "statistics", "rebuild"])
    assert done.exit_code == 0 and "summary rebuilt: 12 rows (4 differed)" in done.output
    session.expire_all()
    assert summary.drift(session) == 0
    assert_right(session, w)
