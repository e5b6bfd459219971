"""Concurrency on a real server and a real database (a file in WAL mode, or PostgreSQL):
parallel state changes let exactly one through and answer the others 409, nothing is paid
twice; parallel token reads all succeed; a token's ``last_used_at`` never fails or delays a
read; a long import does not make concurrent reads fail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx2 as httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import ApiToken, AuditLog, Organisation, User
from coopzone.cooperation import service as cooperation
from coopzone.cooperation.models import Agreement, Task, TaskEvent
from coopzone.cooperation.schemas import AgreementCreate, AgreementStatusChange, PartyIn, TaskCreate
from coopzone.db import SHANGHAI, AwareDateTime, transaction
from coopzone.ecology import ledger
from coopzone.ecology.models import Reading, Statement, StatementChange
from coopzone.errors import Conflict
from tests.api.live import Live, live_server, parallel, statuses
from tests.ecology.ledger_support import (
    load_agreements,
    make_finance,
    make_section,
    months,
    write_months,
)
from tests.helpers import PASSWORD

AS_OF = date(2020, 1, 1)  # settles 2019-07..2019-12: Hunan pays Jiangxi 4,000,000 yuan
N = 8
READ = "/api/v1/cooperation/tasks"  # a read that needs the caller: the token is checked


@pytest.fixture
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory) as server:
        yield server


@dataclass
class Ledger:
    statement_id: int
    hunan: dict[str, str]  # headers: the payer's finance bureau (湖南省财政厅)
    jiangxi: dict[str, str]  # the payee's (江西省财政厅)


@pytest.fixture
def world(live: Live) -> Ledger:
    with live.session() as session:
        section = make_section(session)
        finance = make_finance(session)
        write_months(session, section, months((2019, 7), (2019, 12)), frozenset({(2019, 9)}))
        load_agreements(session)
        statement_id = ledger.compute_statements(session, "lushui", AS_OF).created[0]
        hunan_user, jiangxi_user = finance.hunan, finance.jiangxi
    return Ledger(statement_id, live.token(hunan_user), live.token(jiangxi_user))


def statement(live: Live, statement_id: int) -> Statement:
    with live.session() as session:
        return ledger.get_statement(session, statement_id)


def audited(live: Live, entity: str, key: str, value: str) -> int:
    """How many audited updates of ``entity`` set ``key`` to ``value``."""
    with live.session() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == entity,
                                                      AuditLog.action == "update"))
        return sum(1 for r in rows if r.after is not None and r.after.get(key) == value)


def test_a_statement_is_confirmed_paid_closed_and_settled_once_under_parallel_requests(
    live: Live, world: Ledger
) -> None:
    base, sid = live.url, world.statement_id
    # Both bureaus confirm at once, four times each: neither confirmation is lost.
    confirms = parallel(N, lambda c, i: c.post(
        f"/api/v1/ecology/compensation/statements/{sid}/confirm",
        headers=world.hunan if i % 2 else world.jiangxi), base)
    assert statuses(confirms) == [200] * N
    s = statement(live, sid)
    assert s.state == "confirmed"
    assert (s.payer_confirmed_by, s.payee_confirmed_by) == ("hn-finance", "jx-finance")

    # Eight payments with eight vouchers: exactly one is recorded.
    paid = parallel(N, lambda c, i: c.post(
        f"/api/v1/ecology/compensation/statements/{sid}/pay", headers=world.hunan,
        json={"paid_on": "2020-04-20", "voucher_no": f"湘财付{i:03d}"}), base)
    assert statuses(paid) == [200] + [409] * (N - 1)
    winner = next(r for r in paid if r.status_code == 200).json()["voucher_no"]
    assert all(r.json()["error"] == "conflict" for r in paid if r.status_code == 409)
    s = statement(live, sid)
    assert (s.state, s.voucher_no, s.paid_on) == ("paid", winner, date(2020, 4, 20))
    assert audited(live, "ecology_statement", "state", "paid") == 1
    total = parallel(4, lambda c, i: c.get("/api/v1/ecology/compensation/total-paid",
                                           params={"payer": "430000", "payee": "360000"}),
                     base)
    assert {r.json()["amount"] for r in total} == {"4000000.00"}

    closed = parallel(N, lambda c, i: c.post(
        f"/api/v1/ecology/compensation/statements/{sid}/close", headers=world.jiangxi), base)
    assert statuses(closed) == [200] + [409] * (N - 1)
    assert statement(live, sid).state == "closed"
    assert audited(live, "ecology_statement", "state", "closed") == 1

    # Late data: October was Class IV after all; the paid statement gets an adjustment that
    # Jiangxi pays back (2,000,000 yuan), once.
    with live.session() as session:
        october = session.scalars(select(Reading).where(Reading.item == "nh3n")
                                  .order_by(Reading.measured_at)).all()[3]
        october.value = 1.2
        change_id = ledger.compute_statements(session, "lushui", AS_OF).adjustments[0]
    settled = parallel(N, lambda c, i: c.post(
        f"/api/v1/ecology/compensation/adjustments/{change_id}/settle", headers=world.jiangxi,
        json={"paid_on": "2020-06-01", "voucher_no": f"赣财付{i:03d}"}), base)
    assert statuses(settled) == [200] + [409] * (N - 1)
    with live.session() as session:
        change = session.get(StatementChange, change_id)
        assert change is not None and change.state == "settled"
        assert ledger.total_paid(session, "360000", "430000") == 2_000_000
        assert ledger.total_paid(session, "430000", "360000") == 4_000_000


def test_parallel_payments_and_a_recomputation_never_pay_a_changed_figure(
    live: Live, world: Ledger
) -> None:
    base, sid = live.url, world.statement_id
    for headers in (world.hunan, world.jiangxi):
        with httpx.Client(base_url=base) as client:
            assert client.post(f"/api/v1/ecology/compensation/statements/{sid}/confirm",
                               headers=headers).status_code == 200
    with live.session() as session:  # late data changes the figure both bureaus confirmed
        october = session.scalars(select(Reading).where(Reading.item == "nh3n")
                                  .order_by(Reading.measured_at)).all()[3]
        october.value = 1.2

    def call(c: httpx.Client, i: int) -> httpx.Response:
        if i == 0:
            return c.post("/api/v1/ecology/compensation/recompute", headers=world.jiangxi,
                          json={"series": "lushui", "as_of": "2020-01-01"})
        return c.post(f"/api/v1/ecology/compensation/statements/{sid}/pay", headers=world.hunan,
                      json={"paid_on": "2020-04-20", "voucher_no": f"湘财付{i:03d}"})

    responses = parallel(N, call, base)
    assert responses[0].status_code == 200, responses[0].text
    pays = statuses(responses[1:])
    assert pays in ([409] * (N - 1), [200] + [409] * (N - 2))
    s = statement(live, sid)
    if pays[0] == 200:  # paid first: the paid figure stands, the difference is an adjustment
        assert (s.state, s.amount) == ("paid", 4_000_000)
        assert [c.kind for c in s.changes] == ["adjustment"]
    else:  # recomputed first: the new figure must be confirmed again before any payment
        assert (s.state, s.amount, s.voucher_no) == ("computed", 2_000_000, None)
        assert [c.kind for c in s.changes] == ["recomputed"]


def test_a_submitted_task_is_accepted_once_under_parallel_requests(live: Live) -> None:
    with live.session() as session:
        office_org = accounts.create_organisation(session, "萍乡市湘赣边区域合作发展事务中心",
                                                  "cooperation_office", "360300")
        owner_org = accounts.create_organisation(session, "湘东区生态环境分局",
                                                 "ecology_bureau", "360313")
        office = accounts.create_user(session, "coop", PASSWORD)
        owner = accounts.create_user(session, "xiangdong", PASSWORD)
        accounts.grant_role(session, office, office_org, "editor")
        accounts.grant_role(session, owner, owner_org, "editor")
        task = cooperation.create_task(session, accounts.principal_for(session, office.id),
                                       TaskCreate(title="报送跨界断面监测方案",
                                                  owner_org_id=owner_org.id,
                                                  deadline=date(2030, 1, 1)))
        task_id = task.id
    office_token, owner_token = live.token(office), live.token(owner)

    started = parallel(N, lambda c, i: c.post(f"/api/v1/cooperation/tasks/{task_id}/start",
                                              headers=owner_token), live.url)
    assert statuses(started) == [200] + [409] * (N - 1)
    assert parallel(1, lambda c, i: c.post(f"/api/v1/cooperation/tasks/{task_id}/submit",
                                           headers=owner_token), live.url)[0].status_code == 200
    accepted = parallel(N, lambda c, i: c.post(
        f"/api/v1/cooperation/tasks/{task_id}/{'accept' if i % 2 else 'return'}",
        headers=office_token, json={"note": "材料不全"}), live.url)
    assert statuses(accepted) == [200] + [409] * (N - 1)
    with live.session() as session:
        stored = session.get(Task, task_id)
        assert stored is not None
        events = session.scalars(select(TaskEvent.action).where(TaskEvent.task_id == task_id)
                                 .order_by(TaskEvent.id)).all()
        assert events[:3] == ["create", "start", "submit"] and len(events) == 4
        assert stored.state == {"accept": "accepted", "return": "in_progress"}[events[3]]


def _agreement(session: Session) -> tuple[int, User]:
    org = accounts.create_organisation(session, "萍乡市湘赣边区域合作发展事务中心",
                                       "cooperation_office", "360300")
    editor = accounts.create_user(session, "coop", PASSWORD)
    accounts.grant_role(session, editor, org, "editor")
    agreement = cooperation.create_agreement(
        session, accounts.principal_for(session, editor.id), AgreementCreate(
            title="湘东—醴陵协议", field="ecology", signed_on=date(2023, 4, 1), status="signed",
            parties=[PartyIn(name="萍乡市湘东区人民政府"), PartyIn(name="萍乡市人民政府")]))
    return agreement.id, editor


def test_an_agreement_status_change_waits_for_a_concurrent_one_and_is_refused(
    live: Live
) -> None:
    """Two editors move the same signed agreement: the second waits for the first's lock
    (FOR UPDATE on PostgreSQL, the IMMEDIATE write lock on SQLite), then sees it in force
    and is refused; the first's date stands."""
    with live.session() as session:
        agreement_id, editor = _agreement(session)
    first_flushed, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with transaction(live.factory, write=True) as session:
            principal = accounts.principal_for(session, editor.id)
            cooperation.change_agreement_status(session, principal, agreement_id,
                                                AgreementStatusChange(
                                                    status="in_force",
                                                    effective_on=date(2023, 5, 1)))
            first_flushed.set()
            first_may_commit.wait(30)

    def second() -> None:
        try:
            with transaction(live.factory, write=True) as session:
                principal = accounts.principal_for(session, editor.id)
                cooperation.change_agreement_status(session, principal, agreement_id,
                                                    AgreementStatusChange(
                                                        status="in_force",
                                                        effective_on=date(2023, 6, 1)))
            outcome["second"] = "changed"
        except Conflict as exc:
            outcome["second"] = exc.message

    a = threading.Thread(target=first)
    a.start()
    assert first_flushed.wait(30)
    b = threading.Thread(target=second)
    b.start()
    b.join(1.0)
    assert b.is_alive(), "the second change did not wait for the first"
    first_may_commit.set()
    a.join(30)
    b.join(30)
    assert outcome["second"] == "协议当前状态为“履行中”，不能改为“履行中”"
    with live.session() as session:
        stored = session.get(Agreement, agreement_id)
        assert stored is not None
        assert (stored.status, stored.in_force_on, stored.lock_version) == (
            "in_force", date(2023, 5, 1), 2)


