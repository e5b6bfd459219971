"""跨省通办 imports, file -> validated rows (no writes): a window's 台账 of past cases and an
office's own item list, on :mod:`coopzone.kit.importing`.

Both read CSV (UTF-8 or GBK) and Excel as offices send them, with the Chinese headers they
use (``受理编号`` or ``业务流水号``, ``证件号码`` or ``身份证号``…); a bad cell refuses the whole
file with its row, column and reason in the user's language. Checks that need the database
(unknown items, windows and departments, who may import, numbers already stored) are the
service's (:mod:`coopzone.gov_services.service.ledger`).

The ledger's own checks here: ID numbers (resident ID: check digit and birth date; USCC),
phones, dates (not after the platform's ``today``; 收件 ≤ 受理 ≤ 办结 ≤ 送达), results and
grades by their Chinese names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from coopzone.gov_services.models import (
    DEPARTMENT_KIND_LABELS,
    DEPARTMENT_KINDS,
    GRADE_LABELS,
    MODE_LABELS,
    MODES,
)
from coopzone.kit.identity import (
    IdentifierError,
    validate_phone,
    validate_resident_id,
    validate_uscc,
)
from coopzone.kit.importing import (
    CellError,
    Column,
    Problems,
    cell_text,
    match_columns,
    read_rows,
    read_table,
    template_workbook,
)
from coopzone.kit.uploads import Limits

# ---- cells --------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_day(value: Any) -> date | None:
    """A date cell: an Excel date, ``2025-09-22``, ``2025/9/22``, ``2025年9月22日``,
    ``20250922`` (a time after it is ignored); empty -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise CellError(f"“{text}”不是日期（如 2025-09-22）",
                        f"{text!r} is not a date (e.g. 2025-09-22)")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(f"日期“{text}”不存在", f"no such date: {text!r}") from None


def _text(limit: int) -> Any:
    def parse(value: Any) -> str:
        text = cell_text(value)
        if len(text) > limit:
            raise CellError(f"不能超过 {limit} 个字", f"at most {limit} characters")
        return text
    return parse


def _number(value: Any) -> str:
    text = cell_text(value).replace(" ", "")
    if not text:
        raise CellError("不能为空", "required")
    if not 4 <= len(text) <= 32:
        raise CellError("编号应为 4 到 32 个字符", "4 to 32 characters")
    return text


def _required(limit: int) -> Any:
    plain = _text(limit)

    def parse(value: Any) -> str:
        text: str = plain(value)
        if not text:
            raise CellError("不能为空", "required")
        return text
    return parse


def _phone(value: Any) -> str:
    text = cell_text(value)
    if not text:
        return ""
    try:
        return validate_phone(text)
    except IdentifierError as exc:
        raise CellError(exc.reason, "not a phone number") from None


def _identity(value: Any) -> tuple[str, str]:
    """(kind, number): a resident ID is a person, a USCC an enterprise."""
    text = cell_text(value).upper().replace(" ", "")
    if not text:
        raise CellError("不能为空", "required")
    if len(text) == 18 and text[:17].isdigit():
        try:
            return "person", validate_resident_id(text)
        except IdentifierError as exc:
            if not text.isdigit():
                raise CellError(exc.reason, "not a valid resident ID number") from None
            person = exc.reason
        try:
            return "enterprise", validate_uscc(text)
        except IdentifierError:
            raise CellError(person, "not a valid resident ID number") from None
    try:
        return "enterprise", validate_uscc(text)
    except IdentifierError as exc:
        if len(text) == 18:
            raise CellError(exc.reason, "not a valid unified social credit code") from None
        raise CellError("证件号码应为 18 位身份证号码或统一社会信用代码",
                        "an 18-character resident ID or unified social credit code") from None


MODE_WORDS = {**{label: code for code, label in MODE_LABELS.items()},
              **{code: code for code in MODES}, "代收代办": "proxy", "异地代收": "proxy",
              "网办": "online", "联办": "joint"}


