from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.places.models import Place
from coopzone.places.service import covers, list_places, load_places, zone_geojson

ZONE = {
    "430181": "浏阳市", "430281": "醴陵市", "430223": "攸县", "430224": "茶陵县",
    "430225": "炎陵县", "430626": "平江县", "431028": "安仁县", "431022": "宜章县",
    "431026": "汝城县", "431027": "桂东县", "360302": "安源区", "360313": "湘东区",
    "360321": "莲花县", "360322": "上栗县", "360323": "芦溪县", "360424": "修水县",
    "360902": "袁州区", "360922": "万载县", "360926": "铜鼓县", "360881": "井冈山市",
    "360827": "遂川县", "360830": "永新县", "360724": "上犹县", "360725": "崇义县",
}


def test_the_24_units_are_loaded_with_their_codes(session: Session) -> None:
    units = {p.code: p.name for p in list_places(session, level="county", in_zone=True)}
    assert units == ZONE
    hunan = [c for c in units if c.startswith("43")]
    assert len(hunan) == 10 and len(units) - len(hunan) == 14


def test_provinces_and_changzhutan_cities(session: Session) -> None:
    names = {p.code: p.name for p in session.scalars(select(Place))}
    assert names["430000"] == "湖南省" and names["360000"] == "江西省"
    assert (names["430100"], names["430200"], names["430300"]) == ("长沙市", "株洲市", "湘潭市")
    assert session.get(Place, "360313").parent_code == "360300"  # 湘东区 in 萍乡市


def test_loading_again_changes_nothing(session: Session) -> None:
    assert load_places(session) == 0


@pytest.mark.parametrize(("jurisdiction", "code", "inside"), [
    ("360000", "360313", True), ("360300", "360313", True), ("360313", "360313", True),
    ("430000", "360313", False), ("360300", "360424", False), ("430281", "430223", False),
])
def test_jurisdiction_by_code(jurisdiction: str, code: str, inside: bool) -> None:
    assert covers(jurisdiction, code) is inside


def test_offline_map_has_every_unit_inside_its_province() -> None:
    features = [f for f in zone_geojson()["features"] if f["properties"]["kind"] == "county"]
    assert {str(f["properties"]["adcode"]): f["properties"]["name"] for f in features} == ZONE
    for f in features:
        lng, lat = f["properties"]["cp"]
        assert 112.5 < lng < 115.5 and 25 < lat < 29.5
        west = str(f["properties"]["adcode"]).startswith("43")
        assert f["properties"]["province"] == ("湖南省" if west else "江西省")
