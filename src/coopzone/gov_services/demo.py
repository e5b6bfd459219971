"""Demo 跨省通办 records: Pingxiang's windows, its 117 agreements and the past cases, as of
30 September 2025 (the cooperation demo's ``AS_OF``, the platform's "today" in the demo).

The article (seed line 79): 上线"湘易办"长株潭跨境通办专区萍乡分行，市县两级共签署跨省通办合作
协议117份，累计为8000余人次湖南籍群众提供现场服务. Nothing here types those figures in: the
dashboard counts them from the records this module writes (:mod:`.service.figures`).

What the demo holds, all seeded (every load builds the same records) and idempotent (a second
load adds nothing):

* **Items** — the shipped list (:func:`seed_items`). Where the national guide gives no time
  limit, a few high-frequency items get a *promised* limit (承诺时限) so the clock has
  something to count; these values are illustrative, not verified, and the item's note says
  so (``DEMO_PROMISED``).
* **Organisations and users** — the 湘易办 window's organisation (萍乡市政务服务中心), a
  service centre per Pingxiang county, the supervising office (萍乡市行政审批局), and Hunan
  departments in 长沙、株洲、湘潭 and the zone's Hunan counties (names of the usual bureaus;
  illustrative). The clerks ``jx-window`` (湘易办 window) and ``hn-dept`` (长沙市公安局) are in
  the demo users list (coopzone.demo).
* **Windows** — "湘易办"长株潭跨境通办专区萍乡分行 (the name is the article's; its address and
  hours are illustrative) and one 跨省通办 window per Pingxiang county (names illustrative,
  marked 示意).
* **The 117 跨省通办 agreements** — cooperation agreements signed by 萍乡市 and its five
  counties with Hunan places (长沙、株洲、湘潭 and their counties in the zone, 岳阳、郴州 and
  theirs), each linked to a :class:`KstbAgreement` (which places collect, which handle, which
  items). The cooperation register's own agreements titled 政务服务"跨省通办"合作协议 with a
  Hunan party are linked rather than repeated; the rest are added, up to 117.

  *Are they part of the dashboard's "与湘赣边24个县签署各类合作协议超200项"?* In part, and by
  its definition rather than by fiat: that card counts agreements of every kind signed with a
  county of the zone (a party in one of the 24 counties), so a 跨省通办 agreement of a
  Pingxiang county or with 醴陵、浏阳… is one of them, while one between 萍乡市 and 长沙市 (two
  cities, neither among the 24) is not. The article reports the 117 separately because they
  are a register of their own (the 行政审批局's), signed at city and county level and reaching
  beyond the 24 counties to the 长株潭 cities; the card's count is the cooperation register's
  agreements with a zone county, 跨省通办 ones included, and still "超200".
* **Past cases**, January 2021 to September 2025 — applications collected at the Pingxiang
  windows for Hunan departments (mostly Hunan residents living in Pingxiang; some Jiangxi
  residents with business in Hunan), and 全程网办 applications handled online. Synthetic
  applicants have valid resident ID numbers (GB 11643 check digit, a real birth date), Hunan or
  Jiangxi address codes. From these the dashboard counts "Hunan residents served in person":
  cases of persons whose ID says Hunan (43), collected at a Pingxiang window (person-times).
  Thousands of cases through the service one step at a time would make the demo load slow,
  so they are written with bulk INSERTs — but built by :func:`replay`, which applies each step
  as :func:`coopzone.gov_services.service.cases.move_case` does (state, the step's fields, the
  clock from :mod:`.service.clock`, one history row per step, the version counter), so the
  rows are the ones the service would write; ``tests/gov_services/test_demo.py`` checks a
  replayed case against the same case made through the service. They write no audit rows
  (as a ledger import of past cases would be audited once, not per step).
* **Open cases through the service itself** (the clerks' principals): waiting for 补正, due
  soon and overdue as of 30 September 2025, sent and waiting to be accepted; evaluations,
  including a 差评 whose follow-up was answered and one still open.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from stdnum.cn import ric

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation, User
from coopzone.accounts.roles import SERVICE_DEPARTMENT, SERVICE_WINDOW, SERVICES_OFFICE
from coopzone.accounts.service import Principal
from coopzone.cooperation import service as cooperation
from coopzone.cooperation.importers import AgreementRow
from coopzone.cooperation.models import Agreement, AgreementParty, Party
from coopzone.db import SHANGHAI
from coopzone.engines.working_days import Calendar
from coopzone.gov_services import service
from coopzone.gov_services.models import (
    Case,
    CaseEvent,
    CasePause,
    Evaluation,
    Item,
    KstbAgreement,
    Window,
)
from coopzone.gov_services.schemas import (
    CaseCreate,
    EvaluationCreate,
    FollowUpAnswer,
    ItemUpdate,
    KstbAgreementCreate,
    WindowCreate,
)
from coopzone.gov_services.service import clock, summary
from coopzone.gov_services.service.cases import CASE_FLOW, OUTCOME_OF
from coopzone.places.service import covers

# The demo's clock and author are the cooperation demo's (one "today" for every module).
AS_OF = date(2025, 9, 30)
SYSTEM = Principal(0, "演示数据", "演示数据", True)
SEED = 20250930 + 11
FIRST_MONTH = date(2021, 1, 1)

KSTB_TARGET = 117  # how many agreements the article says were signed: the demo builds them

OFFICE = ("萍乡市行政审批局", SERVICES_OFFICE, "360300")
XIANGYIBAN_ORG = ("萍乡市政务服务中心", SERVICE_WINDOW, "360300")
XIANGYIBAN = "“湘易办”长株潭跨境通办专区萍乡分行"
# (county code, county) of Pingxiang: a service centre and a 跨省通办 window in each.
PINGXIANG_COUNTIES = (("360302", "安源区"), ("360313", "湘东区"), ("360321", "莲花县"),
                      ("360322", "上栗县"), ("360323", "芦溪县"))
JX_WINDOW_CLERK = "jx-window"
HN_DEPT_CLERK = "hn-dept"
HN_DEPT_OF_CLERK = "长沙市公安局"

# Hunan places whose departments handle the Pingxiang windows' cases, with their weight.
HUNAN_HANDLING: tuple[tuple[str, str, int], ...] = (
    ("430100", "长沙市", 30), ("430200", "株洲市", 18), ("430300", "湘潭市", 10),
    ("430281", "醴陵市", 16), ("430181", "浏阳市", 12), ("430223", "攸县", 6),
    ("430224", "茶陵县", 5), ("430225", "炎陵县", 3))
# The Hunan side of the agreements: the handling places and the rest of the zone's Hunan part.
HUNAN_SIGNING: tuple[tuple[str, str], ...] = (
    *((c, n) for c, n, _w in HUNAN_HANDLING),
    ("430600", "岳阳市"), ("431000", "郴州市"), ("430626", "平江县"), ("431028", "安仁县"),
    ("431022", "宜章县"), ("431026", "汝城县"), ("431027", "桂东县"))

# Department kind -> (bureau suffix, agreement topic for that kind's items).
BUREAUS: dict[str, tuple[str, str]] = {
    "public_security": ("公安局", "户籍和出入境业务“跨省通办”合作协议"),
    "human_resources_social_security": ("人力资源和社会保障局", "社会保险业务“跨省通办”合作协议"),
    "market_regulation": ("市场监督管理局", "市场主体登记“跨省通办”合作协议"),
    "civil_affairs": ("民政局", "婚姻登记“跨省通办”合作协议"),
    "housing": ("住房公积金管理中心", "住房公积金业务“跨省通办”合作协议"),
    "medical_insurance": ("医疗保障局", "医保经办服务“跨省通办”合作协议"),
    "taxation": ("税务局", "税费业务“跨省通办”合作协议"),
    "other": ("政务服务中心", "公证和残疾人服务“跨省通办”合作协议"),
}
GENERAL_TOPIC = "政务服务“跨省通办”合作协议"

# Illustrative promised limits (承诺时限, working days) for items whose national entry gives
# none: not verified; the item's note says so.
DEMO_PROMISED: dict[str, int] = {
    "开具户籍类证明": 3, "工作调动户口迁移": 10, "夫妻投靠户口迁移": 10,
    "父母投靠子女户口迁移": 10, "大中专学生毕业户口迁移": 5, "新生儿入户": 5, "失业登记": 5,
    "城乡居民基本养老保险关系转移接续": 15,
    "正常退休提取住房公积金": 3, "购房提取住房公积金": 3, "住房公积金转移接续": 5,
    "个体工商户设立登记": 3, "内资企业及分支机构设立登记": 3, "开具税收完税证明": 2,
    "领取养老金人员待遇资格认证": 3, "异地就医登记备案和结算": 2, "残疾人证迁移": 10,
}
DEMO_NOTE = "[演示] 承诺时限为演示用的示意值，未经核实"

# Address codes of synthetic applicants' resident IDs (GB/T 2260 county codes).
HUNAN_ID_PLACES = ("430102", "430103", "430104", "430105", "430111", "430121", "430181",
                   "430182", "430202", "430203", "430204", "430211", "430223", "430224",
                   "430225", "430281", "430302", "430304", "430321", "430381", "430382",
                   "430602", "430626", "431002", "431028")
JIANGXI_ID_PLACES = ("360302", "360313", "360321", "360322", "360323", "360102", "360902")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓"
            "韩冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
         "玉兰文建国志红梅林云海燕鹏飞婷慧琴晓东宇浩然")
ACTOR = SYSTEM.label


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def resident_id(place: str, birth: date, seq: int) -> str:
    """A valid 18-digit resident ID number (GB 11643: address code, birth date, sequence,
    check digit)."""
    body = f"{place}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 digits


# ---- organisations, items, windows ------------------------------------------------------------


def department_name(place_name: str, kind: str) -> str:
    return f"{place_name}{BUREAUS[kind][0]}"


def _organisations(session: Session) -> dict[str, Organisation]:
    wanted = [OFFICE, XIANGYIBAN_ORG]
    wanted += [(f"{name}政务服务中心", SERVICE_WINDOW, code) for code, name in PINGXIANG_COUNTIES]
    wanted += [(department_name(name, kind), SERVICE_DEPARTMENT, code)
               for code, name, _w in HUNAN_HANDLING for kind in BUREAUS]
    return {name: accounts.get_or_create_organisation(session, name, kind, code)
            for name, kind, code in wanted}


def _items(session: Session) -> list[Item]:
    service.seed_items(session)
    items = service.list_items(session)
    for item in items:
        days = DEMO_PROMISED.get(item.name)
        if days is None or item.promised_days is not None or item.statutory_days is not None:
            continue
        note = f"{item.note} {DEMO_NOTE}".strip()
        service.update_item(session, SYSTEM, item.id, ItemUpdate(promised_days=days, note=note))
    return items


def _windows(session: Session, orgs: dict[str, Organisation]) -> list[Window]:
    known = {w.name: w for w in service.list_windows(session)}
    specs = [(XIANGYIBAN, "360300", XIANGYIBAN_ORG[0],
              "萍乡市政务服务中心一楼（地址示意）", "工作日 9:00-12:00, 13:30-17:00（示意）")]
    specs += [(f"{name}政务服务中心跨省通办窗口（示意）", code, f"{name}政务服务中心",
               f"{name}政务服务中心（地址示意）", "工作日 9:00-17:00（示意）")
              for code, name in PINGXIANG_COUNTIES]
    out = []
    for name, code, org, address, hours in specs:
        window = known.get(name) or service.create_window(session, SYSTEM, WindowCreate(
            name=name, place_code=code, organisation_id=orgs[org].id, address=address,
            opening_hours=hours))
        out.append(window)
    return out


# ---- the 117 agreements -----------------------------------------------------------------------


@dataclass(frozen=True)
class KstbSpec:
    title: str
    parties: tuple[str, str]
    ours: tuple[str, str]  # (code, name) on the Pingxiang side
    theirs: tuple[str, str]
    kind: str | None  # the department kind whose items it covers (None: every item)


def _party(place_name: str, kind: str | None, county: bool) -> str:
    if kind is None:
        return f"{place_name}人民政府"
    suffix = BUREAUS[kind][0]
    if county and kind == "public_security" and place_name.endswith("区"):
        suffix = "公安分局"
    return f"{place_name}{suffix}"


def kstb_candidates() -> list[KstbSpec]:
    """Every agreement the demo may add, in the order it adds them (seeded): the city's
    general agreement with each Hunan place, the city's departmental ones with 长株潭 and the
    neighbouring counties, then the counties' agreements."""
    rng = random.Random(SEED)
    city = ("360300", "萍乡市")
    kinds = list(BUREAUS)
    out: list[KstbSpec] = []

    def spec(ours: tuple[str, str], theirs: tuple[str, str], kind: str | None) -> KstbSpec:
        topic = GENERAL_TOPIC if kind is None else BUREAUS[kind][1]
        county = ours[0] != "360300"
        return KstbSpec(f"{ours[1]}—{theirs[1]}{topic}",
                        (_party(ours[1], kind, county), _party(theirs[1], kind, county)),
                        ours, theirs, kind)

    out += [spec(city, h, None) for h in HUNAN_SIGNING]
    near = [h for h in HUNAN_SIGNING if h[0] in ("430100", "430200", "430300", "430281",
                                                  "430181")]
    out += [spec(city, h, k) for h in near for k in kinds]
    county_pairs = [spec(c, h, k) for c in PINGXIANG_COUNTIES
                    for h in HUNAN_SIGNING[:8] for k in (None, *kinds)]
    rng.shuffle(county_pairs)
    return out + county_pairs


