"""Demo cooperation records: the zone as of September 2025, built from raw records.

The agreements are generated (seeded, so every load builds the same list) and imported through
the same rules as an uploaded workbook; the meetings and projects are the ones the article
names. Figures on the dashboard are counted from these records; no total is typed in here.
Idempotent: a second load adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation
from coopzone.accounts.service import Principal
from coopzone.cooperation import service
from coopzone.cooperation.importers import AgreementRow
from coopzone.cooperation.models import (
    Agreement,
    Meeting,
    Project,
    Task,
    TaskEvent,
    TaskExtension,
    TaskReply,
)
from coopzone.cooperation.schemas import (
    MeetingCreate,
    MemberIn,
    MilestoneIn,
    ObligationCreate,
    ObligationReportCreate,
    ProjectCreate,
    ProjectReportCreate,
    SiteIn,
    TaskCreate,
)
from coopzone.db import SHANGHAI

# The demo's records say who entered them: the demo itself, named as readers see it.
SYSTEM = Principal(0, "演示数据", "演示数据", True)
AS_OF = date(2025, 9, 30)
SEED = 20250930

# Weight of each county: neighbours of Pingxiang sign more.
COUNTIES: tuple[tuple[str, str, int], ...] = (
    ("430181", "浏阳市", 14), ("430281", "醴陵市", 16), ("430223", "攸县", 11),
    ("430224", "茶陵县", 9), ("430225", "炎陵县", 7), ("430626", "平江县", 7),
    ("431028", "安仁县", 6), ("431022", "宜章县", 5), ("431026", "汝城县", 5),
    ("431027", "桂东县", 5), ("360302", "安源区", 10), ("360313", "湘东区", 12),
    ("360321", "莲花县", 9), ("360322", "上栗县", 11), ("360323", "芦溪县", 9),
    ("360424", "修水县", 6), ("360902", "袁州区", 8), ("360922", "万载县", 6),
    ("360926", "铜鼓县", 5), ("360881", "井冈山市", 8), ("360827", "遂川县", 5),
    ("360830", "永新县", 7), ("360724", "上犹县", 5), ("360725", "崇义县", 5),
)
PINGXIANG_COUNTIES = ("安源区", "湘东区", "莲花县", "上栗县", "芦溪县")

# field -> (Pingxiang bureau, counterpart bureau suffix, topics)
TOPICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "transport": ("萍乡市交通运输局", "交通运输局", (
        "毗邻地区交通基础设施互联互通合作协议", "省际断头路对接建设合作协议",
        "城际公交开行合作协议", "农村公路联网对接合作协议")),
    "industry": ("萍乡市工业和信息化局", "工业和信息化局", (
        "产业协作配套合作框架协议", "共建省际合作产业园区协议", "产业链协同发展合作协议",
        "园区发展联盟合作协议")),
    "ecology": ("萍乡市生态环境局", "生态环境局", (
        "跨界河流联防联治合作协议", "生态环境联合执法合作协议",
        "大气污染联防联控合作协议", "环境应急联动合作协议")),
    "public_services": ("萍乡市行政审批局", "行政审批服务局", (
        "政务服务“跨省通办”合作协议", "医保异地就医直接结算合作协议",
        "社会保障服务协同合作协议", "教育资源共享合作协议")),
    "culture_tourism": ("萍乡市文化广电新闻出版旅游局", "文化旅游广电体育局", (
        "红色文旅融合发展合作协议", "文旅惠民卡互认合作协议", "旅游客源互送合作协议",
        "非遗保护传承合作协议")),
    "credit": ("萍乡市发展和改革委员会", "发展和改革局", (
        "信用体系建设合作框架协议", "信用信息共享与联合奖惩合作备忘录")),
    "talent": ("萍乡市人力资源和社会保障局", "人力资源和社会保障局", (
        "人才交流合作协议", "劳务协作合作协议", "干部互派挂职交流协议")),
    "science": ("萍乡市科学技术局", "科学技术局", (
        "科技创新协同合作协议", "科技成果转化合作协议")),
    "agriculture": ("萍乡市农业农村局", "农业农村局", (
        "“湘赣红”农产品区域公用品牌共建协议", "农业产业化合作协议")),
    "trade": ("萍乡市商务局", "商务局", ("商贸物流合作协议", "开放平台共建合作协议")),
}
FIELD_WEIGHTS = {"transport": 14, "industry": 18, "ecology": 12, "public_services": 16,
                 "culture_tourism": 15, "credit": 6, "talent": 8, "science": 5,
                 "agriculture": 6, "trade": 5}
PLACES_SIGNED = ("萍乡市", "长沙市", "株洲市", "浏阳市", "醴陵市", "吉安市", "宜春市", "南昌市")
AGREEMENT_COUNT = 212


def _date_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def agreement_rows() -> list[AgreementRow]:
    """The demo agreements, the same on every call."""
    rng = random.Random(SEED)
    counties = [c for c in COUNTIES]
    weights = [w for _c, _n, w in COUNTIES]
    fields = list(FIELD_WEIGHTS)
    rows: list[AgreementRow] = []
    titles: set[str] = set()
    # Every county at least once, then the rest by weight.
    picks = [c for c in counties] + rng.choices(counties, weights, k=AGREEMENT_COUNT
                                                - len(counties))
    for number, (_code, county, _w) in enumerate(picks, start=2):
        fld = rng.choices(fields, [FIELD_WEIGHTS[f] for f in fields])[0]
        city_bureau, suffix, topics = TOPICS[fld]
        if county in PINGXIANG_COUNTIES:
            # Pingxiang's own districts sign with a Hunan neighbour.
            partner = rng.choice(("醴陵市", "浏阳市", "攸县", "茶陵县"))
            parties: tuple[str, ...] = (f"{county}人民政府", f"{partner}人民政府")
            us, them = county, partner
        elif rng.random() < 0.55:
            parties = ("萍乡市人民政府", f"{county}人民政府")
            us, them = "萍乡市", county
        else:
            parties = (city_bureau, f"{county}{suffix}")
            us, them = "萍乡市", county
        topic = rng.choice(topics)
        signed = _date_between(rng, date(2021, 3, 1), date(2025, 9, 20))
        title = f"{us}—{them}{topic}"
        if title in titles:
            title = f"{us}—{them}{topic}（{signed.year}年）"
        if title in titles:
            title = f"{us}—{them}{topic}（{signed.year}年{signed.month}月）"
        if title in titles:
            continue
        titles.add(title)
        term = rng.choice((3, 3, 5, 5, 5, None))
        expires = date(signed.year + term, signed.month, min(signed.day, 28)) if term else None
        roll = rng.random()
        if expires is not None and expires < AS_OF:
            status = "expired"
        elif roll < 0.03:
            status = "terminated"  # ended early: a year after signing, before the demo date
            expires = min(signed + timedelta(days=365), AS_OF - timedelta(days=1))
        elif signed > date(2025, 6, 1) and roll < 0.5:
            status = "signed"
        else:
            status = "in_force"
        rows.append(AgreementRow(number, title, parties, signed, fld, status,
                                 rng.choice(PLACES_SIGNED), term, expires,
                                 f"{us}与{them}在{topic.removesuffix('协议')}方面开展合作。"))
    return rows


ORGS = (
    ("萍乡市交通运输局", "transport_bureau", "360300"),
    ("萍乡市发展和改革委员会", "other", "360300"),
    ("萍乡市农业农村局", "other", "360300"),
    ("萍乡市文化广电新闻出版旅游局", "other", "360300"),
    ("湘东区人民政府", "other", "360313"),
    ("上栗县人民政府", "other", "360322"),
    ("芦溪县人民政府", "other", "360323"),
    ("莲花县人民政府", "other", "360321"),
    ("安源区人民政府", "other", "360302"),
    ("萍乡市湘东区生态环境分局", "ecology_bureau", "360313"),
    ("萍乡市湘赣边区域合作发展事务中心", "cooperation_office", "360300"),
)

MEETINGS: tuple[MeetingCreate, ...] = (
    MeetingCreate(title="2022年长株潭一体化发展市委书记联席会议", kind="joint_meeting",
                  series=service.CZT_SERIES, held_on=date(2022, 8, 26), place="长沙市",
                  host="长沙市", our_role="observer",
                  members=[MemberIn(name="长沙市人民政府"), MemberIn(name="株洲市人民政府"),
                           MemberIn(name="湘潭市人民政府"),
                           MemberIn(name="萍乡市人民政府", role="observer")],
                  resolutions=["推动萍乡与长株潭都市圈规划衔接",
                               "研究萍乡融入长株潭半小时经济圈的交通方案"]),
    MeetingCreate(title="2023年长株潭一体化发展市委书记联席会议", kind="joint_meeting",
                  series=service.CZT_SERIES, held_on=date(2023, 9, 15), place="株洲市",
                  host="株洲市", our_role="observer",
                  members=[MemberIn(name="长沙市人民政府"), MemberIn(name="株洲市人民政府"),
                           MemberIn(name="湘潭市人民政府"),
                           MemberIn(name="萍乡市人民政府", role="observer")],
                  resolutions=["萍乡六个工业园区加入长株潭园区发展联盟"]),
    MeetingCreate(title="2024年长株潭一体化发展市委书记联席会议", kind="joint_meeting",
                  series=service.CZT_SERIES, held_on=date(2024, 9, 20), place="湘潭市",
                  host="湘潭市", our_role="observer",
                  members=[MemberIn(name="长沙市人民政府"), MemberIn(name="株洲市人民政府"),
                           MemberIn(name="湘潭市人民政府"),
                           MemberIn(name="萍乡市人民政府", role="observer")],
                  resolutions=["开展长株潭与萍乡信用体系建设互学共鉴"]),
    MeetingCreate(title="第一次湘赣边区域合作示范区建设推进大会", kind="conference",
                  series=service.CONFERENCE_SERIES, held_on=date(2022, 6, 28),
                  place="浏阳市", host="湖南省人民政府", our_role="member",
                  members=[MemberIn(name="湖南省人民政府"), MemberIn(name="江西省人民政府"),
                           MemberIn(name="萍乡市人民政府")],
                  resolutions=["建立两省示范区建设年度重点任务清单"]),
    MeetingCreate(title="第二次湘赣边区域合作示范区建设推进大会", kind="conference",
                  series=service.CONFERENCE_SERIES, held_on=date(2023, 7, 12),
                  place="萍乡市", host="江西省人民政府", our_role="member",
                  members=[MemberIn(name="湖南省人民政府"), MemberIn(name="江西省人民政府"),
                           MemberIn(name="萍乡市人民政府")],
                  resolutions=["推进湘赣边农产品“湘赣红”品牌共建"]),
    MeetingCreate(title="第三次湘赣边区域合作示范区建设推进大会", kind="conference",
                  series=service.CONFERENCE_SERIES, held_on=date(2024, 7, 9),
                  place="醴陵市", host="湖南省人民政府", our_role="member",
                  members=[MemberIn(name="湖南省人民政府"), MemberIn(name="江西省人民政府"),
                           MemberIn(name="萍乡市人民政府")],
                  resolutions=["加快醴陵湘东共建园区技术研发中心建设"]),
    MeetingCreate(title="第四次湘赣边区域合作示范区建设推进大会", kind="conference",
                  series=service.CONFERENCE_SERIES, held_on=date(2025, 7, 16),
                  place="吉安市", host="江西省人民政府", our_role="member",
                  members=[MemberIn(name="湖南省人民政府"), MemberIn(name="江西省人民政府"),
                           MemberIn(name="萍乡市人民政府")],
                  resolutions=["推动长赣高铁江西段开工建设", "深化跨界流域横向生态保护补偿"]),
    MeetingCreate(title="湘赣边区域人才发展联席会议", kind="joint_meeting",
                  series="湘赣边区域人才联席会议", held_on=date(2023, 11, 8), place="萍乡市",
                  host="萍乡市人民政府", our_role="host",
                  members=[MemberIn(name="萍乡市人力资源和社会保障局", role="host"),
                           MemberIn(name="醴陵市人力资源和社会保障局"),
                           MemberIn(name="浏阳市人力资源和社会保障局")],
                  resolutions=["建立湘赣边人才互认互通清单"]),
    MeetingCreate(title="湘赣边区域产业协作联席会议", kind="joint_meeting",
                  series="湘赣边区域产业联席会议", held_on=date(2024, 5, 22), place="萍乡市",
                  host="萍乡市人民政府", our_role="host",
                  members=[MemberIn(name="萍乡市工业和信息化局", role="host"),
                           MemberIn(name="醴陵市工业和信息化局"),
                           MemberIn(name="攸县工业和信息化局")],
                  resolutions=["组织30家本土企业对接湖南龙头企业产业链"]),
    MeetingCreate(title="湘赣边区域合作发展论坛", kind="forum", series="湘赣边区域合作发展论坛",
                  held_on=date(2024, 10, 18), place="萍乡市", host="萍乡市人民政府",
                  our_role="host",
                  members=[MemberIn(name="萍乡市人民政府", role="host"),
                           MemberIn(name="中南大学"), MemberIn(name="株洲市人民政府")],
                  resolutions=[]),
)

PROJECTS: tuple[tuple[ProjectCreate, tuple[tuple[date, int, str], ...]], ...] = (
    (ProjectCreate(
        code="changgan-hsr-jx", name="长赣高铁江西段（萍乡境内）", field="transport",
        owner="萍乡市交通运输局", owner_place_code="360300", status="under_construction",
        budget=Decimal("23800000000.00"), started_on=date(2025, 8, 18),
        planned_finish=date(2030, 12, 31),
        summary="萍乡境内设上栗、萍乡北、芦溪南、莲花东4座车站，建成后形成“十字枢纽”。",
        sites=[SiteIn(name="上栗站", county_code="360322"),
               SiteIn(name="萍乡北站", county_code="360302"),
               SiteIn(name="芦溪南站", county_code="360323"),
               SiteIn(name="莲花东站", county_code="360321")],
        milestones=[MilestoneIn(name="可行性研究报告获批", due_on=date(2024, 12, 31),
                                done_on=date(2024, 11, 29)),
                    MilestoneIn(name="正式开工", due_on=date(2025, 8, 31),
                                done_on=date(2025, 8, 18)),
                    MilestoneIn(name="站房主体结构完工", due_on=date(2028, 12, 31)),
                    MilestoneIn(name="建成通车", due_on=date(2030, 12, 31))]),
     ((date(2025, 8, 31), 1, "8月正式开工，征地拆迁同步推进"),
      (date(2025, 9, 26), 3, "四座车站场坪施工准备"))),
    (ProjectCreate(
        code="hukun-expressway-px", name="沪昆高速萍乡段改扩建工程", field="transport",
        owner="萍乡市交通运输局", owner_place_code="360300", status="under_construction",
        budget=Decimal("9870000000.00"), started_on=date(2022, 3, 1),
        planned_finish=date(2025, 12, 31),
        sites=[SiteIn(name="湘东段", county_code="360313"),
               SiteIn(name="安源段", county_code="360302"),
               SiteIn(name="芦溪段", county_code="360323")],
        milestones=[MilestoneIn(name="开工建设", due_on=date(2022, 3, 31),
                                done_on=date(2022, 3, 1)),
                    MilestoneIn(name="路基工程完成", due_on=date(2024, 6, 30),
                                done_on=date(2024, 8, 15)),
                    MilestoneIn(name="全线通车", due_on=date(2025, 12, 31))]),
     ((date(2022, 12, 31), 18, "路基施工"), (date(2023, 12, 31), 46, "桥梁下部结构"),
      (date(2024, 12, 31), 74, "路面工程"), (date(2025, 6, 30), 86, "交安设施"),
      (date(2025, 9, 25), 92, "完成超90%，收尾工程"))),
    (ProjectCreate(
        code="pingshui-lushui-waterway", name="萍水—渌水航道", field="transport",
        owner="萍乡市交通运输局", owner_place_code="360300", status="planned",
        started_on=date(2024, 3, 1), planned_finish=date(2032, 12, 31),
        summary="纳入交通运输部“十四五”水运规划项目库预备库，千吨级航道前期研究启动。",
        sites=[SiteIn(name="湘东段", county_code="360313"),
               SiteIn(name="醴陵段", county_code="430281")],
        milestones=[MilestoneIn(name="纳入水运规划项目库预备库", due_on=date(2024, 6, 30),
                                done_on=date(2024, 5, 20)),
                    MilestoneIn(name="千吨级航道前期研究", due_on=date(2026, 6, 30))]),
     ((date(2025, 6, 30), 5, "前期研究启动"),)),
    (ProjectCreate(
        code="xiangganhong-jx-centre", name="“湘赣红”农产品品牌（江西）运营中心",
        field="agriculture", owner="萍乡市农业农村局", owner_place_code="360300",
        status="completed", budget=Decimal("12000000.00"), started_on=date(2022, 4, 1),
        planned_finish=date(2023, 6, 30),
        sites=[SiteIn(name="运营中心", county_code="360302")],
        milestones=[MilestoneIn(name="运营中心挂牌", due_on=date(2023, 6, 30),
                                done_on=date(2023, 5, 18))]),
     ((date(2022, 12, 31), 60, "装修与招商"), (date(2023, 5, 18), 100, "挂牌运营"))),
    (ProjectCreate(
        code="liling-xiangdong-rd", name="醴陵湘东共建园区技术研发中心", field="industry",
        owner="湘东区人民政府", owner_place_code="360313", status="under_construction",
        budget=Decimal("86000000.00"), started_on=date(2023, 9, 1),
        planned_finish=date(2026, 6, 30),
        sites=[SiteIn(name="湘东片区", county_code="360313"),
               SiteIn(name="醴陵片区", county_code="430281")],
        milestones=[MilestoneIn(name="主体结构封顶", due_on=date(2025, 3, 31),
                                done_on=date(2025, 4, 20)),
                    MilestoneIn(name="设备安装调试", due_on=date(2026, 3, 31))]),
     ((date(2024, 6, 30), 30, "主体施工"), (date(2025, 4, 20), 60, "主体结构封顶"),
      (date(2025, 9, 20), 72, "内部装修与设备采购"))),
    (ProjectCreate(
        code="pingxiang-changsha-innovation", name="萍乡（长沙）科创中心", field="science",
        owner="萍乡市科学技术局", owner_place_code="360300", status="completed",
        started_on=date(2021, 11, 1), planned_finish=date(2022, 6, 30),
        summary="全省首个政府主导型“科创飞地”，累计入驻超25家科技型企业。",
        sites=[SiteIn(name="安源区对接点", county_code="360302")],
        milestones=[MilestoneIn(name="中心运营", due_on=date(2022, 6, 30),
                                done_on=date(2022, 5, 26))]),
     ((date(2022, 5, 26), 100, "投入运营"),)),
)

# (title, owner organisation, state, deadline offset or absolute date, returned, note)
# Open work is dated relative to the demo's as-of date (AS_OF, the platform's "today" in the
# demo), so the reminders show against the same day the figures are counted to.
TASKS: tuple[tuple[str, str, str, int | date, int, bool], ...] = (
    ("编制湘赣边区域合作2026年重点任务清单", "萍乡市发展和改革委员会", "open", 20, 0, True),
    ("报送长赣高铁萍乡段征地拆迁进度", "萍乡市交通运输局", "open", -5, 0, True),
    ("完成萍水河跨界断面联合监测方案", "萍乡市湘东区生态环境分局", "in_progress", -12, 0, True),
    ("报送金鱼石断面月度水质分析", "萍乡市湘东区生态环境分局", "in_progress", 4, 0, True),
    ("推进上栗—浏阳省际合作园区招商对接", "上栗县人民政府", "in_progress", 30, 1, True),
    ("组织“湘赣红”品牌授权企业年度复核", "萍乡市农业农村局", "submitted", 10, 0, True),
    ("落实沪昆高速改扩建交通组织保障方案", "萍乡市交通运输局", "submitted", 15, 0, True),
    ("建立湘赣边人才互认互通清单", "萍乡市发展和改革委员会", "accepted", date(2024, 3, 31), 0,
     True),
    ("萍乡六个工业园区加入长株潭园区发展联盟", "湘东区人民政府", "accepted",
     date(2023, 12, 31), 0, True),
    ("推进湘赣边农产品“湘赣红”品牌共建", "萍乡市农业农村局", "accepted", date(2023, 12, 31),
     0, True),
    ("加快醴陵湘东共建园区技术研发中心建设", "湘东区人民政府", "accepted", date(2025, 4, 30),
     1, False),
    ("推出“秋收起义·湘赣红旗”红色旅游线路", "萍乡市文化广电新闻出版旅游局", "accepted",
     date(2023, 6, 30), 0, True),
    ("芦溪县与茶陵县建立文旅惠民卡互认机制", "芦溪县人民政府", "accepted", date(2024, 9, 30),
     0, True),
)


def _ensure_orgs(session: Session) -> dict[str, Organisation]:
    return {name: accounts.get_or_create_organisation(session, name, kind, code)
            for name, kind, code in ORGS}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def _load_tasks(session: Session, orgs: dict[str, Organisation]) -> None:
    today = AS_OF
    resolutions = {r.text: r.id for m in service.list_meetings(session) for r in m.resolutions}
    for title, org, state, when, returned, in_time in TASKS:
        if session.scalar(select(Task.id).where(Task.title == title)) is not None:
            continue
        deadline = when if isinstance(when, date) else today + timedelta(days=when)
        task = service.create_task(session, SYSTEM, TaskCreate(
            title=title, owner_org_id=orgs[org].id, deadline=deadline,
            description=f"领导小组交办：{title}。", resolution_id=resolutions.get(title)))
        assignee = task.assignees[0]
        if state == "open":
            task.created_at = task.events[0].at = _at(today - timedelta(days=10))
            continue
        start = deadline - timedelta(days=60)
        task.created_at = task.events[0].at = _at(start - timedelta(days=7))
        steps: list[tuple[str, str, str, datetime]] = [
            ("start", "open", "in_progress", _at(start))]
        for i in range(returned):
            steps += [("submit", "in_progress", "submitted", _at(start + timedelta(20 + i))),
                      ("return", "submitted", "in_progress", _at(start + timedelta(25 + i)))]
        if state in ("submitted", "accepted"):
            submitted = deadline - timedelta(days=3) if in_time else deadline + timedelta(9)
            if state == "submitted":
                submitted = min(submitted, today - timedelta(days=1))
            steps.append(("submit", "in_progress", "submitted", _at(submitted)))
            task.submitted_at = assignee.submitted_at = _at(submitted)
            if state == "accepted":
                accepted = _at(submitted + timedelta(days=5))
                steps.append(("accept", "submitted", "accepted", accepted))
                task.accepted_at = assignee.accepted_at = accepted
        for action, frm, to, at in steps:
            note = "材料不完整，请补充佐证" if action == "return" else ""
            task.events.append(TaskEvent(action=action, from_state=frm, to_state=to,
                                         actor="coop" if action in ("accept", "return")
                                         else org, note=note, at=at, org_id=assignee.org_id))
        task.state, task.returned_count = state, returned
        assignee.state, assignee.returned_count = state, returned
    _load_joint_task(session, orgs, today)
    session.flush()
    service.notify_due_soon(session, today)


JOINT_TASK = "报送湘赣边省际合作协议履约情况季度报告"
# The joint task's assignees and how far each has got (a task for several organisations).
JOINT_ASSIGNEES = (("萍乡市发展和改革委员会", "submitted"), ("萍乡市交通运输局", "in_progress"),
                   ("上栗县人民政府", "open"))


def _load_joint_task(session: Session, orgs: dict[str, Organisation], today: date) -> None:
    """One task assigned to three organisations at once, each at its own step, one of them
    asking for more time."""
    if session.scalar(select(Task.id).where(Task.title == JOINT_TASK)) is not None:
        return
    names = [name for name, _state in JOINT_ASSIGNEES]
    task = service.create_task(session, SYSTEM, TaskCreate(
        title=JOINT_TASK, owner_org_id=orgs[names[0]].id, deadline=today + timedelta(days=5),
        assignee_org_ids=[orgs[n].id for n in names[1:]],
        description="各单位报送本季度省际合作协议履约情况，附佐证材料。"))
    task.created_at = task.events[0].at = _at(today - timedelta(days=20))
    by_org = {a.org_id: a for a in task.assignees}
    for name, state in JOINT_ASSIGNEES:
        assignee = by_org[orgs[name].id]
        steps = {"open": (), "in_progress": ("start",), "submitted": ("start", "submit")}[state]
        for i, action in enumerate(steps):
            frm, to = TRANSITION_STEPS[action]
            at = _at(today - timedelta(days=15 - 5 * i))
            task.events.append(TaskEvent(action=action, from_state=frm, to_state=to, actor=name,
                                         at=at, org_id=assignee.org_id))
            if action == "submit":
                assignee.submitted_at = at
                session.add(TaskReply(task_id=task.id, org_id=assignee.org_id, at=at, by=name,
                                      text="本季度履约情况报告已报送，请审核。"))
        assignee.state = state
    slow = by_org[orgs["上栗县人民政府"].id]
    session.add(TaskExtension(task_id=task.id, org_id=slow.org_id, old_deadline=slow.deadline,
                              new_deadline=slow.deadline + timedelta(days=14),
                              reason="园区招商数据需待季度统计公报发布后核实。",
                              state="requested", asked_by="上栗县人民政府",
                              asked_at=_at(today - timedelta(days=2))))
    task.events.append(TaskEvent(action="ask_extension", from_state="", to_state="requested",
                                 actor="上栗县人民政府", at=_at(today - timedelta(days=2)),
                                 org_id=slow.org_id,
                                 note="园区招商数据需待季度统计公报发布后核实。"))
    task.state = "in_progress"


TRANSITION_STEPS = {"start": ("open", "in_progress"), "submit": ("in_progress", "submitted")}


INDICATORS: tuple[tuple[str, str, str, str, str, Decimal | None], ...] = (
    ("agreements_signed", "与湘赣边县（市、区）签署合作协议", "Cooperation agreements signed",
     "项", "computed", Decimal(200)),
    ("counties_covered", "协议覆盖县（市、区）", "Counties covered by agreements", "个",
     "computed", Decimal(24)),
    ("agreements_in_force", "履行中的合作协议", "Agreements in force", "项", "computed",
     Decimal(150)),
    ("czt_observer_meetings", "以观察员身份参加长株潭市委书记联席会议",
     "Chang-Zhu-Tan joint meetings attended as observer", "次", "computed", Decimal(3)),
    ("promotion_conferences", "参与两省示范区建设推进大会",
     "Zone promotion conferences attended", "次", "computed", Decimal(4)),
    ("tasks_on_time", "督办事项按期办结率", "Tasks accepted on time", "%", "computed",
     Decimal(90)),
    ("project_completion", "平台项目平均完成率", "Platform projects, mean completion", "%",
     "computed", None),
    ("jinyushi_streak_months", "金鱼石国考断面连续达标", "Jinyushi section: months in a row "
     "meeting its target", "个月", "computed", Decimal(60)),
    ("basin_sections_good_share", "流域地表水断面水质优良率", "Basin sections of good quality",
     "%", "computed", Decimal(100)),
    ("compensation_paid_to_jiangxi", "湖南支付江西生态补偿资金",
     "Eco-compensation paid by Hunan to Jiangxi", "万元", "computed", None),
    ("xiangganhong_licensees", "“湘赣红”品牌授权企业", "Xiangganhong brand licensees", "家",
     "reported", Decimal(200)),
)
# Reported by the brand operation centre; 2024 is the article's figure.
LICENSEES = (("2022", Decimal(118), "湘赣红品牌年度报告（2022）"),
             ("2023", Decimal(167), "湘赣红品牌年度报告（2023）"),
             ("2024", Decimal(210), "湘赣红品牌年度报告（2024）"))


def _load_indicators(session: Session) -> None:
    for position, (code, name, name_en, unit, source, target) in enumerate(INDICATORS):
        service.define_indicator(session, code, name, unit, source, target, "year", name_en,
                                 "“湘赣红”农产品品牌（江西）运营中心" if source == "reported"
                                 else "", position)
    for year in range(2021, 2025):
        service.snapshot(session, str(year), by=SYSTEM.label, today=AS_OF)
    service.snapshot(session, "2025", as_of=AS_OF, by=SYSTEM.label)
    indicator = service.get_indicator(session, "xiangganhong_licensees")
    for period, value, evidence in LICENSEES:
        service.store_value(session, indicator, period, value, "reported",
                             {"reported_by": "“湘赣红”农产品品牌（江西）运营中心",
                              "evidence": evidence}, SYSTEM.label)


def _load_obligations(session: Session) -> None:
    rng = random.Random(SEED + 1)
    agreements = session.scalars(select(Agreement).where(Agreement.status == "in_force")
                                 .order_by(Agreement.signed_on, Agreement.id).limit(24)).all()
    for a in agreements:
        full = service.get_agreement(session, a.id, full=True)
        if full.obligations:
            continue
        for party in (ap.party for ap in full.parties):
            due = full.signed_on + timedelta(days=rng.choice((180, 365, 540)))
            ob = service.add_obligation(session, SYSTEM, full.id, ObligationCreate(
                description=f"{party.name}牵头落实协议约定的年度合作事项", owner=party.name,
                due_on=due))
            if due < AS_OF and rng.random() < 0.7:
                service.report_obligation(session, SYSTEM, ob.id, ObligationReportCreate(
                    reported_on=due - timedelta(days=10), text="已按约定完成，报送工作总结。",
                    done=True))


def load_cooperation_demo(session: Session) -> None:
    """Load the demo cooperation records (idempotent)."""
    orgs = _ensure_orgs(session)
    service.import_agreements(session, SYSTEM, agreement_rows())
    _load_obligations(session)
    for meeting in MEETINGS:
        if session.scalar(select(Meeting.id).where(Meeting.title == meeting.title,
                                                   Meeting.held_on == meeting.held_on)) is None:
            service.create_meeting(session, SYSTEM, meeting)
    for project, reports in PROJECTS:
        if session.scalar(select(Project.id).where(Project.code == project.code)) is None:
            created = service.create_project(session, SYSTEM, project)
            for day, percent, text in reports:
                service.report_project(session, SYSTEM, created.id, ProjectReportCreate(
                    reported_on=day, percent_complete=percent, text=text))
    _load_tasks(session, orgs)
    _load_indicators(session)
