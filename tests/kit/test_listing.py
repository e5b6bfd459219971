"""kit.listing without a database: bounded parameters, the sort whitelist, the LIKE escape.
Paging on the real database: tests/cooperation/test_lists.py."""

from __future__ import annotations

import pytest

from coopzone.cooperation.models import Agreement
from coopzone.errors import InvalidInput
from coopzone.kit.listing import (
    MAX_PAGE,
    MAX_PER_PAGE,
    ListParams,
    Sorting,
    contains,
    escape_like,
)

SORTING = Sorting({"signed_on": Agreement.signed_on, "title": Agreement.title},
                  default="signed_on", default_order="desc", tiebreak=Agreement.id)


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"page": 0}, "page"), ({"page": -1}, "page"), ({"page": MAX_PAGE + 1}, "page"),
    ({"per_page": 0}, "per_page"), ({"per_page": 10**9}, "per_page"),
    ({"per_page": MAX_PER_PAGE + 1}, "per_page"), ({"order": "sideways"}, "order"),
])
def test_bad_parameters_are_refused_naming_the_parameter(kwargs: dict[str, object],
                                                         column: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ListParams.parse(**kwargs)  # type: ignore[arg-type]
    assert [e.column for e in refused.value.errors] == [column]


def test_parameters_default_and_bounds() -> None:
    assert ListParams.parse() == ListParams(1, 50, None, None)
    assert ListParams.parse(3, 200, " title ", "DESC") == ListParams(3, 200, "title", "desc")
    assert ListParams.parse(per_page=1000, max_per_page=1000).per_page == 1000
    assert ListParams(3, 20).offset == 40


def test_an_unknown_sort_key_is_refused_with_the_keys_offered() -> None:
    with pytest.raises(InvalidInput) as refused:
        SORTING.resolve(ListParams(sort="password_hash"))
    assert refused.value.errors[0].column == "sort"
    assert "signed_on、title" in refused.value.message
    assert SORTING.resolve(ListParams()) == ("signed_on", "desc")
    assert SORTING.resolve(ListParams(sort="title")) == ("title", "asc")
    assert SORTING.resolve(ListParams(sort="title", order="desc")) == ("title", "desc")


def test_like_wildcards_match_themselves() -> None:
    assert escape_like("100%_a\\b") == "100\\%\\_a\\\\b"
    assert contains("  ", [Agreement.title]) is None
