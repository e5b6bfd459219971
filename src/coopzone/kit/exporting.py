"""Files we hand out: Excel cells no value can turn into a formula, and download headers no
file name can break out of.

Excel (and LibreOffice) read a cell whose text begins with ``=``, ``+``, ``-`` or ``@`` as a
formula when the user edits or re-enters it, and openpyxl itself writes a string that begins
with ``=`` as a live formula. A title such as ``=HYPERLINK("http://…","点此")`` would then run
in the finance bureau's spreadsheet. Every workbook the platform writes goes through
:func:`set_cell` / :func:`append_row`: such text is stored as a string with Excel's "quote
prefix" (the cell shows exactly the text, and stays text when edited). Numbers, dates and
``None`` are written as they are — a negative amount is a number, not text.

:func:`workbook` writes any list (headers and rows) as such a workbook, with the filters the
page applied on a second sheet (筛选条件) so the first sheet stays importable;
:func:`csv_bytes` writes the same list as CSV (UTF-8 with BOM, which Excel opens as
Chinese), formula-like text prefixed with ``'`` as OWASP advises; :func:`export_list` picks
one of the two. A list is described once by :class:`ExportColumn` (Chinese header, English
header, the value) so every format and every language agree.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

T = TypeVar("T")
CellValue = str | int | float | Decimal | date | datetime | None
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# The characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def set_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write ``value`` at (row, column), text as text (never a formula); return the cell."""
    cell = sheet.cell(row, column)
    if isinstance(value, str):  # control characters a worksheet cannot hold are left out
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl bound "=…" as a formula ("f"): store the text
        cell.quotePrefix = True
    return cell


def append_row(sheet: Worksheet, values: Iterable[Any]) -> int:
    """Append a row below the last one, as :func:`set_cell` writes; return its number."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or _has_values(sheet) else 1
    for column, value in enumerate(values, 1):
        set_cell(sheet, row, column, value)
    return row


def _has_values(sheet: Worksheet) -> bool:
    return any(c.value is not None for c in sheet[1])


# ---- Content-Disposition (RFC 6266, with RFC 5987 for non-ASCII names) ------------------------

_UNSAFE_ASCII = re.compile(r'[\x00-\x1f\x7f"\\/;]')


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>``.

    The fallback keeps printable ASCII only (quotes, backslashes, slashes, semicolons and
    control characters removed, other characters as ``_``) for old clients; ``filename*``
    carries the real name, percent-encoded, so no name can add a parameter or a header line.
    """
    name = unicodedata.normalize("NFC", filename)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # controls
    name = name.replace("/", "_").replace("\\", "_").strip(" .") or "download"
    fallback = "".join(ch if " " <= ch <= "~" else "_" for ch in name)
    fallback = _UNSAFE_ASCII.sub("", fallback).strip(" .") or "download"
    encoded = quote(name, safe="!#$&+-.^_`|~")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def attachment_headers(filename: str) -> dict[str, str]:
    """The headers of a download named ``filename``."""
    return {"Content-Disposition": content_disposition(filename)}


# ---- lists -> Excel or CSV ----------------------------------------------------------------------


def workbook(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[CellValue]],
             filters: Sequence[tuple[str, str]] = (),
             filters_title: str = "筛选条件") -> bytes:
    """A list as an .xlsx: bold frozen headers, dates as dates, Decimal as numbers, every
    text cell safe against formulas. ``filters`` (label, value) — the page's filters — go to
    a second sheet, so the first one is exactly headers and rows (it imports again)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) * 2 + 2 for h in headers]
    for row in rows:
        values = [float(v) if isinstance(v, Decimal) else v for v in row]
        number = append_row(sheet, values)
        for i, v in enumerate(values):
            if isinstance(v, date):
                sheet.cell(number, i + 1).number_format = (
                    "yyyy-mm-dd hh:mm" if isinstance(v, datetime) else "yyyy-mm-dd")
            if i < len(widths):
                widths[i] = max(widths[i], min(60, len(str(v or "")) * 2))
    for i, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    sheet.freeze_panes = "A2"
    if filters:
        about = book.create_sheet(filters_title[:31])
        for label, value in filters:
            append_row(about, [label, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_cell(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if is_formula_like(value) else value
    return str(value)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[CellValue]]) -> bytes:
    """A list as CSV, UTF-8 with BOM (Excel reads it as Chinese); formula-like text is
    prefixed with ``'`` so no spreadsheet runs it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([_csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class ExportColumn(Generic[T]):
    """One column of an exported list: its header in Chinese and English and its value."""

    zh: str
    en: str
    value: Callable[[T], CellValue]

    def header(self, locale: str | None = None) -> str:
        return self.en if (locale or "").lower().startswith("en") else self.zh


@dataclass(frozen=True)
class Export:
    """A file ready to send: its bytes, name and media type."""

    content: bytes
    filename: str
    media_type: str


def export_list(title: str, columns: Sequence[ExportColumn[T]], items: Iterable[T], *,
                name: str, fmt: str = "xlsx", filters: Sequence[tuple[str, str]] = (),
                locale: str | None = None, numbered: bool = True) -> Export:
    """Write ``items`` as ``fmt`` (``xlsx`` or ``csv``) under ``name`` (without suffix):
    one row per item, Chinese headers (English with ``locale="en"``), a 序号 column first
    when ``numbered``, the page's ``filters`` on the workbook's second sheet."""
    english = (locale or "").lower().startswith("en")
    headers = [c.header(locale) for c in columns]
    rows: list[list[CellValue]] = [[c.value(item) for c in columns] for item in items]
    if numbered:
        headers = ["No." if english else "序号", *headers]
        rows = [[i, *r] for i, r in enumerate(rows, start=1)]
    if fmt == "csv":
        return Export(csv_bytes(headers, rows), f"{name}.csv", CSV_MEDIA_TYPE)
    content = workbook(title, headers, rows, filters,
                       "Filters" if english else "筛选条件")
    return Export(content, f"{name}.xlsx", XLSX_MEDIA_TYPE)
