"""Agreement workbooks (Excel) -> validated rows. No database, no writes.

Built on :mod:`coopzone.kit.importing`: the columns are defined once (:data:`COLUMNS`) and
both the reader and the downloadable template use them. Offices keep their agreement lists
in Excel with slightly different headers; the aliases below are the variants seen so far. A
workbook with any bad row is refused whole, with every row, column and reason in the user's
language (Chinese by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from coopzone.errors import InvalidInput, RowError
from coopzone.kit.importing import (
    Column,
    Problems,
    cell_text,
    match_columns,
    read_table,
    say,
    template_workbook,
)
from coopzone.kit.uploads import Limits

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

_ENGLISH = {"seq": "No.", "title": "Title", "parties": "Signatories", "signed_on": "Signed on",
            "field": "Field", "status": "Status", "signed_at": "Signed at",
            "term_years": "Term (years)", "expires_on": "Expires on", "summary": "Summary"}
_EXAMPLE: dict[str, Any] = {
    "seq": 1, "title": "萍乡市—醴陵市生态环境保护合作协议",
    "parties": "萍乡市人民政府、醴陵市人民政府", "signed_on": date(2025, 3, 18),
    "field": "生态", "status": "履行中", "signed_at": "萍乡", "term_years": 5,
    "expires_on": date(2030, 3, 17), "summary": "共同开展渌水流域水质联合监测",
}
_NOTES: dict[str, tuple[str, str]] = {
    "parties": ("多个单位用、或；分隔", "separate several with 、 or ；"),
    "signed_on": ("如 2025-03-18、2025/3/18 或 2025年3月18日", "e.g. 2025-03-18"),
    "field": ("、".join(v[0] for v in FIELD_LABELS.values()), ""),
    "status": ("、".join(v[0] for v in STATUS_LABELS.values()), ""),
    "term_years": ("1 到 50 的整数，可写“5年”", "a whole number of years, 1 to 50"),
}

# The one definition of the workbook's columns: the reader matches headers with it and the
# downloadable template is written from it (coopzone.kit.importing.template_workbook).
COLUMNS: tuple[Column, ...] = tuple(
    Column(key, names[0], _ENGLISH[key], names[1:], key in REQUIRED, _EXAMPLE[key],
           *_NOTES.get(key, ("", "")))
    for key, names in HEADERS.items())
_BY_KEY = {c.key: c for c in COLUMNS}


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


_text = cell_text


def _row(number: int, cells: tuple[Any, ...], cols: dict[str, int], locale: str | None
         ) -> tuple[AgreementRow | None, list[RowError]]:
    def cell(key: str) -> Any:
        index = cols.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    problems = Problems(locale)

    def bad(key: str, zh: str, en: str) -> None:
        problems.add(number, _BY_KEY[key].zh, zh, en)

    fields = "、".join(v[0] for v in FIELD_LABELS.values())
    statuses = "、".join(v[0] for v in STATUS_LABELS.values())
    title = _text(cell("title"))
    if len(title) < 2:
        bad("title", "为空或太短（至少 2 个字）", "empty or too short")
    elif len(title) > 200:
        bad("title", "超过 200 个字", "longer than 200 characters")
    parties = split_parties(_text(cell("parties")))
    if not parties:
        bad("parties", "没有写签署单位（多个单位用、或；分隔）",
            "no party named (separate several with 、 or ；)")
    elif any(len(p) > 120 or len(p) < 2 for p in parties):
        bad("parties", "每个单位名称应为 2 到 120 个字",
            "each party name must be 2 to 120 characters")
    elif len(set(parties)) < len(parties):
        bad("parties", "同一单位写了两次", "the same party is named twice")
    signed_on = parse_date(cell("signed_on"))
    if signed_on is None:
        bad("signed_on", f"不是日期：「{_text(cell('signed_on'))}」",
            f"not a date: {_text(cell('signed_on'))!r}")
    field = _lookup(FIELD_LABELS, _text(cell("field")))
    if field is None:
        bad("field", f"未知领域「{_text(cell('field'))}」，应为{fields}之一",
            f"unknown field {_text(cell('field'))!r}; use one of {fields}")
    status = _lookup(STATUS_LABELS, _text(cell("status")))
    if status is None:
        bad("status", f"未知状态「{_text(cell('status'))}」，应为{statuses}之一",
            f"unknown status {_text(cell('status'))!r}; use one of {statuses}")
    term_text = _text(cell("term_years"))
    term: int | None = None
    if term_text:
        if term_text.removesuffix("年").isdigit() and 0 < int(term_text.removesuffix("年")) <= 50:
            term = int(term_text.removesuffix("年"))
        else:
            bad("term_years", f"不是 1 到 50 之间的年数：「{term_text}」",
                f"not a number of years (1 to 50): {term_text!r}")
    expires: date | None = None
    if _text(cell("expires_on")):
        expires = parse_date(cell("expires_on"))
        if expires is None:
            bad("expires_on", f"不是日期：「{_text(cell('expires_on'))}」",
                f"not a date: {_text(cell('expires_on'))!r}")
        elif signed_on is not None and expires < signed_on:
            bad("expires_on", "早于签署日期", "before the signing date")
    if problems or signed_on is None or field is None or status is None:
        return None, problems.errors
    return AgreementRow(number, title, parties, signed_on, field, status,
                        _text(cell("signed_at"))[:120], term, expires,
                        _text(cell("summary"))), []


def read_agreements(content: bytes, filename: str = "", limits: Limits | None = None,
                    locale: str | None = None) -> list[AgreementRow]:
    """Read the first sheet of an agreements workbook; refuse it whole on any bad row, every
    row, column and reason listed (Chinese, or English with ``locale="en"``).

    The bytes are read by :func:`coopzone.kit.importing.read_table` as an Excel workbook
    whatever the name says: before parsing, the zip is checked (a non-zip, truncated or
    zip-bomb file is refused with a reason, see :func:`coopzone.kit.uploads.check_spreadsheet`)
    and the sheet is refused past ``limits.max_rows``."""
    label = filename or "文件"
    table = read_table(content, filename, limits=limits or Limits(), label=label,
                       formats=(".xlsx", ".xlsm"))
    if not table.header and not table.rows:
        raise InvalidInput("工作簿是空的", [RowError(None, None, say(
            locale, "第一个工作表是空的", "the first sheet is empty"))])
    cols, errors = match_columns(table.header, COLUMNS, locale)
    if errors:
        raise InvalidInput("工作簿缺少必需的列", errors)
    problems = Problems(locale)
    result: list[AgreementRow] = []
    seen: dict[str, int] = {}
    for number, cells in table.numbered():
        row, row_errors = _row(number, tuple(cells), cols, locale)
        problems.extend(row_errors)
        if row is not None:
            if row.title in seen:
                problems.add(number, _BY_KEY["title"].zh,
                             f"与第 {seen[row.title]} 行的协议名称相同",
                             f"same title as row {seen[row.title]}")
            seen.setdefault(row.title, number)
            result.append(row)
    problems.refuse(f"工作簿有 {len({e.row for e in problems.errors})} 行有误，未导入任何记录")
    if not result:
        raise InvalidInput("工作簿没有数据行", [RowError(None, None, say(
            locale, "没有数据行", "no data rows"))])
    return result


def template(locale: str | None = None) -> bytes:
    """The downloadable agreements template: the headers the reader takes, one example row."""
    return template_workbook(say(locale, "合作协议", "Agreements"), COLUMNS, locale)
