"""Importing what windows and offices kept before the platform: a window's 台账 of past cases,
and an office's own item list. Rows come from :mod:`coopzone.gov_services.importers`
(validated cells); here the checks that need the records and the writes.

The protocol of :mod:`coopzone.kit.importing`: **preview** (``preview_*``) checks the file
against the records and the caller's rights and writes nothing; **confirm** (``import_*``)
checks again and applies all or nothing (the caller's transaction). A refusal lists every
row, column and reason.

Idempotent twice over: a file whose content was applied before (:class:`ImportedFile`, by
its SHA-256) adds nothing; a case whose number is stored already is ``unchanged`` (the
same values) or refused (other values: an import never rewrites a case's history); an item
whose code is stored is ``unchanged`` or ``changed`` (updated, the changes listed).

Past cases
    Imported for one window by its clerks (as :func:`cases.create_case` requires). Each
    case is written in the state its dates reach (sent, accepted, decided, not accepted,
    delivered, evaluated) with one history row per recorded step, each marked
    ``台账导入`` with the file and row; the clock is computed as for a live case: the
    deadline from the acceptance and the item's limit (the platform's calendar), working
    days used and on time at the decision. A 差评 in a ledger is recorded as the evaluation
    but opens no follow-up: the ledger's time for 整改 has passed, and the office answered it
    on paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import Organisation
from coopzone.accounts.roles import SERVICE_DEPARTMENT
from coopzone.accounts.service import Principal
from coopzone.config import Settings
from coopzone.db import SHANGHAI
from coopzone.engines.working_days import Calendar
from coopzone.errors import Forbidden, InvalidInput, RowError
from coopzone.gov_services.importers import (
    ItemRow,
    LedgerRow,
    item_text,
    read_item_list,
    read_ledger,
)
from coopzone.gov_services.models import (
    MODE_LABELS,
    WINDOW_MODES,
    Case,
    CaseEvent,
    Evaluation,
    ImportedFile,
    Item,
    Window,
)
from coopzone.gov_services.service import clock
from coopzone.gov_services.service.catalogue import find_kstb_agreement, get_window
from coopzone.gov_services.service.permissions import is_window_clerk, require_manage
from coopzone.kit.importing import Outcome, Problems, RowOutcome, compare, import_target, say
from coopzone.kit.uploads import Limits

IMPORTED = "台账导入"
# Steps of a past case happened on a day; the ledger gives no hour: 09:00 Shanghai.
STEP_HOUR = time(9)


def _at(day: date) -> datetime:
    return datetime.combine(day, STEP_HOUR, SHANGHAI)


def applied_file(session: Session, kind: str, sha256: str) -> ImportedFile | None:
    return session.scalar(select(ImportedFile).where(ImportedFile.kind == kind,
                                                     ImportedFile.sha256 == sha256))


# ---- past cases -----------------------------------------------------------------------------


def require_ledger_import(principal: Principal, window: Window) -> None:
    """Only the window's clerks import its ledger (they recorded those cases)."""
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")
    if not is_window_clerk(principal, window):
        raise Forbidden(f"只有“{window.name}”的工作人员可以导入此窗口的台账",
                        detail=f"{principal.label} is no clerk of window {window.id}")


@dataclass(frozen=True)
class _Resolved:
    row: LedgerRow
    item: Item
    mode: str
    department: Organisation
    existing: Case | None


def _items_by_key(session: Session) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for item in session.scalars(select(Item)):
        out[item.code] = item
        out[item.name] = item
    return out


def _departments(session: Session, names: set[str]) -> dict[str, Organisation]:
    return {o.name: o for o in session.scalars(select(Organisation).where(
        Organisation.name.in_(sorted(names))))}


def _stored_values(case: Case, items: dict[int, Item], depts: dict[int, str]) -> dict[str, str]:
    def d(v: date | None) -> str:
        return v.isoformat() if v else ""
    result = "not_accepted" if case.state == "not_accepted" else (case.outcome or "")
    return {"applicant_name": case.applicant_name, "id_number": case.id_number,
            "item": items[case.item_id].name if case.item_id in items else "",
            "department": depts.get(case.department_id, ""),
            "collected_on": d(clock.local_day(case.applied_at)),
            "accepted_on": d(clock.local_day(case.accepted_at) if case.accepted_at else None),
            "decided_on": d(case.decided_on), "result": result}


