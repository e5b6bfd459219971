"""The evaluation → settlement adapter: stored or uploaded water-quality readings evaluated
the way an agreement assesses them, as the engine's ``PeriodResult``s. Used by the ledger
(stored readings) and by ``coopzone ecology settle`` (files); no CLI code here, so importing
the ledger imports no Typer or Rich."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from coopzone.engines.eco_compensation import Agreement, PeriodResult
from coopzone.engines.water_quality import evaluate


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
