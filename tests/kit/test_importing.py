"""coopzone.kit.importing: bytes to cells, columns, reasons in the user's language, outcomes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.errors import InvalidInput, NotFound, RowError
from coopzone.kit.importing import (
    CellError,
    Column,
    Outcome,
    Problems,
    RowOutcome,
    compare,
    match_columns,
    read_rows,
    read_table,
    request_locale,
    stage,
    staged,
    template_workbook,
)
from coopzone.kit.uploads import Limits

COLUMNS = (Column("name", "名称", "Name", ("单位名称",), True, "萍乡市"),
           Column("amount", "金额", "Amount", (), False, 12.5))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_as_bureaus_send_it(encoding: str) -> None:
    table = read_table("单位名称,金额\n萍乡市,1\n\n醴陵市,\n".encode(encoding), "a.csv")
    assert table.header == ("单位名称", "金额")
    assert list(table.numbered()) == [(2, ("萍乡市", "1")), (4, ("醴陵市", None))]


def test_undecodable_bytes_are_refused_with_a_chinese_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_table(b"\xff\xfe\x00\xd8\x00", "a.csv", label="上报.csv")
    assert refused.value.message == "上报.csv 不是 UTF-8 或 GBK 编码的文本，无法读取"


def test_an_excel_template_reads_back_through_the_same_columns() -> None:
    for locale, header in ((None, ("名称", "金额")), ("en", ("Name", "Amount"))):
        content = template_workbook("清单", COLUMNS, locale)
        table = read_table(content, "t.xlsx")
        assert table.header == header
        cols, errors = match_columns(table.header, COLUMNS)
        assert (cols, errors) == ({"name": 0, "amount": 1}, [])
        assert list(table.numbered()) == [(2, ("萍乡市", 12.5))]
        book = load_workbook(io.BytesIO(content))
        assert book.sheetnames == (["清单", "说明"] if locale is None else ["清单", "Notes"])
        assert book["清单"]["A1"].font.bold and not book["清单"]["B1"].font.bold


def test_a_workbook_only_import_refuses_a_csv_as_not_excel() -> None:
    with pytest.raises(InvalidInput, match="不是 Excel"):
        read_table(b"a,b\n1,2\n", "a.csv", formats=(".xlsx",))
    with pytest.raises(InvalidInput, match="超过 1 行的上限"):
        read_table(b"a\n1\n2\n3\n", "a.csv", limits=Limits(max_rows=1))


def test_missing_columns_in_the_users_language() -> None:
    assert match_columns(("金额",), COLUMNS)[1] == [
        RowError(1, "名称", "缺少此列（也可写作：单位名称）")]
    assert match_columns(("金额",), COLUMNS, "en")[1] == [
        RowError(1, "Name", "missing column (also accepted: 单位名称)")]


def test_problems_refuse_whole_with_every_row() -> None:
    problems = Problems("zh_CN")
    problems.refuse()  # nothing to refuse
    problems.add(2, "金额", "不是数字：abc", "not a number: abc")
    problems.add(2, "名称", "为空", "empty")
    with pytest.raises(InvalidInput) as refused:
        problems.refuse()
    assert refused.value.message == "文件有 1 行有误，未导入任何记录"
    assert [e.reason for e in refused.value.errors] == ["不是数字：abc", "为空"]


def test_natural_key_and_content_hash_outcomes() -> None:
    assert compare(2, "甲", None, {"a": "1"}) == RowOutcome(2, "甲", "new", {})
    assert compare(3, "乙", {"a": "1"}, {"a": "1"}).action == "unchanged"
    assert compare(4, "丙", {"a": "1"}, {"a": "2"}) == RowOutcome(4, "丙", "changed",
                                                                {"a": ["1", "2"]})
    same = Outcome([compare(3, "乙", {"a": "1"}, {"a": "1"})])
    assert same.nothing_to_do
    assert same.summary() == "文件中的 1 条记录与已保存的完全相同，导入不会增加或修改任何记录"
    assert Outcome([], duplicate_file=True).summary("en") == (
        "this file was imported before: importing it again adds nothing")
    assert Outcome([compare(2, "甲", None, {})]).summary() == "新增 1 条，修改 0 条，未变 0 条"


def test_request_locale() -> None:
    assert request_locale(None, "en-GB,en;q=0.9") == "en"
    assert request_locale("zh", "en") == "zh_CN"
    assert request_locale(None) == "zh_CN"


def test_a_staged_upload_is_the_confirmations_token(session: Session, tmp_path: Path) -> None:
    content = template_workbook("清单", COLUMNS)
    doc = stage(session, tmp_path, "清单", content, "编辑")
    assert doc.filename == "清单.xlsx"
    again, stored = staged(session, tmp_path, doc.sha256)
    assert (again.id, stored) == (doc.id, content)
    with pytest.raises(NotFound):
        staged(session, tmp_path, "0" * 64)


def _amount(cell: object) -> float | None:
    text = "" if cell is None else str(cell).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise CellError(f"不是数字：{text}", f"not a number: {text}") from None


TYPED = (Column("name", "名称", "Name", ("单位名称",), True, "萍乡市"),
         Column("amount", "金额", "Amount", (), True, 12.5, parse=_amount))


def test_typed_rows_or_every_row_error_in_the_users_language() -> None:
    def build(number: int, values: dict[str, object], problems: Problems) -> object:
        if values["amount"] is None:
            problems.add(number, "金额", "金额为空", "amount is empty")
        return (number, values["name"], values["amount"])

    good = "单位名称,金额\n萍乡市,1.5\n醴陵市,2\n".encode("gb18030")
    assert read_rows(good, "a.csv", TYPED, build=build) == [(2, "萍乡市", 1.5), (3, "醴陵市", 2.0)]
    bad = "名称,金额\n萍乡市,abc\n醴陵市,\n萍乡市,3\n".encode()
    for locale, reasons in ((None, ["不是数字：abc", "金额为空"]),
                            ("en", ["not a number: abc", "amount is empty"])):
        with pytest.raises(InvalidInput) as refused:
            read_rows(bad, "b.csv", TYPED, build=build, unique=("name",), locale=locale)
        # row 2 is refused, so row 4 is the first 萍乡市 that reads: not a duplicate
        got = [(e.row, e.column, e.reason) for e in refused.value.errors]
        assert got == [(2, "金额", reasons[0]), (3, "金额", reasons[1])]
    twice = "名称,金额\n萍乡市,1\n萍乡市,3\n".encode()
    with pytest.raises(InvalidInput) as refused:
        read_rows(twice, "c.csv", TYPED, unique=("name",))
    assert refused.value.errors == [RowError(3, "名称", "与第 2 行的名称相同")]
    with pytest.raises(InvalidInput, match="文件缺少必需的列"):
        read_rows("名称\n萍乡市\n".encode(), "d.csv", TYPED)


def test_the_commands_write_the_templates(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from coopzone.cli.main import app
    from coopzone.cooperation.importers import read_agreements
    from coopzone.ecology.water_files import read_water_file

    runner = CliRunner()
    water, book = tmp_path / "水质模板.xlsx", tmp_path / "协议模板.xlsx"
    assert runner.invoke(app, ["ecology", "template", str(water)]).exit_code == 0
    assert runner.invoke(app, ["cooperation", "agreements-template", str(book),
                               "--lang", "en"]).exit_code == 0
    assert read_water_file(water).height == 7
    assert [r.field for r in read_agreements(book.read_bytes(), book.name)] == ["ecology"]
