"""Importing readings: whole files or nothing, the same file twice adds nothing, changes are
confirmed, station pushes are idempotent, and only the section's jurisdiction may write."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.accounts.service import principal_for
from coopzone.ecology import readings
from coopzone.ecology.models import ImportBatch, Reading, Section
from coopzone.errors import Forbidden, InvalidInput, NeedsConfirmation
from tests.helpers import PASSWORD, People, token_for

DATA = Path(__file__).parent / "data"


@pytest.fixture
def sections(session: Session) -> list[Section]:
    made = [
        Section(code="jinyushi", name="金鱼石", river="萍水河", basin="渌水",
                province_code="360000", county_code="360313", level="national",
                target_class=3, is_border=True),
        Section(code="jiantou", name="枧头镇", river="渌水", basin="渌水",
                province_code="430000", county_code="430281", level="provincial"),
    ]
    session.add_all(made)
    session.commit()
    return made


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("断面名称,监测时间,项目,浓度\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_file_imports_and_the_same_file_again_adds_nothing(
    session: Session, people: People, sections: list[Section], tmp_path: Path
) -> None:
    admin = principal_for(session, people.admin.id)
    path = DATA / "wide_publication.csv"
    first = readings.import_file(session, admin, path, source="auto", year=2019)
    stored = count(session, Reading)
    assert first.added == stored > 0 and first.updated == 0
    again = readings.import_file(session, admin, path, source="auto", year=2019)
    assert again.duplicate_file and again.added == 0
    assert count(session, Reading) == stored and count(session, ImportBatch) == 1
    jys = session.scalars(select(Reading).join(Section).where(
        Section.code == "jinyushi", Reading.item == "nh3n").order_by(Reading.measured_at)).all()
    assert [r.value for r in jys] == [0.21, 0.25, 0.30]
    assert jys[0].measured_at.isoformat() == "2019-07-01T08:00:00+08:00"


def test_a_file_with_a_bad_row_is_refused_whole(
    session: Session, people: People, sections: list[Section]
) -> None:
    admin = principal_for(session, people.admin.id)
    with pytest.raises(InvalidInput) as refused:
        readings.import_file(session, admin, DATA / "bad.csv")
    rows = {(e.row, e.column) for e in refused.value.errors}
    assert (3, "section") in rows and (4, "time") in rows and (5, "value") in rows
    assert count(session, Reading) == 0 and count(session, ImportBatch) == 0


def test_unknown_sections_are_refused_with_their_first_row(
    session: Session, people: People, sections: list[Section], tmp_path: Path
) -> None:
    admin = principal_for(session, people.admin.id)
    path = write_csv(tmp_path / "x.csv", ["金鱼石,2020-01-05,氨氮,0.2",
                                          "不存在断面,2020-01-05,氨氮,0.2"])
    with pytest.raises(InvalidInput) as refused:
        readings.import_file(session, admin, path)
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "section")]
    assert count(session, Reading) == 0


def test_a_hunan_editor_cannot_import_a_jiangxi_sections_readings(
    session: Session, people: People, sections: list[Section], tmp_path: Path
) -> None:
    hunan = principal_for(session, people.hunan_editor.id)
    path = write_csv(tmp_path / "x.csv", ["枧头镇,2020-01-05,氨氮,0.2",
                                          "金鱼石,2020-01-05,氨氮,0.2"])
    with pytest.raises(Forbidden, match="金鱼石"):
        readings.import_file(session, hunan, path)
    assert count(session, Reading) == 0
    ok = write_csv(tmp_path / "y.csv", ["枧头镇,2020-01-05,氨氮,0.2"])
    assert readings.import_file(session, hunan, ok).added == 1


def test_an_overlapping_file_with_changes_needs_confirmation(
    session: Session, people: People, sections: list[Section], tmp_path: Path
) -> None:
    editor = principal_for(session, people.jiangxi_editor.id)
    first = write_csv(tmp_path / "a.csv", ["金鱼石,2020-01-05,氨氮,0.2",
                                           "金鱼石,2020-01-05,总磷,0.05"])
    readings.import_file(session, editor, first)
    second = write_csv(tmp_path / "b.csv", ["金鱼石,2020-01-05,氨氮,0.2",
                                            "金鱼石,2020-01-05,总磷,0.08",
                                            "金鱼石,2020-02-05,总磷,0.04"])
    with pytest.raises(NeedsConfirmation) as asked:
        readings.import_file(session, editor, second, locale="en")
    assert [(e.row, e.column, e.reason) for e in asked.value.errors] == [
        (3, "tp", "2020-01-05 00:00 stored 0.05, file has 0.08")]
    # Chinese unless asked otherwise; the item keeps its code (the pages name it).
    with pytest.raises(NeedsConfirmation) as asked:
        readings.import_file(session, editor, second)
    assert [(e.row, e.column, e.reason) for e in asked.value.errors] == [
        (3, "tp", "2020-01-05 00:00 已存 0.05，文件为 0.08")]
    assert readings.item_label("tp", None) == "总磷" and readings.item_label("tp", "en") == "tp"
    assert count(session, Reading) == 2 and count(session, ImportBatch) == 1
    done = readings.import_file(session, editor, second, confirm=True)
    assert (done.added, done.updated, done.unchanged) == (1, 1, 1)
    tp = session.scalars(select(Reading).where(Reading.item == "tp")
                         .order_by(Reading.measured_at)).all()
    assert [r.value for r in tp] == [0.08, 0.04]
    audit = session.scalars(select(AuditLog).where(AuditLog.entity == "ecology_reading")).all()
    assert len(audit) == 1
    assert audit[0].before is not None and audit[0].after is not None
    assert (audit[0].before["value"], audit[0].after["value"]) == (0.05, 0.08)


def test_station_push_is_idempotent_and_changes_are_refused(
    client: TestClient, session: Session, people: People, sections: list[Section]
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    push = {"source": "auto", "readings": [
        {"section": "jinyushi", "time": "2025-08-01T08:00:00+08:00", "item": "nh3n",
         "value": "0.12"},
        {"section": "金鱼石", "time": "2025-08-01T00:00:00Z", "item": "总磷", "value": 0.05},
        {"section": "jinyushi", "time": "2025-08-01T08:00:00", "item": "cd",
         "value": "0.0005L"},
    ]}
    first = client.post("/api/v1/ecology/readings", json=push, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["added"] == 3
    again = client.post("/api/v1/ecology/readings", json=push, headers=headers)
    assert again.json()["duplicate"] is True and count(session, Reading) == 3
    cd = session.scalars(select(Reading).where(Reading.item == "cd")).one()
    assert cd.below_dl and cd.value == 0.0005
    push["readings"][0]["value"] = "0.30"
    changed = client.post("/api/v1/ecology/readings", json=push, headers=headers)
    assert changed.status_code == 409
    body = changed.json()
    assert body["error"] == "needs_confirmation" and body["errors"][0]["row"] == 1
    push["confirm"] = True
    assert client.post("/api/v1/ecology/readings", json=push, headers=headers).json()[
        "updated"] == 1


def test_a_bad_push_lists_every_problem_and_writes_nothing(
    client: TestClient, session: Session, people: People, sections: list[Section]
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    push = {"readings": [
        {"section": "jinyushi", "time": "yesterday", "item": "nh3n", "value": "0.1"},
        {"section": "jinyushi", "time": "2025-08-01T08:00", "item": "unobtainium",
         "value": "0.1"},
        {"section": "jinyushi", "time": "2025-08-01T08:00", "item": "tp", "value": "-1"},
    ]}
    response = client.post("/api/v1/ecology/readings", json=push, headers=headers)
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (1, "time"), (2, "item"), (3, "value")]
    assert count(session, Reading) == 0
    assert client.post("/api/v1/ecology/readings", json=push).status_code == 401


def test_upload_through_the_api(
    client: TestClient, session: Session, people: People, sections: list[Section]
) -> None:
    headers = token_for(session, people.admin)
    with (DATA / "wide_publication.csv").open("rb") as handle:
        response = client.post("/api/v1/ecology/imports", headers=headers,
                               files={"file": ("wide.csv", handle, "text/csv")},
                               data={"source": "auto", "year": "2019"})
    assert response.status_code == 200, response.text
    assert response.json()["added"] == count(session, Reading) > 0
    with (DATA / "bad.csv").open("rb") as handle:
        refused = client.post("/api/v1/ecology/imports", headers=headers,
                              files={"file": ("bad.csv", handle, "text/csv")})
    assert refused.status_code == 422 and len(refused.json()["errors"]) >= 3


def test_upload_page_refuses_bad_files_and_asks_before_changing(
    client: TestClient, session: Session, people: People, sections: list[Section],
    tmp_path: Path
) -> None:
    from tests.accounts.test_access import csrf_of, login

    assert client.get("/ecology/import", follow_redirects=False).status_code == 303
    assert login(client, "xiangdong", PASSWORD) == 303
    token = csrf_of(client.get("/ecology/import").text)
    good = write_csv(tmp_path / "a.csv", ["金鱼石,2020-01-05,氨氮,0.2"])
    no_csrf = client.post("/ecology/import", files={"file": ("a.csv", good.read_bytes())})
    assert no_csrf.status_code == 403 and count(session, Reading) == 0

    def upload(path: Path, confirm: str = "") -> tuple[int, str]:
        r = client.post("/ecology/import", data={"csrf_token": token, "confirm": confirm},
                        files={"file": (path.name, path.read_bytes(), "text/csv")})
        return r.status_code, r.text

    status, html = upload(good)
    assert status == 200 and 'id="import-result"' in html and count(session, Reading) == 1
    status, html = upload(DATA / "bad.csv")
    assert status == 422 and 'id="import-errors"' in html and count(session, Reading) == 1
    changed = write_csv(tmp_path / "b.csv", ["金鱼石,2020-01-05,氨氮,0.3"])
    status, html = upload(changed)
    # The change in Chinese: the item by its name, not its code (issue 10).
    assert status == 409 and "已存 0.2，文件为 0.3" in html
    assert "<td>氨氮</td>" in html and "<td>nh3n</td>" not in html
    english = client.post("/ecology/import?lang=en", data={"csrf_token": token},
                          files={"file": (changed.name, changed.read_bytes(), "text/csv")})
    assert english.status_code == 409 and "stored 0.2, file has 0.3" in english.text
    assert "<td>nh3n</td>" in english.text
    assert session.scalars(select(Reading)).one().value == 0.2
    status, html = upload(changed, confirm="yes")
    assert status == 200
    assert session.scalars(select(Reading)).one().value == 0.3


def test_import_command_is_all_or_nothing(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI edge: its own database, one transaction per command."""
    from typer.testing import CliRunner

    from coopzone.cli.main import app
    from coopzone.config import get_settings

    monkeypatch.setenv("COOPZONE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COOPZONE_DATABASE_URL", "")
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["demo", "load"]).exit_code == 0
    # 湘东城区, not 金鱼石: the national section is written only by its station's feed
    # (issue 10), so the county bureau imports at a section of its own jurisdiction.
    good = write_csv(tmp_path / "a.csv", ["湘东城区,2025-09-05,氨氮,0.2"])
    bad = write_csv(tmp_path / "b.csv", ["湘东城区,2025-09-06,氨氮,0.2",
                                         "湘东城区,2025-09-07,氨氮,abc"])
    refused = runner.invoke(app, ["ecology", "import", str(bad), str(good),
                                  "--as", "xiangdong"])
    assert refused.exit_code == 2 and "row 3" in refused.output
    hunan = runner.invoke(app, ["ecology", "import", str(good), "--as", "liling"])
    assert hunan.exit_code == 2 and "湘东城区" in hunan.output
    ok = runner.invoke(app, ["ecology", "import", str(good), "--as", "xiangdong"])
    assert ok.exit_code == 0 and "added 1" in ok.output
    again = runner.invoke(app, ["ecology", "import", str(good), "--as", "xiangdong"])
    assert "already imported" in again.output
    get_settings.cache_clear()
