"""The demo zone as of September 2025: the article's figures, counted from the records."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation import service
from coopzone.cooperation.demo import AS_OF, load_cooperation_demo
from coopzone.cooperation.models import Agreement, Meeting, Project, Task
from tests.helpers import count


def test_the_demo_adds_up_to_the_article(session: Session) -> None:
    load_cooperation_demo(session)
    d = service.dashboard(session, AS_OF)
    cards = {c.indicator.code: c.value for c in d.cards}
    # 与湘赣边24个县（市、区）签署各类合作协议超200项
    assert cards["agreements_signed"] is not None and cards["agreements_signed"] > 200
    assert cards["agreements_signed"] == count(session, Agreement)
    assert cards["counties_covered"] == 24
    assert sum(1 for _c, _n, k in d.by_county if k) == 24
    # 连续3届以观察员城市身份参加长株潭一体化发展市委书记联席会议；连续4次参与推进大会
    assert cards["czt_observer_meetings"] == 3 and cards["promotion_conferences"] == 4
    progress = {p.code: (p, pc) for p, pc in d.projects}
    assert progress["hukun-expressway-px"][1] > 90
    changgan = progress["changgan-hsr-jx"][0]
    assert changgan.started_on == date(2025, 8, 18)
    assert [s.name for s in changgan.sites] == ["上栗站", "萍乡北站", "芦溪南站", "莲花东站"]
    states = Counter(session.scalars(select(Task.state)))
    assert set(states) == {"open", "in_progress", "submitted", "accepted"}
    assert session.scalar(select(Task.id).where(Task.returned_count > 0)) is not None
    # Every county's count is the number of agreements listed for it.
    for code, _name, n in d.by_county[:3]:
        assert len(service.list_agreements(session, service.AgreementFilter(county=code))) == n


def test_loading_the_demo_twice_adds_nothing(session: Session) -> None:
    load_cooperation_demo(session)
    session.flush()
    before = [count(session, m) for m in (Agreement, Meeting, Project, Task, AuditLog)]
    load_cooperation_demo(session)
    session.flush()
    assert [count(session, m) for m in (Agreement, Meeting, Project, Task, AuditLog)] == before