def _row_values(r: _Resolved) -> dict[str, str]:
    values = r.row.values()
    values["item"], values["department"] = r.item.name, r.department.name
    if r.row.result == "not_accepted":
        values["decided_on"] = ""
    return values


FIELD_NAMES = {"applicant_name": "申请人", "id_number": "证件号码", "item": "事项",
               "department": "办理部门", "collected_on": "收件日期", "accepted_on": "受理日期",
               "decided_on": "办结日期", "result": "结果"}


def _resolve(session: Session, window: Window, rows: Sequence[LedgerRow],
             locale: str | None) -> tuple[list[_Resolved], list[RowOutcome]]:
    """Every row against the records, or the whole file refused: unknown items and
    departments, another window's rows, a mode the item does not have, an item the window
    does not take, a stored number with other values."""
    problems = Problems(locale)
    items = _items_by_key(session)
    depts = _departments(session, {r.department for r in rows})
    window_items = {w.item_id for w in window.items}
    numbers = [r.number for r in rows]
    stored: dict[str, Case] = {}
    for start in range(0, len(numbers), 500):
        for case in session.scalars(select(Case).where(Case.number.in_(numbers[start:start
                                                                               + 500]))):
            stored[case.number] = case
    item_by_id = {i.id: i for i in items.values()}
    dept_names: dict[int, str] = {
        org_id: name for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({c.department_id for c in stored.values()})))}
    resolved: list[_Resolved] = []
    outcomes: list[RowOutcome] = []
    for r in rows:
        before = len(problems.errors)
        item = items.get(r.item)
        if item is None:
            problems.add(r.row, "事项", f"没有名称或编码为“{r.item}”的事项",
                         f"no item named or coded {r.item!r}")
        if r.window and r.window != window.name:
            problems.add(r.row, "收件窗口", f"此行属于“{r.window}”，不是“{window.name}”的台账",
                         f"this row is of window {r.window!r}, not {window.name!r}")
        dept = depts.get(r.department)
        if dept is None:
            problems.add(r.row, "办理部门", f"没有名为“{r.department}”的机构",
                         f"no organisation named {r.department!r}")
        elif dept.kind != SERVICE_DEPARTMENT:
            problems.add(r.row, "办理部门", f"“{dept.name}”不是办理部门",
                         f"{dept.name!r} is not a handling department")
        mode = r.mode
        if item is not None:
            if mode is None:
                mode = next((m for m in WINDOW_MODES if m in item.mode_list), "proxy")
            if mode not in item.mode_list:
                allowed = "、".join(MODE_LABELS[m] for m in item.mode_list)
                problems.add(r.row, "办理方式", f"事项“{item.name}”可选办理方式：{allowed}",
                             f"the item's modes are {', '.join(item.mode_list)}")
            if window_items and item.id not in window_items:
                problems.add(r.row, "事项", f"窗口“{window.name}”不受理此事项",
                             "the window does not take this item")
        if len(problems.errors) > before or item is None or dept is None or mode is None:
            continue
        existing = stored.get(r.number)
        one = _Resolved(r, item, mode, dept, existing)
        if existing is not None:
            decided = compare(r.row, r.number, _stored_values(existing, item_by_id, dept_names),
                              _row_values(one))
            if decided.action == "changed":
                fields = "、".join(FIELD_NAMES[k] for k in decided.changes)
                problems.add(r.row, "受理编号",
                             f"编号 {r.number} 的办件已存在，与此行不同（{fields}）；"
                             "导入不改写已有办件",
                             f"case {r.number} is stored with other values "
                             f"({', '.join(decided.changes)}); an import never rewrites a case")
                continue
            outcomes.append(RowOutcome(r.row, r.number, "unchanged"))
        else:
            outcomes.append(RowOutcome(r.row, r.number, "new"))
        resolved.append(one)
    problems.refuse(say(locale, f"台账有 {len({e.row for e in problems.errors})} 行有误，"
                                "未导入任何记录",
                        f"{len({e.row for e in problems.errors})} row(s) of the ledger are "
                        "wrong: nothing imported"))
    return resolved, outcomes


