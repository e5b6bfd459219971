"""Who may act on a 跨省通办 case, and which cases a principal may read.

The policy lives in :mod:`coopzone.accounts.roles` (``gov_case.*``, ``gov_item.manage``,
``gov_place.manage``, ``gov_case.read_collect``/``read_handle``,
``gov_case.personal_data``); these helpers add the membership of the very organisation a case
names:

* the collecting window's clerks: editors (or administrators) of the window's organisation,
  whose place covers the window's place (``gov_case.window``);
* the handling department's clerks: editors of the case's department organisation, whose
  place covers the handling place (``gov_case.department``);
* the front of a case (who meets the applicant): its window, or for 全程网办 (no window) its
  department.

So a Jiangxi window clerk never accepts or decides a Hunan department's case, and a Hunan
department clerk never collects or sends at a Jiangxi window. A platform administrator is no
clerk (``admin=False`` on those rules).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from coopzone.accounts import roles as policy
from coopzone.accounts.models import ROLES
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.errors import CoopzoneError, Forbidden
from coopzone.gov_services.models import Case, Window


def is_window_clerk(principal: Principal, window: Window | None) -> bool:
    return (window is not None and policy.may(principal, "gov_case.window", [window.place_code])
            and principal.is_member(window.organisation_id, WRITE_ROLES))


def is_department_clerk(principal: Principal, department_id: int, place_code: str) -> bool:
    return (policy.may(principal, "gov_case.department", [place_code])
            and principal.is_member(department_id, WRITE_ROLES))


def may_window(principal: Principal, case: Case) -> bool:
    return is_window_clerk(principal, case.window)


def may_department(principal: Principal, case: Case) -> bool:
    return is_department_clerk(principal, case.department_id, case.handling_place_code)


def may_front(principal: Principal, case: Case) -> bool:
    if case.window_id is not None:
        return may_window(principal, case)
    return may_department(principal, case)


def refuse_window(principal: Principal, case: Case, action: str) -> CoopzoneError:
    if case.window_id is None:
        return Forbidden("全程网办事项没有收件窗口，此步骤由办理部门在线完成",
                         detail=f"case {case.id} ({case.mode}) has no collecting window")
    return Forbidden("只有收件窗口的工作人员可以办理此步骤（形式审查、身份核验、流转）",
                     detail=f"{principal.label} is no clerk of window {case.window_id}: "
                            f"may not {action} case {case.id}")


def refuse_department(principal: Principal, case: Case, action: str) -> CoopzoneError:
    return Forbidden("只有办理地（业务属地）部门的工作人员可以办理此步骤（受理、补正、决定、送达）",
                     detail=f"{principal.label} is no clerk of department {case.department_id}"
                            f": may not {action} case {case.id}")


def refuse_front(principal: Principal, case: Case, action: str) -> CoopzoneError:
    if case.window_id is not None:
        return refuse_window(principal, case, action)
    return refuse_department(principal, case, action)


def case_places(case: Case) -> list[str]:
    return [c for c in (case.collect_place_code, case.handling_place_code) if c]


def may_read(principal: Principal, case: Case) -> bool:
    collect = [case.collect_place_code] if case.collect_place_code else []
    return (policy.may(principal, "gov_case.read_collect", collect)
            or policy.may(principal, "gov_case.read_handle", [case.handling_place_code])
            or may_front(principal, case) or may_department(principal, case))


def require_read(principal: Principal, case: Case) -> None:
    if not may_read(principal, case):
        raise Forbidden("无权查看此办件", detail=f"{principal.label} may not read case {case.id}")


def may_see_personal_data(principal: Principal, case: Case) -> bool:
    return policy.may(principal, "gov_case.personal_data", case_places(case))


def read_filter(principal: Principal, collect_column: Any = Case.collect_place_code,
                handle_column: Any = Case.handling_place_code) -> ColumnElement[bool] | None:
    """The SQL condition on cases that ``principal`` may read (None: all); on other columns
    holding a case's places where given (the statistics' summary)."""
    collect = policy.place_filter(principal, "gov_case.read_collect", collect_column)
    handle = policy.place_filter(principal, "gov_case.read_handle", handle_column)
    if collect is None or handle is None:
        return None
    return or_(collect, handle)


def org_ids(principal: Principal, roles: tuple[str, ...] = ROLES) -> list[int]:
    return sorted({r.organisation_id for r in principal.roles if r.role in roles})


def require_manage(principal: Principal, action: str, places: list[str], what: str) -> None:
    policy.require(principal, action, places, message=f"只有政务服务管理部门可以{what}",
                   detail=f"{principal.label} may not {action} ({what})")
