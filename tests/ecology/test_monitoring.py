"""Monitoring data governance (issue 10): only the body that monitors a section writes its
readings, on every write path, refused before anything is written; hand-entered readings at a
section that decides money count only after the other party's ecology bureau reviews them;
pages say which months rest on unreviewed data and offer forms only to those who may use
them; a page evaluates the readings once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation, User
from coopzone.accounts.service import principal_for
from coopzone.db import SHANGHAI
from coopzone.ecology import evaluation, ledger, monitoring, readings
from coopzone.ecology.demo import load_ecology_demo
from coopzone.ecology.models import BatchReview, ImportBatch, Reading, Section
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.accounts.test_access import csrf_of, login
from tests.helpers import PASSWORD, People, token_for

CSV = ("断面名称,监测时间,项目,浓度\n金鱼石,2025-08-05 08:00,氨氮,0.31\n"
       "金鱼石,2025-08-05 08:00,总磷,0.08\n")


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def written(session: Session) -> tuple[int, int, int]:
    return count(session, Reading), count(session, ImportBatch), count(session, BatchReview)


@pytest.fixture
def jinyushi(session: Session) -> Section:
    section = Section(code="jinyushi", name="金鱼石", river="萍水河", basin="渌水",
                      province_code="360000", county_code="360313", level="national",
                      target_class=3, is_border=True)
    session.add(section)
    session.commit()
    return section


@pytest.fixture
def finance(session: Session) -> User:
    org = accounts.create_organisation(session, "江西省财政厅", "finance_bureau", "360000")
    user = accounts.create_user(session, "jx-finance", PASSWORD, "江西财政")
    accounts.grant_role(session, user, org, "editor")
    session.commit()
    return user


@pytest.fixture
def station(session: Session, jinyushi: Section) -> User:
    """金鱼石 monitored by the national station, whose user pushes through its token."""
    org = accounts.create_organisation(session, "国家地表水水质自动监测站（金鱼石）",
                                       "monitoring_station", "360313")
    user = accounts.create_user(session, "jys-station", PASSWORD, "金鱼石国家站")
    accounts.grant_role(session, user, org, "editor")
    jinyushi.monitored_by, jinyushi.monitor_org_id = monitoring.NATIONAL, org.id
    session.commit()
    return user


def frame(day: int = 5, value: float = 0.31, section: str = "金鱼石") -> pl.DataFrame:
    return pl.DataFrame({"section": [section], "time": [datetime(2025, 8, day, 8)],
                         "item": ["nh3n"], "value": [value], "below_dl": [False],
                         "detection_limit": [None], "row": [2]},
                        schema_overrides={"detection_limit": pl.Float64})


def push(client: TestClient, headers: dict[str, str], day: int = 5) -> Any:
    return client.post("/api/v1/ecology/readings", headers=headers, json={"readings": [
        {"section": "金鱼石", "time": f"2025-08-{day:02d}T08:00", "item": "nh3n",
         "value": 0.31}]})


# ---- who writes ------------------------------------------------------------------------------


def test_a_finance_bureau_is_refused_on_every_write_path_and_nothing_is_written(
        client: TestClient, session: Session, jinyushi: Section, finance: User,
        tmp_path: Path) -> None:
    before = written(session)
    with pytest.raises(Forbidden) as refused:
        readings.import_frame(session, principal_for(session, finance.id), frame(),
                              filename="a.csv", sha256="a" * 64)
    assert refused.value.message == "无权写入这些断面的监测数据：金鱼石"
    session.rollback()
    headers = token_for(session, finance)
    api = client.post("/api/v1/ecology/imports", headers=headers,
                      files={"file": ("a.csv", CSV.encode())})
    pushed = push(client, headers)
    for response in (api, pushed):
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
        assert response.json()["detail"] == "无权写入这些断面的监测数据：金鱼石"
    assert login(client, "jx-finance", PASSWORD) == 303
    page = client.get("/ecology/import").text
    assert 'action="/ecology/import"' not in page and "import-not-allowed" in page
    web = client.post("/ecology/import", data={"csrf_token": csrf_of(page)},
                      files={"file": ("a.csv", CSV.encode())})
    assert web.status_code == 403 and "无权写入这些断面的监测数据：金鱼石" in web.text
    assert written(session) == before


def test_the_cli_refuses_a_finance_bureau(session: Session, jinyushi: Section, finance: User,
                                          tmp_path: Path) -> None:
    """The CLI's path (readings.import_file with the user's principal) is the same gate."""
    path = tmp_path / "a.csv"
    path.write_text(CSV, encoding="utf-8")
    before = written(session)
    with pytest.raises(Forbidden):
        readings.import_file(session, principal_for(session, finance.id), path)
    session.rollback()
    assert written(session) == before


def test_a_national_section_takes_only_its_stations_feed(
        client: TestClient, session: Session, people: People, station: User) -> None:
    before = written(session)
    for user in (people.jiangxi_editor, people.admin):  # the county bureau, the platform admin
        response = push(client, token_for(session, user))
        assert response.status_code == 403, user.username
        assert response.json()["detail"].startswith("金鱼石是国家考核断面")
    # The station's user signed in (not its token) enters by hand: refused too.
    with pytest.raises(Forbidden):
        readings.import_frame(session, principal_for(session, station.id), frame(),
                              filename="a.csv", sha256="b" * 64)
    session.rollback()
    assert written(session) == before
    ok = push(client, token_for(session, station))
    assert ok.status_code == 200 and ok.json()["added"] == 1
    batch = session.scalars(select(ImportBatch)).one()
    assert batch.review_state == "feed" and batch.review_parties is None


def test_a_national_section_must_name_its_station(
        client: TestClient, session: Session, people: People) -> None:
    body = {"code": "XD2", "name": "湘东二号", "river": "萍水河", "basin": "渌水",
            "county_code": "360313", "level": "national", "monitored_by": "national_station"}
    headers = token_for(session, people.jiangxi_editor)
    response = client.post("/api/v1/ecology/sections", headers=headers, json=body)
    assert response.status_code == 422
    assert count(session, Section) == 0
    org = accounts.create_organisation(session, "湘东二号站", "monitoring_station", "360313")
    session.commit()
    made = client.post("/api/v1/ecology/sections", headers=headers,
                       json={**body, "monitor_org_id": org.id})
    assert made.status_code == 201
    assert made.json()["monitored_by"] == "national_station"
    assert made.json()["monitor_org_id"] == org.id


# ---- review ----------------------------------------------------------------------------------


@pytest.fixture
def money(session: Session, jinyushi: Section) -> Section:
    """金鱼石 decides money between 江西 and 湖南 (the lushui agreements)."""
    ledger.sync_builtin_agreements(session)
    session.commit()
    return jinyushi


def enter(session: Session, user: User, day: int = 5, value: float = 0.31,
          sha: str = "c") -> readings.ImportResult:
    result = readings.import_frame(session, principal_for(session, user.id),
                                   frame(day, value), filename="hand.csv", sha256=sha * 64)
    session.commit()
    return result


def counted(session: Session, section: Section) -> list[float]:
    return readings.readings_frame(session, [section.id])["value"].to_list()


def test_hand_entered_readings_count_only_once_the_other_party_reviews_them(
        session: Session, people: People, money: Section) -> None:
    result = enter(session, people.jiangxi_editor)
    batch = session.get_one(ImportBatch, result.batch_id)
    assert (batch.review_state, batch.review_parties) == ("entered", "430000")
    assert counted(session, money) == []
    terms = ledger.series_terms(session, "lushui")
    assert ledger.series_readings(session, [a for _v, a in terms]).height == 0
    assert monitoring.pending_months(session, [money.id]) == {money.id: ["2025-08"]}
    # Jiangxi (the party holding the section) may not review its own entry.
    with pytest.raises(Forbidden):
        monitoring.review(session, principal_for(session, people.jiangxi_editor.id), batch.id)
    session.rollback()
    liling = principal_for(session, people.hunan_editor.id)
    assert [v.batch.id for v in monitoring.awaiting_review(session, liling)] == [batch.id]
    view = monitoring.review(session, liling, batch.id)
    session.commit()
    assert view.batch.review_state == "reviewed"
    assert [(h.action, h.by) for h in view.history] == [("entered", "xiangdong"),
                                                         ("reviewed", "liling")]
    assert view.history[1].organisation == "醴陵市生态环境分局"
    assert counted(session, money) == [0.31]
    assert monitoring.pending_months(session, [money.id]) == {}
    with pytest.raises(Conflict):  # reviewed once
        monitoring.review(session, liling, batch.id)


def test_a_returned_batch_needs_a_reason_and_its_correction_replaces_it(
        session: Session, people: People, money: Section) -> None:
    first = enter(session, people.jiangxi_editor, value=0.31)
    liling = principal_for(session, people.hunan_editor.id)
    with pytest.raises(InvalidInput):
        monitoring.return_batch(session, liling, first.batch_id or 0, "  ")
    session.rollback()
    assert count(session, BatchReview) == 1
    view = monitoring.return_batch(session, liling, first.batch_id or 0, "与现场记录不符")
    session.commit()
    assert view.batch.review_state == "returned" and view.history[-1].reason == "与现场记录不符"
    assert counted(session, money) == []
    # The corrected file changes the returned value without asking for confirmation.
    second = enter(session, people.jiangxi_editor, value=0.29, sha="d")
    assert (second.added, second.updated) == (0, 1)
    assert counted(session, money) == []  # awaiting review again
    monitoring.review(session, liling, second.batch_id or 0)
    session.commit()
    assert counted(session, money) == [0.29]


def test_review_api_lists_and_decides(client: TestClient, session: Session, people: People,
                                      money: Section) -> None:
    result = enter(session, people.jiangxi_editor)
    hunan = token_for(session, people.hunan_editor)
    jiangxi = token_for(session, people.jiangxi_editor)
    listed = client.get("/api/v1/ecology/reviews", headers=hunan).json()
    assert [(b["id"], b["sections"], b["months"], b["readings"]) for b in listed] == [
        (result.batch_id, ["金鱼石"], ["2025-08"], 1)]
    assert client.get("/api/v1/ecology/reviews", headers=jiangxi).json() == []
    refused = client.post(f"/api/v1/ecology/batches/{result.batch_id}/review", headers=jiangxi)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert "审核" in refused.json()["detail"]
    empty = client.post(f"/api/v1/ecology/batches/{result.batch_id}/return", headers=hunan,
                        json={"reason": ""})
    assert empty.status_code == 422
    assert count(session, BatchReview) == 1
    done = client.post(f"/api/v1/ecology/batches/{result.batch_id}/return", headers=hunan,
                       json={"reason": "缺少采样记录"})
    assert done.status_code == 200
    assert [h["action"] for h in done.json()["history"]] == ["entered", "returned"]
    assert client.get(f"/api/v1/ecology/batches/{result.batch_id}",
                      headers=jiangxi).json()["review_state"] == "returned"


def test_pages_show_unreviewed_months_and_offer_review_only_to_reviewers(
        client: TestClient, session: Session, people: People, money: Section,
        finance: User) -> None:
    enter(session, people.jiangxi_editor)
    page = client.get("/ecology/sections/jinyushi").text
    assert 'id="unreviewed-months"' in page and "2025-08" in page
    assert login(client, "xiangdong", PASSWORD) == 303
    mine = client.get("/ecology/reviews").text
    assert "nothing-to-review" in mine and "/review\"" not in mine
    client.post("/logout", data={"csrf_token": csrf_of(mine)})
    assert login(client, "jx-finance", PASSWORD) == 303
    index = client.get("/ecology").text
    assert 'href="/ecology/reviews"' not in index and 'href="/ecology/import"' not in index
    client.post("/logout", data={"csrf_token": csrf_of(index)})
    assert login(client, "liling", PASSWORD) == 303
    theirs = client.get("/ecology/reviews").text
    assert 'id="awaiting-review"' in theirs and "/review\"" in theirs
    assert 'href="/ecology/reviews"' in client.get("/ecology").text
    batch = session.scalars(select(ImportBatch)).one()
    done = client.post(f"/ecology/reviews/{batch.id}/review",
                       data={"csrf_token": csrf_of(theirs)}, follow_redirects=False)
    assert done.status_code == 303
    assert 'id="unreviewed-months"' not in client.get("/ecology/sections/jinyushi").text


def test_the_demo_national_section_comes_from_its_station_feed(session: Session) -> None:
    from coopzone.places.service import load_places

    load_places(session)
    load_ecology_demo(session)
    jys = session.scalars(select(Section).where(Section.code == "jinyushi")).one()
    assert jys.monitored_by == "national_station"
    station = session.get_one(Organisation, jys.monitor_org_id)
    assert station.kind == "monitoring_station"
    states = {b.created_by: b.review_state for b in session.scalars(select(ImportBatch))}
    assert states == {"demo": "counted", "jys-station": "feed"}


# ---- a page evaluates once ------------------------------------------------------------------


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls of evaluation.evaluate_sections (pages and streaks both go through it)."""
    calls: list[int] = []
    real: Callable[..., Any] = evaluation.evaluate_sections

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate_sections", wrapper)
    return calls


def test_the_section_page_and_the_index_evaluate_once(
        client: TestClient, session: Session, jinyushi: Section, spy: list[int]) -> None:
    at = datetime(2025, 7, 6, 9, tzinfo=SHANGHAI)
    session.add(Reading(section_id=jinyushi.id, measured_at=at, item="nh3n", value=0.3))
    session.commit()
    from coopzone.ecology import readings_cache

    for url in ("/ecology/sections/jinyushi", "/ecology"):
        readings_cache.invalidate()
        spy.clear()
        assert client.get(url).status_code == 200
        assert len(spy) == 1, url