def _has_hunan_party(session: Session, agreement_ids: Sequence[int]) -> set[int]:
    rows = session.execute(select(AgreementParty.agreement_id).join(Party).where(
        AgreementParty.agreement_id.in_(agreement_ids), Party.place_code.like("43%"))).all()
    return {r[0] for r in rows}


def _agreements(session: Session, items: list[Item]) -> None:
    """Link the register's 跨省通办 agreements with a Hunan party, and add agreements until
    117 are linked (in the order of :func:`kstb_candidates`)."""
    linked = set(session.scalars(select(KstbAgreement.agreement_id)))
    titled = session.execute(select(Agreement.id, Agreement.title).where(
        Agreement.title.contains("跨省通办")).order_by(Agreement.id)).all()
    hunan = _has_hunan_party(session, [i for i, _t in titled])
    existing = [(i, t) for i, t in titled if i in hunan]
    by_kind: dict[str, list[int]] = {}
    for item in items:
        by_kind.setdefault(item.department_kind, []).append(item.id)
    titles = {t for _i, t in existing}
    need = KSTB_TARGET - len(existing)
    rng = random.Random(SEED + 1)
    new: list[tuple[AgreementRow, KstbSpec]] = []
    for number, spec in enumerate(kstb_candidates(), start=2):
        if len(new) >= need:
            break
        if spec.title in titles:
            continue
        signed = date(2021, 3, 1) + timedelta(days=rng.randrange((date(2025, 9, 15)
                                                                  - date(2021, 3, 1)).days))
        term = rng.choice((3, 5, 5, None))
        expires = date(signed.year + term, signed.month, min(signed.day, 28)) if term else None
        status = "expired" if expires is not None and expires < AS_OF else "in_force"
        what = "各类政务服务事项" if spec.kind is None else BUREAUS[spec.kind][1].split("“")[0]
        new.append((AgreementRow(number, spec.title, spec.parties, signed, "public_services",
                                 status, "萍乡市" if rng.random() < 0.5 else spec.theirs[1],
                                 term, expires,
                                 f"{spec.ours[1]}与{spec.theirs[1]}互设代收代办窗口，"
                                 f"{what}异地受理、远程办理。"), spec))
    if new:
        cooperation.import_agreements(session, SYSTEM, [r for r, _s in new])
    ids = dict(session.execute(select(Agreement.title, Agreement.id).where(
        Agreement.title.in_([r.title for r, _s in new] or [""]))).all())
    for agreement_id, title in existing:
        if agreement_id in linked:
            continue
        service.create_kstb_agreement(session, SYSTEM, _kstb_from_title(
            session, agreement_id, title))
    for row, spec in new:
        agreement_id = ids[row.title]
        if agreement_id in linked:
            continue
        mutual = [spec.ours[0], spec.theirs[0]]
        service.create_kstb_agreement(session, SYSTEM, KstbAgreementCreate(
            agreement_id=agreement_id, collect_place_codes=mutual,
            handle_place_codes=list(reversed(mutual)),
            item_ids=by_kind.get(spec.kind, []) if spec.kind else [],
            note="双方窗口互为收件地，业务属地部门办理（演示数据）"))


