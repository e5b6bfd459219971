"""Lists -> Excel workbooks (openpyxl). The agreements sheet uses the import headers, so an
exported workbook imports again unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from coopzone.kit.exporting import append_row

Cell = str | int | float | Decimal | date | datetime | None


def workbook(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
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
        append_row(sheet, values)
        for i, v in enumerate(values):
            if isinstance(v, date):
                sheet.cell(sheet.max_row, i + 1).number_format = "yyyy-mm-dd"
            widths[i] = max(widths[i], min(60, len(str(v or "")) * 2))
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i) if i < 26 else "A"].width = width
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
