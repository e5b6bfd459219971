"""Identifiers of persons and organisations: validation, and masking of personal data.

* Resident ID numbers (公民身份号码, GB 11643-1999): 18 characters, the birth date in
  characters 7–14 and the check character of ISO 7064 MOD 11-2 (``python-stdnum`` ``cn.ric``
  reads the date and computes the character; the place code is not looked up, since a real
  number may carry a code that has since been abolished). Masked as ``3603**********1234``
  (the first four and the last four characters kept).
* Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters of the alphabet
  ``0-9A-HJ-NPQRTUWXY``, characters 3–8 the registering place's 6-digit code, the 18th the
  check character (weights 3^(i−1) mod 31). ``python-stdnum`` 2.2 also demands digits in
  characters 1–2, which refuses valid codes of bodies registered by a letter authority (``N``
  for 农村集体经济组织 and other 农业 bodies, ``Y`` for others): this wrapper checks the
  standard's form and uses the library for the check character only.
* Names are masked as 张*三 (first and last character kept; a two-character name as 张*),
  mobile phone numbers as 138****5678.

Pure: no database. Reasons are Chinese (the platform's language); each error carries the
field it concerns.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC = re.compile(rf"[{USCC_ALPHABET}]{{2}}\d{{6}}[{USCC_ALPHABET}]{{10}}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")


class IdentifierError(ValueError):
    """An identifier that is not valid; ``reason`` says why, in Chinese."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(reason)


def _compact(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def validate_resident_id(value: str) -> str:
    """The ID number in its compact form (upper-case X), or ``IdentifierError``."""
    number = _compact(value)
    if len(number) != 18:
        raise IdentifierError("resident_id", "身份证号码应为 18 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentifierError("resident_id",
                              "身份证号码格式不对（前 17 位应为数字，最后一位为数字或 X）")
    try:
        ric.get_birth_date(number)
    except ValidationError:
        raise IdentifierError("resident_id", "身份证号码中的出生日期不存在") from None
    if number[-1] != ric.calc_check_digit(number):
        raise IdentifierError("resident_id", "身份证号码校验位不对，可能有数字输错")
    return number


def resident_id_birth_date(number: str) -> date:
    birth: date = ric.get_birth_date(validate_resident_id(number))
    return birth


def resident_id_province(number: str) -> str:
    """The 6-digit code of the province of the issuing place (e.g. ``430000`` for 湖南)."""
    return validate_resident_id(number)[:2] + "0000"


def resident_id_place(number: str) -> str:
    """The 6-digit code of the issuing place (county level) written in the number."""
    return validate_resident_id(number)[:6]


def validate_uscc(value: str) -> str:
    """The unified social credit code in its compact form, or ``IdentifierError``."""
    code = _compact(value)
    if len(code) != 18:
        raise IdentifierError("uscc", "统一社会信用代码应为 18 位")
    if not _USCC.fullmatch(code):
        raise IdentifierError("uscc", "统一社会信用代码格式不对（第 3–8 位应为行政区划代码，"
                                      "且不使用 I、O、Z、S、V）")
    if code[-1] != uscc.calc_check_digit(code[:17]):
        raise IdentifierError("uscc", "统一社会信用代码校验位不对，可能有字符输错")
    return code


def validate_phone(value: str) -> str:
    """A mainland mobile number (11 digits) or a landline with its area code."""
    number = re.sub(r"[\s()（）]", "", value or "")
    if number.startswith("+86"):
        number = number[3:]
    if _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number):
        return number
    raise IdentifierError("phone", "电话号码格式不对（手机号 11 位，固定电话带区号）")


def mask_resident_id(number: str | None) -> str:
    """``3603**********1234``; any other string keeps at most its first and last 2 characters."""
    if not number:
        return ""
    if len(number) >= 15:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    keep = min(2, max(len(number) // 4, 0))
    return number[:keep] + "*" * (len(number) - 2 * keep) + (number[-keep:] if keep else "")


def mask_name(name: str | None) -> str:
    """张*三 for three or more characters (all but the first and last masked), 张* for two."""
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(number: str | None) -> str:
    """138****5678: the first three and the last four digits kept."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
