"""Water quality of stored readings, evaluated by the pure engine (GB 3838-2002 with
环办〔2011〕22号), and the headline figures other modules show."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.ecology.models import Section
from coopzone.ecology.readings import in_periods, periods_of, readings_frame, section_frames
from coopzone.ecology.readings_cache import Grown, over_sections, per_section, per_section_grown
from coopzone.engines.water_quality import (
    Evaluation,
    consecutive_compliant_months,
    evaluate,
    evaluate_basin,
)

if TYPE_CHECKING:
    from coopzone.ecology.ledger import Payments

T = TypeVar("T")
BORDER_SECTION = "金鱼石"
LUSHUI_BASIN = "渌水"


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_complete_month(as_of: date) -> str:
    """The month before ``as_of``'s month: a month is judged once it is over."""
    year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _with_compliance(ev: Evaluation, targets: dict[str, int]) -> Evaluation:
    """Each section has its own target class, so compliance is joined here."""
    target = pl.col("section").replace_strict(targets, default=None, return_dtype=pl.Int8)
    sections = ev.sections.with_columns(target.alias("target_class")).with_columns(
        (pl.col("water_class") <= pl.col("target_class")).alias("compliant"))
    return Evaluation(sections=sections, items=ev.items, period=ev.period,
                      water_body=ev.water_body, target=None)


def cached(session: Session, kind: Hashable, sections: list[Section],
           compute: Callable[[], T]) -> T:
    """``compute()`` of figures made from these sections' readings (a page's table, its
    latest classes), cached per process until the readings of any of them or a section
    changes (see readings_cache): treat the value as read-only."""
    key = (kind, tuple(sorted((s.id, s.code, s.target_class) for s in sections)))
    return over_sections(session, key, [s.id for s in sections], compute)


def evaluate_sections(session: Session, sections: list[Section], period: str = "month",
                      start: date | None = None, end: date | None = None) -> Evaluation:
    """Per-period evaluation of the given sections (rivers and lakes each by their rules).

    Each section is evaluated on its own (the method judges sections independently) and the
    result is cached per section until its readings change (see readings_cache), so a page
    over every section re-judges only the sections that received data."""
    if not sections:
        frame = readings_frame(session, [], start, end)
        ev = evaluate(frame, period=period)  # type: ignore[arg-type]
        return _with_compliance(ev, {})
    key = ("evaluate all", tuple(sorted((s.id, s.code, s.target_class) for s in sections)),
           period, start, end)
    return over_sections(session, key, [s.id for s in sections],
                         lambda: _evaluate_sections(session, sections, period, start, end))


def _evaluate_sections(session: Session, sections: list[Section], period: str,
                       start: date | None, end: date | None) -> Evaluation:
    by_code = sorted(sections, key=lambda s: s.code)  # the engine's order: by section
    ids = [s.id for s in by_code]
    if period == "month":
        # Every page's months come from one evaluation per section of all its readings
        # (shared by every range and grown month by month), cut to the range asked for.
        frames = section_frames(session, ids)
        parts = monthly_evaluations(session, ids)
        if start is None and end is None:
            evs = [parts[i].value for i in ids]
        else:  # each section's cut is cached too: a push cuts the pushed section's again
            cuts = per_section(session, ("evaluate", "month", start, end), ids, lambda i: _within(
                parts[i].value, frames[i].value.frame, start, end))
            evs = [cuts[i] for i in ids]
    else:
        evs = [evaluate(f.value.frame, period=period)  # type: ignore[arg-type]
               for f in section_frames(session, ids, start, end).values()]
    ev = Evaluation(sections=pl.concat([e.sections for e in evs], how="vertical"),
                    items=pl.concat([e.items for e in evs], how="vertical"),
                    period=evs[0].period, water_body=evs[0].water_body, target=None)
    return _with_compliance(ev, {s.code: s.target_class for s in sections})


def monthly_evaluations(session: Session, section_ids: list[int]
                        ) -> dict[int, Grown[Evaluation]]:
    """Each section's monthly evaluation of all its stored readings (cache entries, read-only):
    built once per section, grown by the months that receive readings (a station push judges
    its month again, not the section's history), shared by every page and range."""
    frames = section_frames(session, section_ids)

    def build(i: int) -> tuple[Evaluation, tuple[object, int]]:
        frame = frames[i]
        return (evaluate(frame.value.frame, period="month"),
                (frame.lineage, frame.value.frame.height))

    def grow(i: int, old: Grown[Evaluation]) -> tuple[Evaluation, tuple[object, int]] | None:
        frame = frames[i]
        lineage, height = old.mark
        if lineage is not frame.lineage:
            return None  # the frame was read again whole
        return (_grow_months(old.value, frame.value.frame, frame.value.frame[height:]),
                (frame.lineage, frame.value.frame.height))

    return per_section_grown(session, ("evaluate", "month"), section_ids, build, grow)