def _kstb_from_title(session: Session, agreement_id: int, title: str) -> KstbAgreementCreate:
    """A register agreement titled 跨省通办: its parties' places collect and handle, for every
    item."""
    codes = [c for c in dict.fromkeys(session.scalars(
        select(Party.place_code).join(AgreementParty).where(
            AgreementParty.agreement_id == agreement_id)
        .order_by(AgreementParty.position))) if c]
    return KstbAgreementCreate(agreement_id=agreement_id, collect_place_codes=codes,
                               handle_place_codes=codes,
                               note=f"合作协议《{title}》（演示数据）")


# ---- replaying a case's steps (the bulk path) -------------------------------------------------


@dataclass(frozen=True)
class Step:
    action: str
    at: datetime
    note: str = ""
    tracking_number: str | None = None
    materials: tuple[str, ...] | None = None


@dataclass
class Replayed:
    case: Case  # transient: never added to the session
    events: list[dict[str, Any]] = field(default_factory=list)
    pauses: list[CasePause] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None


def replay(case: Case, steps: Iterable[Step], calendar: Calendar, actor: str = ACTOR,
           grade: str | None = None, owner_org_id: int | None = None) -> Replayed:
    """Apply ``steps`` to a new, transient ``case`` (its ``item`` set) exactly as
    :func:`~coopzone.gov_services.service.cases.move_case` would: the workflow's target
    state, the step's fields (``cases._apply``), the clock (``clock.refresh_deadline``) and
    one history row each. ``grade``: an evaluation on ``evaluate`` (good grades only here: a
    差评 goes through the service, which opens its follow-up)."""
    out = Replayed(case, [{"action": "apply", "from_state": "", "to_state": "applied",
                           "actor": actor, "note": "", "at": case.applied_at}])
    version = 1
    for s in steps:
        t = CASE_FLOW.transition(s.action)
        if case.state not in t.sources:
            raise ValueError(f"{s.action} from {case.state}")
        day = clock.local_day(s.at)
        frm, case.state = case.state, t.target
        if s.action == "collect":
            case.formal_check_ok = case.identity_checked = True
            if s.materials is not None:
                case.materials_received = list(s.materials)
        elif s.action in ("send", "deliver") and s.tracking_number:
            case.tracking_number = s.tracking_number
        if s.action == "accept":
            case.accepted_at = s.at
        elif s.action == "request_correction":
            out.pauses.append(CasePause(kind="correction", first_day=day, last_day=None,
                                        note=s.note))
        elif s.action == "complete_correction":
            for p in out.pauses:
                if p.kind == "correction" and p.last_day is None:
                    p.last_day = day
            case.materials_received = [*case.materials_received, *(s.materials or ())]
        elif s.action in OUTCOME_OF:
            case.outcome = OUTCOME_OF[s.action]
            case.decided_at, case.decided_on = s.at, day
        elif s.action == "deliver":
            case.delivered_at = s.at
        elif s.action == "evaluate":
            assert grade is not None and owner_org_id is not None
            out.evaluation = {"grade": grade, "comment": s.note, "window_id": case.window_id,
                              "owner_org_id": owner_org_id, "evaluated_at": s.at,
                              "recorded_by": actor}
        if s.action in ("accept", "request_correction", "complete_correction"):
            clock.refresh_deadline(case, out.pauses, calendar)
        if s.action in OUTCOME_OF and case.accepted_at is not None:
            used = calendar.count(case.accepted_at, day, clock.closed_pauses(out.pauses)).days
            case.working_days_used = used
            case.on_time = None if case.deadline is None else day <= case.deadline
        version += 1
        case.updated_at = s.at
        out.events.append({"action": s.action, "from_state": frm, "to_state": t.target,
                           "actor": actor, "note": s.note, "at": s.at})
    case.lock_version = version
    return out