def preview_ledger(session: Session, principal: Principal, window_id: int,
                   rows: Sequence[LedgerRow], sha256: str | None = None,
                   locale: str | None = None) -> Outcome:
    """What importing the ledger would do (every row new or unchanged), writing nothing;
    refused as the import would be."""
    window = get_window(session, window_id)
    require_ledger_import(principal, window)
    _resolved, outcomes = _resolve(session, window, rows, locale)
    duplicate = sha256 is not None and applied_file(session, "ledger", sha256) is not None
    return Outcome(outcomes, duplicate_file=duplicate)


def import_ledger(session: Session, principal: Principal, window_id: int,
                  rows: Sequence[LedgerRow], *, sha256: str, filename: str,
                  locale: str | None = None, calendar: Calendar | None = None,
                  platform: clock.Clock | None = None) -> Outcome:
    """Write the ledger's new cases with their history and clock (see the module
    docstring); all or nothing. The same content applied before adds nothing."""
    window = get_window(session, window_id)
    require_ledger_import(principal, window)
    resolved, outcomes = _resolve(session, window, rows, locale)
    if applied_file(session, "ledger", sha256) is not None:
        return Outcome([RowOutcome(o.row, o.key, "unchanged") for o in outcomes],
                       duplicate_file=True)
    cal = calendar or clock.process_clock(platform).calendar
    agreements: dict[tuple[int, str], int | None] = {}
    made: list[tuple[Case, list[_PastStep], LedgerRow]] = []
    for r in resolved:
        if r.existing is not None:
            continue
        key = (r.item.id, r.department.place_code)
        if key not in agreements:
            found = find_kstb_agreement(session, window.place_code, key[1], key[0])
            agreements[key] = found.id if found else None
        case, steps = _past_case(principal, window, r, agreements[key], cal)
        session.add(case)
        made.append((case, steps, r.row))
    added = len(made)
    session.flush()  # one flush for every case: their ids, then the history in bulk
    events, evaluations = [], []
    for case, steps, row in made:
        mark = f"{IMPORTED}（{filename} 第 {row.row} 行）"
        events += [{"case_id": case.id, "action": action, "from_state": source,
                    "to_state": target, "actor": principal.label, "at": _at(day),
                    "note": f"{mark} {note}".strip()}
                   for action, source, target, day, note in steps]
        if row.grade:
            evaluations.append({"case_id": case.id, "grade": row.grade, "comment": mark,
                                "window_id": window.id, "owner_org_id": window.organisation_id,
                                "evaluated_at": _at(steps[-1][3]),
                                "recorded_by": principal.label})
    for start in range(0, len(events), 1000):
        session.execute(insert(CaseEvent), events[start:start + 1000])
    for start in range(0, len(evaluations), 1000):
        session.execute(insert(Evaluation), evaluations[start:start + 1000])
    session.add(ImportedFile(kind="ledger", sha256=sha256, filename=filename[:255],
                             window_id=window.id, rows=len(rows), added=added,
                             imported_by=principal.label))
    session.flush()
    return Outcome(outcomes)


def _province(kind: str, number: str) -> str:
    return number[:2] + "0000" if kind == "person" else number[2:4] + "0000"


_PastStep = tuple[str, str, str, date, str]  # action, from, to, day, note


