"""Resident ID numbers, credit codes and phone numbers: validated, and masked."""

from __future__ import annotations

from datetime import date

import pytest

from coopzone.kit.identity import (
    IdentifierError,
    mask_name,
    mask_phone,
    mask_resident_id,
    resident_id_birth_date,
    resident_id_place,
    resident_id_province,
    validate_phone,
    validate_resident_id,
    validate_uscc,
)


@pytest.mark.parametrize("number", ["430281199001011239", "360302198512310043",
                                    "11010519491231002X", "11010519491231002x",
                                    " 3603 0220 0002 2900 2x "])
def test_valid_resident_ids(number: str) -> None:
    compact = validate_resident_id(number)
    assert len(compact) == 18 and compact == compact.upper() and " " not in compact


def test_what_a_resident_id_tells() -> None:
    assert resident_id_province("430281199001011239") == "430000"  # 湖南
    assert resident_id_place("360302198512310043") == "360302"  # 萍乡市安源区
    assert resident_id_birth_date("36030220000229002X") == date(2000, 2, 29)


@pytest.mark.parametrize(("number", "reason"), [
    ("43028119900101123", "18 位"),
    ("430281199001011238", "校验位"),  # last digit wrong
    ("430281199002301234", "出生日期"),  # 30 February
    ("43028119900101123A", "格式"),
    ("", "18 位"),
])
def test_bad_resident_ids_are_refused_with_a_reason(number: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as refused:
        validate_resident_id(number)
    assert reason in refused.value.reason and refused.value.field == "resident_id"


@pytest.mark.parametrize("code", ["91110000600037341L", "N2360302MA0000001J",
                                  "Y1430281MA4L00001C", "91110000600037341l"])
def test_valid_credit_codes_including_letter_authorities(code: str) -> None:
    assert validate_uscc(code) == code.upper()


@pytest.mark.parametrize(("code", "reason"), [
    ("91110000600037341", "18 位"),
    ("91110000600037341M", "校验位"),
    ("N2360302MA0000001K", "校验位"),
    ("9111000060003734IL", "格式"),  # I is not in the alphabet
    ("91AB0000600037341L", "格式"),  # the place code must be digits
])
def test_bad_credit_codes_are_refused(code: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as refused:
        validate_uscc(code)
    assert reason in refused.value.reason


def test_phones() -> None:
    assert validate_phone("138 1234 5678") == "13812345678"
    assert validate_phone("+8613812345678") == "13812345678"
    assert validate_phone("0799-6888888") == "0799-6888888"
    for bad in ("12812345678", "1381234567", "6888888", "abc"):
        with pytest.raises(IdentifierError):
            validate_phone(bad)


def test_masking() -> None:
    assert mask_resident_id("360302198512310043") == "3603**********0043"
    assert mask_resident_id("") == ""
    assert "198512" not in mask_resident_id("360302198512310043")
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"