CASE_COLUMNS = tuple(c.key for c in Case.__table__.columns if c.key != "id")


def case_values(case: Case) -> dict[str, Any]:
    return {k: getattr(case, k) for k in CASE_COLUMNS}


def write_replayed(session: Session, cases: Sequence[Replayed]) -> list[int]:
    """Bulk-insert replayed cases with their history, pauses and evaluations."""
    if not cases:
        return []
    ids = list(session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True),
                               [case_values(r.case) for r in cases]))
    # The ORM starts a version counter at 1 on insert; each step's UPDATE bumped it.
    by_version: dict[int, list[int]] = {}
    for r, i in zip(cases, ids, strict=True):
        by_version.setdefault(r.case.lock_version, []).append(i)
    for version, some in by_version.items():
        if version != 1:
            session.execute(update(Case).where(Case.id.in_(some)).values(lock_version=version)
                            .execution_options(synchronize_session=False))
    events = [e | {"case_id": i} for r, i in zip(cases, ids, strict=True) for e in r.events]
    for start in range(0, len(events), 5000):
        session.execute(insert(CaseEvent), events[start:start + 5000])
    pauses = [{"case_id": i, "kind": p.kind, "first_day": p.first_day, "last_day": p.last_day,
               "note": p.note} for r, i in zip(cases, ids, strict=True) for p in r.pauses]
    if pauses:
        session.execute(insert(CasePause), pauses)
    evaluations = [r.evaluation | {"case_id": i} for r, i in zip(cases, ids, strict=True)
                   if r.evaluation is not None]
    if evaluations:
        session.execute(insert(Evaluation), evaluations)
    summary.add_cases(session, ids)  # a bulk INSERT: the statistics' summary counts them here
    return ids


