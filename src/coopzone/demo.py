"""Demo data for every module that exists, built from raw records (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import User
from coopzone.ecology.demo import load_ecology_demo
from coopzone.places.service import load_places

DEMO_PASSWORD = "xiangganbian-demo"

# (name, kind, place code)
ORGANISATIONS = (
    ("萍乡市湘赣边区域合作发展事务中心", "cooperation_office", "360300"),
    ("江西省生态环境厅", "ecology_bureau", "360000"),
    ("湖南省生态环境厅", "ecology_bureau", "430000"),
    ("江西省财政厅", "finance_bureau", "360000"),
    ("湖南省财政厅", "finance_bureau", "430000"),
    ("萍乡市湘东区生态环境分局", "ecology_bureau", "360313"),
    ("株洲市醴陵市生态环境分局", "ecology_bureau", "430281"),
)

# (username, display name, organisation, role, platform admin)
USERS = (
    ("admin", "平台管理员", "萍乡市湘赣边区域合作发展事务中心", "admin", True),
    ("coop", "合作中心编辑", "萍乡市湘赣边区域合作发展事务中心", "editor", False),
    ("xiangdong", "湘东区生态环境分局", "萍乡市湘东区生态环境分局", "editor", False),
    ("liling", "醴陵市生态环境分局", "株洲市醴陵市生态环境分局", "editor", False),
    ("viewer", "访客（只读）", "萍乡市湘赣边区域合作发展事务中心", "viewer", False),
)


def load_accounts(session: Session, password: str) -> list[tuple[str, str]]:
    orgs = {name: accounts.get_or_create_organisation(session, name, kind, code)
            for name, kind, code in ORGANISATIONS}
    logins: list[tuple[str, str]] = []
    for username, display, org_name, role, admin in USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.create_user(session, username, password, display, admin)
        else:
            accounts.set_password(session, user, password)
        accounts.grant_role(session, user, orgs[org_name], role)
        logins.append((username, f"{role} · {org_name}" + (" · platform admin" if admin else "")))
    return logins


def load_demo(session: Session, password: str = DEMO_PASSWORD) -> list[tuple[str, str]]:
    """Load every module's demo data; returns the demo logins (user, role)."""
    load_places(session)
    logins = load_accounts(session, password)
    load_ecology_demo(session)
    return logins
