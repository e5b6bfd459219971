"""The case lifecycle on kit.workflow, and the clock it drives.

::

    申请 applied ─collect→ collected ─send→ sent ─accept→ accepted ─approve/deny→ decided
      (收件: 形式审查+身份核验, window)  (流转, window)  (受理, department)   (办结, department)
    sent ─refuse→ not_accepted (不予受理, department, reason)
    accepted ─request_correction→ correction ─complete_correction→ accepted   (补正: clock paused)
    decided | not_accepted ─deliver→ delivered ─evaluate→ evaluated ─archive→ archived
    delivered ─archive→ archived   (no evaluation given)

全程网办 (``online``) has no collecting window: the department accepts or refuses straight from
``applied``, and completes a 补正 itself. 异地代收代办 and 多地联办 need the window's collect and
send first. Who may: :mod:`.permissions` (window steps: the window's clerks; department steps:
the department's; ``complete_correction`` and ``evaluate``: the front, i.e. the window, or the
department for 全程网办).

Every step goes through :func:`move_case` (or a wrapper that carries its data), which reads the
case afresh under a row lock, checks role, side and state and then writes the state, the
step's fields and one :class:`CaseEvent`; a refused step writes nothing. Services take the
Session first and never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.models import Organisation
from coopzone.accounts.roles import SERVICE_DEPARTMENT
from coopzone.accounts.service import Principal
from coopzone.engines.working_days import Calendar
from coopzone.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError, found
from coopzone.gov_services.models import (
    MODE_LABELS,
    OUTCOMES,
    WINDOW_MODES,
    Case,
    CaseEvent,
    CasePause,
    Window,
)
from coopzone.gov_services.schemas import CaseCreate, StepIn
from coopzone.gov_services.service import clock
from coopzone.gov_services.service.catalogue import find_kstb_agreement, get_item, get_window
from coopzone.gov_services.service.permissions import (
    is_department_clerk,
    is_window_clerk,
    may_department,
    may_front,
    may_window,
    refuse_department,
    refuse_front,
    refuse_window,
)
from coopzone.kit.identity import (
    IdentifierError,
    validate_phone,
    validate_resident_id,
    validate_uscc,
)
from coopzone.kit.workflow import Moved, Rule, Transition, Workflow
from coopzone.places.service import covers, get_place, province_of

STATE_LABELS = {"applied": "已申请", "collected": "已收件", "sent": "已流转", "accepted": "已受理",
                "not_accepted": "不予受理", "correction": "待补正", "decided": "已办结",
                "delivered": "已送达", "evaluated": "已评价", "archived": "已归档"}
ACTION_LABELS = {"apply": "申请", "collect": "收件（形式审查、身份核验）", "send": "流转",
                 "accept": "受理", "refuse": "不予受理", "request_correction": "要求补正",
                 "complete_correction": "补正完成", "approve": "办结（准予）",
                 "deny": "办结（不予）", "deliver": "送达", "evaluate": "评价",
                 "archive": "归档", "postage_pause": "邮寄期间暂停计时"}
# Steps only the window makes; steps that, with a window, need the window's send first.
WINDOW_ONLY = ("collect", "send")
AFTER_SEND = ("accept", "refuse")
# The actions of :func:`move_case`; ``evaluate`` is :func:`evaluations.evaluate_case`.
OUTCOME_OF = {"approve": "granted", "deny": "denied"}


def _history(case: Case, moved: Moved[Case]) -> CaseEvent:
    return CaseEvent(case_id=case.id, **moved.history())


CASE_FLOW: Workflow[Principal, Case] = Workflow(
    name="办件",
    transitions=(
        Transition("collect", ("applied",), "collected", "window"),
        Transition("send", ("collected",), "sent", "window"),
        Transition("accept", ("applied", "sent"), "accepted", "department"),
        Transition("refuse", ("applied", "sent"), "not_accepted", "department",
                   reason_required=True),
        Transition("request_correction", ("accepted",), "correction", "department",
                   reason_required=True),
        Transition("complete_correction", ("correction",), "accepted", "front"),
        Transition("approve", ("accepted",), "decided", "department"),
        Transition("deny", ("accepted",), "decided", "department", reason_required=True),
        Transition("deliver", ("decided", "not_accepted"), "delivered", "department"),
        Transition("evaluate", ("delivered",), "evaluated", "front"),
        Transition("archive", ("delivered", "evaluated"), "archived", "department"),
    ),
    rules={"window": Rule(may_window, refuse_window),
           "department": Rule(may_department, refuse_department),
           "front": Rule(may_front, refuse_front)},
    history=_history, state_labels=STATE_LABELS, action_labels=ACTION_LABELS,
)


# ---- reading one case -------------------------------------------------------------------------


def get_case(session: Session, case_id: int, lock: bool = False) -> Case:
    """The case with its item, window, history and pauses loaded (``lock``: row-locked and
    read afresh, for a step)."""
    query = select(Case).where(Case.id == case_id).options(
        selectinload(Case.item), selectinload(Case.window), selectinload(Case.events),
        selectinload(Case.pauses))
    if lock:
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    return found(session.scalar(query), "办件", "case", case_id)


def _mode_conflict(case: Case, action: str) -> Conflict | None:
    """A step the case's mode does not have: a window step on 全程网办, or accepting a
    window case the window has not sent."""
    if case.window_id is None and action in WINDOW_ONLY:
        return Conflict(f"{MODE_LABELS[case.mode]}办件没有收件窗口，不经“{ACTION_LABELS[action]}”",
                        detail=f"{case.mode} case {case.id} has no {action} step")
    if case.window_id is not None and action in AFTER_SEND and case.state == "applied":
        return Conflict("此办件须先由收件窗口收件（形式审查、身份核验）并流转，办理部门才能受理",
                        detail=f"case {case.id} must be collected and sent before {action}")
    return None


def available_actions(principal: Principal, case: Case) -> list[str]:
    """The steps ``principal`` may make on ``case`` now: the buttons of the case page."""
    return [a for a in CASE_FLOW.available(principal, case) if _mode_conflict(case, a) is None]


# ---- applying ---------------------------------------------------------------------------------


def _applicant_identity(data: CaseCreate) -> tuple[str, str, str | None]:
    """(ID number or USCC, phone, applicant's province) checked, or InvalidInput."""
    errors: list[RowError] = []
    number = phone = ""
    try:
        number = (validate_resident_id(data.id_number) if data.applicant_kind == "person"
                  else validate_uscc(data.id_number))
    except IdentifierError as exc:
        errors.append(RowError(None, "id_number", exc.reason))
    if data.phone.strip():
        try:
            phone = validate_phone(data.phone)
        except IdentifierError as exc:
            errors.append(RowError(None, "phone", exc.reason))
    if errors:
        raise InvalidInput("申请人信息有误", errors)
    if data.applicant_kind == "person":
        province: str | None = number[:2] + "0000"
    elif data.address_place_code:
        province = province_of(data.address_place_code)
    else:  # a USCC's characters 3–8 are the registering place
        province = number[2:4] + "0000"
    return number, phone, province


def _department(session: Session, department_id: int) -> Organisation:
    org = session.get(Organisation, department_id)
    if org is None:
        raise NotFound(f"没有编号为 {department_id} 的机构", detail="unknown organisation")
    if org.kind != SERVICE_DEPARTMENT:
        raise InvalidInput("办理部门应为政务服务事项的办理部门", [RowError(
            None, "department_id", f"“{org.name}”不是办理部门")],
            detail=f"organisation {org.id} is of kind {org.kind}")
    return org


def _case_number(at: datetime) -> str:
    return f"KS{clock.local_day(at):%Y%m%d}{secrets.token_hex(4).upper()}"


def create_case(session: Session, principal: Principal, data: CaseCreate,
                platform: clock.Clock | None = None) -> Case:
    """申请: the window clerk records an application handed in at the window (异地代收代办,
    多地联办), or the department records an online one (全程网办). Checked: the item takes the
    mode and the window the item; the ID number or USCC (check digit, birth date), the phone;
    the places. The case is linked to the 跨省通办 agreement covering its places and item;
    applied ``data.applied_at``, else now on the ``platform`` clock."""
    item = get_item(session, data.item_id)
    department = _department(session, data.department_id)
    handling = data.handling_place_code or department.place_code
    get_place(session, handling)
    window: Window | None = None
    if data.mode in WINDOW_MODES:
        if data.window_id is None:
            raise InvalidInput(f"{MODE_LABELS[data.mode]}须填写收件窗口",
                               [RowError(None, "window_id", "请选择收件窗口")])
        window = get_window(session, data.window_id)
        if not is_window_clerk(principal, window):
            raise Forbidden("只有收件窗口的工作人员可以登记此申请",
                            detail=f"{principal.label} is no clerk of window {window.id}")
    else:
        if data.window_id is not None:
            raise InvalidInput("全程网办事项没有收件窗口",
                               [RowError(None, "window_id", "全程网办不填收件窗口")])
        if not is_department_clerk(principal, department.id, handling):
            raise Forbidden("全程网办申请由办理部门登记",
                            detail=f"{principal.label} is no clerk of department "
                                   f"{department.id}")
    errors: list[RowError] = []
    if not item.active:
        errors.append(RowError(None, "item_id", f"事项“{item.name}”已停用"))
    if data.mode not in item.mode_list:
        allowed = "、".join(MODE_LABELS[m] for m in item.mode_list)
        errors.append(RowError(None, "mode", f"事项“{item.name}”可选办理方式：{allowed}"))
    if window is not None and window.items and item.id not in {w.item_id for w in window.items}:
        errors.append(RowError(None, "window_id", f"窗口“{window.name}”不受理此事项"))
    if not covers(department.place_code, handling):
        errors.append(RowError(None, "handling_place_code",
                               f"办理地应在“{department.name}”的辖区内"))
    if data.address_place_code:
        get_place(session, data.address_place_code)
    if errors:
        raise InvalidInput("申请不能登记", errors)
    number, phone, province = _applicant_identity(data)
    if data.number is not None and session.scalar(
            select(Case.id).where(Case.number == data.number)) is not None:
        raise Conflict(f"编号 {data.number} 的办件已存在", detail="case number exists")
    at = data.applied_at or clock.process_clock(platform).now()
    kstb = find_kstb_agreement(session, window.place_code if window else None, handling, item.id)
    case = Case(number=data.number or _case_number(at), applicant_kind=data.applicant_kind,
                applicant_name=data.applicant_name.strip(), id_number=number, phone=phone,
                address=data.address.strip(), address_place_code=data.address_place_code,
                applicant_province=province, item_id=item.id, mode=data.mode,
                window_id=window.id if window else None,
                collect_place_code=window.place_code if window else None,
                department_id=department.id, handling_place_code=handling,
                kstb_id=kstb.id if kstb else None,
                materials_received=list(data.materials_received), state="applied",
                applied_at=at, applied_month=f"{clock.local_day(at):%Y-%m}",
                created_by=principal.label)
    session.add(case)
    session.flush()
    session.add(CaseEvent(case_id=case.id, action="apply", from_state="", to_state="applied",
                          actor=principal.label, note="", at=at))
    session.flush()
    return case


# ---- steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """What a step carries besides its action and note (checked before the move)."""

    formal_check_ok: bool | None = None
    identity_checked: bool | None = None
    materials: Sequence[str] | None = None
    tracking_number: str | None = None


def _check_step(case: Case, action: str, step: _Step) -> None:
    if action == "collect":
        missing = []
        if not step.formal_check_ok:
            missing.append(RowError(None, "formal_check_ok", "形式审查未通过，不能收件"))
        if not step.identity_checked:
            missing.append(RowError(None, "identity_checked", "未完成身份核验，不能收件"))
        if missing:
            raise InvalidInput("收件须通过形式审查并完成身份核验", missing)
    if action == "complete_correction" and not step.materials:
        raise InvalidInput("请登记补正的材料", [RowError(None, "materials", "补正材料不能为空")])


def move_case(session: Session, principal: Principal, case_id: int, action: str,
              note: str = "", *, at: datetime | None = None, calendar: Calendar | None = None,
              platform: clock.Clock | None = None,
              formal_check_ok: bool | None = None, identity_checked: bool | None = None,
              materials: Sequence[str] | None = None,
              tracking_number: str | None = None) -> Case:
    """One step of a case (see the module docstring for the machine). Checks, in order: the
    action is known (422); the case exists (404); the principal may (403: role, organisation,
    side); the state and mode allow it (409); a reason where needed and the step's data
    (422). Then the state, the step's fields, the clock and one history row; nothing is
    written when a check fails. ``at``: when the step happened (default: the platform's
    now); ``calendar``: the working-day calendar (default: the platform's)."""
    if action == "evaluate":
        raise InvalidInput("评价请使用评价登记", [RowError(None, "action", "evaluate_case")],
                           detail="use evaluations.evaluate_case")
    CASE_FLOW.transition(action)
    case = get_case(session, case_id, lock=True)
    CASE_FLOW.check(principal, case, action, note)
    conflict = _mode_conflict(case, action)
    if conflict is not None:
        raise conflict
    step = _Step(formal_check_ok, identity_checked, materials,
                 tracking_number.strip() if tracking_number else None)
    _check_step(case, action, step)
    on = clock.process_clock(platform)
    when = at or on.now()
    if case.accepted_at is not None and clock.local_day(when) < clock.local_day(case.accepted_at):
        raise InvalidInput("步骤时间不能早于受理时间", [RowError(None, "at", "早于受理时间")])
    cal = calendar or on.calendar
    pauses = list(case.pauses)

    def effects(c: Case, moved: Moved[Case]) -> None:
        _apply(session, c, moved, step, pauses, cal)

    moved = CASE_FLOW.move(session, principal, case, action, note, at=when, effects=effects)
    if isinstance(moved.row, CaseEvent):
        case.events.append(moved.row)
    return case


def _apply(session: Session, case: Case, moved: Moved[Case], step: _Step,
           pauses: list[CasePause], calendar: Calendar) -> None:
    action, day = moved.action, clock.local_day(moved.at)
    if action == "collect":
        case.formal_check_ok = case.identity_checked = True
        if step.materials is not None:
            case.materials_received = list(step.materials)
    elif action == "send":
        if step.tracking_number:
            case.tracking_number = step.tracking_number
    elif action == "accept":
        case.accepted_at = moved.at
    elif action == "request_correction":
        pause = CasePause(case_id=case.id, kind="correction", first_day=day,
                          note=moved.reason)
        session.add(pause)
        pauses.append(pause)
    elif action == "complete_correction":
        for p in pauses:
            if p.kind == "correction" and p.last_day is None:
                p.last_day = day
        case.materials_received = [*case.materials_received, *(step.materials or ())]
    elif action in OUTCOME_OF:
        case.outcome = OUTCOME_OF[action]
        case.decided_at, case.decided_on = moved.at, day
    elif action == "deliver":
        case.delivered_at = moved.at
        if step.tracking_number:
            case.tracking_number = step.tracking_number
    if action in ("accept", "request_correction", "complete_correction"):
        clock.refresh_deadline(case, pauses, calendar)
    if action in OUTCOME_OF and case.accepted_at is not None:
        used = calendar.count(case.accepted_at, day, clock.closed_pauses(pauses)).days
        case.working_days_used = used
        case.on_time = None if case.deadline is None else day <= case.deadline


def postage_pause(session: Session, principal: Principal, case_id: int, first_day: date,
                  last_day: date, note: str = "", calendar: Calendar | None = None,
                  platform: clock.Clock | None = None) -> Case:
    """The department records days the materials were in the post while the clock ran, for
    an item whose guide says postage is not counted; the deadline moves by the working days
    in them. One history row (no change of state)."""
    case = get_case(session, case_id, lock=True)
    if not may_department(principal, case):
        raise refuse_department(principal, case, "postage_pause")
    if case.state != "accepted":
        raise Conflict("只有办理中的办件可以登记邮寄期间",
                       detail=f"case {case.id} is {case.state}")
    if not case.item.postage_pauses:
        raise Conflict(f"事项“{case.item.name}”的邮寄时间计入办理时限",
                       detail="the item's postage does not pause the clock")
    errors = []
    if last_day < first_day:
        errors.append(RowError(None, "last_day", "结束日期不能早于开始日期"))
    assert case.accepted_at is not None
    if first_day <= clock.local_day(case.accepted_at):
        errors.append(RowError(None, "first_day", "邮寄期间应在受理之后"))
    on = clock.process_clock(platform)
    if last_day > on.today():
        errors.append(RowError(None, "last_day", "不能登记尚未发生的邮寄期间"))
    if errors:
        raise InvalidInput("邮寄期间有误", errors)
    pause = CasePause(case_id=case.id, kind="postage", first_day=first_day, last_day=last_day,
                      note=note.strip())
    session.add(pause)
    pauses = [*case.pauses, pause]
    clock.refresh_deadline(case, pauses, calendar or on.calendar)
    case.events.append(CaseEvent(case_id=case.id, action="postage_pause", from_state=case.state,
                          to_state=case.state, actor=principal.label,
                          note=f"{first_day.isoformat()}～{last_day.isoformat()} {note}".strip(),
                          at=on.now()))
    session.flush()
    return case


def step(session: Session, principal: Principal, case_id: int, data: StepIn,
         calendar: Calendar | None = None, platform: clock.Clock | None = None) -> Case:
    """:func:`move_case` from a :class:`StepIn` (the API's and pages' form); ``decide`` with
    an outcome is ``approve`` or ``deny``."""
    action = data.action
    if action == "decide":
        if data.outcome not in OUTCOMES:
            raise InvalidInput("请选择办结结果（准予或不予）",
                               [RowError(None, "outcome", "准予或不予")])
        action = "approve" if data.outcome == "granted" else "deny"
    return move_case(session, principal, case_id, action, data.note, calendar=calendar,
                     platform=platform,
                     formal_check_ok=data.formal_check_ok,
                     identity_checked=data.identity_checked, materials=data.materials,
                     tracking_number=data.tracking_number)
