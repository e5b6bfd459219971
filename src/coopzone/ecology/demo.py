"""Ecology demo: the 渌水 (萍水河) basin with its 12 surface-water sections and their monthly
manual monitoring, 2019-01 to 2025-08, generated from a fixed seed.

Only 金鱼石 (the national border section at 湘东区老关镇) is a real section name; the other
eleven are illustrative stand-ins placed along the river. The readings are synthetic but
realistic (Class II–III water, metals below their detection limits). Every figure the
platform shows — the 74-month streak, the basin's 100 % good share, the 66,000,000 yuan
paid — is computed from these readings by the engines, never stored as a result.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from coopzone.db import SHANGHAI
from coopzone.ecology import monitoring
from coopzone.ecology.models import ImportBatch, Reading, Section

BASIN = "渌水"
# 金鱼石 is a national section: its readings come only from the national station's feed.
STATION = ("国家地表水水质自动监测站（金鱼石）", "360313")
STATION_USER = "jys-station"
FIRST_MONTH = (2019, 1)
LAST_MONTH = (2025, 8)
SAMPLE_DAYS = (6, 21)

# code, name, river, county, lng, lat, level, target, border, upstream, downstream
SECTIONS = (
    ("lushui-01", "萍水河源头", "萍水河", "360323", 113.99, 27.63, "provincial", 2, False),
    ("lushui-02", "萍水河城区上游", "萍水河", "360302", 113.91, 27.63, "municipal", 3, False),
    ("lushui-03", "萍水河城区下游", "萍水河", "360302", 113.85, 27.64, "provincial", 3, False),
    ("lushui-04", "麻山河口", "麻山河", "360313", 113.80, 27.61, "municipal", 3, False),
    ("lushui-05", "湘东城区", "萍水河", "360313", 113.75, 27.64, "provincial", 3, False),
    ("lushui-06", "草河口", "草河", "360313", 113.71, 27.66, "municipal", 3, False),
    ("jinyushi", "金鱼石", "萍水河", "360313", 113.66, 27.63, "national", 3, True),
    ("lushui-08", "渌水入醴陵", "渌水", "430281", 113.61, 27.63, "provincial", 3, True),
    ("lushui-09", "醴陵城区上游", "渌水", "430281", 113.54, 27.65, "provincial", 3, False),
    ("lushui-10", "醴陵城区下游", "渌水", "430281", 113.48, 27.68, "provincial", 3, False),
    ("lushui-11", "澄潭江口", "澄潭江", "430281", 113.43, 27.70, "municipal", 3, False),
    ("lushui-12", "仙霞", "渌水", "430281", 113.37, 27.73, "provincial", 3, False),
)

# item: (low, high) for a Class II–III river; metals as (detection limit, None) = "L".
NORMAL = {
    "temperature": (8.0, 29.0), "ph": (6.8, 7.9), "do": (6.2, 8.6), "codmn": (1.8, 4.6),
    "cod": (8.0, 17.0), "bod5": (1.0, 3.2), "nh3n": (0.12, 0.62), "tp": (0.04, 0.15),
    "tn": (0.9, 1.9), "f": (0.15, 0.55), "las": (0.05, 0.12), "fecal_coliform": (300, 4500),
}
BELOW_DL = {
    "cu": 0.001, "zn": 0.05, "se": 0.0004, "as": 0.0003, "hg": 0.00004, "cd": 0.0005,
    "cr6": 0.004, "pb": 0.001, "cn": 0.004, "phenol": 0.0003, "petroleum": 0.01,
    "sulfide": 0.005,
}
DECIMALS = {"temperature": 1, "ph": 2, "do": 1, "codmn": 1, "cod": 1, "bod5": 1, "nh3n": 3,
            "tp": 3, "tn": 2, "f": 3, "las": 2, "fecal_coliform": 0}
# Months that were not good, before the agreement (金鱼石 2019-06, NH3-N and TP high) and a
# few elsewhere, so streaks and the basin history are real computations.
POLLUTED = {
    ("jinyushi", 2019, 3): {"nh3n": (1.10, 1.40), "tp": (0.21, 0.26)},
    ("jinyushi", 2019, 6): {"nh3n": (1.15, 1.45)},
    ("lushui-05", 2020, 8): {"codmn": (6.5, 7.5)},
    ("lushui-10", 2021, 1): {"nh3n": (1.05, 1.30)},
}


def _months() -> list[tuple[int, int]]:
    out, (year, month) = [], FIRST_MONTH
    while (year, month) <= LAST_MONTH:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def load_sections(session: Session) -> dict[str, Section]:
    existing = {s.code: s for s in session.scalars(select(Section))}
    station = monitoring.station_organisation(session, *STATION)
    codes = [row[0] for row in SECTIONS]
    for i, (code, name, river, county, lng, lat, level, target, border) in enumerate(SECTIONS):
        if code in existing:
            continue
        up = codes[i - 1] if i > 0 else None
        down = codes[i + 1] if i + 1 < len(codes) else None
        section = Section(code=code, name=name, river=river, basin=BASIN, water_body="river",
                          province_code=county[:2] + "0000", county_code=county,
                          upstream_code=up, downstream_code=down, level=level,
                          target_class=target, is_border=border, lng=lng, lat=lat,
                          monitored_by=(monitoring.NATIONAL if level == "national"
                                        else monitoring.JURISDICTION),
                          monitor_org_id=station.id if level == "national" else None)
        session.add(section)
        existing[code] = section
    session.flush()
    return existing


def _sample(rng: random.Random, code: str, year: int, month: int) -> dict[str, tuple[float, bool]]:
    ranges = {**NORMAL, **POLLUTED.get((code, year, month), {})}
    if code == "lushui-01":  # the source stays Class II
        ranges = {**ranges, "codmn": (1.5, 3.4), "nh3n": (0.08, 0.4), "tp": (0.02, 0.08),
                  "cod": (6.0, 13.0),
                  "bod5": (1.0, 2.6), "do": (6.8, 8.6)}
    values = {item: (round(rng.uniform(lo, hi), DECIMALS[item]), False)
              for item, (lo, hi) in ranges.items()}
    values.update({item: (dl, True) for item, dl in BELOW_DL.items()})
    return values


def generate_readings(sections: dict[str, Section]) -> list[dict[str, object]]:
    rng = random.Random(20190701)
    rows: list[dict[str, object]] = []
    for year, month in _months():
        for code, *_ in SECTIONS:
            for day in SAMPLE_DAYS:
                at = datetime(year, month, day, 9, 30, tzinfo=SHANGHAI)
                for item, (value, below) in _sample(rng, code, year, month).items():
                    rows.append({"section_id": sections[code].id, "measured_at": at,
                                 "item": item, "value": value, "below_dl": below,
                                 "detection_limit": value if below else None,
                                 "source": "manual"})
    return rows


def load_ecology_demo(session: Session) -> int:
    """Sections and readings (idempotent: an existing demo batch is left alone). The
    national section's readings are one batch from the national station's feed (they count
    at once); the other sections', entered by their jurisdictions' bureaus, decide no money
    and count at once too."""
    sections = load_sections(session)
    rows = generate_readings(sections)
    digest = hashlib.sha256(repr(sorted(map(str, rows[:50]))).encode()).hexdigest()
    if session.scalar(select(ImportBatch.id).where(ImportBatch.sha256 == digest)) is not None:
        return 0
    if session.scalar(select(func.count()).select_from(Reading)):
        return 0
    national = {s.id for s in sections.values() if s.monitored_by == monitoring.NATIONAL}
    local = [r for r in rows if r["section_id"] not in national]
    feed = [r for r in rows if r["section_id"] in national]
    for part, name, sha, state, by in (
            (local, "demo: 渌水 basin monitoring 2019-01..2025-08", digest,
             monitoring.COUNTED, "demo"),
            (feed, "demo: 金鱼石 national station feed 2019-01..2025-08",
             hashlib.sha256(f"{digest} feed".encode()).hexdigest(), monitoring.FEED,
             STATION_USER)):
        if not part:
            continue
        batch = ImportBatch(filename=name, sha256=sha, source="manual", rows=len(part),
                            created_by=by, review_state=state)
        session.add(batch)
        session.flush()
        for start in range(0, len(part), 5000):
            session.execute(insert(Reading), [{**r, "batch_id": batch.id}
                                              for r in part[start:start + 5000]])
    return len(rows)
