"""GB 3838-2002 Table 1 (地表水环境质量标准基本项目标准限值) as data.

Pure data, no I/O. Limits are for Classes I–V in the unit given; "upper" items must be
<= the limit, "lower" items (DO) must be >= it, pH is the 6–9 range for every class.

Sources: GB 3838-2002 Table 1; decimal places of evaluation data from 《地表水环境质量
监测数据统计技术规定（试行）》 (环办监测函〔2020〕82号), see the module
``coopzone.engines.water_quality`` for how they are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["upper", "lower", "range", "none"]
WaterBody = Literal["river", "lake"]

CLASS_NAMES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "劣V")
# 环办〔2011〕22号 二(一): 水质状况 by section class (index = class - 1).
STATUS_WORDS: tuple[str, ...] = ("优", "优", "良好", "轻度污染", "中度污染", "重度污染")
WORSE_THAN_V = 6
# pH 6~9 is the same for Classes I–V; inside counts as Class I, outside as 劣V.
PH_RANGE: tuple[float, float] = (6.0, 9.0)


@dataclass(frozen=True)
class Item:
    """One Table-1 basic item."""

    code: str
    name_zh: str
    unit: str
    direction: Direction
    limits: tuple[float, float, float, float, float] | None
    decimals: int
    lake_limits: tuple[float, float, float, float, float] | None = None
    # Graded in the single-factor evaluation (环办〔2011〕22号: 21 items; TN for lakes only).
    graded_river: bool = True
    graded_lake: bool = True

    def limits_for(self, water_body: WaterBody) -> tuple[float, float, float, float, float] | None:
        """Class I–V limits that apply to this water body."""
        if water_body == "lake" and self.lake_limits is not None:
            return self.lake_limits
        return self.limits

    def graded(self, water_body: WaterBody) -> bool:
        """Whether the item counts towards the section class for this water body."""
        return self.graded_lake if water_body == "lake" else self.graded_river


# Table 1, items 1–24, in the order of the standard. Decimal places per 2020 rules (§2.2).
ITEMS: tuple[Item, ...] = (
    Item("temperature", "水温", "℃", "none", None, 1, graded_river=False, graded_lake=False),
    Item("ph", "pH", "无量纲", "range", None, 0),
    Item("do", "溶解氧", "mg/L", "lower", (7.5, 6.0, 5.0, 3.0, 2.0), 1),
    Item("codmn", "高锰酸盐指数", "mg/L", "upper", (2.0, 4.0, 6.0, 10.0, 15.0), 1),
    Item("cod", "化学需氧量", "mg/L", "upper", (15.0, 15.0, 20.0, 30.0, 40.0), 1),
    Item("bod5", "五日生化需氧量", "mg/L", "upper", (3.0, 3.0, 4.0, 6.0, 10.0), 1),
    Item("nh3n", "氨氮", "mg/L", "upper", (0.15, 0.5, 1.0, 1.5, 2.0), 2),
    Item(
        "tp", "总磷", "mg/L", "upper", (0.02, 0.1, 0.2, 0.3, 0.4), 3,
        lake_limits=(0.01, 0.025, 0.05, 0.1, 0.2),
    ),
    Item("tn", "总氮", "mg/L", "upper", (0.2, 0.5, 1.0, 1.5, 2.0), 2, graded_river=False),
    Item("cu", "铜", "mg/L", "upper", (0.01, 1.0, 1.0, 1.0, 1.0), 3),
    Item("zn", "锌", "mg/L", "upper", (0.05, 1.0, 1.0, 2.0, 2.0), 3),
    Item("f", "氟化物", "mg/L", "upper", (1.0, 1.0, 1.0, 1.5, 1.5), 3),
    Item("se", "硒", "mg/L", "upper", (0.01, 0.01, 0.01, 0.02, 0.02), 4),
    Item("as", "砷", "mg/L", "upper", (0.05, 0.05, 0.05, 0.1, 0.1), 4),
    Item("hg", "汞", "mg/L", "upper", (0.00005, 0.00005, 0.0001, 0.001, 0.001), 5),
    Item("cd", "镉", "mg/L", "upper", (0.001, 0.005, 0.005, 0.005, 0.01), 5),
    Item("cr6", "铬(六价)", "mg/L", "upper", (0.01, 0.05, 0.05, 0.05, 0.1), 3),
    Item("pb", "铅", "mg/L", "upper", (0.01, 0.01, 0.05, 0.05, 0.1), 3),
    Item("cn", "氰化物", "mg/L", "upper", (0.005, 0.05, 0.2, 0.2, 0.2), 3),
    Item("phenol", "挥发酚", "mg/L", "upper", (0.002, 0.002, 0.005, 0.01, 0.1), 4),
    Item("petroleum", "石油类", "mg/L", "upper", (0.05, 0.05, 0.05, 0.5, 1.0), 2),
    Item("las", "阴离子表面活性剂", "mg/L", "upper", (0.2, 0.2, 0.2, 0.3, 0.3), 2),
    Item("sulfide", "硫化物", "mg/L", "upper", (0.05, 0.1, 0.2, 0.5, 1.0), 3),
    # Table 1 grades it, but 22号 reports it separately; not part of the section class.
    Item(
        "fecal_coliform", "粪大肠菌群", "个/L", "upper",
        (200.0, 2000.0, 10000.0, 20000.0, 40000.0), 0, graded_river=False, graded_lake=False,
    ),
)

ITEM_BY_CODE: dict[str, Item] = {item.code: item for item in ITEMS}
ITEM_CODES: tuple[str, ...] = tuple(item.code for item in ITEMS)

# Names seen in bureau files and publications, mapped to item codes.
ITEM_ALIASES: dict[str, str] = {
    **{item.name_zh: item.code for item in ITEMS},
    **{item.code: item.code for item in ITEMS},
    "ph值": "ph",
    "温度": "temperature",
    "do": "do",
    "codmn": "codmn",
    "高锰酸钾指数": "codmn",
    "codcr": "cod",
    "化学需氧量(cod)": "cod",
    "bod": "bod5",
    "nh3-n": "nh3n",
    "氨氮(nh3-n)": "nh3n",
    "总磷(以p计)": "tp",
    "总氮(湖、库,以n计)": "tn",
    "总氮(以n计)": "tn",
    "氟化物(以f-计)": "f",
    "氟化物(以f⁻计)": "f",
    "六价铬": "cr6",
    "铬(六价)": "cr6",
    "cr6+": "cr6",
    "粪大肠菌群(个/l)": "fecal_coliform",
}