def _within(ev: Evaluation, frame: pl.DataFrame, start: date | None,
            end: date | None) -> Evaluation:
    """One section's monthly evaluation of the readings from ``start`` (inclusive) to ``end``
    (exclusive), from ``ev``, its evaluation of all of ``frame`` (its readings): a month is
    judged from its own readings only, so a month wholly inside the range is the same, and a
    month the range cuts is too unless some of its readings fall outside (then it is judged
    again from those inside)."""
    if start is None and end is None:
        return ev
    period = pl.col("period")
    keep = pl.lit(True)
    outside = pl.lit(False)
    cut: set[str] = set()
    if start is not None:
        keep &= period >= month_label(start)
        outside |= pl.col("time") < datetime(start.year, start.month, start.day)
        if start.day != 1:
            cut.add(month_label(start))
    if end is not None:
        keep &= period <= month_label(end - timedelta(days=1))
        outside |= pl.col("time") >= datetime(end.year, end.month, end.day)
        if end.day != 1:
            cut.add(month_label(end))
    again = sorted(m for m in cut if frame.filter(in_periods([m]) & outside).height)
    sections, items = ev.sections.filter(keep), ev.items.filter(keep)
    if again:
        judged = evaluate(frame.filter(in_periods(again) & outside.not_()), period="month")
        kept = period.is_in(again).not_()
        sections = pl.concat([sections.filter(kept), judged.sections], how="vertical").sort(
            "section", "period", maintain_order=True)
        items = pl.concat([items.filter(kept), judged.items], how="vertical").sort(
            "section", "period", maintain_order=True)
    return Evaluation(sections=sections, items=items, period=ev.period,
                      water_body=ev.water_body, target=ev.target)


def _grow_months(old: Evaluation, frame: pl.DataFrame, added: pl.DataFrame) -> Evaluation:
    """One section's monthly evaluation after ``added`` readings were appended to
    ``frame``: a month is judged from its own readings only (period means, 环办〔2011〕22号
    一(二)), so only the months that received readings are judged again, from all of their
    readings, and the other months are kept as they were."""
    if added.height == 0:
        return old
    months = periods_of(added, "month")
    again = evaluate(frame.filter(in_periods(months)), period="month")
    kept = pl.col("period").is_in(months).not_()
    # Stable sorts keep the engine's item order within a month.
    return Evaluation(
        sections=pl.concat([old.sections.filter(kept), again.sections], how="vertical")
        .sort("section", "period", maintain_order=True),
        items=pl.concat([old.items.filter(kept), again.items], how="vertical")
        .sort("section", "period", maintain_order=True),
        period=old.period, water_body=old.water_body, target=old.target)


def streaks(session: Session, sections: list[Section], as_of: date
            ) -> dict[str, dict[str, object]]:
    """Consecutive compliant months per section, ending at the last complete month before
    ``as_of`` (treat the result as read-only). Each section's run is cached until its
    readings change (a push to one section counts that section's run again, not every
    section's), from its evaluation of all its months (months after the last complete one
    are ignored)."""
    by_id = {s.id: s for s in sections}
    label = last_complete_month(as_of)

    def compute(i: int) -> dict[str, object] | None:
        section = by_id[i]
        monthly = monthly_evaluations(session, [i])[i].value.sections
        if monthly.height == 0:
            return None
        runs = consecutive_compliant_months(monthly, section.target_class, label)
        return next(iter(runs.iter_rows(named=True)), None)

    runs = per_section(session, ("streak", label), list(by_id), compute)
    return {by_id[i].code: r for i, r in sorted(runs.items(), key=lambda x: by_id[x[0]].code)
            if r is not None}


@dataclass(frozen=True)
class BasinMonth:
    basin: str
    period: str
    sections: int
    good: int  # sections at Class III or better (水质优良)
    codes: tuple[str, ...] = ()  # the graded sections

    @property
    def good_share(self) -> Decimal:
        return Decimal(self.good) / Decimal(self.sections) if self.sections else Decimal(0)


