"""Demo data for every module that exists, built from raw records (idempotent)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import User
from coopzone.cooperation.demo import load_cooperation_demo
from coopzone.ecology.demo import load_ecology_demo
from coopzone.ecology.ledger_demo import load_ledger_demo
from coopzone.gov_services.demo import load_gov_services_demo
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
    ("国家地表水水质自动监测站（金鱼石）", "monitoring_station", "360313"),
    ("“湘赣红”农产品品牌（江西）运营中心", "other", "360302"),
    # 跨省通办: the organisation of the "湘易办" window in Pingxiang, a Hunan department.
    ("萍乡市政务服务中心", "service_window", "360300"),
    ("长沙市公安局", "service_department", "430100"),
)

# (username, display name, organisation, role, platform admin)
USERS = (
    ("admin", "平台管理员", "萍乡市湘赣边区域合作发展事务中心", "admin", True),
    ("coop", "合作中心编辑", "萍乡市湘赣边区域合作发展事务中心", "editor", False),
    ("xiangdong", "湘东区生态环境分局", "萍乡市湘东区生态环境分局", "editor", False),
    ("liling", "醴陵市生态环境分局", "株洲市醴陵市生态环境分局", "editor", False),
    ("jx-finance", "江西省财政厅", "江西省财政厅", "editor", False),
    ("hn-finance", "湖南省财政厅", "湖南省财政厅", "editor", False),
    ("jys-station", "金鱼石国家自动站", "国家地表水水质自动监测站（金鱼石）", "editor", False),
    ("brand", "湘赣红运营中心", "“湘赣红”农产品品牌（江西）运营中心", "editor", False),
    ("viewer", "访客（只读）", "萍乡市湘赣边区域合作发展事务中心", "viewer", False),
    ("jx-window", "湘易办萍乡分行窗口", "萍乡市政务服务中心", "editor", False),
    ("hn-dept", "长沙市公安局办件员", "长沙市公安局", "editor", False),
)


def load_accounts(session: Session, password: str) -> None:
    orgs = {name: accounts.get_or_create_organisation(session, name, kind, code)
            for name, kind, code in ORGANISATIONS}
    for username, display, org_name, role, admin in USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.create_user(session, username, password, display, admin)
        else:
            accounts.set_password(session, user, password)
        accounts.grant_role(session, user, orgs[org_name], role)


def demo_steps(password: str) -> list[tuple[str, Callable[[Session], object]]]:
    """The demo, module by module, in dependency order (the CLI shows a progress bar)."""
    return [
        ("places", load_places),
        ("accounts", lambda session: load_accounts(session, password)),
        ("ecology: sections and readings", load_ecology_demo),
        ("ecology: compensation ledger", load_ledger_demo),
        ("cooperation: agreements, meetings, projects, tasks", load_cooperation_demo),
        ("services: 跨省通办 items, windows, agreements, cases", load_gov_services_demo),
    ]


def load_demo(session: Session, password: str = DEMO_PASSWORD) -> list[tuple[str, str]]:
    """Load every module's demo data; returns the demo logins (user, role)."""
    for _name, step in demo_steps(password):
        step(session)
    return demo_logins()


def demo_logins() -> list[tuple[str, str]]:
    return [(username, f"{role} · {org}" + (" · platform admin" if admin else ""))
            for username, _display, org, role, admin in USERS]
