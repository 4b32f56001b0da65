"""Result sets that read one page at a time and never count every matching row.

`count()` is exact only when it is cheap; otherwise callers fall back to `estimate()`, the
planner's figure. See `souk.core.pagination.EstimatedCountPagination`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.db.models import QuerySet

from souk.core.counting import estimated_count


class Results(Protocol):
    def slice(self, start: int, stop: int) -> Sequence[Any]: ...

    def estimate(self) -> int: ...


class QuerysetResults:
    def __init__(self, queryset: QuerySet[Any], estimator: Callable[[], int] | None = None) -> None:
        self.queryset = queryset
        self._estimator = estimator

    def slice(self, start: int, stop: int) -> Sequence[Any]:
        return list(self.queryset[start:stop])

    def estimate(self) -> int:
        return self._estimator() if self._estimator else estimated_count(self.queryset)


class ChainedResults:
    """`first` then `second` (disjoint querysets, each in its own index-friendly order)."""

    def __init__(
        self, first: QuerySet[Any], second: QuerySet[Any], estimator: Callable[[], int]
    ) -> None:
        self.first = first
        self.second = second
        self._estimator = estimator

    def slice(self, start: int, stop: int) -> Sequence[Any]:
        head = list(self.first[start:stop])
        if len(head) == stop - start:
            return head
        # Where `first` ends: known from a partial page, else counted up to `start` only.
        first_size = start + len(head) if head else (self.first[:start].count() if start else 0)
        tail_start = max(0, start - first_size)
        tail_stop = stop - first_size
        return head + list(self.second[tail_start:tail_stop])

    def estimate(self) -> int:
        return self._estimator()