def _past_case(principal: Principal, window: Window, r: _Resolved, kstb_id: int | None,
               calendar: Calendar) -> tuple[Case, list[_PastStep]]:
    """The case in the state its dates reach, with its clock, and its steps (not added)."""
    row = r.row
    applied = _at(row.collected_on)
    case = Case(
        number=row.number, applicant_kind=row.applicant_kind,
        applicant_name=row.applicant_name, id_number=row.id_number, phone=row.phone,
        address=row.address, applicant_province=_province(row.applicant_kind, row.id_number),
        item_id=r.item.id, mode=r.mode, window_id=window.id,
        collect_place_code=window.place_code, department_id=r.department.id,
        handling_place_code=r.department.place_code, kstb_id=kstb_id,
        materials_received=[], tracking_number=row.tracking_number or None,
        formal_check_ok=True, identity_checked=True, state="sent", applied_at=applied,
        applied_month=f"{row.collected_on:%Y-%m}", created_by=principal.label)
    case.item = r.item
    steps: list[_PastStep] = [
        ("apply", "", "applied", row.collected_on, ""),
        ("collect", "applied", "collected", row.collected_on, ""),
        ("send", "collected", "sent", row.collected_on, "")]
    state = "sent"
    if row.result == "not_accepted":
        steps.append(("refuse", "sent", "not_accepted", row.decided_on or row.collected_on,
                      row.note or "不予受理"))
        state = "not_accepted"
    elif row.accepted_on is not None:
        case.accepted_at = _at(row.accepted_on)
        steps.append(("accept", "sent", "accepted", row.accepted_on, ""))
        state = "accepted"
        clock.refresh_deadline(case, [], calendar)
        if row.decided_on is not None and row.result in ("granted", "denied"):
            action = "approve" if row.result == "granted" else "deny"
            steps.append((action, "accepted", "decided", row.decided_on, row.note))
            state = "decided"
            case.outcome = row.result
            case.decided_at, case.decided_on = _at(row.decided_on), row.decided_on
            case.working_days_used = calendar.count(case.accepted_at, row.decided_on).days
            case.on_time = None if case.deadline is None else row.decided_on <= case.deadline
    if state in ("decided", "not_accepted") and (row.delivered_on or row.grade):
        day = row.delivered_on or steps[-1][3]
        steps.append(("deliver", state, "delivered", day,
                      "" if row.delivered_on else "台账未记载送达日期，记为办结当日"))
        case.delivered_at = _at(day)
        state = "delivered"
        if row.grade:
            steps.append(("evaluate", "delivered", "evaluated", day, ""))
            state = "evaluated"
    case.state = state
    return case, steps


# ---- an office's item list --------------------------------------------------------------


def require_item_import(principal: Principal) -> None:
    require_manage(principal, "gov_item.manage", [], "导入政务服务事项清单")


def _may_import_items(principal: Principal) -> bool:
    try:
        require_item_import(principal)
    except Forbidden:
        return False
    return True


# The staged files of the two imports (kit.importing): an item list is confirmed or
# downloaded by whoever may import items; a window's ledger (personal data of its
# applicants) by the clerk who staged it alone, and every confirmation checks the window again.
IMPORT_TARGETS = {"items": import_target("gov_services.items", _may_import_items),
                  "ledger": import_target("gov_services.ledger", lambda _principal: False)}


def _item_values(item: Item) -> dict[str, str]:
    return {k: item_text(k, getattr(item, k)) for k in ITEM_FIELD_COLUMNS}


ITEM_FIELD_COLUMNS = {"name": "事项名称", "department": "主管部门", "department_kind": "部门类别",
                      "modes": "办理方式", "statutory_days": "法定时限",
                      "promised_days": "承诺时限", "postage_pauses": "邮寄不计时",
                      "materials": "申请材料", "fees": "收费标准",
                      "legal_basis": "设定依据", "note": "备注"}


def _item_outcomes(session: Session, rows: Sequence[ItemRow], locale: str | None
                   ) -> tuple[list[RowOutcome], dict[str, Item]]:
    by_code = {i.code: i for i in session.scalars(select(Item))}
    by_name = {i.name: i for i in by_code.values()}
    problems = Problems(locale)
    outcomes = []
    for r in rows:
        other = by_name.get(r.name)
        if other is not None and other.code != r.code:
            problems.add(r.row, "事项名称", f"已有同名事项（编码 {other.code}）",
                         f"an item of this name exists (code {other.code})")
            continue
        stored = by_code.get(r.code)
        outcomes.append(compare(r.row, r.code, None if stored is None else _item_values(stored),
                                r.values()))
    problems.refuse(say(locale, f"事项清单有 {len({e.row for e in problems.errors})} 行有误，"
                                "未导入任何记录", "the item list has wrong rows: nothing imported"))
    return outcomes, by_code


