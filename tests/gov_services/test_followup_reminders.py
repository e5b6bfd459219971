"""Reminders of 差评 follow-ups: which open follow-ups are due within N working days of the
platform's today or overdue (on the working-day clock: the National Day holiday does not
count), ``coopzone services followups [--due-within N] [--format json] [--notify]``, and the
reminders sent through the notifications module once per follow-up per day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from coopzone.cli.context import fail
from coopzone.cli.main import app
from coopzone.config import get_settings
from coopzone.db import transaction
from coopzone.errors import CoopzoneError, InvalidInput
from coopzone.gov_services import cli as services_cli
from coopzone.gov_services import service
from coopzone.gov_services.models import FollowUp
from coopzone.gov_services.schemas import EvaluationCreate, FollowUpAnswer
from coopzone.notifications.models import Notification
from tests.accounts.test_access import csrf_of, login
from tests.gov_services.conftest import World, at
from tests.helpers import PASSWORD

# Evaluated on Monday 29 September 2025: 15 working days later, past the National Day
# holiday (1–8 October) and counting its make-up Saturday (11 October), is 27 October.
EVALUATED = date(2025, 9, 29)
DUE = date(2025, 10, 27)


def bad_evaluation(session: Session, w: World, grade: str = "very_dissatisfied") -> FollowUp:
    case = w.accepted(session)
    w.move(session, w.hn_dept_clerk, case, "approve", date(2025, 9, 26))
    w.move(session, w.hn_dept_clerk, case, "deliver", date(2025, 9, 26))
    done = service.evaluate_case(session, w.jx_window_clerk, case.id,
                                 EvaluationCreate(grade=grade), at=at(EVALUATED),
                                 calendar=w.calendar)
    assert done.followup is not None
    return done.followup


def due(session: Session, w: World, within: int, today: date) -> list[tuple[int, int | None,
                                                                            bool]]:
    return [(r.followup.id, r.left, r.overdue)
            for r in service.due_followups(session, within, today, w.calendar)]


def notifications(session: Session) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_due_soon_and_overdue_on_the_working_day_clock(session: Session, world: World) -> None:
    w = world
    f = bad_evaluation(session, w)
    assert f.due_on == DUE
    # On 30 September 14 working days are left (a calendar-day count would say 27 days).
    assert due(session, w, 14, date(2025, 9, 30)) == [(f.id, 14, False)]
    assert due(session, w, 13, date(2025, 9, 30)) == []
    # Wednesday 22 October: the 23rd, 24th and 27th are left.
    assert due(session, w, 3, date(2025, 10, 22)) == [(f.id, 3, False)]
    assert due(session, w, 2, date(2025, 10, 22)) == []
    # A Saturday: Monday the 27th is the next working day, and the last.
    assert due(session, w, 1, date(2025, 10, 25)) == [(f.id, 1, False)]
    assert due(session, w, 0, DUE) == [(f.id, 0, False)]
    # Past its day: overdue, whatever the window.
    assert due(session, w, 0, date(2025, 10, 28)) == [(f.id, -1, True)]
    assert due(session, w, 0, date(2025, 11, 3)) == [(f.id, -5, True)]


def test_answered_follow_ups_and_those_without_a_due_day_are_left_out(
        session: Session, world: World) -> None:
    w = world
    answered, unknown, running = (bad_evaluation(session, w) for _ in range(3))
    service.answer_followup(session, w.jx_window_clerk, answered.id,
                            FollowUpAnswer(rectification="增设帮办岗", reply="已电话回访"),
                            at=at(date(2025, 10, 9)))
    unknown.due_on, unknown.due_reason = None, "no calendar for 2027"
    session.flush()
    assert due(session, w, 250, date(2025, 10, 28)) == [(running.id, -1, True)]
    with pytest.raises(InvalidInput, match="不能为负数"):
        service.due_followups(session, -1, date(2025, 10, 28), w.calendar)


def test_reminders_go_to_the_owner_once_per_follow_up_per_day(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    f = bad_evaluation(session, w)
    rows, made = service.notify_due_followups(session, 3, date(2025, 10, 22), w.calendar)
    assert [r.followup.id for r in rows] == [f.id] and made == 1
    assert service.notify_due_followups(session, 3, date(2025, 10, 22), w.calendar)[1] == 0
    assert service.notify_due_followups(session, 3, date(2025, 10, 23), w.calendar)[1] == 1
    sent = notifications(session)
    assert [(n.kind, n.entity, n.user_id, n.note) for n in sent] == [
        ("followup_due", "gov_case", w.jx_window_clerk.user_id, "2025-10-27")] * 2
    assert sent[0].entity_id == rows[0].case_id
    assert sent[0].key == f"followup:{f.id}:remind:2025-10-22"
    assert sent[0].subject.startswith(rows[0].case_number) and "户口迁移（测试）" in sent[0].subject
    # Nothing for a follow-up not yet due, and nothing once it is answered.
    assert service.notify_due_followups(session, 2, date(2025, 10, 21), w.calendar) == ([], 0)
    service.answer_followup(session, w.jx_window_clerk, f.id,
                            FollowUpAnswer(rectification="整改", reply="回访"),
                            at=at(date(2025, 10, 24)))
    assert service.notify_due_followups(session, 3, date(2025, 10, 24), w.calendar) == ([], 0)
    session.commit()
    # The clerk reads it in Chinese and it opens the case.
    assert login(client, "jxwin", PASSWORD) == 303
    page = client.get("/notifications").text
    assert "差评整改即将到期或已逾期" in page and "2025-10-27" in page
    token = csrf_of(page)
    opened = client.post(f"/notifications/{sent[0].id}/read", data={"csrf_token": token},
                         follow_redirects=False)
    assert opened.headers["location"] == f"/services/cases/{rows[0].case_id}"
    assert client.get("/notifications?lang=en").text.count("follow-up is due soon") == 2


# ---- the command ------------------------------------------------------------------------------


@pytest.fixture
def cli_world(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session],
              session: Session, world: World) -> Iterator[tuple[World, FollowUp]]:
    """A follow-up due on 27 October; the platform's today is 22 October 2025; commands run
    on the test's database (one transaction each)."""
    f = bad_evaluation(session, world)
    session.commit()

    @contextmanager
    def command_session(actor: str | None = None, write: bool = True) -> Iterator[Session]:
        try:
            with transaction(session_factory, write=write) as s:
                yield s
        except CoopzoneError as exc:
            fail(exc)

    monkeypatch.setattr(services_cli, "command_session", command_session)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("COOPZONE_AS_OF", "2025-10-22")
    get_settings.cache_clear()
    yield world, f
    monkeypatch.delenv("COOPZONE_AS_OF")
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["services", "followups", *args])


