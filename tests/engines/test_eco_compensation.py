"""Eco-compensation engine: every rule shape with hand-checked numbers, boundaries, missing
data under each policy, caps, rounding and netting. No files, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from coopzone.engines.eco_compensation import (
    Agreement,
    ClassBetRule,
    ClassStepRule,
    Evaluation,
    Flow,
    FundSegment,
    IndexChangeRule,
    IndexThresholdRule,
    ItemPenaltyRule,
    LineStatus,
    MissingPolicy,
    Party,
    PenaltySegment,
    PeriodResult,
    PooledFundRule,
    Round,
    Rounding,
    Rule,
    Section,
    SettlementTerms,
    SourceNotes,
    Transfer,
    compute_lines,
    periods_of,
    settle,
)

JX, HN = "jiangxi", "hunan"
PASS, FAIL = Flow(HN, JX), Flow(JX, HN)
MILLION = D(1_000_000)


def agreement(
    rules: list[Rule],
    *,
    period: str = "month",
    start: date = date(2019, 7, 1),
    end: date = date(2019, 12, 31),
    missing: MissingPolicy = MissingPolicy.HOLD,
    rounding: Rounding = Rounding.YUAN,
    parties: tuple[Party, ...] | None = None,
    sections: tuple[str, ...] = ("金鱼石",),
    rounds: tuple[Round, ...] | None = None,
    aid: str = "test",
) -> Agreement:
    return Agreement(
        id=aid, title="test", version="1",
        parties=parties or (
            Party(JX, "江西省", "360000", "upstream"), Party(HN, "湖南省", "430000", "downstream"),
        ),
        sections=tuple(Section(s) for s in sections),
        evaluation=Evaluation(period="month" if period == "month" else "year"),
        rounds=rounds or (Round("R1", start, end),),
        rules=tuple(rules),
        missing_data=missing, rounding=rounding,
        settlement=SettlementTerms("monthly" if period == "month" else "yearly"),
        source=SourceNotes("test", "assumed"),
    )


def bet(amount: D = MILLION) -> ClassBetRule:
    return ClassBetRule("bet", "金鱼石", 3, amount, PASS, FAIL)


def months(classes: dict[str, int | None], section: str = "金鱼石") -> list[PeriodResult]:
    return [PeriodResult(section, p, c, valid=c is not None) for p, c in classes.items()]


# --- shape 1: binary bet ------------------------------------------------------------------


def test_binary_bet_exactly_class_iii_passes_and_iv_fails() -> None:
    a = agreement([bet()], end=date(2019, 8, 31))
    lines = compute_lines(a, months({"2019-07": 3, "2019-08": 4}))
    assert [(ln.period, ln.payer, ln.payee, ln.amount) for ln in lines] == [
        ("2019-07", HN, JX, MILLION), ("2019-08", JX, HN, MILLION),
    ]
    assert lines[0].steps[-1].text == (
        "2019-07 金鱼石 类别 III ≤ 目标 III → 湖南省 付 江西省 1,000,000 元"
    )
    assert "类别 IV > 目标 III" in lines[1].steps[-1].text
    assert lines[0].due == date(2020, 4, 30)
    assert lines[0].year == 2019


def test_binary_bet_half_year_nets_to_six_million() -> None:
    a = agreement([bet()])
    s = settle([a], months({f"2019-{m:02d}": 2 for m in range(7, 13)}))
    assert len(s.lines) == 6
    [year] = s.years
    [net] = year.net
    assert (net.year, net.payer, net.payee, net.amount, net.due) == (
        2019, HN, JX, D(6_000_000), date(2020, 4, 30),
    )
    assert net.lines == 6


def test_netting_between_two_parties_in_one_year() -> None:
    a = agreement([bet()])
    data = months({"2019-07": 2, "2019-08": 5, "2019-09": 6, "2019-10": 1, "2019-11": 4,
                   "2019-12": 4})
    [year] = settle([a], data).years
    [net] = year.net
    # Hunan owes 2 months (2 M), Jiangxi owes 4 months (4 M): Jiangxi pays the 2 M net.
    assert (net.payer, net.payee, net.amount) == (JX, HN, D(2_000_000))
    assert (net.gross_payer_to_payee, net.gross_payee_to_payer) == (D(4_000_000), D(2_000_000))
    assert net.text == (
        "2019 年：江西省→湖南省 4,000,000 元，湖南省→江西省 2,000,000 元；"
        "净额 江西省 付 湖南省 2,000,000 元，2020-04-30 前清缴"
    )


@pytest.mark.parametrize(
    ("policy", "status", "payer", "amount"),
    [
        (MissingPolicy.SKIP, LineStatus.SKIPPED, None, D(0)),
        (MissingPolicy.HOLD, LineStatus.HELD, None, D(0)),
        (MissingPolicy.FAIL, LineStatus.ACCRUED, JX, MILLION),
    ],
)
def test_missing_month_is_never_a_pass(
    policy: MissingPolicy, status: LineStatus, payer: str | None, amount: D
) -> None:
    a = agreement([bet()], end=date(2019, 8, 31), missing=policy)
    # 2019-07 absent altogether; 2019-08 present but invalid.
    data = [PeriodResult("金鱼石", "2019-08", 2, valid=False, note="样本不足")]
    lines = compute_lines(a, data)
    assert [(ln.period, ln.status, ln.payer, ln.amount) for ln in lines] == [
        ("2019-07", status, payer, amount), ("2019-08", status, payer, amount),
    ]
    policy_steps = [s.text for s in lines[1].steps if s.kind == "policy"]
    assert len(policy_steps) == 1 and f"缺测规则 {policy.value}" in policy_steps[0]
    assert "样本不足" in policy_steps[0]


def test_held_and_skipped_lines_are_counted_per_year_not_netted() -> None:
    a = agreement([bet()], end=date(2019, 9, 30), missing=MissingPolicy.HOLD)
    s = settle([a], months({"2019-07": 2, "2019-08": None}))
    [year] = s.years
    assert (year.held, year.skipped) == (2, 0)  # 08 invalid, 09 absent
    assert [n.amount for n in year.net] == [MILLION]


def test_by_class_table_with_a_zero_row() -> None:
    table: dict[int, Transfer | None] = {
        1: Transfer(HN, JX, D(2_000_000)), 2: Transfer(HN, JX, MILLION), 3: None,
        4: Transfer(JX, HN, MILLION), 5: Transfer(JX, HN, MILLION), 6: Transfer(JX, HN, MILLION),
    }
    rule = ClassBetRule("tiers", "金鱼石", 3, by_class=table)
    a = agreement([rule], end=date(2019, 9, 30))
    lines = compute_lines(a, months({"2019-07": 1, "2019-08": 3, "2019-09": 6}))
    assert [(ln.payer, ln.amount) for ln in lines] == [(HN, D(2_000_000)), (None, D(0)),
                                                        (JX, MILLION)]
    assert lines[1].steps[-1].text == "2019-08 金鱼石 类别 III，按分类表 → 不需支付"


def test_section_alias_matches_data() -> None:
    a = agreement([bet()], end=date(2019, 7, 31))
    a = Agreement(**{**a.__dict__, "sections": (Section("金鱼石", ("金鱼石(王坊镇)",)),)})
    [line] = compute_lines(a, months({"2019-07": 2}, section="金鱼石(王坊镇)"))
    assert line.payer == HN


def test_window_limits_periods_and_rounds_cover_only_their_dates() -> None:
    r1 = agreement([bet()], start=date(2019, 7, 1), end=date(2022, 6, 30), aid="r1")
    r2 = agreement([bet()], start=date(2022, 7, 1), end=date(2025, 6, 30), aid="r2")
    data = months({f"{y}-{m:02d}": 2 for y in range(2019, 2025) for m in range(1, 13)})
    s = settle([r1, r2], data, start="2019-07", end="2024-12")
    assert len(s.lines) == 66
    assert sum(n.amount for n in s.net) == D(66_000_000)
    assert [(y.year, y.net[0].amount) for y in s.years] == [
        (2019, D(6_000_000)), *((y, D(12_000_000)) for y in range(2020, 2025)),
    ]
    assert {ln.agreement for ln in s.lines if ln.period == "2022-06"} == {"r1"}
    assert {ln.agreement for ln in s.lines if ln.period == "2022-07"} == {"r2"}


def test_periods_of_round() -> None:
    r = Round("R", date(2019, 11, 1), date(2020, 2, 29))
    assert periods_of(r, "month") == ["2019-11", "2019-12", "2020-01", "2020-02"]
    assert periods_of(r, "year") == ["2019", "2020"]


# --- shape 2: class steps (黄河) ---------------------------------------------------------

HENAN, SHANDONG = "henan", "shandong"
HUANG_PARTIES = (
    Party(HENAN, "河南省", "410000", "upstream"), Party(SHANDONG, "山东省", "370000", "downstream"),
)
STEP = ClassStepRule("steps", "刘庄", 3, D(60_000_000), Flow(SHANDONG, HENAN),
                     Flow(HENAN, SHANDONG))


def yearly(rules: list[Rule], **kw: Any) -> Agreement:
    return agreement(rules, period="year", start=date(2021, 1, 1), end=date(2022, 12, 31),
                     parties=HUANG_PARTIES, sections=("刘庄",), **kw)


@pytest.mark.parametrize(
    ("cls", "payer", "amount"),
    [(1, SHANDONG, 120_000_000), (2, SHANDONG, 60_000_000), (3, None, 0),
     (4, HENAN, 60_000_000), (6, HENAN, 180_000_000)],
)
def test_class_steps(cls: int, payer: str | None, amount: int) -> None:
    a = yearly([STEP])
    line = compute_lines(a, [PeriodResult("刘庄", "2021", cls)], end="2021-12")[0]
    assert (line.payer, line.amount) == (payer, D(amount))


def test_class_step_text() -> None:
    line = compute_lines(yearly([STEP]), [PeriodResult("刘庄", "2021", 2)], end="2021-12")[0]
    assert line.steps[-1].text == (
        "2021 刘庄 类别 II，目标 III，好 1 级 → 1 × 60,000,000 = 60,000,000 元，山东省 付 河南省"
    )


def test_class_step_missing_under_fail_counts_as_worst_class() -> None:
    a = yearly([STEP], missing=MissingPolicy.FAIL)
    [line] = compute_lines(a, [], end="2021-12")
    assert (line.payer, line.amount) == (HENAN, D(180_000_000))


# --- shape 5: index change with cap (黄河 b) -----------------------------------------------

INDEX = IndexChangeRule(
    "index", "刘庄", ("cod", "nh3n", "tp"), {"cod": D(20), "nh3n": D("1.0"), "tp": D("0.2")},
    D(1_000_000), Flow(SHANDONG, HENAN), Flow(HENAN, SHANDONG), cap=D(40_000_000),
)


def year_means(year: str, cod: str, nh3n: str, tp: str) -> PeriodResult:
    return PeriodResult("刘庄", year, 3, {"cod": D(cod), "nh3n": D(nh3n), "tp": D(tp)})


def test_index_improvement_whole_points() -> None:
    # I2020 = (16/20 + 0.6/1 + 0.12/0.2)/3 = (0.8 + 0.6 + 0.6)/3 = 0.6667
    # I2021 = (14/20 + 0.5/1 + 0.11/0.2)/3 = (0.7 + 0.5 + 0.55)/3 = 0.5833
    # change = (0.6667 − 0.5833)/0.6667 × 100 = 12.5 → 12 points → 12,000,000 Shandong→Henan
    data = [year_means("2020", "16", "0.6", "0.12"), year_means("2021", "14", "0.5", "0.11")]
    [line] = compute_lines(yearly([INDEX]), data, end="2021-12")
    assert (line.payer, line.payee, line.amount) == (SHANDONG, HENAN, D(12_000_000))
    texts = [s.text for s in line.steps]
    assert "I(2021) = (14/20 + 0.5/1 + 0.11/0.2) / 3 = 0.5833" in texts
    assert any("12.5 个百分点 → 计 12 个整百分点" in t for t in texts)


def test_index_worsening_is_capped_at_forty_million() -> None:
    # I2020 = 0.5; I2021 = (20/20 + 1/1 + 0.2/0.2)/3 = 1 → −100 points → 100 M, capped 40 M.
    data = [year_means("2020", "10", "0.5", "0.1"), year_means("2021", "20", "1", "0.2")]
    [line] = compute_lines(yearly([INDEX]), data, end="2021-12")
    assert (line.payer, line.payee, line.amount) == (HENAN, SHANDONG, D(40_000_000))
    caps = [s.text for s in line.steps if s.kind == "cap"]
    assert caps == ["封顶 40,000,000 元：100,000,000 → 40,000,000 元"]


def test_index_change_below_one_point_pays_nothing() -> None:
    data = [year_means("2020", "10", "0.5", "0.1"), year_means("2021", "10", "0.5", "0.1")]
    [line] = compute_lines(yearly([INDEX]), data, end="2021-12")
    assert (line.payer, line.amount, line.status) == (None, D(0), LineStatus.ACCRUED)


def test_index_change_needs_previous_year() -> None:
    for policy in MissingPolicy:
        data = [year_means("2021", "10", "0.5", "0.1")]
        [line] = compute_lines(yearly([INDEX], missing=policy), data, end="2021-12")
        expected = LineStatus.SKIPPED if policy is MissingPolicy.SKIP else LineStatus.HELD
        assert (line.status, line.amount) == (expected, D(0))
        assert "2020 无监测数据" in line.steps[-1].text


def test_huanghe_both_terms_net_in_one_year() -> None:
    # Class II (+60 M to Henan) and 12 points better (+12 M to Henan) → 72 M Shandong→Henan.
    data = [year_means("2020", "16", "0.6", "0.12"),
            PeriodResult("刘庄", "2021", 2, {"cod": D(14), "nh3n": D("0.5"), "tp": D("0.11")})]
    s = settle([yearly([STEP, INDEX])], data, end="2021-12")
    assert [(n.payer, n.payee, n.amount) for n in s.net] == [(SHANDONG, HENAN, D(72_000_000))]


# --- shape 3: index threshold (新安江) ------------------------------------------------------

AH, ZJ = "anhui", "zhejiang"
XIN_PARTIES = (Party(AH, "安徽省", "340000", "upstream"),
               Party(ZJ, "浙江省", "330000", "downstream"))
QUARTER = D("0.25")
P_RULE = IndexThresholdRule(
    "p", "街口", D("0.85"),
    {"codmn": QUARTER, "nh3n": QUARTER, "tp": QUARTER, "tn": QUARTER},
    {"codmn": D(2), "nh3n": D("0.1"), "tp": D("0.02"), "tn": D(1)},
    D(100_000_000), Flow(ZJ, AH), Flow(AH, ZJ),
)


def xin(rounds: tuple[Round, ...] | None = None, **kw: Any) -> Agreement:
    return agreement([P_RULE], period="year", start=date(2012, 1, 1), end=date(2014, 12, 31),
                     parties=XIN_PARTIES, sections=("街口",), rounds=rounds,
                     **kw)


def jiekou(year: str, codmn: str, nh3n: str, tp: str, tn: str) -> PeriodResult:
    means = {"codmn": D(codmn), "nh3n": D(nh3n), "tp": D(tp), "tn": D(tn)}
    return PeriodResult("街口", year, 2, means)


def test_p_exactly_one_zhejiang_pays() -> None:
    # With k0 = 0.8 and every ratio C_i/C_i0 = 1.25, P is exactly 1 (1/0.85 is not finite).
    rule = IndexThresholdRule("p", "街口", D("0.8"), P_RULE.weights, P_RULE.baseline,
                              D(100_000_000), Flow(ZJ, AH), Flow(AH, ZJ))
    a = agreement([rule], period="year", start=date(2012, 1, 1), end=date(2012, 12, 31),
                  parties=XIN_PARTIES, sections=("街口",))
    # ratios 1.25 each → Σ 0.25 × 5 = 1.25; P = 0.8 × 1.25 = 1.000 exactly
    [line] = compute_lines(a, [jiekou("2012", "2.5", "0.125", "0.025", "1.25")])
    assert (line.payer, line.payee, line.amount) == (ZJ, AH, D(100_000_000))
    assert "P = 0.8 × (0.25×2.5/2 + 0.25×0.125/0.1 + 0.25×0.025/0.02 + 0.25×1.25/1) = 1" in [
        s.text for s in line.steps]
    assert "P ≤ 1" in [s.text for s in line.steps]


def test_p_above_one_anhui_pays_and_rounds_change_k0() -> None:
    rounds = (
        Round("R1", date(2012, 1, 1), date(2014, 12, 31)),
        Round("R2", date(2015, 1, 1), date(2017, 12, 31), {"p": {"k0": D("0.89")}}),
    )
    # ratios 1.2, 1.2, 1.1, 1.2 → Σ 0.25 × 4.7 = 1.175
    # R1 2014: P = 0.85 × 1.175 = 0.99875 ≤ 1 → Zhejiang pays; R2 2015: 0.89 × 1.175 = 1.04575
    data = [jiekou(y, "2.4", "0.12", "0.022", "1.2") for y in ("2014", "2015")]
    lines = compute_lines(xin(rounds), data, start="2014-01", end="2015-12")
    assert [(ln.period, ln.round, ln.payer) for ln in lines] == [
        ("2014", "R1", ZJ), ("2015", "R2", AH),
    ]
    assert any(s.text.endswith("= 1.0458") for s in lines[1].steps)


def test_p_missing_item_under_fail_means_anhui_pays() -> None:
    data = [PeriodResult("街口", "2012", 2, {"codmn": D(2), "nh3n": D("0.1"), "tp": D("0.02")})]
    lines = compute_lines(xin(missing=MissingPolicy.FAIL), data, end="2012-12")
    assert (lines[0].payer, lines[0].amount) == (AH, D(100_000_000))
    assert "缺少 tn 均值" in lines[0].steps[0].text


# --- shape 4: pooled fund (赤水河) ----------------------------------------------------------

YN, GZ, SC = "yunnan", "guizhou", "sichuan"
CHI_PARTIES = (Party(YN, "云南省", "530000", "upstream"), Party(GZ, "贵州省", "520000",
               "contributor"), Party(SC, "四川省", "510000", "downstream"))
FUND = PooledFundRule(
    "fund", D(200_000_000), {YN: D(1), GZ: D(5), SC: D(4)}, {YN: D(3), GZ: D(4), SC: D(3)},
    (FundSegment("清水铺", 2, YN, {GZ: D(1), SC: D(1)}), FundSegment("鲢鱼溪", 2, GZ, {SC: D(1)})),
)


def chishui(**kw: Any) -> Agreement:
    return agreement([FUND], period="year", start=date(2018, 1, 1), end=date(2020, 12, 31),
                     parties=CHI_PARTIES, sections=("清水铺", "鲢鱼溪"),
                     **kw)


Moves = list[tuple[str | None, str | None, D]]


def fund_lines(qsp: int | None, lyx: int | None, **kw: Any) -> Moves:
    data = [PeriodResult(s, "2019", c) for s, c in (("清水铺", qsp), ("鲢鱼溪", lyx)) if c]
    lines = compute_lines(chishui(**kw), data, start="2019-01", end="2019-12")
    return [(ln.payer, ln.payee, ln.amount) for ln in lines]


def test_fund_all_pass_guizhou_and_sichuan_each_pay_yunnan_20m() -> None:
    # Paid 20/100/80 M, received 60/80/60 M → Yunnan +40, Guizhou −20, Sichuan −20.
    assert fund_lines(2, 2) == [(GZ, YN, D(20_000_000)), (SC, YN, D(20_000_000))]


def test_fund_qingshuipu_fails_yunnan_share_goes_downstream() -> None:
    # Yunnan's 60 M → 30 M each to Guizhou (110) and Sichuan (90): nets −20, +10, +10.
    assert fund_lines(3, 2) == [(YN, GZ, D(10_000_000)), (YN, SC, D(10_000_000))]


def test_fund_both_fail() -> None:
    # Yunnan 0, Guizhou 80+30 lost → 0, Sichuan 60+30+110 = 200: nets −20, −100, +120.
    assert fund_lines(3, 4) == [(YN, SC, D(20_000_000)), (GZ, SC, D(100_000_000))]


def test_fund_missing_section() -> None:
    assert fund_lines(2, None, missing=MissingPolicy.HOLD) == [(None, None, D(0))]
    # 鲢鱼溪 counted as failing: Guizhou's 80 M → Sichuan; nets Yunnan +40, Guizhou −100,
    # Sichuan +60.
    assert fund_lines(2, None, missing=MissingPolicy.FAIL) == [(GZ, YN, D(40_000_000)),
                                                               (GZ, SC, D(60_000_000))]


# --- shape 7: per-item penalty ------------------------------------------------------------

PEN = ItemPenaltyRule("pen", D(300_000), {"cod": D(20), "nh3n": D("1.0"), "tp": D("0.2")},
                      (PenaltySegment("A断面", JX, HN),))


def test_item_penalty_counts_exceeding_items_only() -> None:
    a = agreement([PEN], sections=("A断面",), end=date(2019, 8, 31))
    data = [
        PeriodResult("A断面", "2019-07", 5, {"cod": D(25), "nh3n": D("1.0"), "tp": D("0.3")}),
        PeriodResult("A断面", "2019-08", 2, {"cod": D(10), "nh3n": D("0.2"), "tp": D("0.05")}),
    ]
    lines = compute_lines(a, data)
    assert [(ln.payer, ln.amount) for ln in lines] == [(JX, D(600_000)), (None, D(0))]
    assert lines[0].steps[-1].text == (
        "2019-07 A断面 超标 2 项 × 300,000 = 600,000 元，江西省 付 湖南省"
    )


def test_item_penalty_missing_item() -> None:
    data = [PeriodResult("A断面", "2019-07", 2, {"cod": D(10), "nh3n": D("0.2")})]
    held = agreement([PEN], sections=("A断面",), end=date(2019, 7, 31))
    assert compute_lines(held, data)[0].status is LineStatus.HELD
    failing = agreement([PEN], sections=("A断面",), end=date(2019, 7, 31),
                        missing=MissingPolicy.FAIL)
    assert compute_lines(failing, data)[0].amount == D(300_000)


# --- rounding -----------------------------------------------------------------------------


def test_rounding_to_yuan_and_fen() -> None:
    odd = D("1000000.555")
    for rounding, expected in ((Rounding.YUAN, D(1_000_001)), (Rounding.FEN, D("1000000.56"))):
        a = agreement([bet(odd)], end=date(2019, 7, 31), rounding=rounding)
        [line] = compute_lines(a, months({"2019-07": 2}))
        assert line.amount == expected
        assert [s.kind for s in line.steps][-1] == "rounding"
