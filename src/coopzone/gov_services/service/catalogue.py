"""Items (事项), windows (窗口) and 跨省通办 agreements, and the shipped item list.

* Items are national: any supervising office (``services_office`` editors) creates or changes
  them (``gov_item.manage``); :func:`seed_items` loads ``data/kstb-items.csv`` (the demo and
  a fresh platform call it; idempotent by name).
* Windows and 跨省通办 agreements belong to places: the supervising office whose
  jurisdiction covers the window's place, or one of the agreement's places
  (``gov_place.manage``).
* :func:`kstb_agreement_count` counts 跨省通办 agreements from records (the dashboard's "117").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts import roles as policy
from coopzone.accounts.models import Organisation
from coopzone.accounts.roles import SERVICE_WINDOW
from coopzone.accounts.service import Principal
from coopzone.cooperation.models import Agreement
from coopzone.errors import Conflict, InvalidInput, NotFound, RowError, found
from coopzone.gov_services.models import (
    DEPARTMENT_KINDS,
    MODES,
    Case,
    Item,
    KstbAgreement,
    KstbAgreementItem,
    KstbAgreementPlace,
    Window,
    WindowItem,
)
from coopzone.gov_services.schemas import (
    ItemCreate,
    ItemUpdate,
    KstbAgreementCreate,
    KstbAgreementUpdate,
    WindowCreate,
    WindowUpdate,
)
from coopzone.gov_services.service.permissions import require_manage
from coopzone.places.service import covers, get_place

SHIPPED_ITEMS = "kstb-items.csv"
MODE_WORDS = {"全程网办": "online", "异地代收代办": "proxy", "多地联办": "joint",
              "online": "online", "proxy": "proxy", "joint": "joint"}


# ---- items ------------------------------------------------------------------------------------


def get_item(session: Session, item_id: int) -> Item:
    return found(session.get(Item, item_id), "事项", "item", item_id)


def list_items(session: Session, active: bool | None = True) -> list[Item]:
    query = select(Item).order_by(Item.code)
    if active is not None:
        query = query.where(Item.active == active)
    return list(session.scalars(query))


def _check_item(modes: Sequence[str], statutory: int | None, promised: int | None) -> None:
    errors = []
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        errors.append(RowError(None, "modes", f"办理方式应为 {', '.join(MODES)}"))
    if statutory is not None and promised is not None and promised > statutory:
        errors.append(RowError(None, "promised_days", "承诺时限不能长于法定时限"))
    if errors:
        raise InvalidInput("事项信息有误", errors)


def create_item(session: Session, principal: Principal, data: ItemCreate) -> Item:
    require_manage(principal, "gov_item.manage", [], "维护政务服务事项")
    modes = list(dict.fromkeys(data.modes))
    _check_item(modes, data.statutory_days, data.promised_days)
    for column, value in (("code", data.code), ("name", data.name)):
        if session.scalar(select(Item.id).where(getattr(Item, column) == value)) is not None:
            raise Conflict(f"事项“{value}”已存在", detail=f"item {column} exists")
    item = Item(**data.model_dump(exclude={"modes"}), modes=",".join(modes))
    session.add(item)
    session.flush()
    return item


def _not_null(changes: dict[str, Any], nullable: Sequence[str], what: str) -> None:
    """A PATCH may clear only the fields that may be empty: a null elsewhere is refused
    (never a database error), with every such field named."""
    errors = [RowError(None, key, "不能为空") for key, value in changes.items()
              if value is None and key not in nullable]
    if errors:
        raise InvalidInput(f"{what}信息有误：必填项不能为空", errors)


def update_item(session: Session, principal: Principal, item_id: int, data: ItemUpdate
                ) -> Item:
    """Correct an item (any supervising office, as for a new one). Only the fields given
    change; the code stays (an office's item list is matched by it). Every change is in the
    audit log (the flush hook: before and after)."""
    require_manage(principal, "gov_item.manage", [], "维护政务服务事项")
    item = get_item(session, item_id)
    changes = data.model_dump(exclude_unset=True)
    _not_null(changes, ("statutory_days", "promised_days"), "事项")
    modes = list(dict.fromkeys(changes.pop("modes", None) or item.mode_list))
    _check_item(modes, changes.get("statutory_days", item.statutory_days),
                changes.get("promised_days", item.promised_days))
    name = changes.get("name")
    if name and name != item.name and session.scalar(
            select(Item.id).where(Item.name == name)) is not None:
        raise Conflict(f"事项“{name}”已存在", detail="item name exists")
    for key, value in changes.items():
        setattr(item, key, value)
    if item.modes != ",".join(modes):
        item.modes = ",".join(modes)
    session.flush()
    return item


@dataclass(frozen=True)
class SeedResult:
    added: int
    kept: int


def shipped_item_rows() -> list[dict[str, str]]:
    text = files("coopzone.gov_services").joinpath("data", SHIPPED_ITEMS).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def seed_items(session: Session) -> SeedResult:
    """Load the shipped 跨省通办 items (``data/kstb-items.csv``: 52 rows with source and
    certainty, see ``kstb-items-NOTES.md``). Codes are ``KSTB-NNN`` in file order; an item
    already present by name is kept as it is (an office may have edited it). Where the file
    names no mode, all three are allowed and the note says the modes are unverified [U].
    Run by the demo and an administrator's set-up, not by a user: no principal."""
    rows = shipped_item_rows()
    known = set(session.scalars(select(Item.name)))
    codes = set(session.scalars(select(Item.code)))
    added = 0
    for number, row in enumerate(rows, start=1):
        name = row["name"].strip()
        if name in known:
            continue
        code = f"KSTB-{number:03d}"
        if code in codes:
            code = f"KSTB-{number:03d}-S"
        stated = [MODE_WORDS[m.strip()] for m in row["modes"].split("/") if m.strip()]
        note = row["note"].strip()
        if not stated:
            note = f"{note} 办理方式未见来源，默认三种方式均可 [U]".strip()
        limit = int(row["time_limit_working_days"]) if row["time_limit_working_days"] else None
        kind = row["department_kind"] if row["department_kind"] in DEPARTMENT_KINDS else "other"
        basis = row["time_limit_source"].strip()
        session.add(Item(
            code=code, name=name, department=row["department"].strip(), department_kind=kind,
            modes=",".join(stated or MODES), statutory_days=limit, promised_days=None,
            postage_pauses=False, materials=[], fees="", legal_basis=basis,
            source_url=row["source_url"].strip(), source_title=row["source_title"].strip(),
            certainty=row["certainty"].strip() or "[U]", note=note))
        added += 1
    session.flush()
    return SeedResult(added, len(rows) - added)


# ---- windows ----------------------------------------------------------------------------------


def get_window(session: Session, window_id: int) -> Window:
    window = session.scalar(select(Window).where(Window.id == window_id)
                            .options(selectinload(Window.items)))
    return found(window, "窗口", "window", window_id)


def list_windows(session: Session, place_code: str | None = None) -> list[Window]:
    query = select(Window).options(selectinload(Window.items)).order_by(Window.name)
    if place_code:
        query = query.where(Window.place_code.like(f"{place_code.rstrip('0')}%"))
    return list(session.scalars(query))


def _items_exist(session: Session, ids: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    known = set(session.scalars(select(Item.id).where(Item.id.in_(wanted))))
    missing = [i for i in wanted if i not in known]
    if missing:
        raise NotFound(f"没有编号为 {missing[0]} 的事项", detail="unknown item")
    return wanted


def create_window(session: Session, principal: Principal, data: WindowCreate) -> Window:
    """A window of an organisation of kind ``service_window`` whose place covers the
    window's."""
    get_place(session, data.place_code)
    require_manage(principal, "gov_place.manage", [data.place_code], "设置跨省通办窗口")
    org = session.get(Organisation, data.organisation_id)
    if org is None:
        raise NotFound(f"没有编号为 {data.organisation_id} 的机构", detail="unknown organisation")
    errors = []
    if org.kind != SERVICE_WINDOW:
        errors.append(RowError(None, "organisation_id", f"“{org.name}”不是政务服务窗口单位"))
    elif not covers(org.place_code, data.place_code):
        errors.append(RowError(None, "place_code", f"窗口应在“{org.name}”的辖区内"))
    if errors:
        raise InvalidInput("窗口信息有误", errors)
    if session.scalar(select(Window.id).where(Window.name == data.name)) is not None:
        raise Conflict(f"窗口“{data.name}”已存在", detail="window name exists")
    items = _items_exist(session, data.item_ids)
    window = Window(name=data.name, place_code=data.place_code, organisation_id=org.id,
                    opening_hours=data.opening_hours, address=data.address,
                    items=[WindowItem(item_id=i) for i in items])
    session.add(window)
    session.flush()
    return window


def require_window_manage(principal: Principal, window: Window) -> None:
    """The supervising office whose jurisdiction covers the window's (stored) place."""
    require_manage(principal, "gov_place.manage", [window.place_code], "设置跨省通办窗口")


def may_manage_window(principal: Principal | None, window: Window) -> bool:
    return principal is not None and policy.may(principal, "gov_place.manage",
                                                [window.place_code])


def update_window(session: Session, principal: Principal, window_id: int, data: WindowUpdate
                  ) -> Window:
    """Correct a window. Rights are checked on the stored window first (its place), then on
    the new place if it moves; a window that has cases keeps its place and organisation (its
    cases' collecting place and clerks follow from them). Everything is checked before
    anything changes; the audit log keeps before and after."""
    window = get_window(session, window_id)
    require_window_manage(principal, window)
    changes = data.model_dump(exclude_unset=True)
    _not_null(changes, ("item_ids",), "窗口")
    place_code = changes.get("place_code", window.place_code)
    org_id = changes.get("organisation_id", window.organisation_id)
    moved = place_code != window.place_code or org_id != window.organisation_id
    if moved:
        get_place(session, place_code)
        require_manage(principal, "gov_place.manage", [place_code], "设置跨省通办窗口")
        org = session.get(Organisation, org_id)
        if org is None:
            raise NotFound(f"没有编号为 {org_id} 的机构", detail="unknown organisation")
        if org.kind != SERVICE_WINDOW:
            raise InvalidInput("窗口信息有误", [RowError(
                None, "organisation_id", f"“{org.name}”不是政务服务窗口单位")])
        if not covers(org.place_code, place_code):
            raise InvalidInput("窗口信息有误", [RowError(
                None, "place_code", f"窗口应在“{org.name}”的辖区内")])
        if session.scalar(select(Case.id).where(Case.window_id == window.id).limit(1)):
            raise Conflict("此窗口已有办件，不能改变所在地或所属单位",
                           detail=f"window {window.id} has cases")
    name = changes.get("name")
    if name and name != window.name and session.scalar(
            select(Window.id).where(Window.name == name)) is not None:
        raise Conflict(f"窗口“{name}”已存在", detail="window name exists")
    if "item_ids" in changes:
        ids = _items_exist(session, changes.pop("item_ids") or [])
        if ids != [i.item_id for i in window.items]:
            window.items = [WindowItem(window_id=window.id, item_id=i) for i in ids]
    for key, value in changes.items():
        if getattr(window, key) != value:
            setattr(window, key, value)
    session.flush()
    return window


# ---- 跨省通办 agreements ------------------------------------------------------------------------


def get_kstb_agreement(session: Session, kstb_id: int) -> KstbAgreement:
    row = session.scalar(select(KstbAgreement).where(KstbAgreement.id == kstb_id).options(
        selectinload(KstbAgreement.places), selectinload(KstbAgreement.items)))
    return found(row, "跨省通办协议", "kstb agreement", kstb_id)


@dataclass(frozen=True)
class KstbFilter:
    """The filters of the 跨省通办 agreements list (page, export, API alike).

    ``signed_from``/``signed_to`` bound the cooperation agreement's signing day (both
    inclusive; the dashboard's figure links with ``signed_to``); ``place_code`` keeps the
    agreements with a place within it (GB/T 2260 prefix rule), on ``side`` (collect |
    handle) when given; ``item_id`` the agreements that cover the item (list it, or list
    none: every item); ``q`` a fragment of the agreement's title."""

    signed_from: date | None = None
    signed_to: date | None = None
    place_code: str | None = None
    side: str | None = None
    item_id: int | None = None
    q: str | None = None

    def check(self) -> None:
        if self.signed_from and self.signed_to and self.signed_to < self.signed_from:
            raise InvalidInput("签署日期止不能早于签署日期起",
                               [RowError(None, "signed_to", "结束日期不能早于开始日期")])
        if self.side is not None and self.side not in KSTB_SIDES:
            raise InvalidInput("协议一方应为收件地或办理地",
                               [RowError(None, "side", "collect | handle")])


KSTB_SIDES = ("collect", "handle")


def _prefix(code: str) -> str:
    """The GB/T 2260 prefix of the places within ``code`` (places.covers in SQL)."""
    return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code


def list_kstb_agreements(session: Session, f: KstbFilter | None = None
                         ) -> list[KstbAgreement]:
    query = select(KstbAgreement).options(
        selectinload(KstbAgreement.places), selectinload(KstbAgreement.items))
    if f is not None:
        f.check()
        query = query.where(*_kstb_conditions(f))
    return list(session.scalars(query.order_by(KstbAgreement.id)))


def _kstb_conditions(f: KstbFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    signed = select(Agreement.id).where(Agreement.id == KstbAgreement.agreement_id)
    if f.signed_from or f.signed_to or f.q:
        if f.signed_from:
            signed = signed.where(Agreement.signed_on >= f.signed_from)
        if f.signed_to:
            signed = signed.where(Agreement.signed_on <= f.signed_to)
        if f.q:
            signed = signed.where(Agreement.title.contains(f.q, autoescape=True))
        out.append(signed.exists())
    if f.place_code:
        place = select(KstbAgreementPlace.kstb_id).where(
            KstbAgreementPlace.kstb_id == KstbAgreement.id,
            KstbAgreementPlace.place_code.like(f"{_prefix(f.place_code)}%"))
        if f.side:
            place = place.where(KstbAgreementPlace.side == f.side)
        out.append(place.exists())
    if f.item_id is not None:
        listed = select(KstbAgreementItem.kstb_id).where(
            KstbAgreementItem.kstb_id == KstbAgreement.id)
        out.append(or_(~listed.exists(), listed.where(
            KstbAgreementItem.item_id == f.item_id).exists()))
    return out


def may_manage_kstb(principal: Principal | None, row: KstbAgreement) -> bool:
    """A supervising office of one of the agreement's (stored) places."""
    return principal is not None and policy.may(
        principal, "gov_place.manage", [p.place_code for p in row.places])


def kstb_agreement_count(session: Session) -> int:
    """How many cooperation agreements are 跨省通办 agreements (counted from records)."""
    return int(session.scalar(select(func.count(KstbAgreement.id))) or 0)


def _places(session: Session, collect: Sequence[str], handle: Sequence[str]
            ) -> list[KstbAgreementPlace]:
    out = []
    for side, codes in (("collect", collect), ("handle", handle)):
        for code in dict.fromkeys(codes):
            get_place(session, code)
            out.append(KstbAgreementPlace(place_code=code, side=side))
    provinces = {c[:2] for c in [*collect, *handle]}
    if len(provinces) < 2:
        raise InvalidInput("跨省通办协议的收件地和办理地应分属不同省份",
                           [RowError(None, "handle_place_codes", "应有另一省份的地方")])
    return out


def create_kstb_agreement(session: Session, principal: Principal, data: KstbAgreementCreate
                          ) -> KstbAgreement:
    """Mark a cooperation agreement as a 跨省通办 agreement: the places whose windows collect,
    the places whose departments handle, the items (none: all)."""
    agreement = found(session.get(Agreement, data.agreement_id), "合作协议", "agreement",
                      data.agreement_id)
    require_manage(principal, "gov_place.manage",
                   [*data.collect_place_codes, *data.handle_place_codes], "登记跨省通办协议")
    if session.scalar(select(KstbAgreement.id).where(
            KstbAgreement.agreement_id == agreement.id)) is not None:
        raise Conflict(f"协议《{agreement.title}》已登记为跨省通办协议",
                       detail="kstb agreement exists")
    places = _places(session, data.collect_place_codes, data.handle_place_codes)
    items = _items_exist(session, data.item_ids)
    row = KstbAgreement(agreement_id=agreement.id, note=data.note, places=places,
                        items=[KstbAgreementItem(item_id=i) for i in items])
    session.add(row)
    session.flush()
    return row


def update_kstb_agreement(session: Session, principal: Principal, kstb_id: int,
                          data: KstbAgreementUpdate) -> KstbAgreement:
    """Correct a 跨省通办 agreement's places, items or note. Rights are checked on the
    stored places first, then on the new ones; everything is checked before anything
    changes; the audit log keeps before and after (places and items as their rows)."""
    row = get_kstb_agreement(session, kstb_id)
    old = [p.place_code for p in row.places]
    require_manage(principal, "gov_place.manage", old, "修改跨省通办协议")
    changes = data.model_dump(exclude_unset=True)
    _not_null(changes, ("item_ids",), "跨省通办协议")
    places: list[KstbAgreementPlace] | None = None
    if "collect_place_codes" in changes or "handle_place_codes" in changes:
        collect = changes.get("collect_place_codes") or [
            p.place_code for p in row.places if p.side == "collect"]
        handle = changes.get("handle_place_codes") or [
            p.place_code for p in row.places if p.side == "handle"]
        require_manage(principal, "gov_place.manage", [*collect, *handle], "修改跨省通办协议")
        places = _places(session, collect, handle)
    items = (_items_exist(session, changes["item_ids"] or [])
             if "item_ids" in changes else None)
    if places is not None and sorted((p.side, p.place_code) for p in places) != sorted(
            (p.side, p.place_code) for p in row.places):
        row.places.clear()
        session.flush()
        for p in places:
            p.kstb_id = row.id
        row.places.extend(places)
    if items is not None and items != [i.item_id for i in row.items]:
        row.items = [KstbAgreementItem(kstb_id=row.id, item_id=i) for i in items]
    if "note" in changes and changes["note"] != row.note:
        row.note = changes["note"]
    session.flush()
    return row


def find_kstb_agreement(session: Session, collect_place: str | None, handle_place: str,
                        item_id: int) -> KstbAgreement | None:
    """The first 跨省通办 agreement whose collecting places cover ``collect_place`` (any, for
    全程网办), whose handling places cover ``handle_place`` and that lists the item (or none).
    Agreements number in the hundreds: read whole."""
    for row in list_kstb_agreements(session):
        collect = [p.place_code for p in row.places if p.side == "collect"]
        handle = [p.place_code for p in row.places if p.side == "handle"]
        items = {i.item_id for i in row.items}
        if items and item_id not in items:
            continue
        if not any(covers(h, handle_place) for h in handle):
            continue
        if collect_place is not None and not any(covers(c, collect_place) for c in collect):
            continue
        return row
    return None