def _mode(value: Any) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    if text not in MODE_WORDS:
        raise CellError("办理方式应为 " + "、".join(MODE_LABELS.values()),
                        "one of " + ", ".join(MODES))
    return MODE_WORDS[text]


def _modes(value: Any) -> list[str]:
    text = cell_text(value)
    parts = [p.strip() for p in re.split(r"[、,，;；/|\s]+", text) if p.strip()]
    if not parts:
        raise CellError("不能为空", "required")
    out = []
    for p in parts:
        if p not in MODE_WORDS:
            raise CellError(f"“{p}”不是办理方式（" + "、".join(MODE_LABELS.values()) + "）",
                            f"{p!r} is not a handling mode")
        out.append(MODE_WORDS[p])
    return list(dict.fromkeys(out))


RESULT_WORDS = {"准予": "granted", "办结": "granted", "已办结": "granted", "通过": "granted",
                "准予许可": "granted", "同意": "granted", "granted": "granted",
                "不予": "denied", "不予许可": "denied", "不同意": "denied", "denied": "denied",
                "不予受理": "not_accepted", "not_accepted": "not_accepted"}


def _result(value: Any) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    if text not in RESULT_WORDS:
        raise CellError("结果应为 准予、不予 或 不予受理", "granted, denied or not_accepted")
    return RESULT_WORDS[text]


GRADE_WORDS = {**{label: code for code, label in GRADE_LABELS.items()},
               **{code: code for code in GRADE_LABELS}, "好评": "very_satisfied",
               "差评": "very_dissatisfied"}


def _grade(value: Any) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    if text not in GRADE_WORDS:
        raise CellError("评价应为 " + "、".join(GRADE_LABELS.values()),
                        "one of " + ", ".join(GRADE_LABELS))
    return GRADE_WORDS[text]


def _days(value: Any) -> int | None:
    text = cell_text(value).removesuffix("个工作日").removesuffix("工作日").removesuffix("日")
    if not text:
        return None
    if not text.isdigit() or int(text) > 3650:
        raise CellError("应为 0 到 3650 的整数（工作日）", "a whole number of working days")
    return int(text)


YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", ""}


def _yes(value: Any) -> bool:
    text = cell_text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError("应为 是 或 否", "yes or no")


KIND_WORDS = {**{label: code for code, label in DEPARTMENT_KIND_LABELS.items()},
              **{code: code for code in DEPARTMENT_KINDS}, "公安局": "public_security",
              "人社": "human_resources_social_security", "住房公积金": "housing",
              "医保": "medical_insurance", "司法行政": "justice", "公证": "justice"}


def _kind(value: Any) -> str:
    text = cell_text(value)
    if not text:
        return "other"
    if text not in KIND_WORDS:
        raise CellError("部门类别应为 " + "、".join(DEPARTMENT_KIND_LABELS.values()),
                        "one of " + ", ".join(DEPARTMENT_KINDS))
    return KIND_WORDS[text]


def _list(value: Any) -> list[str]:
    return [p.strip() for p in re.split(r"[、;；\n]+", cell_text(value)) if p.strip()]


# ---- the ledger of past cases ---------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    """One past case as the window's ledger records it."""

    row: int
    number: str
    applicant_name: str
    applicant_kind: str
    id_number: str
    phone: str
    address: str
    item: str  # the item's name or code
    mode: str | None
    window: str  # the window's name ("" : the import's window)
    department: str  # the handling department's name
    collected_on: date
    accepted_on: date | None
    decided_on: date | None
    result: str | None  # granted | denied | not_accepted
    delivered_on: date | None
    grade: str | None
    tracking_number: str
    note: str

    def values(self) -> dict[str, str]:
        """The row as text by field, for the natural-key comparison."""
        def d(v: date | None) -> str:
            return v.isoformat() if v else ""
        return {"applicant_name": self.applicant_name, "id_number": self.id_number,
                "item": self.item, "department": self.department,
                "collected_on": d(self.collected_on), "accepted_on": d(self.accepted_on),
                "decided_on": d(self.decided_on), "result": self.result or ""}


