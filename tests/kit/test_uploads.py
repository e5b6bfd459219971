"""kit.uploads: clean names, the per-upload limit, temporary files under the data directory
(removed on every path, swept at start-up), whole-or-nothing writes, spreadsheet checks."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from coopzone.config import Settings
from coopzone.errors import InvalidInput, TooLarge
from coopzone.kit import uploads
from coopzone.kit.uploads import Limits, check_rows, check_spreadsheet
from tests.helpers import HEADER, SECRET, xlsx


@dataclass
class Sent:
    """A file field as the web framework hands it over."""

    filename: str | None
    file: IO[bytes]


def sent(name: str | None, content: bytes) -> Sent:
    return Sent(name, io.BytesIO(content))


def settings_for(data_dir: Path, **limits: int) -> Settings:
    return Settings(env="test", secret_key=SECRET, data_dir=data_dir,
                    **limits)  # type: ignore[arg-type]


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize(("name", "clean"), [
    ("..", "upload"), (".", "upload"), ("", "upload"), (None, "upload"),
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\水质.xlsx", "水质.xlsx"),
    ("a\x00b.csv", "ab.csv"), ("报表\n\r\t.csv", "报表.csv"), (".hidden.csv", "hidden.csv"),
    ("name. . ", "name"), ("\u202egnp.exe", "gnp.exe"), ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
])
def test_safe_name_cleans_whatever_a_browser_sends(name: str | None, clean: str) -> None:
    assert uploads.safe_name(name) == clean


def test_display_name_keeps_the_original_only_as_escaped_text() -> None:
    assert uploads.display_name("a\x00b\n.csv") == "a\\x00b\\n.csv"
    assert uploads.display_name("../水质.csv") == "../水质.csv"  # shown, never used as a path
    assert uploads.display_name(None, "upload.csv") == "upload.csv"


def test_receive_streams_under_the_data_dir_and_removes_the_file_afterwards(
        tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with uploads.receive(sent("../水质.csv", b"a,b\n1,2\n"), settings) as received:
        assert received.path.parent == tmp_path / "tmp" / "uploads"
        assert received.path.suffix == ".csv" and received.path.read_bytes() == b"a,b\n1,2\n"
        assert (received.name, received.display, received.size) == ("水质.csv", "../水质.csv", 8)
    assert files_under(tmp_path) == []


def test_an_upload_over_the_limit_is_refused_while_received_and_nothing_is_left(
        tmp_path: Path) -> None:
    settings = settings_for(tmp_path, upload_max_bytes=1000)
    with pytest.raises(TooLarge) as refused, uploads.receive(sent("big.csv", b"x" * 1001),
                                                             settings):
        pytest.fail("the block must not run")
    assert refused.value.status_code == 413
    assert refused.value.message == "上传的文件超过 1000 字节 的上限，未保存"
    assert files_under(tmp_path) == []
    with uploads.receive(sent("ok.csv", b"x" * 1000), settings) as received:
        assert received.size == 1000


def test_a_failure_inside_the_block_removes_the_temporary_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(InvalidInput), uploads.receive(sent("a.csv", b"1"), settings) as r:
        assert r.path.exists()
        raise InvalidInput("坏文件")
    assert files_under(tmp_path) == []


def test_sweep_removes_what_a_dead_process_left_but_not_a_live_upload(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    left = tmp_path / "tmp" / "uploads" / ".deadbeef.xlsx"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half an upload")
    part = tmp_path / "files" / ".cafe.part"
    part.parent.mkdir()
    part.write_bytes(b"half a document")
    kept = tmp_path / "files" / ("0" * 64)
    kept.write_bytes(b"a stored document")
    with uploads.receive(sent("live.csv", b"1,2"), settings) as live:
        assert uploads.sweep(tmp_path, tmp_path / "files") == 2
        assert live.path.exists()  # locked by this (live) request
    assert files_under(tmp_path) == [kept]


def test_the_app_and_the_command_line_sweep_at_start_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coopzone.api.app import create_app
    from coopzone.cli.context import command_session
    from coopzone.config import get_settings

    left = tmp_path / "tmp" / "uploads" / ".0123.csv"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"killed mid-import")
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    create_app(Settings(env="test", secret_key=SECRET, data_dir=tmp_path, database_url=url))
    assert not left.exists()
    left.write_bytes(b"killed mid-import")
    for key, value in {"ENV": "test", "SECRET_KEY": SECRET, "DATA_DIR": str(tmp_path),
                       "DATABASE_URL": url}.items():
        monkeypatch.setenv(f"COOPZONE_{key}", value)
    get_settings.cache_clear()
    try:
        with command_session():
            pass
    finally:
        get_settings.cache_clear()
    assert not left.exists()


def test_atomic_write_leaves_no_part_file_when_the_write_fails(tmp_path: Path) -> None:
    target = tmp_path / "doc"
    target.mkdir()  # renaming a file over a directory fails
    with pytest.raises(OSError):
        uploads.atomic_write(target, b"content")
    assert files_under(tmp_path) == []
    uploads.atomic_write(tmp_path / "doc2", b"content")
    assert files_under(tmp_path) == [tmp_path / "doc2"]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_check_spreadsheet_refuses_non_zip_truncated_and_empty_files() -> None:
    good = xlsx([HEADER])
    check_spreadsheet(good, Limits())
    for content, reason in ((b"not,a,workbook\n", "内容是其他格式的文件（可能只是改了扩展名）"),
                            (good[: len(good) // 2], "文件不完整或已损坏（可能没有上传完整）"),
                            (zip_bytes({}), "工作簿里没有任何内容")):
        with pytest.raises(InvalidInput) as refused:
            check_spreadsheet(content, Limits(), "合作协议.xlsx")
        assert refused.value.message == f"合作协议.xlsx 不是 Excel 工作簿（.xlsx）：{reason}"
        assert [e.reason for e in refused.value.errors] == [reason]
    check_spreadsheet(b"a,b\n", Limits(), suffix=".csv")  # not a zip format: not checked here


def test_check_spreadsheet_refuses_a_zip_bomb_from_its_directory_alone() -> None:
    bomb = zip_bytes({"xl/worksheets/sheet1.xml": b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(InvalidInput) as refused:
        check_spreadsheet(bomb, Limits(max_unzipped_bytes=10 * 1024 * 1024))
    assert refused.value.message == "文件解压后超过 10 MB 的上限，未导入"
    with pytest.raises(InvalidInput) as refused:  # under the size limit, but 1000:1
        check_spreadsheet(bomb, Limits(max_unzipped_bytes=100 * 1024 * 1024))
    assert refused.value.message == "文件的压缩比异常（超过 100 倍），疑似压缩炸弹，未导入"
    check_spreadsheet(bomb, Limits(max_unzipped_bytes=100 * 1024 * 1024, max_zip_ratio=10_000))


def test_check_rows() -> None:
    check_rows(10, Limits(max_rows=10))
    with pytest.raises(InvalidInput, match="超过 10 行的上限"):
        check_rows(11, Limits(max_rows=10))
