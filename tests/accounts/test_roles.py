"""The policy table of accounts.roles, table-driven: every action × role × organisation kind ×
how the organisation's place relates to the record's, with and without a write-scope token;
and the read scope in SQL agrees with the answer for each record."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import roles
from coopzone.accounts.models import ORG_KINDS, ROLES, Organisation
from coopzone.accounts.service import Principal, Role
from coopzone.errors import Forbidden

RECORD = "430281"  # 醴陵市 (a county of 株洲市, 湖南省)
# The organisation's place, by its relation to the record's place.
RELATIONS = {
    "same county": "430281",
    "its city": "430200",
    "its province": "430000",
    "other county, same city": "430223",
    "other city, same province": "430100",
    "other province": "360313",
}
COVERING = {"same county", "its city", "its province"}
SAME_PROVINCE = COVERING | {"other county, same city", "other city, same province"}
EVERYWHERE = set(RELATIONS)
WRITERS = {"admin", "editor"}
ALL_KINDS = set(ORG_KINDS)

# action: (roles that may, organisation kinds that may, relations that may, needs write)
EXPECTED: dict[str, tuple[set[str], set[str], set[str], bool]] = {
    "place.write": (WRITERS, ALL_KINDS, COVERING, True),
    "any.write": (WRITERS, ALL_KINDS, EVERYWHERE, True),
    "agreement.write": (WRITERS, ALL_KINDS, COVERING, True),
    "agreement.create": (WRITERS, ALL_KINDS, EVERYWHERE, True),
    "agreement.import": (WRITERS, ALL_KINDS, EVERYWHERE, True),
    "office.act": (WRITERS, {"cooperation_office"}, EVERYWHERE, True),
    "statement.party": (WRITERS, {"finance_bureau"}, {"same county"}, True),
    "task.read": (set(ROLES), ALL_KINDS, EVERYWHERE, False),
    "audit.read": (set(), set(), set(), False),
    # 跨省通办: clerks of windows and departments, the supervising office, readers, and the
    # administrators who may see personal data in full.
    "gov_case.window": (WRITERS, {"service_window"}, COVERING, True),
    "gov_case.department": (WRITERS, {"service_department"}, COVERING, True),
    "gov_item.manage": (WRITERS, {"services_office"}, EVERYWHERE, True),
    "gov_place.manage": (WRITERS, {"services_office"}, COVERING, True),
    "gov_case.read_collect": (set(ROLES), {"service_window", "services_office"}, COVERING,
                              False),
    "gov_case.read_handle": (set(ROLES), {"service_department", "services_office"}, COVERING,
                             False),
    "gov_case.personal_data": ({"admin"}, {"service_window", "service_department",
                                           "services_office"}, COVERING, False),
}
# A platform administrator is no clerk and sees no personal data in full.
NOT_FOR_PLATFORM_ADMINS = {"gov_case.window", "gov_case.department", "gov_case.personal_data"}


def principal(role: str, kind: str, place: str, scopes: frozenset[str] | None = None,
              admin: bool = False) -> Principal:
    return Principal(1, "u", "u", admin, (Role(1, "机构", kind, place, role),), scopes)


def test_the_table_covers_every_action() -> None:
    assert set(EXPECTED) == set(roles.POLICY)


CASES = list(itertools.product(sorted(EXPECTED), ROLES, ORG_KINDS, sorted(RELATIONS)))


@pytest.mark.parametrize(("action", "role", "kind", "relation"), CASES)
def test_may(action: str, role: str, kind: str, relation: str) -> None:
    allowed_roles, allowed_kinds, allowed_relations, write = EXPECTED[action]
    expected = role in allowed_roles and kind in allowed_kinds and relation in allowed_relations
    place = RELATIONS[relation]
    assert roles.may(principal(role, kind, place), action, [RECORD]) is expected
    # Through a token: a read token never writes, a write token changes nothing.
    read_only = principal(role, kind, place, frozenset({"read"}))
    assert roles.may(read_only, action, [RECORD]) is (expected and not write)
    assert roles.may(principal(role, kind, place, frozenset({"read", "write"})), action,
                     [RECORD]) is expected


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_platform_admins_may_everything_but_a_read_token_writes_nothing(action: str) -> None:
    admin = Principal(1, "admin", "admin", True)
    allowed = action not in NOT_FOR_PLATFORM_ADMINS
    assert roles.may(admin, action, [RECORD]) is allowed
    write = EXPECTED[action][3]
    assert roles.may(Principal(1, "admin", "admin", True, (), frozenset({"read"})), action,
                     [RECORD]) is (allowed and not write)


def test_any_of_several_places_will_do_and_no_roles_may_nothing() -> None:
    jiangxi = principal("editor", "ecology_bureau", "360313")
    assert roles.may(jiangxi, "agreement.write", ["430281", "360313"]) is True
    assert roles.may(jiangxi, "agreement.write", []) is False
    assert roles.may(Principal(1, "nobody", "nobody", False), "task.read") is False


def test_require_says_a_read_token_is_read_only_first() -> None:
    token = principal("editor", "ecology_bureau", RECORD, frozenset({"read"}))
    with pytest.raises(Forbidden) as refused:
        roles.require(token, "place.write", [RECORD], message="无权", detail="no")
    assert refused.value.message == "此令牌只有读取权限"
    with pytest.raises(Forbidden) as refused:
        roles.require(principal("viewer", "ecology_bureau", RECORD), "place.write", [RECORD],
                      message="无权修改", detail="no")
    assert refused.value.message == "无权修改"
    roles.require(principal("editor", "ecology_bureau", RECORD), "place.write", [RECORD],
                  message="无权", detail="no")


@pytest.mark.parametrize(("action", "role", "kind", "relation"), [
    c for c in CASES if c[0] in ("place.write", "statement.party", "task.read", "audit.read")
    and c[2] in ("ecology_bureau", "finance_bureau")])
def test_the_read_scope_in_sql_agrees(session: Session, action: str, role: str, kind: str,
                                      relation: str) -> None:
    """One organisation per place; the SQL condition selects exactly those ``may`` allows."""
    for n, code in enumerate(sorted(set(RELATIONS.values()))):
        session.add(Organisation(name=f"机构{n}", kind="ecology_bureau", place_code=code))
    session.flush()
    who = principal(role, kind, RELATIONS[relation])
    condition = roles.place_filter(who, action, Organisation.place_code)
    query = select(Organisation.place_code).where(Organisation.name.like("机构%"))
    if condition is not None:
        query = query.where(condition)
    selected = set(session.scalars(query))
    assert selected == {code for code in RELATIONS.values()
                        if roles.may(who, action, [code])}