LEDGER_COLUMNS = (
    Column("number", "受理编号", "case number",
           ("业务流水号", "流水号", "办件编号", "业务协同编号", "编号", "number"), True,
           "2025092201", "台账中的编号，同一编号只导入一次", "the ledger's number; imported once",
           _number),
    Column("applicant_name", "申请人", "applicant",
           ("申请人姓名", "姓名", "申请人名称", "企业名称"), True, "张小三", "", "",
           _required(120)),
    Column("id_number", "证件号码", "ID number",
           ("身份证号", "身份证号码", "公民身份号码", "统一社会信用代码", "证件号"), True,
           "430281199003071235", "身份证号码（个人）或统一社会信用代码（企业）",
           "resident ID (a person) or USCC (an enterprise)", _identity),
    Column("phone", "电话", "phone", ("联系电话", "手机", "手机号码"), False, "13812345678",
           parse=_phone),
    Column("address", "地址", "address", ("住址", "联系地址"), False, "", parse=_text(200)),
    Column("item", "事项", "item", ("事项名称", "办理事项", "事项编码"), True, "户口迁移",
           "事项名称或编码", "the item's name or code", _required(120)),
    Column("mode", "办理方式", "mode", ("通办方式",), False, "异地代收代办",
           "异地代收代办 或 多地联办；空：异地代收代办", "proxy or joint; empty: proxy", _mode),
    Column("window", "收件窗口", "window", ("窗口", "受理窗口"), False, "",
           "空：导入时选择的窗口", "empty: the window chosen for the import", _text(120)),
    Column("department", "办理部门", "department", ("办理单位", "承办部门", "业务属地部门"), True,
           "醴陵市公安局", "办理部门的机构名称", "the handling department's name", _required(120)),
    Column("collected_on", "收件日期", "collected on", ("收件时间", "申请日期", "申请时间"), True,
           "2025-09-22", parse=parse_day),
    Column("accepted_on", "受理日期", "accepted on", ("受理时间",), False, "2025-09-24",
           parse=parse_day),
    Column("decided_on", "办结日期", "decided on", ("办结时间", "决定日期"), False, "2025-10-10",
           parse=parse_day),
    Column("result", "结果", "result", ("办理结果", "办结结果"), False, "准予",
           "准予、不予 或 不予受理", "granted, denied or not accepted", _result),
    Column("delivered_on", "送达日期", "delivered on", ("送达时间",), False, "",
           parse=parse_day),
    Column("grade", "评价", "evaluation", ("好差评", "评价结果", "满意度"), False, "非常满意",
           "、".join(GRADE_LABELS.values()), ", ".join(GRADE_LABELS), _grade),
    Column("tracking_number", "快递单号", "tracking number", ("邮寄单号", "运单号", "物流单号"),
           False, "9812345678901", parse=_text(40)),
    Column("note", "备注", "note", ("说明",), False, "", parse=_text(500)),
)
LEDGER_COLUMN_NAMES = {c.key: c.zh for c in LEDGER_COLUMNS}


