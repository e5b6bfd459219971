"""Agreement workbooks (Excel) -> validated rows. No database, no writes.

Built on :mod:`coopzone.kit.importing`: the columns are defined once (:data:`COLUMNS`) and
both the reader and the downloadable template use them. Offices keep their agreement lists
in Excel with slightly different headers; the aliases below are the variants seen so far. A
workbook with any bad row is refused whole, with every row, column and reason in the user's
language (Chinese by default).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from coopzone.kit.importing import (
    CellError,
    Column,
    Problems,
    cell_text,
    read_rows,
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
_FIELDS = "、".join(v[0] for v in FIELD_LABELS.values())
_STATUSES = "、".join(v[0] for v in STATUS_LABELS.values())


def _title(cell: Any) -> str:
    title = _text(cell)
    if len(title) < 2:
        raise CellError("为空或太短（至少 2 个字）", "empty or too short")
    if len(title) > 200:
        raise CellError("超过 200 个字", "longer than 200 characters")
    return title


def _parties(cell: Any) -> tuple[str, ...]:
    parties = split_parties(_text(cell))
    if not parties:
        raise CellError("没有写签署单位（多个单位用、或；分隔）",
                        "no party named (separate several with 、 or ；)")
    if any(len(p) > 120 or len(p) < 2 for p in parties):
        raise CellError("每个单位名称应为 2 到 120 个字",
                        "each party name must be 2 to 120 characters")
    if len(set(parties)) < len(parties):
        raise CellError("同一单位写了两次", "the same party is named twice")
    return parties


def _date(cell: Any) -> date:
    value = parse_date(cell)
    if value is None:
        raise CellError(f"不是日期：「{_text(cell)}」", f"not a date: {_text(cell)!r}")
    return value


def _optional_date(cell: Any) -> date | None:
    return _date(cell) if _text(cell) else None


def _field(cell: Any) -> str:
    code = _lookup(FIELD_LABELS, _text(cell))
    if code is None:
        raise CellError(f"未知领域「{_text(cell)}」，应为{_FIELDS}之一",
                        f"unknown field {_text(cell)!r}; use one of {_FIELDS}")
    return code


def _status(cell: Any) -> str:
    code = _lookup(STATUS_LABELS, _text(cell))
    if code is None:
        raise CellError(f"未知状态「{_text(cell)}」，应为{_STATUSES}之一",
                        f"unknown status {_text(cell)!r}; use one of {_STATUSES}")
    return code


def _term(cell: Any) -> int | None:
    text = _text(cell)
    if not text:
        return None
    years = text.removesuffix("年")
    if years.isdigit() and 0 < int(years) <= 50:
        return int(years)
    raise CellError(f"不是 1 到 50 之间的年数：「{text}」",
                    f"not a number of years (1 to 50): {text!r}")


_PARSE: dict[str, Callable[[Any], Any]] = {
    "title": _title, "parties": _parties, "signed_on": _date, "field": _field,
    "status": _status, "signed_at": lambda c: _text(c)[:120], "term_years": _term,
    "expires_on": _optional_date, "summary": _text,
}

# The one definition of the workbook's columns: the reader parses with it and the
# downloadable template is written from it (coopzone.kit.importing.template_workbook).
COLUMNS: tuple[Column, ...] = tuple(
    Column(key, names[0], _ENGLISH[key], names[1:], key in REQUIRED, _EXAMPLE[key],
           *_NOTES.get(key, ("", "")), parse=_PARSE.get(key))
    for key, names in HEADERS.items())
_BY_KEY = {c.key: c for c in COLUMNS}


def _agreement(number: int, v: dict[str, Any], problems: Problems) -> AgreementRow | None:
    if v["expires_on"] is not None and v["expires_on"] < v["signed_on"]:
        problems.add(number, _BY_KEY["expires_on"].zh, "早于签署日期", "before the signing date")
        return None
    return AgreementRow(number, v["title"], v["parties"], v["signed_on"], v["field"],
                        v["status"], v["signed_at"], v["term_years"], v["expires_on"],
                        v["summary"])


def read_agreements(content: bytes, filename: str = "", limits: Limits | None = None,
                    locale: str | None = None) -> list[AgreementRow]:
    """Read the first sheet of an agreements workbook; refuse it whole on any bad row, every
    row, column and reason listed (Chinese, or English with ``locale="en"``).

    :func:`coopzone.kit.importing.read_rows` reads the bytes as an Excel workbook whatever
    the name says: before parsing, the zip is checked (a non-zip, truncated or zip-bomb file
    is refused with a reason, see :func:`coopzone.kit.uploads.check_spreadsheet`) and the
    sheet is refused past ``limits.max_rows``. Titles must be unique within the workbook
    (the title is the natural key)."""
    rows: list[AgreementRow] = read_rows(
        content, filename, COLUMNS, build=_agreement, unique=("title",),
        limits=limits or Limits(), label=filename or "文件", locale=locale,
        formats=(".xlsx", ".xlsm"), noun="工作簿")
    return rows


def template(locale: str | None = None) -> bytes:
    """The downloadable agreements template: the headers the reader takes, one example row."""
    return template_workbook(say(locale, "合作协议", "Agreements"), COLUMNS, locale)