def basin_month(session: Session, basin: str, period: str) -> BasinMonth:
    sections = list(session.scalars(select(Section).where(Section.basin == basin)))
    year, month = int(period[:4]), int(period[5:7])
    end = date(year + (month == 12), month % 12 + 1, 1)
    ev = evaluate_sections(session, sections, start=date(year, month, 1), end=end)
    graded = ev.sections.filter(pl.col("water_class").is_not_null())
    good = graded.filter(pl.col("water_class") <= 3).height
    return BasinMonth(basin, period, graded.height, good,
                      tuple(sorted(graded["section"].to_list())))


def basin_evaluation(session: Session, basin: str, period: str = "month") -> pl.DataFrame:
    """The river/basin method of 环办〔2011〕22号 二(二) over the basin's sections."""
    sections = list(session.scalars(select(Section).where(Section.basin == basin)))
    frame = readings_frame(session, [s.id for s in sections])
    return evaluate_basin(frame.with_columns(pl.lit(basin).alias("basin")), basin="basin",
                          period=period)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Source:
    """What a headline figure was computed from, for a page to link to (services build no
    URLs). ``entity`` names the kind of record; ``ids`` are row ids, ``keys`` records without
    one (a section's months as "code:YYYY-MM"), ``params`` the filter that selects them."""

    entity: str
    ids: tuple[int, ...] = ()
    keys: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    @property
    def count(self) -> int:
        return len(self.ids) + len(self.keys)


@dataclass(frozen=True)
class Headline:
    figures: dict[str, object]
    sources: dict[str, Source]


def _months_back(last: str, n: int) -> list[str]:
    """The ``n`` months ending at ``last`` ("YYYY-MM"), oldest first."""
    index = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(index - n + 1, index + 1)]


def headline(session: Session, as_of: date) -> Headline:
    """The ecology figures shown on the dashboard as of ``as_of``, computed from stored
    readings and the compensation ledger, each with the records it came from: the 金鱼石
    compliance streak (its months), the 渌水 basin's share of sections at Class III or better
    in the last complete month (its sections that month), and what Hunan had paid Jiangxi by
    that day (the statements and adjustments)."""
    border = session.scalar(select(Section).where(Section.name == BORDER_SECTION))
    month = last_complete_month(as_of)
    streak = 0
    streak_source = Source("ecology_month")
    if border is not None:
        streak = int(streaks(session, [border], as_of).get(border.code, {}).get(
            "current_streak", 0))  # type: ignore[call-overload]
        streak_source = Source("ecology_month", keys=tuple(
            f"{border.code}:{m}" for m in _months_back(month, streak)),
            params=(("section", border.code),))
    basin = basin_month(session, LUSHUI_BASIN, month)
    paid = _paid_to_jiangxi(session, as_of)
    return Headline(
        figures={
            "as_of_month": month,
            "jinyushi_streak_months": streak,
            "basin_sections": basin.sections,
            "basin_sections_good": basin.good,
            "basin_sections_good_share": basin.good_share,
            "compensation_paid_to_jiangxi": paid.total,
        },
        sources={
            "jinyushi_streak_months": streak_source,
            "basin_sections_good_share": Source(
                "ecology_basin_month", keys=tuple(f"{c}:{month}" for c in basin.codes),
                params=(("basin", LUSHUI_BASIN), ("month", month))),
            "compensation_paid_to_jiangxi": Source(
                "ecology_statement", ids=paid.statement_ids,
                keys=tuple(f"adjustment:{i}" for i in paid.adjustment_ids),
                params=(("payer", HUNAN), ("payee", JIANGXI), ("paid_by", as_of.isoformat()))),
        })


def headline_figures(session: Session, as_of: date) -> dict[str, object]:
    """The ecology figures shown on the dashboard as of ``as_of`` (see ``headline``)."""
    return headline(session, as_of).figures


HUNAN, JIANGXI = "430000", "360000"


def _paid_to_jiangxi(session: Session, as_of: date | None) -> Payments:
    from coopzone.ecology.ledger import payments  # the ledger imports this module's peers

    return payments(session, payer_code=HUNAN, payee_code=JIANGXI, as_of=as_of)


def paid_to_jiangxi(session: Session, as_of: date | None = None) -> Decimal:
    """Total the compensation ledger records as paid by Hunan (430000) to Jiangxi (360000),
    by ``as_of`` when given."""
    return _paid_to_jiangxi(session, as_of).total
