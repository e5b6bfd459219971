"""Readings uploads (API and page): refusals answer 4xx with a Chinese reason and leave
nothing behind: no reading, no batch, no file under the data directory."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from coopzone.api.app import create_app
from coopzone.ecology.models import ImportBatch, Reading
from tests.ecology.ledger_support import make_section
from tests.helpers import PASSWORD, People, make_settings, token_for

URL = "/api/v1/ecology/imports"
CSV = "断面,时间,项目,数值\n金鱼石,2025-08-01 08:00,氨氮,0.31\n".encode()
LIMITS = {"upload_max_bytes": 64 * 1024, "upload_max_unzipped_bytes": 4 * 1024 * 1024,
          "upload_max_zip_ratio": 100, "upload_max_rows": 5}


@pytest.fixture
def client(engine: Engine, session_factory: sessionmaker[Session],
           tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_settings(str(engine.url), data_dir=tmp_path, **LIMITS),
                     session_factory)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def editor(session: Session, people: People) -> dict[str, str]:
    make_section(session)
    session.commit()
    return token_for(session, people.jiangxi_editor)


def stored(session: Session, data_dir: Path) -> tuple[int, int, list[Path]]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Reading)) or 0,
            session.scalar(select(func.count()).select_from(ImportBatch)) or 0,
            sorted(p for p in data_dir.rglob("*") if p.is_file()))


def nothing(session: Session, data_dir: Path) -> None:
    assert stored(session, data_dir) == (0, 0, [])


def workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["断面", "时间", "项目", "数值"])
    for day in range(1, rows + 1):
        sheet.append(["金鱼石", f"2025-08-{day:02d} 08:00", "氨氮", 0.31])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["..", "a\x00b.csv", "../../etc/水质.csv", "..\\..\\x.csv",
                                  "报表\r\n.csv"])
def test_an_odd_upload_name_is_stored_under_a_clean_one(
        client: TestClient, session: Session, editor: dict[str, str], tmp_path: Path,
        name: str) -> None:
    response = client.post(URL, files={"file": (name, CSV)}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
    batch = session.scalars(select(ImportBatch)).one()
    assert "\x00" not in batch.filename and "\n" not in batch.filename
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == []  # temp file gone
    assert not (tmp_path.parent / "x.csv").exists() and not (tmp_path / "..").joinpath(
        "水质.csv").exists()


def test_a_viewer_or_read_token_upload_is_refused_before_it_is_received(
        client: TestClient, session: Session, people: People, editor: dict[str, str],
        tmp_path: Path) -> None:
    for headers in (token_for(session, people.viewer),
                    token_for(session, people.jiangxi_editor, ["read"])):
        response = client.post(URL, files={"file": ("a.csv", CSV)}, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
    nothing(session, tmp_path)


def test_another_jurisdictions_editor_is_refused_and_nothing_is_kept(
        client: TestClient, session: Session, people: People, editor: dict[str, str],
        tmp_path: Path) -> None:
    response = client.post(URL, files={"file": ("a.csv", CSV)},
                           headers=token_for(session, people.hunan_editor))
    assert response.status_code == 403
    assert response.json()["detail"] == "无权写入这些断面的监测数据：金鱼石"
    nothing(session, tmp_path)


def test_an_upload_over_the_size_limit_is_413(client: TestClient, session: Session,
                                               editor: dict[str, str], tmp_path: Path) -> None:
    big = CSV + b"#" * (64 * 1024)
    response = client.post(URL, files={"file": ("big.csv", big)}, headers=editor)
    assert response.status_code == 413
    body = response.json()
    assert body.pop("request_id")
    assert body == {"error": "too_large", "errors": [],
                    "detail": "上传的文件超过 64 KB 的上限，未保存"}
    nothing(session, tmp_path)


def test_a_request_far_over_the_limit_is_cut_off_while_it_arrives(
        client: TestClient, session: Session, editor: dict[str, str], tmp_path: Path) -> None:
    response = client.post(URL, files={"file": ("huge.csv", b"x" * (3 * 1024 * 1024))},
                           headers=editor)
    assert response.status_code == 413  # by its Content-Length, before the body is read
    assert response.json()["detail"] == "上传的文件超过 64 KB 的上限，未保存"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(40):
            yield b"x" * 100_000
        yield b"\r\n--b--\r\n"

    response = client.post(URL, content=chunks(), headers={
        **editor, "content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    nothing(session, tmp_path)


@pytest.mark.parametrize(("content", "reason"), [
    (b"not a zip at all", "内容是其他格式的文件（可能只是改了扩展名）"),
    (workbook(2)[:900], "文件不完整或已损坏（可能没有上传完整）"),
])
def test_a_non_zip_or_truncated_xlsx_is_a_clear_422(
        client: TestClient, session: Session, editor: dict[str, str], tmp_path: Path,
        content: bytes, reason: str) -> None:
    response = client.post(URL, files={"file": ("水质.xlsx", content)}, headers=editor)
    assert response.status_code == 422
    assert response.json()["detail"] == f"文件不是 Excel 工作簿（.xlsx）：{reason}"
    nothing(session, tmp_path)


def test_a_zip_bomb_is_refused_from_its_directory(
        client: TestClient, session: Session, editor: dict[str, str], tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with zipfile.ZipFile(io.BytesIO(workbook(1))) as real:
            for info in real.infolist():
                z.writestr(info.filename, real.read(info))
        z.writestr("xl/worksheets/sheet2.xml", b" " * (40 * 1024 * 1024))
    bomb = buffer.getvalue()
    assert len(bomb) < 64 * 1024
    response = client.post(URL, files={"file": ("bomb.xlsx", bomb)}, headers=editor)
    assert response.status_code == 422
    assert response.json()["detail"] == "文件解压后超过 4 MB 的上限，未导入"
    nothing(session, tmp_path)


def test_row_limits_for_xlsx_and_csv(client: TestClient, session: Session,
                                     editor: dict[str, str], tmp_path: Path) -> None:
    lines = "".join(f"金鱼石,2025-08-{d:02d} 08:00,氨氮,0.31\n" for d in range(1, 7))
    for name, content in (("rows.xlsx", workbook(6)), ("rows.csv", "断面,时间,项目,数值\n"
                                                       .encode() + lines.encode())):
        response = client.post(URL, files={"file": (name, content)}, headers=editor)
        assert response.status_code == 422, name
        assert response.json()["detail"] == "文件超过 5 行的上限，未导入"
    nothing(session, tmp_path)
    response = client.post(URL, files={"file": ("rows.xlsx", workbook(5))}, headers=editor)
    assert response.status_code == 200 and response.json()["added"] == 5


def test_the_import_page_refuses_a_viewer_and_a_bad_workbook_with_nothing_kept(
        client: TestClient, session: Session, people: People, editor: dict[str, str],
        tmp_path: Path) -> None:
    def csrf(html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match is not None
        return match.group(1)

    for username, content, status in (("viewer", CSV, 403),
                                      ("xiangdong", b"PK\x03\x04 truncated", 422)):
        token = csrf(client.get("/login").text)
        client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token})
        token = csrf(client.get("/ecology/import").text)
        response = client.post("/ecology/import", data={"csrf_token": token},
                               files={"file": ("水质.xlsx", content)})
        assert response.status_code == status, response.text[:300]
        client.post("/logout", data={"csrf_token": token})
    nothing(session, tmp_path)
