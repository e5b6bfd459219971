"""Indicator history on the demo zone: every point is computed as of its own period end, and
links to the records it was computed from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.demo import load_demo
from coopzone.ecology import ledger
from coopzone.ecology.models import Statement
from coopzone.web.links import record_count, record_link


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session, "demo-password")
    session.flush()
    return session


def _history(session: Session, code: str) -> dict[str, tuple[Decimal, dict[str, Any]]]:
    indicator = service.get_indicator(session, code)
    return {v.period: (v.value, v.provenance) for v in service.history(session, indicator.id)}


def test_paid_to_jiangxi_is_what_was_paid_by_the_end_of_each_year(demo: Session) -> None:
    history = _history(demo, "compensation_paid_to_jiangxi")
    # The demo's payments: each year's statement is paid on 20 April of the next year.
    paid = {s.year: (s.paid_on, s.amount) for s in ledger.list_statements(demo, "lushui")
            if s.paid_on is not None}
    expected = {}
    for period in ("2021", "2022", "2023", "2024", "2025"):
        as_of = service.period_end(period) if period != "2025" else None
        total = sum((amount for _year, (on, amount) in paid.items()
                     if as_of is None or on <= as_of), Decimal(0))
        expected[period] = (total / 10000).quantize(Decimal("0.0001"))
    assert {p: v for p, (v, _prov) in history.items()} == expected
    # Paid by the end of 2021: the 2019 and 2020 statements, 1,800 万元.
    assert history["2021"][0] == Decimal("1800.0000")
    assert len(set(expected.values())) == 5  # every year differs, as the payments say
    provenance = history["2021"][1]
    ids = provenance["ids"]
    assert [demo.get_one(Statement, i).year for i in ids] == [2019, 2020]
    assert record_count(provenance) == 2
    assert record_link(provenance) == "/ecology/compensation"
    single = _history(demo, "compensation_paid_to_jiangxi")["2021"][1] | {"ids": ids[:1]}
    assert record_link(single) == f"/ecology/compensation/{ids[0]}"


def test_the_ecology_indicators_link_to_the_months_and_sections(demo: Session) -> None:
    streak = _history(demo, "jinyushi_streak_months")
    values = {p: v for p, (v, _prov) in streak.items()}
    # The streak grows by twelve a year (the run ending at November of each year).
    assert values["2022"] - values["2021"] == 12
    value, provenance = streak["2021"]
    assert record_count(provenance) == int(value)
    assert provenance["keys"][-1] == "jinyushi:2021-11"
    assert record_link(provenance) == "/ecology/sections/jinyushi#monthly"
    _share, basin = _history(demo, "basin_sections_good_share")["2023"]
    assert record_count(basin) == 12
    assert record_link(basin) == "/ecology/basins/%E6%B8%8C%E6%B0%B4#basin-months"


def test_the_indicator_page_counts_the_records(demo: Session, client: object) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    html = client.get("/cooperation/indicators/compensation_paid_to_jiangxi").text
    assert "0 条记录" not in html
    assert '<a href="/ecology/compensation">2 条记录</a>' in html
    assert "Eco-compensation paid" not in html  # the English name only on English pages


def test_values_stored_with_a_link_keep_it() -> None:
    """Snapshots stored before provenance carried parameters kept the link itself."""
    old = {"entity": "cooperation_agreement", "ids": [1, 2],
           "link": "/cooperation/agreements?signed_to=2023-12-31"}
    assert record_link(old) == "/cooperation/agreements?signed_to=2023-12-31"
    assert record_link({"entity": "ecology", "ids": [], "link": "/ecology"}) == "/ecology"
    assert record_link({"entity": "cooperation_task", "ids": [3],
                        "params": {"state": "accepted"}}) == "/cooperation/tasks?state=accepted"
    assert record_link(None) == "" and record_count(old) == 2
