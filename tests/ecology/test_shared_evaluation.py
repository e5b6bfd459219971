"""Every page's months come from one cached evaluation per section, cut to the range a page
asks for; the compensation strip's results are cached per section and grown by the pushed
period. Each shortcut must equal the evaluation of the readings it stands for, computed
from scratch."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from sqlalchemy.orm import Session

from coopzone.db import SHANGHAI
from coopzone.ecology import evaluation, plausibility, readings_cache
from coopzone.ecology.agreement_files import BUILTIN_DIR, load_agreement
from coopzone.ecology.ledger.agreements import series_terms
from coopzone.ecology.ledger.computation import series_results
from coopzone.ecology.models import Reading, Section
from coopzone.ecology.readings import readings_frame
from coopzone.ecology.settlement_adapter import (
    grow_period_results,
    judges_months,
    period_results,
    section_results,
)
from coopzone.engines.water_quality import consecutive_compliant_months, evaluate
from tests.ecology.ledger_support import GOOD, load_agreements, make_section, write_month

ITEMS = ("nh3n", "tp", "codmn", "do", "cod")
FIRST = datetime(2024, 1, 1)
# Times from late December 2023 to early April 2024, to the minute, so that month starts and
# ends (and the ranges' edges) are hit often.
times = st.integers(-3 * 24 * 60, 100 * 24 * 60).map(lambda m: FIRST + timedelta(minutes=m))
edge_days = st.one_of(
    st.none(),
    st.sampled_from([date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 2, 29),
                     date(2024, 3, 31), date(2024, 4, 1)]),
    st.dates(date(2023, 12, 25), date(2024, 4, 10)))
reading = st.tuples(times, st.sampled_from(ITEMS), st.floats(0.01, 30.0),
                    st.sampled_from(["river", "lake"]))


def frame_of(rows: list[tuple[datetime, str, float, str]], section: str = "s1") -> pl.DataFrame:
    return pl.DataFrame(
        [(section, body, t, item, value, False, None) for t, item, value, body in rows],
        schema={"section": pl.String, "water_body": pl.String, "time": pl.Datetime("us"),
                "item": pl.String, "value": pl.Float64, "below_dl": pl.Boolean,
                "detection_limit": pl.Float64}, orient="row")


def between(frame: pl.DataFrame, start: date | None, end: date | None) -> pl.DataFrame:
    if start is not None:
        frame = frame.filter(pl.col("time") >= datetime(start.year, start.month, start.day))
    if end is not None:
        frame = frame.filter(pl.col("time") < datetime(end.year, end.month, end.day))
    return frame


@settings(max_examples=150, deadline=None)
@given(st.lists(reading, max_size=40), edge_days, edge_days)
def test_a_range_cut_from_the_whole_evaluation_equals_the_range_evaluated(
    rows: list[tuple[datetime, str, float, str]], start: date | None, end: date | None
) -> None:
    frame = frame_of(rows)
    cut = evaluation._within(evaluate(frame, period="month"), frame, start, end)
    direct = evaluate(between(frame, start, end), period="month")
    assert_frame_equal(cut.sections, direct.sections)
    assert_frame_equal(cut.items, direct.items)


@settings(max_examples=60, deadline=None)
@given(st.lists(reading, min_size=1, max_size=40), st.lists(reading, max_size=8),
       st.sampled_from(["lushui-2019", "chishui-2018", "huanghe-2021"]))
def test_grown_period_results_equal_the_results_of_every_reading(
    old_rows: list[tuple[datetime, str, float, str]],
    new_rows: list[tuple[datetime, str, float, str]], name: str
) -> None:
    # lushui: months, every graded item; chishui: years, three items; huanghe: years.
    agreement = load_agreement(BUILTIN_DIR / f"{name}.toml")
    old, added = frame_of(old_rows, "金鱼石"), frame_of(new_rows, "金鱼石")
    both = pl.concat([old, added], how="vertical")
    expected = period_results(both, agreement)
    grown = grow_period_results(period_results(old, agreement), both, added, agreement)
    assert grown == expected
    # Read from the section's monthly evaluation (its pages' one, labelled by code) instead.
    monthly = evaluate(both.with_columns(section=pl.lit("jinyushi")), period="month")
    assert section_results(both, agreement, monthly) == expected
    assert grow_period_results(section_results(old, agreement), both, added, agreement,
                               monthly) == expected
    assert judges_months(agreement) == (name == "lushui-2019")


def push(session: Session, section: Section, at: datetime, values: dict[str, float]) -> None:
    session.add_all(Reading(section_id=section.id, measured_at=at, item=i, value=v)
                    for i, v in values.items())
    session.commit()


def test_every_range_after_pushes_equals_the_range_evaluated_from_scratch(
    session: Session
) -> None:
    section = make_section(session)
    for month in (5, 6, 7):
        write_month(session, section, 2024, month, GOOD)
    session.commit()
    ranges = [(None, None), (None, date(2024, 7, 20)), (date(2024, 6, 1), date(2024, 7, 1)),
              (date(2024, 6, 15), None), (date(2024, 7, 5), date(2024, 7, 25))]
    for start, end in ranges:  # cached first, then grown and cut below
        evaluation.evaluate_sections(session, [section], start=start, end=end)
    for day, nh3n in ((21, 1.9), (11, 0.1), (3, 0.5)):
        push(session, section, datetime(2024, 7, day, 8, tzinfo=SHANGHAI), {"nh3n": nh3n})
        for start, end in ranges:
            cached = evaluation.evaluate_sections(session, [section], start=start, end=end)
            scratch = evaluate(readings_frame(session, [section.id], start, end))
            judged = evaluation._with_compliance(scratch, {section.code: 3})
            assert_frame_equal(cached.sections, judged.sections)
            assert_frame_equal(cached.items, scratch.items)
    # the July of the range ending on the 20th has the pushes of the 3rd and 11th only
    july = evaluation.evaluate_sections(session, [section], end=date(2024, 7, 20))
    assert july.sections["period"].to_list() == ["2024-05", "2024-06", "2024-07"]


def test_streaks_per_section_equal_the_streaks_of_all_sections_judged_together(
    session: Session
) -> None:
    jys = make_section(session)
    other = Section(code="jiantou", name="枧头镇", river="渌水", basin="渌水",
                    province_code="430000", county_code="430281", level="provincial",
                    target_class=2)
    session.add(other)
    session.flush()
    for month in (3, 4, 5, 6):
        write_month(session, jys, 2024, month, GOOD)
        write_month(session, other, 2024, month, GOOD if month != 4 else {**GOOD, "tp": 0.3})
    session.commit()
    as_of = date(2024, 7, 15)
    runs = evaluation.streaks(session, [jys, other], as_of)
    whole = evaluate(readings_frame(session, [jys.id, other.id], end=as_of)).sections
    expected: dict[str, dict[str, object]] = {}
    for code, target in (("jinyushi", 3), ("jiantou", 2)):
        table = consecutive_compliant_months(whole.filter(section=code), target, "2024-06")
        expected.update({r["section"]: r for r in table.iter_rows(named=True)})
    assert runs == expected
    assert (runs["jinyushi"]["current_streak"], runs["jiantou"]["current_streak"]) == (4, 2)
    push(session, other, datetime(2024, 6, 20, 8, tzinfo=SHANGHAI), {"tp": 0.9})
    assert evaluation.streaks(session, [jys, other], as_of)["jiantou"]["current_streak"] == 0


def test_series_results_after_a_push_equal_the_results_computed_from_scratch(
    session: Session
) -> None:
    section = make_section(session)
    for month in (5, 6, 7):
        write_month(session, section, 2024, month, GOOD)
    session.commit()
    load_agreements(session)
    session.commit()
    terms = series_terms(session, "lushui")
    before = series_results(session, terms)  # cached, then grown below
    push(session, section, datetime(2024, 7, 21, 8, tzinfo=SHANGHAI), {"nh3n": 1.9})
    grown = series_results(session, terms)
    readings_cache.invalidate()
    scratch = series_results(session, terms)
    assert grown == scratch
    frame = readings_frame(session, [section.id], key="name")  # every reading, judged again
    assert grown == [(a, period_results(frame, a)) for _v, a in terms]
    assert grown != before
    july = {r.period: r.water_class for _a, results in grown for r in results}["2024-07"]
    assert july == 4  # NH3-N (0.4 + 1.9) / 2 = 1.15 mg/L: Class IV (≤ 1.5)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["金鱼石", "jiantou", "other"]),
                          st.one_of(st.none(), st.datetimes(datetime(1979, 12, 31),
                                                            datetime(2025, 10, 2)))),
                max_size=12),
       st.datetimes(datetime(2025, 9, 1), datetime(2025, 10, 1)),
       st.dictionaries(st.sampled_from(["金鱼石", "jiantou"]),
                       st.dates(date(1979, 6, 1), date(2025, 10, 1)), max_size=2))
def test_the_quick_window_test_never_hides_a_problem(
    rows: list[tuple[str, datetime | None]], now: datetime, starts: dict[str, date],
) -> None:
    window = plausibility.ReadingWindow(now.replace(tzinfo=SHANGHAI), 1980, timedelta(hours=2),
                                        starts)
    frame = pl.DataFrame([(i + 2, s, t) for i, (s, t) in enumerate(rows)],
                         schema={"row": pl.Int64, "section": pl.String,
                                 "time": pl.Datetime("us")}, orient="row")
    found = plausibility.window_problems(frame, window, pl.lit("time"))
    original = plausibility._inside
    try:
        plausibility._inside = lambda _f, _w: False
        full = plausibility.window_problems(frame, window, pl.lit("time"))
    finally:
        plausibility._inside = original
    assert_frame_equal(found, full)


def test_a_page_figure_cached_with_the_evaluation_follows_a_push(session: Session) -> None:
    section = make_section(session)
    write_month(session, section, 2024, 6, GOOD)
    session.commit()
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return evaluation.evaluate_sections(session, [section]).sections.height

    assert evaluation.cached(session, "months", [section], count) == 1
    assert evaluation.cached(session, "months", [section], count) == 1
    assert len(calls) == 1  # served from the cache
    push(session, section, datetime(2024, 7, 2, 8, tzinfo=SHANGHAI), GOOD)
    assert evaluation.cached(session, "months", [section], count) == 2
