"""Water quality of stored readings, evaluated by the pure engine (GB 3838-2002 with
环办〔2011〕22号), and the headline figures other modules show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.ecology.models import Section
from coopzone.ecology.readings import readings_frame
from coopzone.ecology.readings_cache import over_sections, per_section
from coopzone.engines.water_quality import (
    Evaluation,
    consecutive_compliant_months,
    evaluate,
    evaluate_basin,
)

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
    kind = ("evaluate", period, start, end)
    parts = per_section(session, kind, [s.id for s in by_code], lambda i: evaluate(
        readings_frame(session, [i], start, end), period=period))  # type: ignore[arg-type]
    evs = [parts[s.id] for s in by_code]
    ev = Evaluation(sections=pl.concat([e.sections for e in evs], how="vertical"),
                    items=pl.concat([e.items for e in evs], how="vertical"),
                    period=evs[0].period, water_body=evs[0].water_body, target=None)
    return _with_compliance(ev, {s.code: s.target_class for s in sections})


def streaks(session: Session, sections: list[Section], as_of: date,
            ev: Evaluation | None = None) -> dict[str, dict[str, object]]:
    """Consecutive compliant months per section, ending at the last complete month (cached
    until the sections' readings change: treat the result as read-only). A page that has
    already evaluated the sections' months passes ``ev`` (:func:`evaluate_sections` of the
    same sections, any end on or after ``as_of``: months after the last complete one are
    ignored), so the readings are judged once per request."""
    key = ("streaks", tuple(sorted((s.id, s.code, s.target_class) for s in sections)), as_of)
    return over_sections(session, key, [s.id for s in sections],
                         lambda: _streaks(session, sections, as_of, ev))


def _streaks(session: Session, sections: list[Section], as_of: date,
             ev: Evaluation | None = None) -> dict[str, dict[str, object]]:
    if ev is None:
        ev = evaluate_sections(session, sections, end=as_of)
    out: dict[str, dict[str, object]] = {}
    for target in sorted({s.target_class for s in sections}):
        codes = [s.code for s in sections if s.target_class == target]
        monthly = ev.sections.filter(pl.col("section").is_in(codes))
        if monthly.height == 0:
            continue
        runs = consecutive_compliant_months(monthly, target, last_complete_month(as_of))
        out.update({r["section"]: r for r in runs.iter_rows(named=True)})
    return out


@dataclass(frozen=True)
class BasinMonth:
    basin: str
    period: str
    sections: int
    good: int  # sections at Class III or better (水质优良)

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
    return BasinMonth(basin, period, graded.height, good)


def basin_evaluation(session: Session, basin: str, period: str = "month") -> pl.DataFrame:
    """The river/basin method of 环办〔2011〕22号 二(二) over the basin's sections."""
    sections = list(session.scalars(select(Section).where(Section.basin == basin)))
    frame = readings_frame(session, [s.id for s in sections])
    return evaluate_basin(frame.with_columns(pl.lit(basin).alias("basin")), basin="basin",
                          period=period)  # type: ignore[arg-type]


def headline_figures(session: Session, as_of: date) -> dict[str, object]:
    """The ecology figures shown on the dashboard, computed from stored readings and the
    compensation ledger: the 金鱼石 compliance streak, the 渌水 basin's share of sections at
    Class III or better in the last complete month, and what Hunan has paid Jiangxi."""
    border = session.scalar(select(Section).where(Section.name == BORDER_SECTION))
    streak = 0
    if border is not None:
        streak = int(streaks(session, [border], as_of).get(border.code, {}).get(
            "current_streak", 0))  # type: ignore[call-overload]
    month = last_complete_month(as_of)
    basin = basin_month(session, LUSHUI_BASIN, month)
    return {
        "as_of_month": month,
        "jinyushi_streak_months": streak,
        "basin_sections": basin.sections,
        "basin_sections_good": basin.good,
        "basin_sections_good_share": basin.good_share,
        "compensation_paid_to_jiangxi": paid_to_jiangxi(session),
    }


def paid_to_jiangxi(session: Session) -> Decimal:
    """Total the compensation ledger records as paid by Hunan (430000) to Jiangxi (360000)."""
    from coopzone.ecology.ledger import total_paid  # the ledger imports this module's peers

    return total_paid(session, payer_code="430000", payee_code="360000")
