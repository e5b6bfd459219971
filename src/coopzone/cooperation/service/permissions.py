"""Who may write what in the cooperation domain.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.cooperation.models import (
    Agreement,
)
from coopzone.errors import Forbidden

COOPERATION_OFFICE = "cooperation_office"

# ---- permissions ---------------------------------------------------------------------------


def _party_codes(agreement: Agreement) -> list[str]:
    return [ap.party.place_code for ap in agreement.parties if ap.party.place_code]


def can_edit_agreement(principal: Principal, codes: Iterable[str]) -> bool:
    """Editors may change an agreement only when their jurisdiction covers one of its parties."""
    return any(principal.can_write_place(code) for code in codes)


def require_agreement_write(principal: Principal, agreement: Agreement) -> None:
    codes = _party_codes(agreement)
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")
    if not can_edit_agreement(principal, codes):
        raise Forbidden(f"不是协议《{agreement.title}》的签署方，无权修改",
                        detail=f"{principal.username} is not party to agreement {agreement.id}")


def has_write_role(principal: Principal) -> bool:
    """Whether the principal may write anywhere at all (which records is checked per record)."""
    return principal.may_write_scope() and (
        principal.is_platform_admin or any(r.role in WRITE_ROLES for r in principal.roles))


def may_create_agreement(principal: Principal) -> bool:
    """Anyone with a write role somewhere may register an agreement; whether it is theirs is
    checked against its parties by :func:`create_agreement`."""
    return has_write_role(principal)


def require_write_role(principal: Principal, what: str) -> None:
    if not has_write_role(principal):
        raise Forbidden(f"只有有编辑权限的单位可以{what}",
                        detail=f"{principal.username} has no write role")


def require_may_create_agreement(principal: Principal) -> None:
    require_write_role(principal, "登记合作协议")


def require_may_import(principal: Principal) -> None:
    """Checked before a workbook is even received: which rows are the principal's is
    checked by :func:`check_import`."""
    require_write_role(principal, "导入合作协议")


def is_office(principal: Principal) -> bool:
    """Platform admins and editors of the cooperation office run the leading group's tasks."""
    if not principal.may_write_scope():
        return False
    return principal.is_platform_admin or any(
        r.kind == COOPERATION_OFFICE and r.role in WRITE_ROLES for r in principal.roles)


def require_office(principal: Principal, what: str) -> None:
    if not is_office(principal):
        raise Forbidden(f"只有湘赣边区域合作发展事务中心可以{what}",
                        detail=f"only the cooperation office may {what}")


