"""The per-process caches (readings frames and evaluations, the dashboard) follow every write
made by another worker process: two app instances on one database, the reader in a process
of its own with its own warm caches, the writer here. A write is seen on the next read."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coopzone.api.app import create_app
from coopzone.cooperation.models import Meeting
from coopzone.db import SHANGHAI, transaction
from coopzone.ecology import evaluation
from coopzone.ecology.models import Reading, Section
from coopzone.ecology.readings import readings_frame
from coopzone.engines.water_quality import evaluate
from coopzone.kit import data_versions
from coopzone.migrate import upgrade
from coopzone.places.service import load_places
from tests.ecology.ledger_support import GOOD, make_section, write_month
from tests.helpers import database_url, make_settings

READER = textwrap.dedent("""
    import json, sys
    from datetime import date
    from coopzone.api.app import create_app
    from coopzone.config import Settings
    from coopzone.cooperation.service import dashboard
    from coopzone.db import transaction
    from coopzone.ecology import evaluation
    from coopzone.ecology.models import Section
    from sqlalchemy import select

    app = create_app(Settings(env="test", secret_key="test-secret-key-not-for-production",
                              database_url=sys.argv[1], data_dir=sys.argv[2]))
    factory = app.state.session_factory
    for line in sys.stdin:
        with transaction(factory) as session:
            sections = list(session.scalars(select(Section).order_by(Section.code)))
            ev = evaluation.evaluate_sections(session, sections)
            runs = evaluation.streaks(session, sections, date(2024, 7, 15))
            d = dashboard(session, date(2024, 8, 31))
            print(json.dumps({
                "classes": ev.sections.select("period", "water_class").rows(),
                "streak": runs.get("jinyushi", {}).get("current_streak"),
                "meetings": d.totals["meetings"],
            }), flush=True)
""")


class Reader:
    """Another worker: its own process, app, engine and caches."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER, url, str(data_dir)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)

    def read(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("read\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the reader process died"
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


def test_a_write_in_one_process_is_seen_by_the_next_read_in_another(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    url = database_url(tmp_path_factory, "coopzone_caches")
    upgrade(url)
    app = create_app(make_settings(url, data_dir=tmp_path))
    factory = app.state.session_factory
    with transaction(factory, write=True) as session:
        load_places(session)
        section = make_section(session)
        write_month(session, section, 2024, 6, GOOD)
    reader = Reader(url, tmp_path)
    try:
        assert reader.read() == {"classes": [["2024-06", 2]], "streak": 1, "meetings": 0}
        assert reader.read()["classes"] == [["2024-06", 2]]  # from its cache now

        # Readings appended (a station push): the cached frame and evaluation grow.
        with transaction(factory, write=True) as session:
            write_month(session, section, 2024, 7, {**GOOD, "nh3n": 1.8})
        seen = reader.read()
        assert seen["classes"] == [["2024-06", 2], ["2024-07", 5]]
        assert seen["streak"] == 1  # June, the last complete month on 15 July

        # More readings in a month already judged: that month is judged again.
        with transaction(factory, write=True) as session:
            session.add(Reading(section_id=section.id, item="nh3n", value=0.2,
                                measured_at=datetime(2024, 7, 20, 8, tzinfo=SHANGHAI)))
        assert reader.read()["classes"] == [["2024-06", 2], ["2024-07", 3]]  # nh3n mean 1.0

        # A changed value (no new reading): every entry of the section is built again.
        with transaction(factory, write=True) as session:
            session.execute(update(Reading).where(Reading.section_id == section.id,
                                                  Reading.item == "nh3n").values(value=0.3))
        assert reader.read()["classes"] == [["2024-06", 2], ["2024-07", 2]]

        # A changed section (its target class): judged against the new target (Class I).
        with transaction(factory, write=True) as session:
            stored = session.get(Section, section.id)
            assert stored is not None
            stored.target_class = 1
        assert reader.read()["streak"] == 0

        # The dashboard's records: a new meeting is counted at once.
        with transaction(factory, write=True) as session:
            session.add(Meeting(title="联席会议", kind="joint", held_on=date(2024, 6, 1),
                                host="萍乡市"))
        assert reader.read()["meetings"] == 1
    finally:
        reader.close()


def test_grown_frames_and_evaluations_equal_ones_built_from_scratch(
    session: Session
) -> None:
    section = make_section(session)
    write_month(session, section, 2024, 5, GOOD)
    session.commit()
    reading_ids = [section.id]
    assert readings_frame(session, reading_ids).height == 5
    evaluation.evaluate_sections(session, [section])  # cached, then grown below
    for day, value in ((11, 1.9), (12, 0.1), (13, 0.5)):
        session.add(Reading(section_id=section.id, item="nh3n", value=value,
                            measured_at=datetime(2024, 6, day, 8, tzinfo=SHANGHAI)))
        session.commit()
        grown = evaluation.evaluate_sections(session, [section])
        frame = readings_frame(session, reading_ids)
        scratch = evaluate(frame, period="month")
        judged = evaluation._with_compliance(scratch, {"jinyushi": 3})
        assert grown.sections.equals(judged.sections)
        assert grown.items.equals(scratch.items)
    assert frame.height == 8
    assert sorted(frame["value"].to_list()) == sorted([*GOOD.values(), 1.9, 0.1, 0.5])


def test_a_session_that_wrote_readings_is_neither_served_nor_stored(session: Session) -> None:
    section = make_section(session)
    write_month(session, section, 2024, 5, GOOD)
    session.commit()
    before = readings_frame(session, [section.id])
    write_month(session, section, 2024, 6, GOOD)  # not committed yet
    assert data_versions.touched(session)
    assert readings_frame(session, [section.id]).height == 10
    session.rollback()
    assert readings_frame(session, [section.id]).equals(before)
    assert session.scalar(select(Section.code)) == "jinyushi"


def test_a_versioned_cache_never_answers_one_database_with_another_databases_entry(
        session: Session, tmp_path: Path) -> None:
    """The same key (a user id) in two databases of one process (a live server beside the
    tests): each database gets its own entry, even when their data versions are equal."""
    from coopzone.db import make_engine

    url = f"sqlite:///{tmp_path / 'other.db'}"
    other = make_engine(url)
    upgrade(url, engine=other)
    cache = data_versions.VersionedCache(max_entries=8, ttl=60.0)
    try:
        assert cache.get(session, ("principal", 1), ("accounts_user",), lambda: "first") == "first"
        with Session(other) as second:
            assert cache.get(second, ("principal", 1), ("accounts_user",),
                             lambda: "second") == "second"
        assert cache.get(session, ("principal", 1), ("accounts_user",), lambda: "again") == "first"
    finally:
        other.dispose()
