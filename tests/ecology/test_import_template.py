"""The water-readings template: written from the reader's columns, it imports as it is."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.ecology.water_files import WIDE_COLUMNS
from tests.ecology.test_upload_refusals import URL, client, editor, stored

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