def test_a_change_based_on_a_stale_read_is_a_conflict_and_writes_nothing(live: Live) -> None:
    with live.session() as session:
        agreement_id, editor = _agreement(session)
    with transaction(live.factory, write=True) as reader:
        stale = reader.get(Agreement, agreement_id)
        assert stale is not None and stale.lock_version == 1
    with live.session() as session:  # meanwhile, someone else moves it on
        cooperation.change_agreement_status(
            session, accounts.principal_for(session, editor.id), agreement_id,
            AgreementStatusChange(status="in_force", effective_on=date(2023, 5, 1)))
    with pytest.raises(Conflict, match="记录已被他人同时修改"), \
            transaction(live.factory, write=True) as writer:
        stale = writer.merge(stale, load=False)
        stale.summary = "based on version 1"
    with live.session() as session:
        stored = session.get(Agreement, agreement_id)
        assert stored is not None
        assert (stored.status, stored.summary, stored.lock_version) == ("in_force", "", 2)


def _reader(live: Live) -> tuple[User, dict[str, str]]:
    with live.session() as session:
        user = accounts.create_user(session, "station", PASSWORD)
    return user, live.token(user, ("read",))


def test_twenty_parallel_token_reads_all_succeed_and_note_the_use_once(live: Live) -> None:
    _user, headers = _reader(live)
    responses = parallel(20, lambda c, i: c.get(READ, headers=headers),
                         live.url)
    assert statuses(responses) == [200] * 20
    with live.session() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.last_used_at is not None
        first_use = token.last_used_at
    # Used again within the minute: nothing is written.
    assert statuses(parallel(5, lambda c, i: c.get(READ,
                                                   headers=headers), live.url)) == [200] * 5
    with live.session() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() == first_use
        # A minute later it is noted again.
        session.execute(text("UPDATE accounts_api_token SET last_used_at = :at"),
                        {"at": _stored(session, first_use - timedelta(minutes=2))})
    assert statuses(parallel(1, lambda c, i: c.get(READ,
                                                   headers=headers), live.url)) == [200]
    with live.session() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() > first_use


