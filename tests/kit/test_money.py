"""大写金额: yuan amounts in Chinese financial capitals, as bureaus print them (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coopzone.kit.money import amount_in_words

CASES = [
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0.56", "伍角陆分"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("10.01", "壹拾元零壹分"),
    ("15", "壹拾伍元整"),
    ("100", "壹佰元整"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    # The PBoC rules' own examples.
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("10000", "壹万元整"),
    ("20300", "贰万零叁佰元整"),
    ("100010", "壹拾万零壹拾元整"),
    ("100000.10", "壹拾万元零壹角整"),
    ("1010101.01", "壹佰零壹万零壹佰零壹元零壹分"),
    ("1000000", "壹佰万元整"),
    ("4000000.00", "肆佰万元整"),
    ("18000000", "壹仟捌佰万元整"),
    ("66000000", "陆仟陆佰万元整"),  # 6,600 万: what Hunan paid Jiangxi
    ("66000000.00", "陆仟陆佰万元整"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),  # 1,0000,0001
    ("100010000", "壹亿零壹万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("1000000000000001", "壹仟万亿零壹元整"),
    ("-2000000", "负贰佰万元整"),
    ("-0.05", "负伍分"),
    ("-100000.10", "负壹拾万元零壹角整"),
    ("0.004", "零元整"),  # rounded to the fen: nothing
    ("0.005", "壹分"),  # half up
    ("12.345", "壹拾贰元叁角伍分"),
]


@pytest.mark.parametrize(("amount", "words"), CASES)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_every_digit_and_unit_appears_in_its_capital_form() -> None:
    assert amount_in_words(Decimal("9876543210.98")) == (
        "玖拾捌亿柒仟陆佰伍拾肆万叁仟贰佰壹拾元零玖角捌分")  # 元 place 0: 零
    assert amount_in_words(Decimal("9999999999999999.99")) == (
        "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1E16"])
def test_what_is_not_an_amount_is_refused(amount: str) -> None:
    with pytest.raises(ValueError):
        amount_in_words(Decimal(amount))
