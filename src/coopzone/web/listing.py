"""What a list page needs to draw its pager, sortable headers and search box: links to the
same page with one parameter changed and every other one (filters, sort, page) kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from coopzone.kit.listing import Page

# Parameters that are not the list's own: the language comes from the switch in base.html.
_NOT_KEPT = ("lang",)


def query_with(request: Request, **changes: Any) -> str:
    """The request's query string with ``changes`` applied (None removes a parameter)."""
    items = [(k, v) for k, v in request.query_params.multi_items()
             if k not in changes and k not in _NOT_KEPT]
    items += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return urlencode(items)


def language_links(request: Request, codes: list[str]) -> dict[str, str]:
    """For each locale, this page in that language with its filters, page and sort kept."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return {code: "?" + urlencode([*kept, ("lang", code)]) for code in codes}


@dataclass(frozen=True)
class ListView:
    """A page of a list as its template links it."""

    request: Request
    page: Page[Any]

    @property
    def items(self) -> list[Any]:
        return self.page.items

    def href(self, **changes: Any) -> str:
        return f"{self.request.url.path}?{query_with(self.request, **changes)}"

    def page_href(self, number: int) -> str:
        return self.href(page=None if number == 1 else number)

    def sort_href(self, key: str) -> str:
        """Sort by ``key``, ascending; a second click on the current key turns it round."""
        order = "desc" if self.page.sort == key and self.page.order == "asc" else "asc"
        return self.href(sort=key, order=order, page=None)

    def aria_sort(self, key: str) -> str:
        if self.page.sort != key:
            return "none"
        return "ascending" if self.page.order == "asc" else "descending"

    def arrow(self, key: str) -> str:
        if self.page.sort != key:
            return ""
        return "▲" if self.page.order == "asc" else "▼"

    def hidden_fields(self, *names: str) -> list[tuple[str, str]]:
        """The list's own parameters a filter form keeps as hidden inputs (sort, order,
        per_page), so that filtering keeps the order; the page starts again at 1."""
        return [(k, v) for k, v in self.request.query_params.multi_items() if k in names]
