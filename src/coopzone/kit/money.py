"""Yuan amounts as bureaus print them: the amount in Chinese financial capitals (大写金额).

:func:`amount_in_words` follows the People's Bank of China's rules for writing amounts on
vouchers and statements (《正确填写票据和结算凭证的基本规定》, part of 《支付结算办法》):

* digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿, currency units 元角分;
* every unit is written with its digit (壹拾元, never 拾元);
* an amount that ends at 元 or 角 is followed by 整; one that ends at 分 is not;
* zeros between digits are written as one 零 (陆仟零柒元, 壹亿零壹元); a zero in the 元
  place before a non-zero 角 is written as 零 (壹仟陆佰捌拾元零叁角贰分, the first of the two
  forms the rules allow); a zero 角 before a non-zero 分 is always written (零贰分);
* less than one yuan starts at 角 or 分 (伍分); no amount at all is 零元整;
* a negative amount (a refund, an adjustment the other way) starts with 负.

Pure: no database, no settings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")  # within a group of four digits, highest first
FEN = Decimal("0.01")
LIMIT = 10 ** 16  # 一亿亿 yuan: beyond what any statement carries


def _group(value: int) -> str:
    """Up to four digits (1–9999) with their units; zeros inside become one 零, trailing
    zeros are dropped."""
    out: list[str] = []
    zero = False
    for digit, place in zip(f"{value:04d}", PLACES, strict=True):
        if digit == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[int(digit)] + place)
    return "".join(out)


def _integer(value: int) -> str:
    """The yuan part (≥ 1) without 元: 亿 over 万 over groups of four digits, so that
    1,0001,0000,0000 reads 壹万零壹亿 (not 壹万亿零壹亿)."""
    for size, unit in ((10 ** 8, "亿"), (10 ** 4, "万")):
        if value >= size:
            high, low = divmod(value, size)
            if low == 0:
                return _integer(high) + unit
            # A zero in the highest place below the unit (壹亿零壹元, 壹拾万零壹拾元).
            return _integer(high) + unit + ("零" if low < size // 10 else "") + _integer(low)
    return _group(value)


def amount_in_words(amount: Decimal) -> str:
    """``amount`` yuan in Chinese financial capitals, e.g. ``Decimal("100000.10")`` →
    ``壹拾万元零壹角整``. Rounded half up to the fen first (amounts are stored as fen)."""
    if not amount.is_finite():
        raise ValueError(f"not an amount: {amount}")
    fen_total = int(abs(amount).quantize(FEN, rounding=ROUND_HALF_UP) * 100)
    if fen_total >= LIMIT * 100:
        raise ValueError(f"amount too large for Chinese capitals: {amount}")
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    sign = "负" if amount < 0 and fen_total else ""
    if fen_total == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if jiao:
        if yuan and yuan % 10 == 0:
            out += "零"
        out += DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    out += DIGITS[fen] + "分" if fen else "整"
    return sign + out
