"""Agreement workbooks (Excel) -> validated rows. No database, no writes.

Offices keep their agreement lists in Excel with slightly different headers; the aliases below
are the variants seen so far. A workbook with any bad row is refused whole, with every row,
column and reason.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from coopzone.errors import InvalidInput, RowError
from coopzone.kit.uploads import Limits, check_rows, check_spreadsheet, not_readable

# Chinese labels of the codes, used in workbooks and pages; the first label is canonical.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "transport": ("交通", "交通互联", "交通运输"),
    "industry": ("产业", "产业协同", "产业合作", "工业"),
    "ecology": ("生态", "生态环保", "生态环境", "生态共保"),
    "public_services": ("公共服务", "民生", "政务服务", "社会保障", "医疗"),
    "culture_tourism": ("文旅", "文化旅游", "文化和旅游", "旅游"),
    "credit": ("信用", "社会信用"),
    "talent": ("人才", "人才交流"),
    "science": ("科技", "科技创新", "创新"),
    "agriculture": ("农业", "农业农村"),
    "trade": ("商贸", "贸易", "物流", "商贸物流"),
    "other": ("其他", "综合", "战略合作"),
}
STATUS_LABELS: dict[str, tuple[str, ...]] = {
    "signed": ("已签署", "签署", "已签订", "待生效"),
    "in_force": ("履行中", "生效", "执行中", "在执行", "有效"),
    "expired": ("已到期", "到期", "期满"),
    "terminated": ("已终止", "终止", "解除"),
}

# Canonical header first, then the variants tolerated on import.
HEADERS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号"),
    "title": ("协议名称", "名称", "协议", "协议标题"),
    "parties": ("签署单位", "签约单位", "签约方", "合作单位", "签署方"),
    "signed_on": ("签署日期", "签订日期", "签约日期", "日期"),
    "field": ("领域", "合作领域"),
    "status": ("状态", "协议状态", "履行状态"),
    "signed_at": ("签署地点", "签约地点", "地点"),
    "term_years": ("期限(年)", "期限", "有效期(年)"),
    "expires_on": ("到期日期", "有效期至"),
    "summary": ("主要内容", "摘要", "备注"),
}
REQUIRED = ("title", "parties", "signed_on", "field", "status")
PARTY_SEPARATORS = re.compile(r"[、；;，,\n]+")


def field_label(code: str) -> str:
    return FIELD_LABELS.get(code, (code,))[0]


def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, (code,))[0]


def _lookup(table: dict[str, tuple[str, ...]], text: str) -> str | None:
    text = text.strip()
    for code, labels in table.items():
        if text == code or text in labels:
            return code
    return None


def _norm_header(text: Any) -> str:
    value = str(text or "").strip().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", value)


@dataclass(frozen=True)
class AgreementRow:
    row: int  # 1-based spreadsheet row
    title: str
    parties: tuple[str, ...]
    signed_on: date
    field: str
    status: str
    signed_at: str = ""
    term_years: int | None = None
    expires_on: date | None = None
    summary: str = ""


def split_parties(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in PARTY_SEPARATORS.split(text) if p.strip())


def parse_date(value: Any) -> date | None:
    """Dates as Excel writes them, or typed as 2023-05-12, 2023/5/12, 2023.5.12, 2023年5月12日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(header: tuple[Any, ...]) -> tuple[dict[str, int], list[RowError]]:
    found: dict[str, int] = {}
    errors: list[RowError] = []
    names = [_norm_header(h) for h in header]
    for key, variants in HEADERS.items():
        wanted = {_norm_header(v) for v in variants}
        for index, name in enumerate(names):
            if name in wanted:
                found.setdefault(key, index)
    for key in REQUIRED:
        if key not in found:
            errors.append(RowError(1, HEADERS[key][0],
                                   "missing column (also accepted: "
                                   + "、".join(HEADERS[key][1:]) + ")"))
    return found, errors


