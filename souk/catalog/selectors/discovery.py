"""Finding products: full-text search, radius search, and typo-tolerant suggestions.

Every read here touches a number of rows that depends on the page asked for, not on the size
of the catalog:

- lists first read one page of ids from an index (covering the filtered columns, so the walk
  never touches the table), then fetch just those rows;
- radius search walks the GiST index on `location` nearest-first (KNN `<->`), bounded by the
  radius box, and stops after one page;
- search ranks every match by weighted full-text rank (`ts_rank`; name above category and
  attributes above description) when the planner expects few matches; for broad queries it
  returns products whose *name* matches first, then the others, each by quality score, so
  that PostgreSQL can walk the score index and stop after one page instead of ranking tens of
  thousands of rows;
- suggestions correct and complete the typed words against the vocabulary of product-name
  words (trigram GiST index), then fetch the best products whose names hold those words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, Q, QuerySet

from souk.catalog.models import FILTERED, GeoCell, Product, SearchTerm, SuggestName
from souk.catalog.selectors.categories import category_descendant_ids
from souk.catalog.selectors.estimates import match_bound, parse
from souk.catalog.selectors.products import (
    DEFAULT_ORDERING,
    ORDERINGS,
    ProductFilters,
    product_filter,
    product_order,
    products_by_id,
)
from souk.catalog.text import word_list
from souk.core.counting import estimated_count
from souk.core.db_router import read_connection
from souk.core.geo import Near, bounding_box, within
from souk.core.results import (
    ChainedResults,
    MergedResults,
    QuerysetResults,
    Results,
    WalkResults,
)
from souk.core.search import TsMatch

SEARCH_CONFIG = "english"
# ts_rank weights for D, C, B, A: description (C) < category/attributes (B) < name (A).
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def product_search(
    queryset: QuerySet[Product], text: str, *, ordering: str | None = None
) -> Results:
    """Products matching `text` (websearch syntax: words, "phrases", -exclusions, OR).

    With an explicit `ordering` the matches come in that order; otherwise by relevance.
    """
    query = _query(text)
    matched = queryset.filter(search_vector=query)
    parsed, lexemes = parse(text)
    bound = match_bound("search_vector", parsed, lexemes)

    def expected() -> int:
        return min(bound, estimated_count(matched))

    if ordering is not None:
        return walk(
            queryset.filter(TsMatch(F("search_vector"), query)),
            matched,
            order=ORDERINGS[ordering],
            budget=settings.SEARCH_HEAP_WALK,
            columns=(*FILTERED, "search_vector"),
            estimator=expected,
        )
    if bound <= settings.SEARCH_EXACT_RANK_LIMIT:
        ranked = matched.annotate(
            rank=SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS)
        ).order_by("-rank", "-search_score", "-id")
        return QuerysetResults(ranked, estimator=expected, fetch=products_by_id)
    # A name match is a full match unless the query excludes words ("-blue"), so the full-text
    # test is left out of the first tier unless needed.
    names = queryset.filter(name_vector=query)
    name_walk = queryset.filter(TsMatch(F("name_vector"), query))
    if "!" in parsed:
        names = names.filter(search_vector=query)
        name_walk = name_walk.filter(TsMatch(F("search_vector"), query))
    not_in_name = ~Q(TsMatch(F("name_vector"), query))
    return ChainedResults(
        walk(
            name_walk,
            names,
            order=BY_SCORE,
            budget=settings.SEARCH_INDEX_WALK,
            columns=(*FILTERED, "name_vector", *(("search_vector",) if "!" in parsed else ())),
        ),
        walk(
            queryset.filter(TsMatch(F("search_vector"), query), not_in_name),
            matched.filter(not_in_name),
            order=BY_SCORE,
            budget=settings.SEARCH_HEAP_WALK,
            columns=(*FILTERED, "name_vector", "search_vector"),
        ),
        estimator=expected,
    )


BY_SCORE = ("-search_score", "-id")


def _by_category(
    filters: ProductFilters, order: tuple[str, ...], products: QuerySet[Product]
) -> Results:
    """A category and its sub-categories: one index range per category, merged (each
    category's own ordering index knows nothing of the others' prices or names)."""
    others = product_filter(Product.objects.all(), replace(filters, category=None))
    parts = [
        others.filter(category_id=category)
        for category in category_descendant_ids(filters.category or 0)
    ]
    if not parts:
        return QuerysetResults(Product.objects.none())
    return MergedResults(
        parts, order=order, estimator=lambda: estimated_count(products), fetch=products_by_id
    )


def walk(
    walked: QuerySet[Product],
    fallback: QuerySet[Product],
    *,
    order: tuple[str, ...],
    budget: int,
    columns: tuple[str, ...] = FILTERED,
    estimator: Callable[[], int] | None = None,
) -> WalkResults:
    """Read pages in `order` by a bounded walk of its index, else through `fallback`
    (see `souk.core.results.WalkResults`)."""
    return WalkResults(
        walked,
        fallback.order_by(*order),
        order=order,
        budget=budget,
        columns=columns,
        estimator=estimator,
        fetch=products_by_id,
    )


# --- suggestions ---------------------------------------------------------------------------

SIMILAR_TERM_SQL = """
SELECT term FROM catalog_searchterm
WHERE term %% %s
ORDER BY term <-> %s
LIMIT %s
"""
PREFIX_TERM_SQL = """
SELECT term FROM catalog_searchterm
WHERE term LIKE %s
ORDER BY product_count DESC, term
LIMIT %s
"""


def _similar_terms(word: str, limit: int) -> list[str]:
    with read_connection(SearchTerm).cursor() as cursor:
        cursor.execute(SIMILAR_TERM_SQL, [word, word, limit])
        return [row[0] for row in cursor.fetchall()]


def _prefix_terms(prefix: str, limit: int) -> list[str]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with read_connection(SearchTerm).cursor() as cursor:
        cursor.execute(PREFIX_TERM_SQL, [escaped + "%", limit])
        return [row[0] for row in cursor.fetchall()]


def suggestion_terms(text: str) -> list[list[str]]:
    """For each typed word, the vocabulary words it may mean (the last word may be
    unfinished, so it also matches by prefix). Words with no plausible match are dropped."""
    words = word_list(text)[:5]
    groups: list[list[str]] = []
    for index, word in enumerate(words):
        last = index == len(words) - 1
        options = _prefix_terms(word, 4) if last else []
        if word not in options:
            options = [term for term in _similar_terms(word, 2) if term not in options] + options
        if options:
            groups.append(options[:5])
    return groups


def product_suggest(text: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """Up to `limit` {id, name}: distinct product names holding the (corrected, completed)
    words, best-rated first, each with its best-rated live product. Searches the table of
    distinct names, so many products sharing a name cost nothing extra."""
    groups = suggestion_terms(text)
    if not groups:
        return []
    query: SearchQuery | None = None
    for options in groups:
        alternatives = SearchQuery(options[0], search_type="plain", config=SEARCH_CONFIG)
        for option in options[1:]:
            alternatives |= SearchQuery(option, search_type="plain", config=SEARCH_CONFIG)
        query = alternatives if query is None else query & alternatives
    # Names whose suggested product was removed in bulk (a shop closing) linger until the
    # hourly recount; read a few extra and drop those, checking liveness for a page only.
    rows = list(
        SuggestName.objects.filter(name_vector=query)
        .order_by("-score", "-product_count", "key")
        .values_list("product_id", "name")[: limit * 2]
    )
    alive = set(Product.objects.filter(pk__in=[pk for pk, _ in rows]).values_list("pk", flat=True))
    rows = [(product_id, name) for product_id, name in rows if product_id in alive][:limit]
    return [{"id": product_id, "name": name} for product_id, name in rows]


def product_discover(
    *,
    filters: ProductFilters,
    search: str | None = None,
    ordering: str | None = None,
    near: Near | None = None,
) -> Results:
    """The product list behind /api/products/, geosearch and the search alias."""
    products = product_filter(Product.objects.all(), filters)
    if near is None:
        if search:
            return product_search(products, search, ordering=ordering)
        if filters.category is not None:
            return _by_category(filters, ORDERINGS[ordering or DEFAULT_ORDERING], products)
        return walk(
            products,
            products,
            order=ORDERINGS[ordering or DEFAULT_ORDERING],
            budget=settings.DISCOVERY_INDEX_WALK,
        )
    planner: dict[str, str] = {}
    if search:
        products = products.filter(search_vector=_query(search))
        parsed, lexemes = parse(search)
        text_first = (
            match_bound("search_vector", parsed, lexemes) <= settings.GEOSEARCH_TEXT_FIRST_LIMIT
        )
    else:
        text_first = False
    if not text_first:
        # PostgreSQL misjudges how many products a radius holds (clustered cities defeat its
        # geography statistics) and may then sort everything in the circle; walking the GiST
        # index nearest-first is right unless a rare search word narrows things down first.
        planner["enable_bitmapscan"] = "off"
    nearby = within(products, near)
    if ordering is not None:
        nearby = product_order(nearby, ordering)
    filtered = search is not None or filters != ProductFilters()
    return QuerysetResults(
        nearby,
        estimator=lambda: products_near_estimate(products if filtered else None, near),
        fetch=products_by_id,
        carry=("distance",),
        planner=planner,
    )


def products_near_estimate(products: QuerySet[Product] | None, near: Near) -> int:
    """How many of `products` (None: all live products) lie within the radius, from the
    density map (0.1-degree cells, each counted by how much of it the box covers, times
    circle/box) and the selectivity of the other filters."""
    south, west, north, east = bounding_box(near)
    covered = 0.0
    cells = GeoCell.objects.filter(
        lat_cell__gte=math.floor(south * 10),
        lat_cell__lte=math.floor(north * 10),
        lng_cell__gte=math.floor(west * 10),
        lng_cell__lte=math.floor(east * 10),
    ).values_list("lat_cell", "lng_cell", "products")
    for lat_cell, lng_cell, count in cells:
        lat_part = min(lat_cell + 1, north * 10) - max(lat_cell, south * 10)
        lng_part = min(lng_cell + 1, east * 10) - max(lng_cell, west * 10)
        covered += count * max(0.0, lat_part) * max(0.0, lng_part)
    selectivity = 1.0
    if products is not None:  # the share of live products the other filters keep
        everything = max(1, estimated_count(Product.objects.all()))
        selectivity = min(1.0, estimated_count(products) / everything)
    return int(covered * (math.pi / 4) * selectivity)
