"""Who may write what in the cooperation domain: each answer comes from the one policy table
of :mod:`coopzone.accounts.roles`; the names and messages here stay the callers'.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from coopzone.accounts import roles
from coopzone.accounts.service import Principal
from coopzone.cooperation.models import (
    Agreement,
)
from coopzone.errors import Forbidden
from coopzone.kit.importing import import_target

COOPERATION_OFFICE = roles.COOPERATION_OFFICE

# ---- permissions ---------------------------------------------------------------------------


def _party_codes(agreement: Agreement) -> list[str]:
    return [ap.party.place_code for ap in agreement.parties if ap.party.place_code]


def can_edit_agreement(principal: Principal, codes: Iterable[str]) -> bool:
    """Editors may change an agreement only when their jurisdiction covers one of its parties."""
    return roles.may(principal, "agreement.write", codes)


def require_agreement_write(principal: Principal, agreement: Agreement) -> None:
    roles.require(principal, "agreement.write", _party_codes(agreement),
                  message=f"不是协议《{agreement.title}》的签署方，无权修改",
                  detail=f"{principal.username} is not party to agreement {agreement.id}")


def has_write_role(principal: Principal) -> bool:
    """Whether the principal may write anywhere at all (which records is checked per record)."""
    return roles.may(principal, "any.write")


def may_create_agreement(principal: Principal) -> bool:
    """Anyone with a write role somewhere may register an agreement; whether it is theirs is
    checked against its parties by :func:`create_agreement`."""
    return roles.may(principal, "agreement.create")


def require_write_role(principal: Principal, what: str) -> None:
    if not has_write_role(principal):
        raise Forbidden(f"只有有编辑权限的单位可以{what}",
                        detail=f"{principal.username} has no write role")


# An agreements workbook staged by a preview is confirmed or downloaded by its stager or by
# one who may import agreements (which rows are theirs is checked again on confirmation).
AGREEMENTS_IMPORT = import_target("cooperation.agreements", has_write_role)


def require_may_create_agreement(principal: Principal) -> None:
    require_write_role(principal, "登记合作协议")


def require_may_import(principal: Principal) -> None:
    """Checked before a workbook is even received: which rows are the principal's is
    checked by :func:`check_import`."""
    require_write_role(principal, "导入合作协议")


def is_office(principal: Principal) -> bool:
    """Platform admins and editors of the cooperation office run the leading group's tasks."""
    return roles.may(principal, "office.act")


def require_office(principal: Principal, what: str) -> None:
    if not is_office(principal):
        raise Forbidden(f"只有湘赣边区域合作发展事务中心可以{what}",
                        detail=f"only the cooperation office may {what}")


