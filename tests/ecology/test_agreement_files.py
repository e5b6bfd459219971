"""Agreement files: built-ins load, bad files are refused with line, field and reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from coopzone.ecology.agreement_files import (
    BUILTIN_DIR,
    AgreementInvalid,
    builtin_agreements,
    builtin_ids,
    load_agreement,
    load_agreements,
    parse_agreement,
)
from coopzone.engines.eco_compensation import (
    ClassBetRule,
    Flow,
    IndexChangeRule,
    IndexThresholdRule,
    MissingPolicy,
    PeriodResult,
    PooledFundRule,
    settle,
)
from coopzone.errors import NotFound

LUSHUI = (BUILTIN_DIR / "lushui-2019.toml").read_text("utf-8")


def errors_of(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(AgreementInvalid) as info:
        parse_agreement(text, "test.toml")
    return [(e.row, e.column, e.reason) for e in info.value.errors]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_every_builtin_loads_and_is_sourced() -> None:
    agreements = builtin_agreements()
    assert [a.id for a in agreements] == builtin_ids() == [
        "beijing-2015-style", "chishui-2018", "huanghe-2021", "lushui-2019", "lushui-2022",
        "xinanjiang-2012",
    ]
    for a in agreements:
        assert a.source.summary and a.source.figures, a.id
    labels = {a.id: a.source.label for a in agreements}
    assert labels["lushui-2022"] == "assumed"
    assert labels["beijing-2015-style"] == "illustrative"


def test_lushui_2019_terms() -> None:
    a = load_agreement(BUILTIN_DIR / "lushui-2019.toml")
    [rule] = a.rules
    assert isinstance(rule, ClassBetRule)
    assert (rule.section, rule.target_class, rule.amount) == ("金鱼石", 3, D(1_000_000))
    assert (rule.pass_, rule.fail) == (Flow("hunan", "jiangxi"), Flow("jiangxi", "hunan"))
    assert [(p.id, p.code, p.role) for p in a.parties] == [
        ("jiangxi", "360000", "upstream"), ("hunan", "430000", "downstream"),
    ]
    [r1] = a.rounds
    assert (r1.start, r1.end) == (date(2019, 7, 1), date(2022, 6, 30))
    assert a.settlement.due_date(2019) == date(2020, 4, 30)
    assert a.missing_data is MissingPolicy.HOLD


def test_lushui_2022_per_class_table() -> None:
    [rule] = load_agreement(BUILTIN_DIR / "lushui-2022.toml").rules
    assert isinstance(rule, ClassBetRule)
    assert {c: (t.payer, t.amount) for c, t in rule.by_class.items() if t} == {
        1: ("hunan", D(1_000_000)), 2: ("hunan", D(1_000_000)), 3: ("hunan", D(1_000_000)),
        4: ("jiangxi", D(1_000_000)), 5: ("jiangxi", D(1_000_000)), 6: ("jiangxi", D(1_000_000)),
    }


def test_other_builtins_terms() -> None:
    by_id = {a.id: a for a in builtin_agreements()}
    index = by_id["huanghe-2021"].rules[1]
    assert isinstance(index, IndexChangeRule) and index.cap == D(40_000_000)
    xin = by_id["xinanjiang-2012"]
    assert isinstance(xin.rules[0], IndexThresholdRule) and xin.rules[0].k0 == D("0.85")
    assert [r.overrides.get("p-index", {}).get("k0") for r in xin.rounds] == [
        None, D("0.89"), D("0.90"),
    ]
    fund = by_id["chishui-2018"].rules[0]
    assert isinstance(fund, PooledFundRule)
    assert fund.contributions == {"yunnan": D(1), "guizhou": D(5), "sichuan": D(4)}


def test_lushui_series_settles_66_million_over_both_rounds() -> None:
    rounds = load_agreements("lushui")
    assert [a.id for a in rounds] == ["lushui-2019", "lushui-2022"]
    data = [PeriodResult("金鱼石", f"{y}-{m:02d}", 2) for y in range(2019, 2025)
            for m in range(1, 13)]
    result = settle(rounds, data, start="2019-07", end="2024-12")
    assert [(n.year, n.payer, n.payee, n.amount) for n in result.net] == [
        (2019, "hunan", "jiangxi", D(6_000_000)),
        *((y, "hunan", "jiangxi", D(12_000_000)) for y in range(2020, 2025)),
    ]
    assert sum(n.amount for n in result.net) == D(66_000_000)


def test_load_agreements_refuses_double_counting_and_unknown_names() -> None:
    with pytest.raises(AgreementInvalid) as info:
        load_agreements("lushui-2019, lushui-2019")
    assert info.value.errors[0].column == "rounds"
    assert "settled twice" in info.value.errors[0].reason
    with pytest.raises(NotFound):
        load_agreements("nosuch")
    with pytest.raises(NotFound):
        load_agreements("missing.toml")


def test_float_money_is_refused_with_line_and_field() -> None:
    bad = LUSHUI.replace('amount = "1000000"', "amount = 1000000.0")
    assert errors_of(bad) == [(
        line_of(bad, "amount = 1000000.0"), "rules[0].amount",
        'money must be an integer or a string of yuan (e.g. "1000000"), not a float',
    )]


def test_several_problems_are_reported_together() -> None:
    bad = (LUSHUI.replace('fail = { payer = "jiangxi"', 'fail = { payer = "guangdong"')
           .replace('target_class = "III"   # "达到', 'target_class = "VII"   # "达到')
           .replace('due = "04-30"', 'due = "4/30"')
           .replace('code = "430000"', 'code = "43"'))
    assert errors_of(bad) == [
        (line_of(bad, 'code = "43"'), "parties[1].code",
         "'43' is not a 6-digit administrative division code (e.g. 430000)"),
        (line_of(bad, '"VII"'), "rules[0].target_class",
         "'VII' is not a water class: use 1..6 or \"I\"..\"V\", \"劣V\""),
        (line_of(bad, "guangdong"), "rules[0].fail.payer",
         "'guangdong' is not a party id (parties: hunan, jiangxi)"),
        (line_of(bad, 'due = "4/30"'), "settlement.due",
         "'4/30' is not a due day: use \"MM-DD\", e.g. \"04-30\""),
    ]


def test_unknown_and_missing_fields() -> None:
    bad = LUSHUI.replace('amount = "1000000"', 'amout = "1000000"')
    # Sorted by line: the missing amount (at its [[rules]] header), the typo, and the source
    # note that now points at nothing.
    assert errors_of(bad) == [
        (line_of(bad, "[[rules]]"), "rules[0].amount",
         "is required unless by_class gives a per-class table"),
        (line_of(bad, "amout"), "rules[0].amout",
         "unknown field (allowed: amount, by_class, cap, fail, id, kind, pass, section, "
         "target_class)"),
        (line_of(bad, 'field = "rules[0].amount"'), "source.figures[0].field",
         "'rules[0].amount' does not name a field of this file"),
    ]
    bad = LUSHUI.replace('amount = "1000000"', "").replace('field = "rules[0].amount"',
                                                          'field = "rules[0].section"')
    assert errors_of(bad) == [(
        line_of(bad, "[[rules]]"), "rules[0].amount",
        "is required unless by_class gives a per-class table",
    )]


def test_toml_syntax_error_gives_its_line() -> None:
    bad = LUSHUI.replace('title = "渌水', 'title = 渌水')
    [(line, field, reason)] = errors_of(bad)
    assert (line, field) == (line_of(bad, "title = 渌水"), None)
    assert reason.startswith("not valid TOML")


def test_policy_rounding_accrual_and_rounds_are_checked() -> None:
    bad = (LUSHUI.replace('missing_data = "hold"', 'missing_data = "ignore"')
           .replace('accrual = "monthly"', 'accrual = "yearly"')
           .replace('end = "2022-06"', 'end = "2019-06"'))
    assert errors_of(bad) == [
        (line_of(bad, "missing_data ="), "missing_data",
         "'ignore' is not one of skip, fail, hold"),
        (line_of(bad, 'end = "2019-06"'), "rounds[0].end",
         "ends (2019-06-30) before it starts (2019-07-01)"),
        (line_of(bad, "accrual ="), "settlement.accrual",
         "must be 'monthly' for evaluation.period = 'month'"),
    ]


def test_by_class_must_cover_every_class_once() -> None:
    text = (BUILTIN_DIR / "lushui-2022.toml").read_text("utf-8")
    bad = text.replace('classes = ["IV", "V", "劣V"]', 'classes = ["III", "V"]')
    assert errors_of(bad) == [
        (line_of(bad, "[[rules.by_class]]      # edit"), "rules[0].by_class",
         "classes IV, 劣V have no row; list every class I..劣V"),
        (line_of(bad, 'classes = ["III", "V"]'), "rules[0].by_class[1].classes",
         "class III is listed twice"),
    ]


def test_round_overrides_and_source_fields_are_checked() -> None:
    text = (BUILTIN_DIR / "xinanjiang-2012.toml").read_text("utf-8")
    bad = text.replace('k0 = "0.89"', 'k9 = "0.89"').replace(
        'field = "rules[0].k0"', 'field = "rules[0].k1"')
    assert errors_of(bad) == [
        (line_of(bad, "k9 ="), "rounds[1].overrides.p-index.k9",
         "unknown field (allowed: amount, baseline, cap, fail, k0, pass, section, threshold, "
         "weights)"),
        (line_of(bad, 'field = "rules[0].k1"'), "source.figures[1].field",
         "'rules[0].k1' does not name a field of this file"),
    ]


def test_load_agreement_from_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(LUSHUI.replace('id = "lushui-2019"', 'id = "mine"'), "utf-8")
    assert [a.id for a in load_agreements(str(path))] == ["mine"]
    path.write_text(LUSHUI.replace('rounding = "yuan"', 'rounding = "jiao"'), "utf-8")
    with pytest.raises(AgreementInvalid) as info:
        load_agreement(path)
    assert str(path) in info.value.message
    assert "rounding: 'jiao' is not one of yuan, fen" in info.value.message
