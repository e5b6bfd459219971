"""Figures computed from readings are cached per section, and never outlive a change: a new
import (in a new batch), a changed value, or another section's data changing only that
section's entry."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from coopzone.ecology import evaluation
from coopzone.ecology.models import Reading, Section
from coopzone.ecology.readings import readings_frame
from tests.ecology.ledger_support import GOOD, make_section, write_month


def classes(session: Session, sections: list[Section]) -> dict[str, list[int | None]]:
    ev = evaluation.evaluate_sections(session, sections)
    return {code: ev.sections.filter(section=code)["water_class"].to_list()
            for code in sorted(s.code for s in sections)}


def test_cached_figures_follow_every_change_of_the_readings(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    jys = make_section(session)
    other = Section(code="jiantou", name="枧头镇", river="渌水", basin="渌水",
                    province_code="430000", county_code="430281", level="provincial")
    session.add(other)
    write_month(session, jys, 2024, 6, GOOD)
    write_month(session, other, 2024, 6, GOOD)
    session.commit()
    both = [jys, other]
    assert classes(session, both) == {"jiantou": [2], "jinyushi": [2]}
    first = readings_frame(session, [other.id])
    with session_factory() as reader:  # another request: served from the cache
        assert readings_frame(reader, [other.id]) is first

    # A changed value (a direct edit, no new batch) is seen at once.
    nh3n = session.query(Reading).filter_by(section_id=jys.id, item="nh3n").one()
    nh3n.value = 1.2
    session.commit()
    assert classes(session, both) == {"jiantou": [2], "jinyushi": [4]}

    # New readings of one section: seen at once; the other section's entry is kept.
    write_month(session, jys, 2024, 7, {**GOOD, "nh3n": 1.8})
    session.commit()
    assert classes(session, both) == {"jiantou": [2], "jinyushi": [4, 5]}
    assert evaluation.streaks(session, [jys], date(2024, 8, 15))["jinyushi"][
        "current_streak"] == 0
    again = readings_frame(session, [other.id])
    assert again.equals(first)