def _ledger_row(today: date) -> Any:
    def build(number: int, v: dict[str, Any], problems: Problems) -> LedgerRow:
        dates = [("collected_on", "收件日期"), ("accepted_on", "受理日期"),
                 ("decided_on", "办结日期"), ("delivered_on", "送达日期")]
        for key, zh in dates:
            day = v[key]
            if day is not None and day > today:
                problems.add(number, zh, f"{day.isoformat()} 晚于今天（{today.isoformat()}）",
                             f"{day.isoformat()} is after today ({today.isoformat()})")
        previous: tuple[str, date] | None = None
        for key, zh in dates:
            day = v[key]
            if day is None:
                continue
            if previous is not None and day < previous[1]:
                problems.add(number, zh, f"早于{previous[0]}（{previous[1].isoformat()}）",
                             f"before {previous[0]} ({previous[1].isoformat()})")
            previous = (zh, day)
        result = v["result"]
        if v["decided_on"] is not None and v["accepted_on"] is None \
                and result != "not_accepted":
            problems.add(number, "受理日期", "有办结日期的办件须有受理日期",
                         "a decided case needs its acceptance date")
        if v["decided_on"] is not None and result is None:
            problems.add(number, "结果", "有办结日期的办件须填写结果（准予或不予）",
                         "a decided case needs its result (granted or denied)")
        if result in ("granted", "denied") and v["decided_on"] is None:
            problems.add(number, "办结日期", "填写了结果，须有办结日期", "a result needs its date")
        if result == "not_accepted" and v["accepted_on"] is not None:
            problems.add(number, "受理日期",
                         "不予受理的办件没有受理日期（不予受理的日期填在办结日期）",
                         "a case not accepted has no acceptance date (its date goes in 办结日期)")
        if v["delivered_on"] is not None and result is None:
            problems.add(number, "送达日期", "送达须在办结或不予受理之后",
                         "delivery follows a decision")
        if v["grade"] is not None and result is None:
            problems.add(number, "评价", "评价须在办结或不予受理之后",
                         "an evaluation follows a decision")
        if v["mode"] == "online":
            problems.add(number, "办理方式", "全程网办的办件不经窗口收件，不在窗口台账中",
                         "an online case has no collecting window")
        kind, id_number = v["id_number"]
        return LedgerRow(
            row=number, number=v["number"], applicant_name=v["applicant_name"],
            applicant_kind=kind, id_number=id_number, phone=v["phone"], address=v["address"],
            item=v["item"], mode=v["mode"], window=v["window"], department=v["department"],
            collected_on=v["collected_on"], accepted_on=v["accepted_on"],
            decided_on=v["decided_on"], result=result, delivered_on=v["delivered_on"],
            grade=v["grade"], tracking_number=v["tracking_number"], note=v["note"])
    return build


def read_ledger(content: bytes, filename: str, today: date, limits: Limits | None = None,
                locale: str | None = None) -> list[LedgerRow]:
    """The ledger's rows, or the whole file refused with every row, column and reason.
    ``today``: the platform's (a date after it is refused)."""
    rows: list[LedgerRow] = read_rows(
        content, filename, LEDGER_COLUMNS, build=_ledger_row(today), unique=("number",),
        limits=limits, label=filename or "台账", locale=locale, noun="台账")
    return rows


def ledger_template(locale: str | None = None) -> bytes:
    return template_workbook("台账" if locale != "en" else "ledger", LEDGER_COLUMNS, locale)


# ---- an office's item list ----------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    row: int
    code: str
    name: str
    department: str
    department_kind: str
    modes: list[str]
    statutory_days: int | None
    promised_days: int | None
    postage_pauses: bool
    materials: list[str]
    fees: str
    legal_basis: str
    note: str
    # The columns the file has: a column left out changes nothing stored.
    present: frozenset[str] = frozenset()

    def fields(self) -> dict[str, Any]:
        """The stored fields this row sets (those of the columns the file has)."""
        values: dict[str, Any] = {
            "name": self.name, "department": self.department,
            "department_kind": self.department_kind, "modes": ",".join(self.modes),
            "statutory_days": self.statutory_days, "promised_days": self.promised_days,
            "postage_pauses": self.postage_pauses, "materials": list(self.materials),
            "fees": self.fees, "legal_basis": self.legal_basis, "note": self.note}
        return {k: v for k, v in values.items() if k in self.present}

    def values(self) -> dict[str, str]:
        return {k: item_text(k, v) for k, v in self.fields().items()}


