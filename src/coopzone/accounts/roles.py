"""May this principal do this to this record? One policy table answers for every service.

Each action names the membership roles that may take it, the organisation kinds those roles
must belong to (None: any kind), and how the organisation's place must relate to the
record's places (its jurisdiction):

* ``anywhere`` — the place does not matter (the role and the kind decide);
* ``jurisdiction`` — the organisation's place covers one of the record's places (a province
  covers its cities and counties, a city its counties: GB/T 2260 prefixes);
* ``exact`` — the organisation's place is one of the record's places (a party acts only for
  itself: a finance bureau for its own province);
* ``province`` — the organisation is in the same province as one of the record's places.

A platform administrator may take every action (``admin`` on the rule). Write actions also
need the write scope when the principal acts through an API token. The same rule scopes
reads where a record is not public: :func:`place_filter` is the SQL condition selecting the
records whose place the principal's roles reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, false, or_

from coopzone.accounts.models import ROLES
from coopzone.errors import Forbidden
from coopzone.places.service import covers

if TYPE_CHECKING:  # accounts.service answers its own checks from this table
    from coopzone.accounts.service import Principal, Role

# The roles that write (a viewer only reads).
WRITE_ROLES = ("admin", "editor")

SCOPES = ("anywhere", "jurisdiction", "exact", "province")

COOPERATION_OFFICE = "cooperation_office"
FINANCE_BUREAU = "finance_bureau"
SERVICE_WINDOW = "service_window"
SERVICE_DEPARTMENT = "service_department"
SERVICES_OFFICE = "services_office"
GOV_SERVICE_KINDS = (SERVICE_WINDOW, SERVICE_DEPARTMENT, SERVICES_OFFICE)


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    kinds: tuple[str, ...] | None = None  # None: an organisation of any kind
    scope: str = "jurisdiction"
    write: bool = True  # needs the write scope of a token
    admin: bool = True  # a platform administrator may

    def __post_init__(self) -> None:
        assert self.scope in SCOPES and set(self.roles) <= set(ROLES)


# The policy. Action names are "<record>.<verb>".
POLICY: dict[str, Rule] = {
    # Any record kept per place (sections, projects): editors of a covering jurisdiction.
    "place.write": Rule(WRITE_ROLES),
    # Writing somewhere at all (checked before an upload is received; the records after).
    "any.write": Rule(WRITE_ROLES, scope="anywhere"),
    # An agreement is changed by the editors whose jurisdiction covers one of its parties.
    "agreement.write": Rule(WRITE_ROLES),
    "agreement.create": Rule(WRITE_ROLES, scope="anywhere"),
    "agreement.import": Rule(WRITE_ROLES, scope="anywhere"),
    # The leading group's tasks, meetings and indicator snapshots: the cooperation office.
    "office.act": Rule(WRITE_ROLES, (COOPERATION_OFFICE,), scope="anywhere"),
    # A compensation statement is confirmed and paid for a party by that party's own
    # finance bureau (its place is the party's province code).
    "statement.party": Rule(WRITE_ROLES, (FINANCE_BUREAU,), scope="exact"),
    # Tasks are read by every member of an organisation of the zone, in any role.
    "task.read": Rule(ROLES, scope="anywhere", write=False),
    # 跨省通办 (gov_services). Casework is done by clerks (editors) of the organisation the
    # case names; the rule below says which kind and place, the service also checks the
    # membership of that very organisation. A platform administrator is no clerk.
    # A window clerk: an editor of a service window, whose place covers the window's.
    "gov_case.window": Rule(WRITE_ROLES, (SERVICE_WINDOW,), admin=False),
    # A department clerk: an editor of the handling department (its place covers the case's).
    "gov_case.department": Rule(WRITE_ROLES, (SERVICE_DEPARTMENT,), admin=False),
    # The supervising office (政务服务管理部门) keeps items, windows and 跨省通办 agreements
    # of its jurisdiction and oversees the cases there; items are national: any such office.
    "gov_item.manage": Rule(WRITE_ROLES, (SERVICES_OFFICE,), scope="anywhere"),
    "gov_place.manage": Rule(WRITE_ROLES, (SERVICES_OFFICE,)),
    # Reading cases (masked): any member, viewers included, of a window or an office whose
    # place covers the case's collecting place, or of a department or an office whose place
    # covers its handling place (a department does not read its county's windows' cases for
    # other departments).
    "gov_case.read_collect": Rule(ROLES, (SERVICE_WINDOW, SERVICES_OFFICE), write=False),
    "gov_case.read_handle": Rule(ROLES, (SERVICE_DEPARTMENT, SERVICES_OFFICE), write=False),
    # Seeing an applicant's name, ID number and phone in full: the organisation's
    # administrators (负责人) only, never a platform administrator; every full view writes
    # an audit row.
    "gov_case.personal_data": Rule(("admin",), GOV_SERVICE_KINDS, write=False, admin=False),
    # The audit log and every organisation's tokens: platform administrators only.
    "audit.read": Rule((), (), scope="anywhere", write=False),
}


def _reaches(role: Role, scope: str, places: Iterable[str]) -> bool:
    if scope == "anywhere":
        return True
    if scope == "jurisdiction":
        return any(covers(role.place_code, code) for code in places)
    if scope == "exact":
        return any(role.place_code == code for code in places)
    return any(role.place_code[:2] == code[:2] for code in places)  # province


def _grants(rule: Rule, role: Role) -> bool:
    return role.role in rule.roles and (rule.kinds is None or role.kind in rule.kinds)


def may(principal: Principal, action: str, places: Iterable[str] = ()) -> bool:
    """Whether ``principal`` may take ``action`` on a record of ``places`` (the places it
    belongs to: its county, its parties' codes…)."""
    rule = POLICY[action]
    if rule.write and not principal.may_write_scope():
        return False
    if rule.admin and principal.is_platform_admin:
        return True
    codes = [c for c in places if c]
    return any(_grants(rule, r) and _reaches(r, rule.scope, codes) for r in principal.roles)


def require(principal: Principal, action: str, places: Iterable[str] = (), *,
            message: str, detail: str) -> None:
    """Refuse (403) unless :func:`may`; a read-only token is told so first."""
    rule = POLICY[action]
    if rule.write and not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")
    if not may(principal, action, list(places)):
        raise Forbidden(message, detail=detail)


def place_filter(principal: Principal, action: str, place_column: Any
                 ) -> ColumnElement[bool] | None:
    """The SQL condition on ``place_column`` selecting the records ``principal`` may take
    ``action`` on (None: every record; ``false()``: none), for scoping reads of records
    that are not public."""
    rule = POLICY[action]
    if (rule.write and not principal.may_write_scope()):
        return false()
    if rule.admin and principal.is_platform_admin:
        return None
    roles = [r for r in principal.roles if _grants(rule, r)]
    if not roles:
        return false()
    if rule.scope == "anywhere":
        return None
    conditions: list[ColumnElement[bool]] = []
    for r in roles:
        code = r.place_code
        if rule.scope == "exact" or (rule.scope == "jurisdiction" and not code.endswith("00")):
            conditions.append(place_column == code)
        elif rule.scope == "province" or code.endswith("0000"):
            conditions.append(place_column.like(f"{code[:2]}%"))
        else:  # a city's jurisdiction
            conditions.append(place_column.like(f"{code[:4]}%"))
    return or_(*conditions)