def sent(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count(Notification.id))) or 0)


def test_the_command_lists_as_json_and_as_a_table(
        cli_world: tuple[World, FollowUp], session: Session) -> None:
    _w, f = cli_world
    listed = run("--format", "json")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.output)
    assert body["as_of"] == "2025-10-22" and body["due_within"] == 3
    assert [(r["id"], r["due_on"], r["working_days_left"], r["overdue"], r["owner"])
            for r in body["followups"]] == [(f.id, "2025-10-27", 3, False, "湘东区政务服务中心")]
    assert "notifications" not in body
    assert json.loads(run("--due-within", "2", "--format", "json").output)["followups"] == []
    table = run()
    assert table.exit_code == 0 and "湘东区政务服务中心" in table.output
    assert "1 follow-ups due within 3 working days or overdue (as of 2025-10-22)" in table.output
    assert sent(session) == 0  # listing sends nothing


def test_the_command_notifies_once_a_day_and_refuses_bad_options_writing_nothing(
        cli_world: tuple[World, FollowUp], session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in (["--due-within", "-1", "--notify"], ["--due-within", "x", "--notify"],
                ["--format", "xml", "--notify"]):
        refused = run(*bad)
        assert refused.exit_code == 2, (bad, refused.output)
    assert "--format 只能是 table 或 json" in run("--format", "xml", "--notify").output
    assert sent(session) == 0
    first = run("--notify", "--format", "json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["notifications"] == 1 and sent(session) == 1
    again = run("--notify")
    assert again.exit_code == 0 and "; 0 notifications" in again.output and sent(session) == 1
    monkeypatch.setenv("COOPZONE_AS_OF", "2025-10-28")  # the next run: overdue, a new day
    get_settings.cache_clear()
    late = json.loads(run("--notify", "--due-within", "0", "--format", "json").output)
    assert late["followups"][0]["overdue"] is True and late["followups"][0][
        "working_days_left"] == -1
    assert late["notifications"] == 1 and sent(session) == 2