# ---- the past cases ---------------------------------------------------------------------------


@dataclass
class Context:
    calendar: Calendar
    items: list[Item]
    windows: list[Window]
    window_org: dict[int, int]
    departments: dict[tuple[str, str], Organisation]  # (place code, kind)
    kstb: list[tuple[int, list[str], list[str], set[int]]]  # id, collect, handle, items

    def agreement(self, collect: str | None, handle: str, item_id: int) -> int | None:
        """:func:`service.find_kstb_agreement` over agreements read once."""
        for kstb_id, collects, handles, items in self.kstb:
            if items and item_id not in items:
                continue
            if not any(covers(h, handle) for h in handles):
                continue
            if collect is not None and not any(covers(c, collect) for c in collects):
                continue
            return kstb_id
        return None


def _context(session: Session, items: list[Item], windows: list[Window],
             orgs: dict[str, Organisation]) -> Context:
    departments = {(code, kind): orgs[department_name(name, kind)]
                   for code, name, _w in HUNAN_HANDLING for kind in BUREAUS}
    kstb = [(k.id, [p.place_code for p in k.places if p.side == "collect"],
             [p.place_code for p in k.places if p.side == "handle"],
             {i.item_id for i in k.items}) for k in service.list_kstb_agreements(session)]
    return Context(clock.process_clock().calendar, items, windows,
                   {w.id: w.organisation_id for w in windows}, departments, kstb)


