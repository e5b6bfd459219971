"""The evaluation → settlement adapter: stored or file readings, evaluated the way an
agreement assesses them (``coopzone.engines.water_quality.evaluate``), as the
``PeriodResult``s the pure settlement engine (``coopzone.engines.eco_compensation``) takes.
Service layer: used by the ledger and by the ``coopzone ecology settle`` command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import polars as pl

from coopzone.ecology.readings import in_periods, periods_of
from coopzone.engines.eco_compensation import Agreement, PeriodResult
from coopzone.engines.water_quality import Evaluation, evaluate

__all__ = ["data_window", "grow_period_results", "judges_months", "period_results",
           "section_results"]


def period_results(readings: pl.DataFrame, agreement: Agreement) -> list[PeriodResult]:
    """Evaluate readings the way ``agreement`` assesses them.

    The class comes from the agreement's items only (赤水河: CODMn, NH3-N, TP), every item
    keeps its mean (新安江 P needs TN). A section-period with readings but no graded item has
    ``water_class`` None, which the engine treats as missing, never as a pass.
    """
    terms = agreement.evaluation
    full = evaluate(readings, period=terms.period, water_body=terms.water_body)
    sections = full.sections
    if terms.items:
        chosen = readings.filter(pl.col("item").is_in(list(terms.items)))
        if chosen.height:
            sections = evaluate(chosen, period=terms.period, water_body=terms.water_body).sections
        else:
            sections = sections.clear()
    return _to_results(full.items, sections)


def grow_period_results(old: list[PeriodResult], readings: pl.DataFrame, added: pl.DataFrame,
                        agreement: Agreement, monthly: Evaluation | None = None
                        ) -> list[PeriodResult] | None:
    """:func:`section_results` of ``readings`` (one section's) after ``added`` were appended
    to them, from ``old``, the results before: a period is judged from its own readings
    only, so only the periods that received readings are judged again (from all of their
    readings) and the others are kept. None for periods it cannot tell apart (then judge
    the whole frame again)."""
    if agreement.evaluation.period not in ("month", "year"):
        return None
    if added.height == 0:
        return old
    periods = periods_of(added, agreement.evaluation.period)
    again = section_results(readings, agreement, monthly, periods)
    kept = [r for r in old if r.period not in periods]
    return sorted([*kept, *again], key=lambda r: (r.section, r.period))


def judges_months(agreement: Agreement) -> bool:
    """Whether the agreement judges months of a river by every graded item: then its
    results are those of the section's plain monthly evaluation (``evaluate(readings)``)."""
    terms = agreement.evaluation
    return terms.period == "month" and not terms.items and terms.water_body == "river"


def section_results(readings: pl.DataFrame, agreement: Agreement,
                    monthly: Evaluation | None = None,
                    periods: Sequence[str] | None = None) -> list[PeriodResult]:
    """:func:`period_results` of one section's ``readings`` (of ``periods`` only, when given).
    ``monthly`` is the section's ``evaluate(readings, period="month")`` when the caller has
    it: for an agreement that :func:`judges_months` the results are read from it (the same
    figures, named as ``readings`` name the section) instead of judging again."""
    if monthly is not None and judges_months(agreement):
        if readings.height == 0:
            return []
        sections, items = monthly.sections, monthly.items
        if periods is not None:
            sections = sections.filter(pl.col("period").is_in(list(periods)))
            items = items.filter(pl.col("period").is_in(list(periods)))
        name = readings["section"][0]
        return [replace(r, section=name) for r in _to_results(items, sections)]
    if periods is not None:
        readings = readings.filter(in_periods(periods))
    return period_results(readings, agreement)


def _to_results(items: pl.DataFrame, sections: pl.DataFrame) -> list[PeriodResult]:
    means: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in items.select("section", "period", "item", "mean").iter_rows(named=True):
        if row["mean"] is not None:
            # repr of the rounded float is the decimal the evaluation printed (0.085, not 0.08499…)
            key = (row["section"], row["period"])
            means.setdefault(key, {})[row["item"]] = Decimal(repr(row["mean"]))
    classes = {
        (r["section"], r["period"]): r["water_class"]
        for r in sections.select("section", "period", "water_class").iter_rows(named=True)
    }
    return [
        PeriodResult(section, period, classes.get((section, period)), item_means,
                     note="" if classes.get((section, period)) else "无参评项目")
        for (section, period), item_means in sorted(means.items())
    ]


def data_window(readings: pl.DataFrame) -> tuple[str | None, str | None]:
    """First and last month with a reading, as "YYYY-MM"."""
    if readings.is_empty():
        return None, None
    times = readings.select(pl.col("time").min().alias("a"), pl.col("time").max().alias("b"))
    first, last = times.row(0)
    return first.strftime("%Y-%m"), last.strftime("%Y-%m")
