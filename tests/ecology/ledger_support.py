"""Shared set-up for the ledger tests (no tests here): 金鱼石, both finance bureaus and
monthly readings written straight into the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.accounts.models import Organisation, User
from coopzone.db import SHANGHAI
from coopzone.ecology import ledger
from coopzone.ecology.models import Reading, Section
from tests.helpers import PASSWORD

# Item values giving a month of Class II, or Class IV (NH3-N 1.2 mg/L: IV ≤ 1.5).
GOOD = {"nh3n": 0.4, "tp": 0.08, "codmn": 3.5, "do": 7.0, "cod": 12.0}
BAD = {**GOOD, "nh3n": 1.2}


@dataclass
class Finance:
    jiangxi_org: Organisation
    hunan_org: Organisation
    jiangxi: User  # 江西省财政厅 editor
    hunan: User  # 湖南省财政厅 editor


def make_section(session: Session) -> Section:
    section = Section(code="jinyushi", name="金鱼石", river="萍水河", basin="渌水",
                      province_code="360000", county_code="360313", level="national",
                      target_class=3, is_border=True)
    session.add(section)
    session.flush()
    return section


def make_finance(session: Session) -> Finance:
    jx = accounts.create_organisation(session, "江西省财政厅", "finance_bureau", "360000")
    hn = accounts.create_organisation(session, "湖南省财政厅", "finance_bureau", "430000")
    jx_user = accounts.create_user(session, "jx-finance", PASSWORD, "江西财政")
    hn_user = accounts.create_user(session, "hn-finance", PASSWORD, "湖南财政")
    accounts.grant_role(session, jx_user, jx, "editor")
    accounts.grant_role(session, hn_user, hn, "editor")
    session.flush()
    return Finance(jx, hn, jx_user, hn_user)


def write_month(session: Session, section: Section, year: int, month: int,
                values: dict[str, float]) -> None:
    at = datetime(year, month, 10, 8, tzinfo=SHANGHAI)
    session.add_all(Reading(section_id=section.id, measured_at=at, item=item, value=value)
                    for item, value in values.items())
    session.flush()


def write_months(session: Session, section: Section, months: list[tuple[int, int]],
                 bad: frozenset[tuple[int, int]] = frozenset()) -> None:
    for year, month in months:
        write_month(session, section, year, month, BAD if (year, month) in bad else GOOD)


def months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    year, month = first
    while (year, month) <= last:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def load_agreements(session: Session) -> None:
    ledger.sync_builtin_agreements(session)
