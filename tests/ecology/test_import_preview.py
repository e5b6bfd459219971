"""Water readings, preview first on every edge: the API (``/imports/preview`` →
``/imports/confirm``) and the CLI (``import`` lists the changes and keeps the files,
``confirm TOKEN`` imports them) as the upload page does, with kit.importing's stage/staged.

A file that only adds readings is still stored in one step by ``POST /imports`` and
``coopzone ecology import`` (the existing upload tests rely on it); a file that would change
a stored value never is."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.service import principal_for
from coopzone.db import SHANGHAI
from coopzone.ecology import readings
from coopzone.ecology.models import ImportBatch, Reading, Section
from coopzone.kit.models import Document
from tests.ecology.test_readings import count, sections, write_csv
from tests.helpers import People, token_for

__all__ = ["sections"]  # the fixture, shared with test_readings

URL = "/api/v1/ecology/imports"


def _values(session: Session) -> list[tuple[str, float | None]]:
    session.expire_all()
    return [(r.item, r.value) for r in session.scalars(
        select(Reading).order_by(Reading.item, Reading.measured_at))]


def _upload(path: Path) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (path.name, path.read_bytes(), "text/csv")}


def test_the_api_previews_then_confirms_a_file_that_changes_stored_values(
    client: TestClient, session: Session, people: People, sections: list[Section],
    tmp_path: Path
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    first = write_csv(tmp_path / "a.csv", ["金鱼石,2020-01-05,氨氮,0.2",
                                           "金鱼石,2020-01-05,总磷,0.05"])
    assert client.post(URL, headers=headers, files=_upload(first)).json()["added"] == 2
    second = write_csv(tmp_path / "b.csv", ["金鱼石,2020-01-05,氨氮,0.2",
                                            "金鱼石,2020-01-05,总磷,0.08",
                                            "金鱼石,2020-02-05,总磷,0.04"])
    before = (_values(session), count(session, ImportBatch), count(session, Document))
    # One step is refused: it says how to preview and confirm, and writes nothing.
    direct = client.post(URL, headers=headers, files=_upload(second))
    assert direct.status_code == 409 and direct.json()["error"] == "needs_confirmation"
    assert "/api/v1/ecology/imports/preview" in direct.json()["detail"]
    assert (_values(session), count(session, ImportBatch), count(session, Document)) == before
    # A form field of the old API (confirm=true) no longer applies changes in one step.
    old_style = client.post(URL, headers=headers, files=_upload(second),
                            data={"confirm": "true"})
    assert old_style.status_code == 409
    preview = client.post(f"{URL}/preview", headers=headers, files=_upload(second))
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["added"], body["updated"], body["unchanged"], body["duplicate"]) == (
        1, 1, 1, False)
    assert [(c["row"], c["column"]) for c in body["changes"]] == [(3, "tp")]
    assert [(c["item"], c["reason"]) for c in body["changes"]] == [
        ("总磷", "2020-01-05 00:00 已存 0.05，文件为 0.08")]
    english = client.post(f"{URL}/preview?lang=en", headers=headers,
                          files=_upload(second)).json()["changes"]
    assert [(c["item"], c["reason"]) for c in english] == [
        ("tp", "2020-01-05 00:00 stored 0.05, file has 0.08")]
    assert re.fullmatch(r"[0-9a-f]{64}", body["token"])
    # The preview kept the file, and nothing else.
    assert _values(session) == before[0] and count(session, ImportBatch) == before[1]
    assert count(session, Document) == before[2] + 1
    done = client.post(f"{URL}/confirm", headers=headers, json={"token": body["token"]})
    assert done.status_code == 200, done.text
    assert (done.json()["added"], done.json()["updated"], done.json()["unchanged"]) == (1, 1, 1)
    assert _values(session) == [("nh3n", 0.2), ("tp", 0.08), ("tp", 0.04)]
    again = client.post(f"{URL}/confirm", headers=headers, json={"token": body["token"]})
    assert again.json()["duplicate"] is True and count(session, ImportBatch) == 2


def test_a_refused_preview_keeps_nothing_and_a_confirm_checks_rights_again(
    client: TestClient, session: Session, people: People, sections: list[Section],
    tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ["金鱼石,2020-01-05,氨氮,0.2"])
    bad = write_csv(tmp_path / "bad.csv", ["金鱼石,2020-01-05,氨氮,abc"])
    jiangxi = token_for(session, people.jiangxi_editor)
    hunan = token_for(session, people.hunan_editor)  # not 金鱼石's jurisdiction
    viewer = token_for(session, people.viewer)
    assert client.post(f"{URL}/preview", headers=viewer, files=_upload(path)).status_code == 403
    assert client.post(f"{URL}/preview", headers=hunan, files=_upload(path)).status_code == 403
    refused = client.post(f"{URL}/preview?lang=en", headers=jiangxi, files=_upload(bad))
    assert refused.status_code == 422 and refused.json()["errors"][0]["row"] == 2
    assert count(session, Document) == 0 and count(session, Reading) == 0
    token = client.post(f"{URL}/preview", headers=jiangxi, files=_upload(path)).json()["token"]
    assert client.post(f"{URL}/confirm", headers=hunan,
                       json={"token": token}).status_code == 403
    assert client.post(f"{URL}/confirm", headers=jiangxi,
                       json={"token": "0" * 64}).status_code == 404
    assert count(session, Reading) == 0 and count(session, ImportBatch) == 0


def test_the_service_preview_writes_nothing(
    session: Session, people: People, sections: list[Section], tmp_path: Path
) -> None:
    editor = principal_for(session, people.jiangxi_editor.id)
    path = write_csv(tmp_path / "a.csv", ["金鱼石,2020-01-05,氨氮,0.2"])
    result = readings.import_file(session, editor, path, preview=True)
    assert (result.batch_id, result.added, result.changes) == (None, 1, [])
    assert count(session, Reading) == count(session, ImportBatch) == 0


def test_the_import_command_previews_changes_and_confirm_imports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from coopzone.cli.main import app
    from coopzone.config import get_settings
    from coopzone.db import make_engine, make_session_factory

    monkeypatch.setenv("COOPZONE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COOPZONE_DATABASE_URL", "")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["demo", "load"]).exit_code == 0
        factory = make_session_factory(make_engine(get_settings().effective_database_url))

        def stored() -> list[float | None]:
            with factory() as s:
                days = [datetime(2025, 9, d, tzinfo=SHANGHAI) for d in (5, 6)]
                return list(s.scalars(select(Reading.value).join(Section).where(
                    Section.name == "湘东城区", Reading.measured_at.in_(days),
                    Reading.item == "nh3n").order_by(Reading.measured_at)))

        first = write_csv(tmp_path / "a.csv", ["湘东城区,2025-09-05,氨氮,0.2"])
        added = runner.invoke(app, ["ecology", "import", str(first), "--as", "xiangdong"])
        assert added.exit_code == 0 and "added 1" in added.output
        # --preview: what it would do, nothing stored.
        extra = write_csv(tmp_path / "c.csv", ["湘东城区,2025-09-06,氨氮,0.3"])
        looked = runner.invoke(app, ["ecology", "import", str(extra), "--as", "xiangdong",
                                     "--preview"])
        assert looked.exit_code == 3 and "would add 1" in looked.output
        assert stored() == [0.2]
        # A change: listed, nothing imported (not even the file that only adds), files kept.
        changed = write_csv(tmp_path / "b.csv", ["湘东城区,2025-09-05,氨氮,0.25"])
        asked = runner.invoke(app, ["ecology", "import", str(extra), str(changed),
                                    "--as", "xiangdong"])
        assert asked.exit_code == 3, asked.output
        assert "would add 0, update 1" in asked.output and "row 2" in asked.output
        assert "氨氮: 2025-09-05 00:00 已存 0.2，文件为 0.25" in asked.output
        in_english = runner.invoke(app, ["ecology", "import", str(changed), "--as",
                                         "xiangdong", "--lang", "en"])
        assert in_english.exit_code == 3
        assert "nh3n: 2025-09-05 00:00 stored 0.2, file has 0.25" in in_english.output
        assert stored() == [0.2]
        command = re.search(r"coopzone ecology confirm ([0-9a-f ]+) --as xiangdong",
                            asked.output)
        assert command is not None
        tokens = command.group(1).split()
        assert len(tokens) == 2
        other = runner.invoke(app, ["ecology", "confirm", *tokens, "--as", "liling"])
        assert other.exit_code == 2 and stored() == [0.2]
        done = runner.invoke(app, ["ecology", "confirm", *tokens, "--as", "xiangdong"])
        assert done.exit_code == 0, done.output
        assert "added 1" in done.output and "updated 1" in done.output
        assert stored() == [0.25, 0.3]
    finally:
        get_settings.cache_clear()
