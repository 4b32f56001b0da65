"""`?page=N&page_size=M` pagination: default 20, larger sizes clamped to 100."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# Page numbers and sizes past this are out of range whatever the list (and their offsets
# would not fit PostgreSQL's bigint).
_MAX_QUERY_INT = 10**15


def query_positive_int(raw: str | None) -> int | None:
    """A positive whole number written in decimal digits (as `int` reads them), or None.
    `str.isdigit` also accepts characters such as "²" that `int` refuses, and `int` refuses
    strings of thousands of digits; numbers past `_MAX_QUERY_INT` come back as
    `_MAX_QUERY_INT + 1`."""
    if not raw or not raw.isdecimal():
        return None
    if len(raw) > len(str(_MAX_QUERY_INT)):
        return _MAX_QUERY_INT + 1
    value = min(int(raw), _MAX_QUERY_INT + 1)
    return value if value > 0 else None


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def window(self, request: Request) -> tuple[int, int]:
        """(offset, limit) of the page the request asks for, for rows fetched a page at a time
        (see `PrefetchedPage`). An invalid page number is reported by `paginate_queryset`."""
        size = self.get_page_size(request) or self.page_size
        number = query_positive_int(request.query_params.get(self.page_query_param))
        if number is None or number > _MAX_QUERY_INT:
            number = 1
        return (number - 1) * size, size

    def prefetched_response(
        self, request: Request, view: Any, fetch: Callable[[int, int], dict[str, Any]]
    ) -> Response:
        """The page answer for rows fetched a page at a time: `fetch(offset, limit)` returns
        `{"count", "rows"}` (from a cache, say), serialized with the view's serializer."""
        offset, limit = self.window(request)
        found = fetch(offset, limit)
        page = self.paginate_queryset(
            PrefetchedPage(count=found["count"], offset=offset, rows=found["rows"]),
            request,
            view=view,
        )
        return self.get_paginated_response(view.get_serializer(page, many=True).data)


class PrefetchedPage(Sequence[Any]):
    """One page of rows fetched together with the total (from a cache, say), shaped so that
    `PageNumberPagination.paginate_queryset` can page over it without fetching again."""

    def __init__(self, *, count: int, offset: int, rows: list[Any]) -> None:
        self._count, self._offset, self._rows = count, offset, rows

    def count(self) -> int:  # type: ignore[override]
        return self._count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start = (index.start or 0) - self._offset
            stop = (index.stop if index.stop is not None else self._count) - self._offset
            return self._rows[max(start, 0) : max(stop, 0)]
        return self._rows[index - self._offset]


class EstimatedCountPagination(pagination.BasePagination):
    """`?page=N&page_size=M` over `souk.core.results.Results`, for lists that may match
    millions of rows. Reads `page_size + 1` rows: when they show where the list ends, `count`
    is exact; otherwise it is the planner's estimate (never less than the rows known to exist)
    and `count_exact` is false. Work per page stays flat however large the table grows.
    """

    page_size = 20
    max_page_size = 100
    # Deep offsets cost as much as reading every row before them; past this, narrow the query.
    max_offset = 10_000

    def paginate_results(self, results: Any, request: Request) -> list[Any]:
        self.request = request
        self.page_number = self._page_number(request)
        self.page_size_value = self._page_size(request)
        start = (self.page_number - 1) * self.page_size_value
        if start > self.max_offset:
            raise NotFound(
                f"Only the first {self.max_offset} results can be paged through; "
                "narrow the query with filters."
            )
        rows = list(results.slice(start, start + self.page_size_value + 1))
        if self.page_number > 1 and not rows:
            raise NotFound("Invalid page.")
        self.has_next = len(rows) > self.page_size_value
        rows = rows[: self.page_size_value]
        if self.has_next:
            self.count = max(results.estimate(), start + self.page_size_value + 1)
            self.count_exact = False
        else:
            self.count = start + len(rows)
            self.count_exact = True
        return rows

    @staticmethod
    def _page_number(request: Request) -> int:
        number = query_positive_int(request.query_params.get("page", "1"))
        if number is None:
            raise NotFound("Invalid page.")
        return number

    def _page_size(self, request: Request) -> int:
        size = query_positive_int(request.query_params.get("page_size"))
        if size is None:
            return self.page_size
        return min(size, self.max_page_size)

    def _link(self, page: int) -> str:
        return replace_query_param(self.request.build_absolute_uri(), "page", page)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self._link(self.page_number + 1) if self.has_next else None,
                "previous": (
                    (
                        self._link(self.page_number - 1)
                        if self.page_number > 2
                        else remove_query_param(self.request.build_absolute_uri(), "page")
                    )
                    if self.page_number > 1
                    else None
                ),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123},
                "count_exact": {
                    "type": "boolean",
                    "description": "false: `count` is an estimate (more rows exist than one "
                    "page shows, and they were not counted).",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return pagination.PageNumberPagination().get_schema_operation_parameters(view)
