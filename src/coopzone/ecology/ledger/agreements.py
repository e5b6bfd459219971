"""Stored agreement versions: a changed text for the same id is a new version and the highest
version is the one used; the built-in files are synced; the current terms of a series."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.ecology.agreement_files import BUILTIN_DIR, builtin_ids, parse_agreement
from coopzone.ecology.models import AgreementVersion
from coopzone.engines.eco_compensation import Agreement
from coopzone.errors import Forbidden, NotFound


def require_scope(principal: Principal) -> None:
    if not principal.may_write_scope():
        raise Forbidden("此令牌只有读取权限", detail="token lacks the write scope")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def _parse(text: str, source: str) -> Agreement:
    return parse_agreement(text, source)


def agreement_of(version: AgreementVersion) -> Agreement:
    """The engine's terms of a stored version (parsed once per text)."""
    return _parse(version.text, f"{version.agreement_id} v{version.version_no}")


def current_version(session: Session, agreement_id: str) -> AgreementVersion | None:
    return session.scalar(select(AgreementVersion)
                          .where(AgreementVersion.agreement_id == agreement_id)
                          .order_by(AgreementVersion.version_no.desc()).limit(1))


def store_agreement(session: Session, text: str, source: str,
                    created_by: str) -> tuple[AgreementVersion, bool]:
    """Store an agreement text (validated); returns (current version, whether it is new).
    The same text as the current version adds nothing."""
    agreement = parse_agreement(text, source)
    current = current_version(session, agreement.id)
    if current is not None and current.sha256 == _sha(text):
        return current, False
    version = AgreementVersion(
        agreement_id=agreement.id, series=agreement.series or agreement.id,
        version_no=(current.version_no + 1) if current else 1, title=agreement.title,
        declared_version=agreement.version, text=text, sha256=_sha(text), source=source,
        created_by=created_by)
    session.add(version)
    session.flush()
    return version, True


def sync_builtin_agreements(session: Session, created_by: str = "system") -> list[AgreementVersion]:
    """Store every built-in agreement file; an edited file becomes a new version."""
    return [store_agreement(session, (BUILTIN_DIR / f"{name}.toml").read_text("utf-8"),
                            f"{name}.toml", created_by)[0]
            for name in builtin_ids()]


def save_agreement(session: Session, principal: Principal, text: str) -> AgreementVersion:
    """An administrator stores a new or amended agreement text."""
    require_scope(principal)
    if not principal.is_platform_admin:
        raise Forbidden("只有平台管理员可以修改补偿协议", detail="platform administrator only")
    return store_agreement(session, text, "upload", principal.label)[0]


def current_versions(session: Session, series: str | None = None) -> list[AgreementVersion]:
    """The current version of every stored agreement (of one series), oldest round first."""
    latest = (select(AgreementVersion.agreement_id,
                     func.max(AgreementVersion.version_no).label("n"))
              .group_by(AgreementVersion.agreement_id).subquery())
    query = select(AgreementVersion).join(latest, (
        AgreementVersion.agreement_id == latest.c.agreement_id)
        & (AgreementVersion.version_no == latest.c.n))
    if series is not None:
        query = query.where(AgreementVersion.series == series)
    versions = list(session.scalars(query))
    return sorted(versions, key=lambda v: (v.series, min(r.start for r in agreement_of(v).rounds)))


def version_history(session: Session, agreement_id: str) -> list[AgreementVersion]:
    return list(session.scalars(select(AgreementVersion)
                                .where(AgreementVersion.agreement_id == agreement_id)
                                .order_by(AgreementVersion.version_no)))


def series_terms(session: Session, series: str) -> list[tuple[AgreementVersion, Agreement]]:
    versions = current_versions(session, series)
    if not versions:
        raise NotFound(f"没有补偿协议系列 {series}", detail=f"unknown agreement series {series}")
    return [(v, agreement_of(v)) for v in versions]

