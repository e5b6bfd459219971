"""Why a row was refused, in the reader's language.

Importers and validators that already speak the user's language (the water files and
readings take a ``locale``) pass through unchanged. Older ones give their row errors' reasons
and columns in English or as field codes; a Chinese page shows them through this table, so a
refusal table reads "第 3 行 · 签署日期 · 不是日期：'abc'" and not "not a date: 'abc'".
Add a line here when an importer or validator gains an English reason; the page test
(tests/web/test_chinese_pages.py) posts bad files and fails on any English left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from coopzone.errors import RowError

# English reason (a full-match pattern) -> Chinese, with the pattern's named groups.
REASONS_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), zh) for pattern, zh in (
        (r"empty or too short", "为空或过短"),
        (r"longer than (?P<n>\d+) characters", "超过 {n} 个字符"),
        (r"shorter than (?P<n>\d+) characters", "少于 {n} 个字符"),
        (r"no party named \(separate several with 、 or ；\)",
         "未填写签署单位（多个单位用“、”或“；”分隔）"),
        (r"each party name must be 2 to 120 characters", "每个签署单位名称应为 2 至 120 个字符"),
        (r"the same party is named twice", "同一签署单位填写了两次"),
        (r"not a date: (?P<v>.*)", "不是日期：{v}"),
        (r"unknown field (?P<v>.*); use one of (?P<options>.*)", "未知的领域 {v}；应为：{options}"),
        (r"unknown status (?P<v>.*); use one of (?P<options>.*)",
         "未知的状态 {v}；应为：{options}"),
        (r"not a number of years \(1 to 50\): (?P<v>.*)", "不是 1 至 50 之间的年数：{v}"),
        (r"not a number: (?P<v>.*)", "不是数字：{v}"),
        (r"before the signing date", "早于签署日期"),
        (r"the agreement is (?P<old>\S+): it cannot go back to (?P<new>\S+)",
         "协议已是“{old}”，不能改回“{new}”"),
        (r"the stored agreement of this title is not yours to change \(none of its signatories "
         r"(?P<parties>.*) is in your jurisdiction\)",
         "同名协议的签署单位（{parties}）都不在你的辖区内，不能修改"),
        (r"same title as row (?P<n>\d+)", "与第 {n} 行的协议名称相同"),
        (r"missing column \(also accepted: (?P<names>.*)\)", "缺少此列（也可写作：{names}）"),
        (r"not an \.xlsx workbook", "不是 Excel 工作簿（.xlsx）"),
        (r"the first sheet is empty", "第一张工作表是空的"),
        (r"no data rows", "没有数据行"),
        (r"empty file", "文件是空的"),
        (r"more than (?P<n>\d+) data rows", "数据行超过 {n} 行"),
        (r"uncompressed size (?P<n>\d+) bytes over the limit .*", "解压后大小 {n} 字节，超过上限"),
        (r"compression ratio (?P<n>\d+) over the .*", "压缩比 {n} 超过上限"),
        (r"cannot read: .*", "无法读取文件"),
        (r"not a readable zip archive \(\w+\)",
         "不是有效的 Excel 工作簿（文件不完整或是其他文件）"),
        (r"empty zip archive", "工作簿里没有任何内容"),
        (r"cannot read the workbook \(\w+\)", "内容无法读取（文件可能不完整）"),
        (r"cannot decode: not UTF-8 or GBK text", "文件编码不是 UTF-8 或 GBK/GB18030"),
        (r"cannot read file: .*", "文件内容无法读取"),
        (r"required", "必填"),
        (r"missing", "缺失"),
        (r"must not be null", "不能为空"),
        (r"in the future", "晚于今天"),
        (r"a reason is required", "需要填写理由"),
        (r"must be one of the agreement's parties", "必须是协议的签署方之一"),
        (r"wrong current password", "当前密码不正确"),
        (r"same as the current password", "与当前密码相同"),
        (r"token lacks the write scope", "令牌没有写入权限"),
        (r"(?P<code>\d{6}) is not a county of the zone", "{code} 不是示范区的县（市、区）"),
        (r"YYYY, YYYY-Qn or YYYY-MM", "年、季度或月，如 2025、2025-Q3、2025-09"),
    ))

# Columns named by a field code -> the column's Chinese name.
COLUMNS_ZH = {
    "section": "断面", "time": "时间", "item": "项目", "value": "数值", "unit": "单位",
    "source": "来源", "file": "文件", "sheet": "工作表", "period": "期间", "code": "代码",
    "title": "名称", "parties": "签署单位", "field": "领域", "status": "状态",
    "signed_on": "签署日期", "expires_on": "到期日期", "term_years": "期限（年）",
    "due_on": "期限", "paid_on": "付款日期", "voucher_no": "凭证号", "password": "密码",
    "new_password": "新密码", "reason": "理由", "counties": "县（市、区）", "payer": "付款方",
    "payee": "收款方",
}


def reason_text(reason: str, locale: str) -> str:
    """``reason`` for a reader of ``locale`` (only Chinese is translated here)."""
    if locale != "zh_CN":
        return reason
    for pattern, zh in REASONS_ZH:
        match = pattern.fullmatch(reason)
        if match:
            return zh.format(**match.groupdict())
    return reason


def column_text(column: str | None, locale: str) -> str:
    if not column:
        return ""
    return COLUMNS_ZH.get(column, column) if locale == "zh_CN" else column


@dataclass(frozen=True)
class ShownError:
    row: int | None
    column: str
    reason: str


def shown(errors: Iterable[RowError], locale: str) -> list[ShownError]:
    """Row errors as a page shows them."""
    return [ShownError(e.row, column_text(e.column, locale), reason_text(e.reason, locale))
            for e in errors]


# ---- a request's own parameters (``?page=abc``) ---------------------------------------------

# Parameters of pages and lists, by name, as a reader calls them.
PARAMETERS = {
    "zh_CN": {"page": "页码", "per_page": "每页条数", "sort": "排序", "order": "排序方向",
              "q": "关键词", "year": "年份", "month": "月份", "series": "协议系列",
              "section": "断面", "item": "项目", "view": "视图", "kind": "类型",
              "state": "状态", "status": "状态", "county": "县（市、区）", "overdue": "逾期",
              "field": "领域", "as_of": "截至日期", "start": "起始", "end": "截止",
              "from": "起始", "to": "截止", "lang": "语言"},
    "en": {"per_page": "per page", "q": "keyword", "as_of": "as of"},
}

# pydantic's error types -> (Chinese, English); ``{…}`` are the error's context values.
REQUEST_REASONS = {
    "int_parsing": ("应为整数", "must be a whole number"),
    "int_type": ("应为整数", "must be a whole number"),
    "int_from_float": ("应为整数", "must be a whole number"),
    "float_parsing": ("应为数字", "must be a number"),
    "float_type": ("应为数字", "must be a number"),
    "decimal_parsing": ("应为数字", "must be a number"),
    "finite_number": ("应为有限的数字", "must be a finite number"),
    "bool_parsing": ("应为 true 或 false（是或否）", "must be true or false"),
    "date_parsing": ("应为日期，如 2025-09-30", "must be a date such as 2025-09-30"),
    "date_from_datetime_parsing": ("应为日期，如 2025-09-30",
                                   "must be a date such as 2025-09-30"),
    "datetime_parsing": ("应为日期时间，如 2025-09-30T08:00", "must be a date and time"),
    "datetime_from_date_parsing": ("应为日期时间，如 2025-09-30T08:00",
                                   "must be a date and time"),
    "missing": ("必填", "required"),
    "greater_than_equal": ("应不小于 {ge}", "must be at least {ge}"),
    "greater_than": ("应大于 {gt}", "must be more than {gt}"),
    "less_than_equal": ("应不大于 {le}", "must be at most {le}"),
    "less_than": ("应小于 {lt}", "must be less than {lt}"),
    "string_too_long": ("超过 {max_length} 个字符", "longer than {max_length} characters"),
    "string_too_short": ("少于 {min_length} 个字符", "shorter than {min_length} characters"),
    "string_pattern_mismatch": ("格式不正确", "not in the expected form"),
    "literal_error": ("应为：{expected}", "must be one of {expected}"),
    "enum": ("应为：{expected}", "must be one of {expected}"),
}
_LOCATIONS = ("query", "path", "body", "header", "cookie")


def parameter_text(name: str, locale: str) -> str:
    table = PARAMETERS["zh_CN" if locale == "zh_CN" else "en"]
    return table.get(name, COLUMNS_ZH.get(name, name) if locale == "zh_CN" else name)


def request_reason(error: dict[str, object], locale: str) -> str:
    """One of pydantic's request errors in the reader's words, never pydantic's own text."""
    kind = str(error.get("type", ""))
    zh = locale == "zh_CN"
    if kind == "value_error":  # our own validators (kit.validation): "中文 (English)"
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        head, sep, tail = message.partition(" (")
        if sep and tail.endswith(")"):
            return head if zh else tail[:-1]
        return reason_text(message, locale)
    if kind in REQUEST_REASONS:
        words = REQUEST_REASONS[kind][0 if zh else 1]
        context = error.get("ctx")
        try:
            return words.format(**(context if isinstance(context, dict) else {}))
        except (KeyError, IndexError):
            return words.split("{")[0].strip() or words
    return "取值无效" if zh else "invalid value"


def request_errors_text(errors: Iterable[dict[str, object]], locale: str) -> str:
    """A page's refusal of its own query (``?page=abc``): each parameter, its reason and the
    value given, in the reader's language (Chinese unless English is asked for)."""
    zh = locale == "zh_CN"
    parts = []
    for error in errors:
        loc = error.get("loc", ())
        names = [str(p) for p in (loc if isinstance(loc, (list, tuple)) else ())
                 if p not in _LOCATIONS]
        name = "".join(parameter_text(n, locale) for n in names[-1:])
        value = error.get("input")
        if isinstance(value, str) and len(value) > 40:
            value = value[:40] + "…"
        shown_value = (f"（收到“{value}”）" if zh else f" (got {value!r})") \
            if isinstance(value, str) and error.get("type") != "missing" else ""
        reason = request_reason(error, locale)
        parts.append(f"{name}：{reason}{shown_value}" if zh else f"{name}: {reason}{shown_value}")
    head = "请求参数有误" if zh else "Invalid request parameters"
    return f"{head}：{'；'.join(parts)}" if zh else f"{head}: {'; '.join(parts)}"