def _row(number: int, cells: tuple[Any, ...], cols: dict[str, int]
         ) -> tuple[AgreementRow | None, list[RowError]]:
    def cell(key: str) -> Any:
        index = cols.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    errors: list[RowError] = []

    def bad(key: str, reason: str) -> None:
        errors.append(RowError(number, HEADERS[key][0], reason))

    title = _text(cell("title"))
    if len(title) < 2:
        bad("title", "empty or too short")
    elif len(title) > 200:
        bad("title", "longer than 200 characters")
    parties = split_parties(_text(cell("parties")))
    if not parties:
        bad("parties", "no party named (separate several with 、 or ；)")
    elif any(len(p) > 120 or len(p) < 2 for p in parties):
        bad("parties", "each party name must be 2 to 120 characters")
    elif len(set(parties)) < len(parties):
        bad("parties", "the same party is named twice")
    signed_on = parse_date(cell("signed_on"))
    if signed_on is None:
        bad("signed_on", f"not a date: {_text(cell('signed_on'))!r}")
    field = _lookup(FIELD_LABELS, _text(cell("field")))
    if field is None:
        bad("field", f"unknown field {_text(cell('field'))!r}; use one of "
            + "、".join(v[0] for v in FIELD_LABELS.values()))
    status = _lookup(STATUS_LABELS, _text(cell("status")))
    if status is None:
        bad("status", f"unknown status {_text(cell('status'))!r}; use one of "
            + "、".join(v[0] for v in STATUS_LABELS.values()))
    term_text = _text(cell("term_years"))
    term: int | None = None
    if term_text:
        if term_text.removesuffix("年").isdigit() and 0 < int(term_text.removesuffix("年")) <= 50:
            term = int(term_text.removesuffix("年"))
        else:
            bad("term_years", f"not a number of years (1 to 50): {term_text!r}")
    expires: date | None = None
    if _text(cell("expires_on")):
        expires = parse_date(cell("expires_on"))
        if expires is None:
            bad("expires_on", f"not a date: {_text(cell('expires_on'))!r}")
        elif signed_on is not None and expires < signed_on:
            bad("expires_on", "before the signing date")
    if errors or signed_on is None or field is None or status is None:
        return None, errors
    return AgreementRow(number, title, parties, signed_on, field, status,
                        _text(cell("signed_at"))[:120], term, expires,
                        _text(cell("summary"))), []


def read_agreements(content: bytes, filename: str = "",
                    limits: Limits | None = None) -> list[AgreementRow]:
    """Read the first sheet of an agreements workbook; refuse it whole on any bad row.

    Before parsing, the zip is checked (a non-zip, truncated or zip-bomb file is refused with
    a reason, see :func:`coopzone.kit.uploads.check_spreadsheet`); the rows are counted as
    they are read and the sheet is refused past ``limits.max_rows``."""
    limits = limits or Limits()
    label = filename or "文件"
    check_spreadsheet(content, limits, label)
    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, EOFError,
            zlib.error) as exc:
        raise InvalidInput(f"{label} 不是 Excel 工作簿（.xlsx）",
                           [RowError(None, None, "not an .xlsx workbook")],
                           detail=type(exc).__name__) from exc
    rows: list[tuple[Any, ...]] = []
    try:
        for cells in book.worksheets[0].iter_rows(values_only=True):
            rows.append(cells)
            if len(rows) > limits.max_rows + 1:  # the header is not a data row
                check_rows(len(rows) - 1, limits, label)
    except (BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error) as exc:
        raise not_readable(label, exc) from exc
    finally:
        book.close()
    if not rows:
        raise InvalidInput("工作簿是空的", [RowError(None, None, "the first sheet is empty")])
    cols, errors = _columns(tuple(rows[0]))
    if errors:
        raise InvalidInput("工作簿缺少必需的列", errors)
    result: list[AgreementRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if all(_text(c) == "" for c in cells):
            continue
        row, row_errors = _row(number, tuple(cells), cols)
        errors.extend(row_errors)
        if row is not None:
            if row.title in seen:
                errors.append(RowError(number, HEADERS["title"][0],
                                       f"same title as row {seen[row.title]}"))
            seen.setdefault(row.title, number)
            result.append(row)
    if errors:
        raise InvalidInput(f"工作簿有 {len({e.row for e in errors})} 行有误，未导入任何记录",
                           errors)
    if not result:
        raise InvalidInput("工作簿没有数据行", [RowError(None, None, "no data rows")])
    return result