class People:
    """Synthetic applicants (seeded); some come back for another case."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: list[tuple[str, str, str]] = []
        self.used: set[str] = set()

    def person(self, province: str) -> tuple[str, str, str]:
        rng = self.rng
        if self.seen and rng.random() < 0.08:
            known = rng.choice(self.seen)
            if known[1][:2] == province[:2]:
                return known
        places = HUNAN_ID_PLACES if province == "43" else JIANGXI_ID_PLACES
        while True:
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
            number = resident_id(rng.choice(places), birth, rng.randrange(1, 999))
            if number not in self.used:
                break
        self.used.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN)
                                              for _ in range(rng.choice((1, 2, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}"
        found = (name, number, phone)
        self.seen.append(found)
        return found


def _working_day(calendar: Calendar, day: date) -> date:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def _later(calendar: Calendar, moment: datetime, working_days: int, rng: random.Random
           ) -> datetime:
    """A moment ``working_days`` working days after ``moment`` (0: the same day, later)."""
    if working_days <= 0:
        day = clock.local_day(moment)
        hour = min(moment.astimezone(SHANGHAI).hour + 1 + rng.randrange(3), 17)
        return _at(day, hour, rng.randrange(60))
    due = calendar.add(moment, working_days).due
    assert due is not None
    return _at(due, rng.randrange(9, 17), rng.randrange(60))


def month_volume(month: date) -> int:
    """Cases a month at the Pingxiang windows: growing as the 专区 became known (seeded
    noise is added by the caller)."""
    months = (month.year - 2021) * 12 + month.month - 1
    return 105 + 2 * months


def _months() -> list[date]:
    out, day = [], FIRST_MONTH
    while day <= AS_OF:
        out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _plan(ctx: Context, rng: random.Random, people: People, applied: datetime,
          number: str) -> Replayed | None:
    """One past case, its steps up to AS_OF."""
    cal = ctx.calendar
    online = rng.random() < 0.06
    modes = "online" if online else ("joint" if rng.random() < 0.15 else "proxy")
    pool = [i for i in ctx.items if modes in i.mode_list and i.department_kind in BUREAUS]
    weights = [6 if i.time_limit is not None else 1 for i in pool]
    item = rng.choices(pool, weights)[0]
    place = rng.choices(HUNAN_HANDLING, [w for _c, _n, w in HUNAN_HANDLING])[0]
    department = ctx.departments[(place[0], item.department_kind)]
    window = None if online else rng.choices(ctx.windows, [60, 8, 8, 8, 8, 8])[0]
    province = "36" if (window is not None and rng.random() < 0.07) else "43"
    name, id_number, phone = people.person(province)
    county = window.place_code if window is not None and window.place_code != "360300" \
        else rng.choice(PINGXIANG_COUNTIES)[0]
    county_name = dict(PINGXIANG_COUNTIES)[county]
    case = Case(number=number, applicant_kind="person", applicant_name=name,
                id_number=id_number, phone=phone,
                address=f"江西省萍乡市{county_name}某街道{rng.randrange(1, 300)}号（示意）",
                address_place_code=county, applicant_province=id_number[:2] + "0000",
                item_id=item.id, mode=modes, window_id=window.id if window else None,
                collect_place_code=window.place_code if window else None,
                department_id=department.id, handling_place_code=department.place_code,
                kstb_id=ctx.agreement(window.place_code if window else None,
                                      department.place_code, item.id),
                materials_received=["居民身份证", "申请表"], tracking_number=None,
                formal_check_ok=False, identity_checked=False, state="applied",
                applied_at=applied, applied_month=f"{clock.local_day(applied):%Y-%m}",
                accepted_at=None, deadline=None, deadline_reason=None, paused_days=0,
                outcome=None, decided_at=None, decided_on=None, working_days_used=None,
                on_time=None, delivered_at=None, created_by=ACTOR, created_at=applied,
                updated_at=applied)
    case.item = item
    steps: list[Step] = []
    moment = applied
    if window is not None:
        moment = _later(cal, moment, 0, rng)
        steps.append(Step("collect", moment, materials=("居民身份证", "申请表")))
        moment = _later(cal, moment, rng.choice((0, 0, 1)), rng)
        steps.append(Step("send", moment, tracking_number=f"SF{rng.randrange(10 ** 12):012d}"
                          if modes == "proxy" else None))
    moment = _later(cal, moment, rng.choice((0, 1, 1, 2)), rng)
    if rng.random() < 0.02:
        steps.append(Step("refuse", moment, "不属于本部门受理范围，已告知申请人"))
    else:
        steps.append(Step("accept", moment))
        if rng.random() < 0.08:
            moment = _later(cal, moment, rng.choice((1, 2)), rng)
            steps.append(Step("request_correction", moment, "请补充提交户口簿首页及本人页复印件"))
            moment = _later(cal, moment, rng.randrange(2, 6), rng)
            steps.append(Step("complete_correction", moment, materials=("户口簿复印件",)))
        limit = item.time_limit or 15
        late = rng.random() < 0.04
        used = limit + rng.randrange(1, 6) if late else rng.randrange(1, limit + 1)
        accepted = next(s.at for s in steps if s.action == "accept")
        pauses = [(clock.local_day(a.at), clock.local_day(b.at)) for a, b in zip(
            [s for s in steps if s.action == "request_correction"],
            [s for s in steps if s.action == "complete_correction"], strict=True)]
        due = cal.add(accepted, used, pauses).due
        assert due is not None
        moment = max(moment, _at(due, rng.randrange(9, 17)))
        if rng.random() < 0.03:
            steps.append(Step("deny", moment, "经审查不符合办理条件"))
        else:
            steps.append(Step("approve", moment))
    moment = _later(cal, moment, rng.choice((1, 2, 3)), rng)
    steps.append(Step("deliver", moment, tracking_number=f"EMS{rng.randrange(10 ** 10):010d}"
                      if window is None else None))
    grade = None
    if rng.random() < 0.35 and steps[-2].action != "refuse":
        moment = _later(cal, moment, rng.choice((0, 1, 2)), rng)
        grade = rng.choices(("very_satisfied", "satisfied", "basic"), (80, 17, 3))[0]
        steps.append(Step("evaluate", moment, rng.choice(("", "", "办事方便，不用跑长沙",
                                                          "窗口服务热情"))))
    moment = _later(cal, moment, rng.randrange(3, 15), rng)
    steps.append(Step("archive", moment))
    done = [s for s in steps if clock.local_day(s.at) <= AS_OF]
    if grade is not None and not any(s.action == "evaluate" for s in done):
        grade = None
    owner = ctx.window_org[window.id] if window is not None else department.id
    return replay(case, done, cal, grade=grade, owner_org_id=owner)


def _past_cases(session: Session, ctx: Context) -> int:
    """The past cases (bulk); none if the demo's cases are there already."""
    if session.scalar(select(Case.id).where(Case.created_by == ACTOR).limit(1)) is not None:
        return 0
    rng = random.Random(SEED + 2)
    people = People(rng)
    numbers: set[str] = set()
    batch: list[Replayed] = []
    written = 0
    cal = ctx.calendar
    for month in _months():
        n = month_volume(month) + rng.randrange(-15, 16)
        last = min(date(month.year + month.month // 12, month.month % 12 + 1, 1)
                   - timedelta(days=1), AS_OF - timedelta(days=3))
        days = [d for d in (month + timedelta(i) for i in range((last - month).days + 1))
                if cal.is_working_day(d)]
        for _ in range(n):
            day = rng.choice(days)
            applied = _at(day, rng.randrange(9, 16), rng.randrange(60))
            while True:
                number = f"KS{day:%Y%m%d}{rng.getrandbits(32):08X}"
                if number not in numbers:
                    numbers.add(number)
                    break
            planned = _plan(ctx, rng, people, applied, number)
            if planned is not None:
                batch.append(planned)
        if len(batch) >= 2000:
            written += len(write_replayed(session, batch))
            batch = []
    written += len(write_replayed(session, batch))
    return written


# ---- open cases, through the service ----------------------------------------------------------


def _clerk(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"the demo user {username} is missing: load the accounts first")
    return accounts.principal_for(session, user.id)


# (number, what happens, item, days before AS_OF it was applied)
OPEN_CASES: tuple[tuple[str, str, str, int], ...] = (
    ("KSDEMO0001", "correction", "工作调动户口迁移", 12),
    ("KSDEMO0002", "correction", "夫妻投靠户口迁移", 9),
    ("KSDEMO0003", "correction", "新生儿入户", 6),
    ("KSDEMO0004", "due_soon", "开具户籍类证明", 2),
    ("KSDEMO0005", "due_soon", "大中专学生毕业户口迁移", 7),
    ("KSDEMO0006", "due_soon", "父母投靠子女户口迁移", 13),
    ("KSDEMO0007", "overdue", "开具户籍类证明", 15),
    ("KSDEMO0008", "overdue", "新生儿入户", 20),
    ("KSDEMO0009", "overdue", "大中专学生毕业户口迁移", 25),
    ("KSDEMO0010", "sent", "工作调动户口迁移", 1),
    ("KSDEMO0011", "sent", "开具户籍类证明", 1),
    ("KSDEMO0012", "collected", "夫妻投靠户口迁移", 0),
    ("KSDEMO0013", "bad_answered", "开具户籍类证明", 40),
    ("KSDEMO0014", "bad_open", "新生儿入户", 30),
    ("KSDEMO0015", "good", "工作调动户口迁移", 35),
    ("KSDEMO0016", "good", "大中专学生毕业户口迁移", 45),
)


def _work_day_before(calendar: Calendar, day: date, n: int) -> date:
    while n > 0 or not calendar.is_working_day(day):
        if calendar.is_working_day(day):
            n -= 1
        day -= timedelta(days=1)
    return day


def _open_cases(session: Session, ctx: Context, orgs: dict[str, Organisation]) -> None:
    window_clerk = _clerk(session, JX_WINDOW_CLERK)
    dept_clerk = _clerk(session, HN_DEPT_CLERK)
    window = next(w for w in ctx.windows if w.name == XIANGYIBAN)
    department = orgs[HN_DEPT_OF_CLERK]
    items = {i.name: i for i in ctx.items}
    cal = ctx.calendar
    rng = random.Random(SEED + 3)
    people = People(rng)
    existing = set(session.scalars(select(Case.number).where(Case.number.like("KSDEMO%"))))
    for number, kind, item_name, back in OPEN_CASES:
        if number in existing:
            continue
        item = items[item_name]
        limit = item.time_limit or 5
        day = _work_day_before(cal, AS_OF, back)
        name, id_number, phone = people.person("43")
        case = service.create_case(session, window_clerk, CaseCreate(
            applicant_kind="person", applicant_name=name, id_number=id_number, phone=phone,
            address="江西省萍乡市安源区某街道（示意）", address_place_code="360302",
            item_id=item.id, mode="proxy", window_id=window.id, department_id=department.id,
            materials_received=["居民身份证", "申请表"], number=number,
            applied_at=_at(day, 9, 30)))

        def move(who: Principal, action: str, on: date, note: str = "", hour: int = 10,
                 case_id: int = case.id, **data: Any) -> None:
            service.move_case(session, who, case_id, action, note, at=_at(on, hour),
                              calendar=cal, **data)

        move(window_clerk, "collect", day, formal_check_ok=True, identity_checked=True,
             materials=["居民身份证", "申请表"])
        if kind == "collected":
            continue
        move(window_clerk, "send", day, hour=11, tracking_number=f"SF{rng.randrange(10**12):012d}")
        if kind == "sent":
            continue
        if kind == "due_soon":
            # Accepted so that the limit's last working day is the demo's day (National Day
            # follows: the next working day is 9 October, past the due-soon window).
            accept_on = _work_day_before(cal, AS_OF, limit)
        elif kind == "overdue":
            accept_on = _work_day_before(cal, AS_OF, limit + 1 + back % 4)
        else:
            accept_on = cal.add(_at(day), 1).due or day
        accept_on = max(accept_on, day)
        move(dept_clerk, "accept", accept_on, hour=14)
        if kind in ("due_soon", "overdue"):
            continue
        if kind == "correction":
            move(dept_clerk, "request_correction", _work_day_before(cal, AS_OF, back // 3),
                 "请补充提交户口簿首页及本人页复印件", hour=15)
            continue
        decided = cal.add(_at(accept_on), min(limit, 3)).due or accept_on
        move(dept_clerk, "approve", decided, hour=16)
        delivered = cal.add(_at(decided), 1).due or decided
        move(dept_clerk, "deliver", delivered, hour=10)
        evaluated_on = cal.add(_at(delivered), 1).due or delivered
        grade = {"bad_answered": "dissatisfied", "bad_open": "very_dissatisfied"}.get(
            kind, "very_satisfied")
        comment = {"bad_answered": "取件时排队时间过长，窗口只开了一个",
                   "bad_open": "结果邮寄比承诺的晚，电话也没人接"}.get(kind, "不用跑长沙，省心")
        evaluated = service.evaluate_case(session, window_clerk, case.id, EvaluationCreate(
            grade=grade, comment=comment), at=_at(evaluated_on, 11), calendar=cal)
        if kind == "bad_answered" and evaluated.followup is not None:
            answered = cal.add(_at(evaluated_on), 5).due or evaluated_on
            service.answer_followup(session, window_clerk, evaluated.followup.id, FollowUpAnswer(
                rectification="高峰时段增开一个综合窗口，推行线上预约取件",
                reply="已电话回访申请人，说明整改措施，申请人表示认可"), at=_at(answered, 15))


# The dashboard's 跨省通办 cards (computed: :mod:`coopzone.gov_services.service.figures`);
# the targets are the article's figures.
INDICATORS: tuple[tuple[str, str, str, str, Decimal | None], ...] = (
    ("kstb_agreements", "市县两级签署跨省通办合作协议", "Cross-province service agreements "
     "signed (city and county level)", "份", Decimal(117)),
    ("hunan_served_in_person", "为湖南籍群众提供现场服务", "Hunan residents served in person "
     "at Pingxiang windows", "人次", Decimal(8000)),
    ("services_on_time", "跨省通办办件按时办结率", "Cross-province cases decided on time", "%",
     None),
)


def _indicators(session: Session) -> None:
    start = len(cooperation.list_indicators(session))
    known = {i.code for i in cooperation.list_indicators(session)}
    for offset, (code, name, name_en, unit, target) in enumerate(INDICATORS):
        position = start + offset if code not in known else cooperation.get_indicator(
            session, code).position
        cooperation.define_indicator(session, code, name, unit, "computed", target, "year",
                                     name_en, "", position)
    for year in range(2021, 2025):
        cooperation.snapshot(session, str(year), by=SYSTEM.label, today=AS_OF)
    cooperation.snapshot(session, "2025", as_of=AS_OF, by=SYSTEM.label)


def load_gov_services_demo(session: Session) -> None:
    """Load the 跨省通办 demo (idempotent); needs places, the demo accounts and (for the
    register's own 跨省通办 agreements) the cooperation demo first."""
    orgs = _organisations(session)
    items = _items(session)
    windows = _windows(session, orgs)
    _agreements(session, items)
    session.flush()
    ctx = _context(session, items, windows, orgs)
    _past_cases(session, ctx)
    _open_cases(session, ctx, orgs)
    session.flush()
    _indicators(session)