def _stored(session: Session, at: datetime) -> datetime | None:
    """A datetime as the column stores it (naive UTC on SQLite)."""
    return AwareDateTime().process_bind_param(at, session.get_bind().dialect)


def test_a_token_read_while_another_writer_holds_the_lock_succeeds_and_skips_the_note(
    live: Live
) -> None:
    _user, headers = _reader(live)
    with live.engine.connect() as holder:
        # Holds SQLite's write lock, or the token's row lock on PostgreSQL.
        holder.execute(text("UPDATE accounts_api_token SET name = 'held'"))
        responses = parallel(4, lambda c, i: c.get(READ,
                                                   headers=headers, timeout=5), live.url)
        assert statuses(responses) == [200] * 4
        holder.rollback()
    with live.session() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() is None


def test_a_long_import_does_not_make_concurrent_reads_fail(live: Live) -> None:
    with live.session() as session:
        section = make_section(session)
        org = accounts.create_organisation(session, "湘东区生态环境分局", "ecology_bureau",
                                           "360313")
        user = accounts.create_user(session, "xiangdong", PASSWORD)
        accounts.grant_role(session, user, org, "editor")
        code = section.code
    writer = live.token(user)
    _reader_user, reader = _reader(live)
    start = datetime(2024, 1, 1, tzinfo=SHANGHAI)
    readings = [{"section": code, "time": (start + timedelta(hours=h)).isoformat(),
                 "item": item, "value": 0.1 + (h % 7) / 100}
                for h in range(8_000) for item in ("nh3n", "tp", "codmn", "do", "cod")]
    done = threading.Event()
    outcome: dict[str, tuple[int, object]] = {}

    def push() -> None:
        with httpx.Client(base_url=live.url, timeout=300) as client:
            r = client.post("/api/v1/ecology/readings", headers=writer,
                            json={"source": "auto", "readings": readings})
            outcome["import"] = (r.status_code, r.json())
        done.set()

    importer = threading.Thread(target=push)
    importer.start()
    reads: list[int] = []
    with httpx.Client(base_url=live.url, timeout=60) as client:
        while not done.is_set():
            for path, h in ((READ, reader), ("/api/v1/ecology/sections", {}),
                            ("/ecology", {})):
                reads.append(client.get(path, headers=h).status_code)
    importer.join()
    assert outcome["import"] == (200, {"batch_id": 1, "added": 40_000, "updated": 0,
                                       "unchanged": 0, "duplicate": False})
    assert len(reads) >= 3 and set(reads) == {200}, reads
    with live.session() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == 40_000
        assert session.scalar(select(func.count()).select_from(Organisation)) == 1
