"""Files we hand out: Excel cells no value can turn into a formula, and download headers no
file name can break out of.

Excel (and LibreOffice) read a cell whose text begins with ``=``, ``+``, ``-`` or ``@`` as a
formula when the user edits or re-enters it, and openpyxl itself writes a string that begins
with ``=`` as a live formula. A title such as ``=HYPERLINK("http://…","点此")`` would then run
in the finance bureau's spreadsheet. Every workbook the platform writes goes through
:func:`set_cell` / :func:`append_row`: such text is stored as a string with Excel's "quote
prefix" (the cell shows exactly the text, and stays text when edited). Numbers, dates and
``None`` are written as they are — a negative amount is a number, not text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

# The characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def set_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write ``value`` at (row, column), text as text (never a formula); return the cell."""
    cell = sheet.cell(row, column)
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
