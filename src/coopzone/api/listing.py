"""The list parameters and the paging headers of every list (API endpoints and pages).

An API list keeps its body a bare JSON array (so existing clients read it unchanged) and
says where it is in headers, documented in the OpenAPI schema of each list endpoint:

* ``X-Total-Count`` — rows over every page (after the filters);
* ``X-Page``, ``X-Per-Page`` — this page and its size;
* ``Link`` — ``first``, ``prev``, ``next`` and ``last`` URLs (RFC 8288), the same filters kept.
"""


# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# dependency made inside list_params, whose bounds are its arguments.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from coopzone.kit.listing import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, ListParams, Page
from coopzone.kit.validation import Key

PAGE_HEADERS: dict[str, Any] = {
    "X-Total-Count": {"description": "rows over every page, after the filters",
                      "schema": {"type": "integer"}},
    "X-Page": {"description": "this page (1-based)", "schema": {"type": "integer"}},
    "X-Per-Page": {"description": "rows per page", "schema": {"type": "integer"}},
    "Link": {"description": "RFC 8288 links: first, prev, next, last (filters kept)",
             "schema": {"type": "string"}},
}


def paged(sort_keys: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Route keyword arguments documenting a paged list (headers and its sort keys)."""
    keys = ", ".join(sort_keys)
    return {"responses": {200: {"description": "one page of the list; where it is in the "
                                               "headers", "headers": PAGE_HEADERS}},
            "openapi_extra": {"x-sort-keys": list(sort_keys)},
            "description": f"Paged: `page` (1..{MAX_PAGE}), `per_page`, `sort` (one of: "
                           f"{keys}) and `order` (`asc`/`desc`); bad values answer 422. "
                           "The body is the page's rows; `X-Total-Count`, `X-Page`, "
                           "`X-Per-Page` and `Link` say where it is."}


def list_params(default_per_page: int = DEFAULT_PER_PAGE,
                max_per_page: int = MAX_PER_PAGE) -> Callable[..., Awaitable[ListParams]]:
    """A dependency reading page, per_page, sort and order; bounds checked by
    :meth:`ListParams.parse` (a Chinese 422 naming the parameter)."""

    async def dependency(  # async: it only parses (no hand-over to the thread pool)
        page: Annotated[int | None, Query(description=f"page, 1..{MAX_PAGE}",
                                          json_schema_extra={"minimum": 1,
                                                             "maximum": MAX_PAGE})] = None,
        per_page: Annotated[int | None, Query(
            description=f"rows per page, 1..{max_per_page} (default {default_per_page})",
            json_schema_extra={"minimum": 1, "maximum": max_per_page})] = None,
        sort: Annotated[Key | None, Query(description="a sort key of this list")] = None,
        order: Annotated[Key | None, Query(description="asc or desc")] = None,
    ) -> ListParams:
        return ListParams.parse(page, per_page, sort, order,
                                default_per_page=default_per_page, max_per_page=max_per_page)

    return dependency


ListParamsDep = Annotated[ListParams, Depends(list_params())]
# A list page shows more rows than an API page: a dashboard figure links to a list that
# should show every record it counts on one page (175 agreements in force in the demo).
PAGE_DEFAULT_PER_PAGE = 200
PAGE_MAX_PER_PAGE = 500
PageListParamsDep = Annotated[ListParams, Depends(list_params(PAGE_DEFAULT_PER_PAGE,
                                                              PAGE_MAX_PER_PAGE))]


def page_url(request: Request, page: int) -> str:
    """This request's URL on another page (every other parameter kept)."""
    return str(request.url.include_query_params(page=page))


def set_page_headers(response: Response, request: Request, result: Page[Any]) -> None:
    response.headers["X-Total-Count"] = str(result.total)
    response.headers["X-Page"] = str(result.page)
    response.headers["X-Per-Page"] = str(result.per_page)
    links = [(1, "first")]
    if result.has_previous:
        links.append((min(result.page - 1, result.pages), "prev"))
    if result.has_next:
        links.append((result.page + 1, "next"))
    links.append((result.pages, "last"))
    response.headers["Link"] = ", ".join(f'<{page_url(request, n)}>; rel="{rel}"'
                                         for n, rel in links)
