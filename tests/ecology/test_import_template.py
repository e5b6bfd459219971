"""The water-readings template (written from the reader's columns, it imports as it is) and
the preview -> confirm of a file that changes stored values."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.ecology.models import Reading
from coopzone.ecology.water_files import WIDE_COLUMNS
from tests.ecology.test_upload_refusals import URL, client, editor, stored
from tests.helpers import PASSWORD

__all__ = ["client", "editor"]  # fixtures
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_template_downloads_and_a_filled_one_imports(
        client: TestClient, session: Session, editor: dict[str, str], tmp_path: object) -> None:
    response = client.get(URL + "/template.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0]
                .iter_rows(values_only=True))
    assert rows[0] == tuple(c.zh for c in WIDE_COLUMNS)
    assert rows[0][:3] == ("断面名称", "监测时间", "水温(℃)") and rows[1][0] == "金鱼石"
    page = client.get("/ecology/import/template.xlsx?lang=en")
    assert load_workbook(io.BytesIO(page.content)).worksheets[0]["C1"].value == \
        "temperature (°C)"
    answers = []
    for content in (response.content, page.content, response.content):
        done = client.post(URL, files={"file": ("模板.xlsx", content, XLSX)}, headers=editor)
        assert done.status_code == 200, done.text
        answers.append({k: v for k, v in done.json().items() if k != "batch_id"})
    assert answers == [
        {"added": 7, "updated": 0, "unchanged": 0, "duplicate": False},
        {"added": 0, "updated": 0, "unchanged": 7, "duplicate": False},  # same values
        {"added": 0, "updated": 0, "unchanged": 7, "duplicate": True},  # the same file
    ]
    session.expire_all()
    readings, batches, _files = stored(session, tmp_path)  # type: ignore[arg-type]
    assert (readings, batches) == (7, 2)  # the second template repeats the first's values


def test_changes_are_previewed_then_confirmed_without_uploading_again(
        client: TestClient, session: Session, editor: dict[str, str], tmp_path: Path) -> None:
    from tests.accounts.test_access import csrf_of, login

    assert login(client, "xiangdong", PASSWORD) == 303
    csrf = csrf_of(client.get("/ecology/import?lang=zh_CN").text)
    first = "断面,时间,项目,数值\n金鱼石,2025-08-01 08:00,氨氮,0.31\n".encode()
    changed = "断面,时间,项目,数值\n金鱼石,2025-08-01 08:00,氨氮,0.42\n".encode()
    assert client.post("/ecology/import", data={"csrf_token": csrf},
                       files={"file": ("a.csv", first)}).status_code == 200
    preview = client.post("/ecology/import", data={"csrf_token": csrf},
                          files={"file": ("b.csv", changed)})
    assert preview.status_code == 409 and 'id="import-confirm"' in preview.text
    token = re.search(r'name="token" value="([0-9a-f]{64})"', preview.text)
    assert token is not None
    session.expire_all()
    assert session.scalars(select(Reading)).one().value == 0.31  # the preview wrote nothing
    assert (tmp_path / "files" / token[1]).read_bytes() == changed  # but the staged file
    done = client.post("/ecology/import/confirm",
                       data={"csrf_token": csrf, "token": token[1], "source": "manual"})
    assert done.status_code == 200 and 'id="import-result"' in done.text
    session.expire_all()
    assert session.scalars(select(Reading)).one().value == 0.42
    unknown = client.post("/ecology/import/confirm", data={"csrf_token": csrf, "token": "0" * 64})
    assert unknown.status_code == 404 and "没有这个文件" in unknown.text
