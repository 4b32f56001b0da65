"""Result sets that read one page at a time and never count every matching row.

A page is read in two steps when a `fetch` is given: the ids of the page (plus any carried
annotations such as a distance) from the filtered, ordered queryset, which PostgreSQL can
answer from a covering index without touching the table; then the full rows of those ids
only. `estimate()` is the planner's figure for the whole set; see
`souk.core.pagination.EstimatedCountPagination`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from django.db import connections, transaction
from django.db.models import QuerySet

from souk.core.counting import estimated_count

Fetch = Callable[[list[Any]], dict[Any, Any]]


class Results(Protocol):
    def slice(self, start: int, stop: int) -> Sequence[Any]: ...

    def estimate(self) -> int: ...


class QuerysetResults:
    def __init__(
        self,
        queryset: QuerySet[Any],
        estimator: Callable[[], int] | None = None,
        *,
        fetch: Fetch | None = None,
        carry: Sequence[str] = (),
        planner: Mapping[str, str] | None = None,
    ) -> None:
        self.queryset = queryset
        self._estimator = estimator
        self.fetch = fetch
        self.carry = tuple(carry)
        self.planner = dict(planner or {})

    def _read(
        self, queryset: QuerySet[Any], start: int, stop: int, *, planned: bool = True
    ) -> list[Any]:
        if not (self.planner and planned):
            return list(queryset[start:stop])
        # Planner settings for this one statement (e.g. keep an index-ordered plan whose
        # statistics PostgreSQL cannot judge), reset when the transaction ends.
        with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
            for name, value in self.planner.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            return list(queryset[start:stop])

    def slice(self, start: int, stop: int) -> Sequence[Any]:
        return self._slice_of(self.queryset, start, stop)

    def _slice_of(
        self, queryset: QuerySet[Any], start: int, stop: int, *, planned: bool = True
    ) -> list[Any]:
        if self.fetch is None:
            return self._read(queryset, start, stop, planned=planned)
        rows = self._read(queryset.values_list("pk", *self.carry), start, stop, planned=planned)
        objects = self.fetch([row[0] for row in rows])
        page = []
        for row in rows:
            item = objects.get(row[0])
            if item is None:  # gone between the two reads
                continue
            for name, value in zip(self.carry, row[1:], strict=True):
                setattr(item, name, value)
            page.append(item)
        return page

    def size_up_to(self, limit: int) -> int:
        return self.queryset.order_by()[:limit].count() if limit else 0

    def estimate(self) -> int:
        return self._estimator() if self._estimator else estimated_count(self.queryset)


class ChainedResults:
    """`first` then `second` (disjoint sets, each in its own index-friendly order)."""

    def __init__(
        self, first: QuerysetResults, second: QuerysetResults, estimator: Callable[[], int]
    ) -> None:
        self.first = first
        self.second = second
        self._estimator = estimator

    def slice(self, start: int, stop: int) -> Sequence[Any]:
        head = list(self.first.slice(start, stop))
        if len(head) == stop - start:
            return head
        # Where `first` ends: known from a partial page, else counted up to `start` only.
        first_size = start + len(head) if head else self.first.size_up_to(start)
        tail_start = max(0, start - first_size)
        tail_stop = stop - first_size
        return head + list(self.second.slice(tail_start, tail_stop))

    def estimate(self) -> int:
        return self._estimator()


class WalkResults(QuerysetResults):
    """A page read by walking an ordering index a bounded distance, with a fallback.

    `walk` is the filtered queryset; its rows are read from the first `budget` entries of the
    ordering index only (`order`), which carries the `columns` the filters test: the walk costs
    the same however rare the matches are, and reads no table rows when the index covers the
    filters. If the page is not complete within that range, the matches are sparse and
    `fallback` (the same set, free for PostgreSQL to read through any index, e.g. text) reads
    them all: few, because sparse.
    """

    def __init__(
        self,
        walk: QuerySet[Any],
        fallback: QuerySet[Any],
        *,
        order: tuple[str, ...],
        budget: int,
        columns: Sequence[str],
        estimator: Callable[[], int] | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        # The fallback runs only when matches are sparse: read them through the filters'
        # indexes and sort, never by walking an ordering index (which PostgreSQL, misled by
        # estimates that assume independent filters, would otherwise often prefer).
        super().__init__(
            fallback,
            estimator,
            fetch=fetch,
            planner={
                "enable_indexscan": "off",
                "enable_indexonlyscan": "off",
                # room for exact bitmaps: a lossy one rechecks every row of its pages
                "work_mem": "32MB",
            },
        )
        self.walk = walk
        self.order = order
        self.budget = budget
        self.columns = tuple(columns)

    def _order_sql(self, table: str, quote: Callable[[str], str]) -> str:
        model = self.walk.model
        parts = []
        for field in self.order:
            column = model._meta.get_field(field.lstrip("-")).column
            parts.append(f"{table}.{quote(column)} {'DESC' if field.startswith('-') else 'ASC'}")
        return ", ".join(parts)

    def walk_sql(
        self, start: int, stop: int, *, budget: int | None = None
    ) -> tuple[str, tuple[Any, ...]] | None:
        """SQL reading ids [start:stop) of `walk` from the first `budget` (or `stop`) index
        entries: the filters run over a LIMITed, index-ordered subquery (PostgreSQL cannot
        end an index range at a row comparison, so a bound in the WHERE clause would not
        stop the scan). None when the walk cannot be written so."""
        model = self.walk.model
        connection = connections[self.walk.db]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ["pk", *(field.lstrip("-") for field in self.order), *self.columns]
        selected = list(
            dict.fromkeys(
                model._meta.get_field(name).column if name != "pk" else model._meta.pk.column
                for name in names
            )
        )
        # Identifiers are the model's own, quoted; the limit is an int.
        columns = ", ".join(f"{table}.{quote(column)}" for column in selected)
        deleted, order, limit = (
            quote("deleted_at"),
            self._order_sql(table, quote),
            int(max(budget or self.budget, stop)),
        )
        inner = " ".join(
            [
                f"SELECT {columns}, NULL::timestamptz AS {deleted} FROM {table}",  # noqa: S608
                f"WHERE {table}.{deleted} IS NULL ORDER BY {order} LIMIT {limit}",
            ]
        )
        sql, params = (
            self.walk.order_by(*self.order).values_list("pk")[start:stop].query.sql_with_params()
        )
        marker = f" FROM {table} "
        if sql.count(marker) != 1:
            return None
        return sql.replace(marker, f" FROM ({inner}) AS {table} ", 1), params

    def _universe_reaches(self, stop: int) -> bool:
        """Whether the index holds more than the walk would read (else the fallback, which
        then reads a small table, is exact and as cheap)."""
        reach = max(self.budget, stop)
        live = self.walk.model._default_manager.order_by(*self.order).values_list("pk")
        return bool(list(live[reach - 1 : reach]))

    def _walk_ids(self, start: int, stop: int) -> list[Any] | None:
        """The page's ids from a bounded walk, or None when the walk does not fill it. A walk
        that found some matches but too few is extended once, as far as the density it saw
        suggests (up to ten times the budget): matches that are merely not dense enough are
        cheaper to walk to than to read all through the fallback."""
        if not self._universe_reaches(stop):
            return None
        budget = self.budget
        for _ in range(2):
            statement = self.walk_sql(start, stop, budget=budget)
            if statement is None:
                return None
            with connections[self.walk.db].cursor() as cursor:
                cursor.execute(*statement)
                ids = [row[0] for row in cursor.fetchall()]
            if len(ids) == stop - start:
                return ids
            if not ids or budget >= self.budget * 10:
                return None
            found = start + len(ids)  # matches within the walked range
            budget = min(self.budget * 10, int(budget * stop / found * 1.5) + 1)
        return None

    def slice(self, start: int, stop: int) -> Sequence[Any]:
        ids = self._walk_ids(start, stop)
        if ids is not None:
            model = self.walk.model
            objects = self.fetch(ids) if self.fetch else model._default_manager.in_bulk(ids)
            return [objects[pk] for pk in ids if pk in objects]
        return self._slice_of(self.queryset, start, stop)


class MergedResults(QuerysetResults):
    """The union of several disjoint querysets, each read in `order` (through its own index),
    merged: a page costs one short index range per part instead of sorting every row of all
    parts. Used for lists filtered by a category and its sub-categories."""

    def __init__(
        self,
        parts: Sequence[QuerySet[Any]],
        *,
        order: tuple[str, ...],
        estimator: Callable[[], int],
        fetch: Fetch,
    ) -> None:
        super().__init__(parts[0], estimator, fetch=fetch)
        self.parts = list(parts)
        self.order = order

    def slice(self, start: int, stop: int) -> Sequence[Any]:
        columns = [field.lstrip("-") for field in self.order]
        heads = [
            part.order_by(*self.order).values_list("pk", *columns)[:stop] for part in self.parts
        ]
        merged = heads[0].union(*heads[1:], all=True) if len(heads) > 1 else heads[0]
        if len(heads) > 1:
            merged = merged.order_by(*self.order)
        rows = list(merged[start:stop])
        objects = self.fetch([row[0] for row in rows]) if self.fetch else {}
        return [objects[row[0]] for row in rows if row[0] in objects]
