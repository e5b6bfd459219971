"""Lists: one page of a query, its total, its order and a keyword search, all in SQL.

Every list of the platform (pages and API) is assembled from three parts:

* :class:`ListParams` — the page, the page size and the requested order, bounded here so that
  ``page=0``, ``per_page=10**9`` or ``order=sideways`` are refused as :class:`InvalidInput`
  (422 for the API, a Chinese message on pages), never a 500;
* :class:`Sorting` — a list's whitelist of sort keys (key → column), its default, and a
  stable tiebreak by id, so that an unknown ``sort`` is refused and equal values never
  shuffle between pages;
* :func:`contains` — ``q`` over named columns as an escaped, case-insensitive LIKE (a user's
  ``%`` or ``_`` matches itself).

:func:`paginate` counts the filtered rows with one ``COUNT`` query and fetches one page with
``LIMIT``/``OFFSET``; nothing is sorted or sliced in Python. The filters themselves stay in
each domain's filter object, so an export can apply exactly what the page applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from coopzone.errors import InvalidInput, RowError

T = TypeVar("T")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# A page number beyond any list the platform will hold (offsets stay small integers).
MAX_PAGE = 100_000
ORDERS = ("asc", "desc")


def _refuse(column: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(zh, [RowError(None, column, zh)], detail=en)


@dataclass(frozen=True)
class ListParams:
    """Which page of a list, how long, in which order (``sort`` None: the list's default)."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str | None = None
    order: str | None = None

    @classmethod
    def parse(cls, page: int | None = None, per_page: int | None = None,
              sort: str | None = None, order: str | None = None, *,
              default_per_page: int = DEFAULT_PER_PAGE,
              max_per_page: int = MAX_PER_PAGE) -> ListParams:
        """Bounded parameters, or InvalidInput naming the parameter and the allowed range."""
        page = 1 if page is None else page
        per_page = default_per_page if per_page is None else per_page
        if not 1 <= page <= MAX_PAGE:
            raise _refuse("page", f"页码应在 1 到 {MAX_PAGE} 之间",
                          f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= per_page <= max_per_page:
            raise _refuse("per_page", f"每页条数应在 1 到 {max_per_page} 之间",
                          f"per_page must be between 1 and {max_per_page}")
        order = (order or "").strip().lower() or None
        if order is not None and order not in ORDERS:
            raise _refuse("order", "排序方向应为 asc（升序）或 desc（降序）",
                          "order must be asc or desc")
        return cls(page, per_page, (sort or "").strip() or None, order)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Sorting:
    """A list's sort keys (key → a column, or a tuple of columns sorted in turn), its default
    key and direction, and the id column that breaks ties so the order is total."""

    keys: Mapping[str, Any]
    default: str
    tiebreak: Any
    default_order: str = "asc"

    def __post_init__(self) -> None:
        assert self.default in self.keys and self.default_order in ORDERS

    def resolve(self, params: ListParams) -> tuple[str, str]:
        """The (key, order) a request asks for, or InvalidInput for a key not offered."""
        key = params.sort or self.default
        if key not in self.keys:
            raise _refuse("sort", f"不能按“{key}”排序，可选：{'、'.join(self.keys)}",
                          f"unknown sort key {key!r}; one of {', '.join(self.keys)}")
        order = params.order or (self.default_order if key == self.default else "asc")
        return key, order

    def clauses(self, key: str, order: str) -> list[Any]:
        value = self.keys[key]
        columns = [*(value if isinstance(value, tuple) else (value,)), self.tiebreak]
        if order == "desc":
            return [column.desc() for column in columns]
        return [column.asc() for column in columns]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, the total over every page, and how it was asked for."""

    items: list[T]
    total: int
    page: int
    per_page: int
    sort: str
    order: str

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, an empty list shows one empty page)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first row (0 on an empty page)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items) if self.items else 0


def escape_like(text: str, escape: str = "\\") -> str:
    """``text`` as a literal inside a LIKE pattern: the wildcards and the escape match
    themselves."""
    return (text.replace(escape, escape * 2).replace("%", escape + "%")
            .replace("_", escape + "_"))


def contains(q: str | None, columns: Sequence[Any]) -> ColumnElement[bool] | None:
    """Rows where any of ``columns`` contains ``q`` (case-insensitive, wildcards escaped);
    None when there is nothing to search for."""
    text = (q or "").strip()
    if not text:
        return None
    if not columns:
        return false()
    pattern = f"%{escape_like(text)}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def count(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    """The rows ``query`` would return, in one COUNT query (its order and options ignored)."""
    inner = query.order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def paginate(session: Session, query: Select[T], params: ListParams,
             sorting: Sorting) -> Page[T]:
    """One page of ``query`` (filters already applied) in the order asked for, with the total
    count of the whole list."""
    key, order = sorting.resolve(params)
    total = count(session, query)
    rows = session.scalars(query.order_by(None).order_by(*sorting.clauses(key, order))
                           .limit(params.per_page).offset(params.offset))
    return Page(list(rows.unique()), total, params.page, params.per_page, key, order)


def sort_rows(query: Select[T], sorting: Sorting,
              params: ListParams | None = None) -> Select[T]:
    """``query`` in a list's order without paging (an export of the whole filtered list)."""
    key, order = sorting.resolve(params or ListParams())
    return query.order_by(None).order_by(*sorting.clauses(key, order))
