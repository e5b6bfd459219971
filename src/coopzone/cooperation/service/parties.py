"""Parties to agreements: the zone's places and organisations, resolved by name.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.cooperation.models import (
    Party,
)
from coopzone.cooperation.schemas import (
    PartyIn,
)
from coopzone.errors import NotFound
from coopzone.places.models import Place

# ---- parties ----------------------------------------------------------------------------------


@dataclass
class PlaceIndex:
    """Place names -> codes, longest names first, to recognise 萍乡市湘东区人民政府 as 湘东区."""

    names: list[tuple[str, str, str]]  # (name, code, level)

    @classmethod
    def load(cls, session: Session) -> PlaceIndex:
        rows = session.execute(select(Place.name, Place.code, Place.level)).all()
        names = [(r.name, r.code, r.level) for r in rows]
        # Short forms too: 醴陵 for 醴陵市, 湖南 for 湖南省 (never one-character forms).
        shorts = [(n[:-1], c, lv) for n, c, lv in names
                  if len(n) >= 3 and n[-1] in "省市县区"]
        order = {"county": 0, "city": 1, "province": 2}
        every = names + shorts
        every.sort(key=lambda t: (order.get(t[2], 3), -len(t[0])))
        return cls(every)

    def guess(self, party_name: str) -> tuple[str | None, str | None]:
        """(place code, level) of the most specific place named in ``party_name``."""
        for name, code, level in self.names:
            if name in party_name:
                return code, level
        return None, None


def guess_kind(name: str, level: str | None) -> str:
    if any(w in name for w in ("大学", "学院", "研究院", "学校")):
        return "university"
    if any(w in name for w in ("公司", "集团", "企业", "银行")):
        return "company"
    if any(w in name for w in ("园区", "开发区", "产业园", "高新区", "工业园")):
        return "park"
    if any(w in name for w in ("中心", "办公室", "事务")):
        return "office"
    if any(name.endswith(w) for w in ("局", "厅", "委", "委员会", "署", "分局")):
        return "bureau"
    if level in ("province", "city", "county"):
        return level
    return "other"


def resolve_party(session: Session, data: PartyIn, index: PlaceIndex | None = None) -> Party:
    """The party of that name, created (kind and place guessed from the name) when new."""
    name = data.name.strip()
    party = session.scalar(select(Party).where(Party.name == name))
    if party is not None:
        return party
    code, level = data.place_code, None
    if code is None:
        code, level = (index or PlaceIndex.load(session)).guess(name)
    elif session.get(Place, code) is None:
        raise NotFound(f"没有行政区划代码 {code}", detail=f"unknown place code {code}")
    party = Party(name=name, kind=data.kind or guess_kind(name, level), place_code=code)
    session.add(party)
    session.flush()
    return party


def list_parties(session: Session) -> list[Party]:
    return list(session.scalars(select(Party).order_by(Party.place_code, Party.name)))




def unit_names(session: Session) -> dict[str, str]:
    """The zone's 24 county-level units, code -> name."""
    return dict(session.execute(select(Place.code, Place.name).where(
        Place.in_zone.is_(True), Place.level == "county").order_by(Place.code)).all())