def item_text(key: str, value: Any) -> str:
    """A stored item field as the comparison (and a preview) shows it."""
    if value is None:
        return ""
    if key == "postage_pauses":
        return "是" if value else "否"
    if key == "materials":
        return "、".join(value)
    return str(value)


ITEM_COLUMNS = (
    Column("code", "事项编码", "item code", ("编码", "事项代码", "实施编码", "code"), True,
           "3603001001", "本地事项编码，同一编码再次导入即更新",
           "the office's code; re-import updates", _number),
    Column("name", "事项名称", "item name", ("事项", "名称", "name"), True, "户口迁移",
           parse=_required(120)),
    Column("department", "主管部门", "ministry", ("部门", "主管部委"), False, "公安部",
           parse=_text(60)),
    Column("department_kind", "部门类别", "department kind", ("部门类型", "行业"), False, "公安",
           "、".join(DEPARTMENT_KIND_LABELS.values()), ", ".join(DEPARTMENT_KINDS), _kind),
    Column("modes", "办理方式", "modes", ("通办方式",), True, "全程网办、异地代收代办",
           "可多选，以顿号分隔", "several, separated by 、", _modes),
    Column("statutory_days", "法定时限", "statutory days", ("法定办结时限", "法定时限（工作日）"),
           False, 20, "工作日", "working days", _days),
    Column("promised_days", "承诺时限", "promised days", ("承诺办结时限", "承诺时限（工作日）"),
           False, 10, "工作日，不长于法定时限", "working days, not over the statutory limit",
           _days),
    Column("postage_pauses", "邮寄不计时", "postage pauses", ("邮寄时间不计入时限",), False, "否",
           "是 或 否", "yes or no", _yes),
    Column("materials", "申请材料", "materials", ("材料", "所需材料"), False, "居民身份证、户口簿",
           "以顿号分隔", "separated by 、", _list),
    Column("fees", "收费标准", "fees", ("收费",), False, "不收费", parse=_text(2000)),
    Column("legal_basis", "设定依据", "legal basis", ("法律依据", "依据"), False,
           "《户口登记条例》", parse=_text(2000)),
    Column("note", "备注", "note", ("说明",), False, "", parse=_text(2000)),
)
ITEM_COLUMN_NAMES = {c.key: c.zh for c in ITEM_COLUMNS}


def _item_row(number: int, v: dict[str, Any], problems: Problems) -> ItemRow:
    if (v["statutory_days"] is not None and v["promised_days"] is not None
            and v["promised_days"] > v["statutory_days"]):
        problems.add(number, "承诺时限", "承诺时限不能长于法定时限",
                     "the promised limit is longer than the statutory one")
    return ItemRow(row=number, code=v["code"], name=v["name"], department=v["department"],
                   department_kind=v["department_kind"], modes=v["modes"],
                   statutory_days=v["statutory_days"], promised_days=v["promised_days"],
                   postage_pauses=v["postage_pauses"], materials=v["materials"],
                   fees=v["fees"], legal_basis=v["legal_basis"], note=v["note"])


def read_item_list(content: bytes, filename: str, limits: Limits | None = None,
                   locale: str | None = None) -> list[ItemRow]:
    rows: list[ItemRow] = read_rows(
        content, filename, ITEM_COLUMNS, build=_item_row, unique=("code", "name"),
        limits=limits, label=filename or "事项清单", locale=locale, noun="事项清单")
    header = read_table(content, filename, limits=limits).header
    found, _missing = match_columns(header, ITEM_COLUMNS, locale)
    present = frozenset(found)
    return [replace(r, present=present) for r in rows]


def item_template(locale: str | None = None) -> bytes:
    return template_workbook("事项清单" if locale != "en" else "items", ITEM_COLUMNS, locale)


def columns_of(kind: str) -> Sequence[Column]:
    return LEDGER_COLUMNS if kind == "ledger" else ITEM_COLUMNS