def preview_items(session: Session, principal: Principal, rows: Sequence[ItemRow],
                  sha256: str | None = None, locale: str | None = None) -> Outcome:
    require_item_import(principal)
    outcomes, _ = _item_outcomes(session, rows, locale)
    duplicate = sha256 is not None and applied_file(session, "items", sha256) is not None
    return Outcome(outcomes, duplicate_file=duplicate)


def import_items(session: Session, principal: Principal, rows: Sequence[ItemRow], *,
                 sha256: str, filename: str, locale: str | None = None) -> Outcome:
    """New items added, changed ones updated (an item's cases keep their stored clock),
    unchanged ones left; all or nothing; the same content applied before adds nothing."""
    require_item_import(principal)
    outcomes, by_code = _item_outcomes(session, rows, locale)
    if applied_file(session, "items", sha256) is not None:
        return Outcome([RowOutcome(o.row, o.key, "unchanged") for o in outcomes],
                       duplicate_file=True)
    added = changed = 0
    for r, outcome in zip(rows, outcomes, strict=True):
        if outcome.action == "unchanged":
            continue
        values = r.fields()
        item = by_code.get(r.code)
        if item is None:
            full: dict[str, Any] = {
                "department": r.department, "department_kind": r.department_kind,
                "statutory_days": r.statutory_days, "promised_days": r.promised_days,
                "postage_pauses": r.postage_pauses, "materials": list(r.materials),
                "fees": r.fees, "legal_basis": r.legal_basis, "note": r.note, **values}
            session.add(Item(code=r.code, certainty="[U]",
                             source_title=f"导入：{filename}"[:300], **full))
            added += 1
        else:
            for key, value in values.items():
                setattr(item, key, value)
            changed += 1
        session.flush()  # a later row may take a name an earlier one gave up
    session.add(ImportedFile(kind="items", sha256=sha256, filename=filename[:255],
                             rows=len(rows), added=added, changed=changed,
                             imported_by=principal.label))
    session.flush()
    return Outcome(outcomes)


def refuse_unknown_window(window_id: int | None) -> None:
    if window_id is None:
        raise InvalidInput("请选择台账所属的窗口", [RowError(None, "window_id", "必填")])


# ---- a file of either kind, as the API and the import page take it ---------------------------

KINDS = ("ledger", "items")


def require_import(session: Session, principal: Principal, kind: str, window_id: int | None
                   ) -> None:
    """The caller's right to import this kind (``ledger`` for a window, ``items``), before a
    file is read."""
    if kind == "items":
        require_item_import(principal)
        return
    refuse_unknown_window(window_id)
    assert window_id is not None
    require_ledger_import(principal, get_window(session, window_id))


def check_file(session: Session, settings: Settings, principal: Principal, kind: str,
               window_id: int | None, content: bytes, filename: str, locale: str, *,
               apply: bool, sha256: str, display: str | None = None) -> Outcome:
    """The file read (:mod:`coopzone.gov_services.importers`, within the settings' upload
    limits; a ledger's dates against their today) and previewed, or with ``apply`` imported
    on the clock of ``settings``. ``display``: the name as sent, for the reasons (default
    ``filename``, the name it is kept under)."""
    limits, shown = Limits.of(settings), display or filename
    if kind == "items":
        items = read_item_list(content, shown, limits, locale)
        if apply:
            return import_items(session, principal, items, sha256=sha256, filename=filename,
                                locale=locale)
        return preview_items(session, principal, items, sha256, locale)
    assert window_id is not None
    on = clock.Clock(settings)
    rows = read_ledger(content, shown, on.today(), limits, locale)
    if apply:
        return import_ledger(session, principal, window_id, rows, sha256=sha256,
                             filename=filename, locale=locale, platform=on)
    return preview_ledger(session, principal, window_id, rows, sha256, locale)
