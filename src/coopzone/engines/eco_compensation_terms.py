"""Terms of a river-basin eco-compensation ("对赌") agreement, and the engine's inputs/outputs.

Plain frozen dataclasses, stdlib only. ``coopzone.ecology.agreement_files`` builds them from
TOML; the engine in ``coopzone.engines.eco_compensation`` reads them. Rule shapes follow the
research notes §3.5 (shapes 1–5 and 7): see each rule class for the agreement it models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

CLASS_NAMES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "劣V")
WORST_CLASS = 6

PeriodKind = Literal["month", "year"]
Role = Literal["upstream", "downstream", "contributor"]


def class_name(water_class: int) -> str:
    """GB 3838 class number 1..6 as its name (6 = 劣V)."""
    return CLASS_NAMES[water_class - 1]


class MissingPolicy(StrEnum):
    """What a period without valid data counts as. It never silently counts as a pass."""

    SKIP = "skip"  # no money for the period; the line says so
    FAIL = "fail"  # counted as not meeting the target (worst outcome of the rule)
    HOLD = "hold"  # no money yet; the line is held for review


class LineStatus(StrEnum):
    ACCRUED = "accrued"
    HELD = "held"
    SKIPPED = "skipped"


class Rounding(StrEnum):
    """Money rounding, half-up (四舍五入)."""

    YUAN = "yuan"
    FEN = "fen"


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    code: str  # 6-digit administrative division code, e.g. 430000 湖南省
    role: Role


@dataclass(frozen=True)
class Section:
    """An assessment section; ``aliases`` are other spellings found in data files."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flow:
    """Who pays whom when an outcome happens."""

    payer: str
    payee: str


@dataclass(frozen=True)
class Transfer:
    """A flow with its own amount (yuan); used by per-class tables."""

    payer: str
    payee: str
    amount: Decimal


@dataclass(frozen=True)
class ClassBetRule:
    """Shape 1: binary bet on the period's class (渌水 R1: "当月水质类别达到或优于Ⅲ类").

    Class at or better than ``target_class`` → ``pass_`` pays ``amount``; worse → ``fail``.
    ``by_class`` (渌水 R2 "差异化补偿") maps each class 1..6 to its own transfer (None = no
    payment) and, when given, replaces the pass/fail pair.
    """

    id: str
    section: str
    target_class: int
    amount: Decimal = Decimal(0)
    pass_: Flow | None = None
    fail: Flow | None = None
    by_class: Mapping[int, Transfer | None] = field(default_factory=dict)
    cap: Decimal | None = None
    kind: Literal["class_bet"] = "class_bet"


@dataclass(frozen=True)
class ClassStepRule:
    """Shape 2: money per class step away from the target (黄河 豫→鲁 2021, part a).

    Each class better than the target → ``better`` pays ``amount_per_step``; each class worse →
    ``worse`` pays it; exactly the target → nothing.
    """

    id: str
    section: str
    target_class: int
    amount_per_step: Decimal
    better: Flow
    worse: Flow
    cap: Decimal | None = None
    kind: Literal["class_step"] = "class_step"


@dataclass(frozen=True)
class IndexChangeRule:
    """Shape 5: change of a key-pollutant index against the previous period, capped
    (黄河 豫→鲁 2021, part b: "关键污染物指数每下降1个百分点…最高4000万元").

    Index I = mean over ``items`` of C_i / ``reference``_i (reference = Class III limits).
    ``change = "relative"``: points = (I_prev − I) / I_prev × 100; ``"absolute"``:
    points = (I_prev − I) × 100. Only whole points count (truncated towards zero).
    Positive points (improvement) → ``improve`` pays; negative → ``worsen`` pays.
    """

    id: str
    section: str
    items: tuple[str, ...]
    reference: Mapping[str, Decimal]
    rate_per_point: Decimal
    improve: Flow
    worsen: Flow
    change: Literal["relative", "absolute"] = "relative"
    cap: Decimal | None = None
    kind: Literal["index_change"] = "index_change"


@dataclass(frozen=True)
class IndexThresholdRule:
    """Shape 3: compensation index P = k0 · Σ k_i · C_i / C_i0 (新安江 试点实施方案 2011).

    P ≤ ``threshold`` → ``pass_`` pays ``amount``; P > threshold → ``fail`` pays it.
    """

    id: str
    section: str
    k0: Decimal
    weights: Mapping[str, Decimal]
    baseline: Mapping[str, Decimal]
    amount: Decimal
    pass_: Flow
    fail: Flow
    threshold: Decimal = Decimal(1)
    cap: Decimal | None = None
    kind: Literal["index_threshold"] = "index_threshold"


@dataclass(frozen=True)
class FundSegment:
    """A segment of a pooled fund: if its section misses the target, ``owner`` loses its
    allocation, shared among ``redistribute`` by weight (赤水河 2018: 清水铺, 鲢鱼溪)."""

    section: str
    target_class: int
    owner: str
    redistribute: Mapping[str, Decimal]


@dataclass(frozen=True)
class PooledFundRule:
    """Shape 4: pooled fund with contribution and allocation ratios (赤水河 2018–2020).

    Each party pays ``total`` × its contribution share and receives ``total`` × its allocation
    share, less deductions of failed segments, plus what it is redistributed. Net positions
    are paid party to party.
    """

    id: str
    total: Decimal
    contributions: Mapping[str, Decimal]
    allocations: Mapping[str, Decimal]
    segments: tuple[FundSegment, ...]
    cap: Decimal | None = None
    kind: Literal["pooled_fund"] = "pooled_fund"


@dataclass(frozen=True)
class PenaltySegment:
    section: str
    payer: str
    payee: str


@dataclass(frozen=True)
class ItemPenaltyRule:
    """Shape 7: a fixed sum per section, per period, per item above its limit (北京 2015
    水环境区域补偿: 30万 per section per month per exceeding pollutant). Items are "≤" items."""

    id: str
    amount_per_item: Decimal
    limits: Mapping[str, Decimal]
    segments: tuple[PenaltySegment, ...]
    cap: Decimal | None = None
    kind: Literal["item_penalty"] = "item_penalty"


Rule = (
    ClassBetRule | ClassStepRule | IndexChangeRule | IndexThresholdRule | PooledFundRule
    | ItemPenaltyRule
)


@dataclass(frozen=True)
class Round:
    """One round (期) of an agreement; ``overrides`` maps rule id → field → new value."""

    id: str
    start: date
    end: date
    # Values are typed by the rule field they replace; the loader checks them.
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    period: PeriodKind
    items: tuple[str, ...] = ()  # empty: every item the evaluation method grades
    method: str = "gb3838-single-factor"
    water_body: Literal["river", "lake"] = "river"
    target_class: int = 3


@dataclass(frozen=True)
class SettlementTerms:
    """"月核算、年清缴": accrue per period, settle per calendar year by a due date."""

    accrual: Literal["monthly", "yearly"]
    due_month: int = 4
    due_day: int = 30
    due_year_offset: int = 1

    def due_date(self, year: int) -> date:
        return date(year + self.due_year_offset, self.due_month, self.due_day)


@dataclass(frozen=True)
class SourceFigure:
    """Where one figure comes from and how sure it is."""

    field: str
    label: str  # verified | verified-secondary | unverified | assumed | illustrative
    note: str = ""
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceNotes:
    summary: str
    label: str
    urls: tuple[str, ...] = ()
    figures: tuple[SourceFigure, ...] = ()


@dataclass(frozen=True)
class Agreement:
    id: str
    title: str
    version: str
    parties: tuple[Party, ...]
    sections: tuple[Section, ...]
    evaluation: Evaluation
    rounds: tuple[Round, ...]
    rules: tuple[Rule, ...]
    missing_data: MissingPolicy
    rounding: Rounding
    settlement: SettlementTerms
    source: SourceNotes
    series: str | None = None

    def party_name(self, party_id: str) -> str:
        for party in self.parties:
            if party.id == party_id:
                return party.name
        return party_id


@dataclass(frozen=True)
class PeriodResult:
    """One evaluated period of one section: "2019-07" (month) or "2019" (year).

    ``means`` are the period means (mg/L) by item code (codmn, nh3n, tp, tn, cod, …);
    ``valid`` is False when the evaluation says the data do not suffice.
    """

    section: str
    period: str
    water_class: int | None
    means: Mapping[str, Decimal] = field(default_factory=dict)
    valid: bool = True
    note: str = ""


@dataclass(frozen=True)
class Step:
    """One step of the working: kind is input | formula | value | cap | rounding | policy."""

    kind: str
    text: str


@dataclass(frozen=True)
class SettlementLine:
    agreement: str
    round: str
    rule_id: str
    rule: str  # rule kind, e.g. class_bet
    section: str
    period: str
    year: int  # settlement year
    due: date
    payer: str | None  # None when nothing is paid (zero, held or skipped)
    payee: str | None
    amount: Decimal
    status: LineStatus
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class NetLine:
    """Net of all accrued lines of one settlement year between two parties."""

    year: int
    due: date
    payer: str
    payee: str
    amount: Decimal
    gross_payer_to_payee: Decimal
    gross_payee_to_payer: Decimal
    lines: int
    text: str


@dataclass(frozen=True)
class YearSummary:
    year: int
    due: date
    net: tuple[NetLine, ...]
    held: int
    skipped: int


@dataclass(frozen=True)
class Settlement:
    lines: tuple[SettlementLine, ...]
    years: tuple[YearSummary, ...]

    @property
    def net(self) -> tuple[NetLine, ...]:
        return tuple(n for y in self.years for n in y.net)
