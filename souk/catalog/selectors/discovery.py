"""Finding products: full-text search, radius search, and typo-tolerant suggestions.

Every read here touches a number of rows that depends on the page asked for, not on the size
of the catalog:

- radius search walks the GiST index on `location` nearest-first (KNN `<->`), bounded by
  `ST_DWithin`, and stops after one page;
- search ranks every match by weighted full-text rank (`ts_rank`; name above category and
  attributes above description) when the planner expects few matches; for broad queries it
  returns products whose *name* matches first, then the others, each by quality score, so
  that PostgreSQL can walk the score index and stop after one page instead of ranking tens of
  thousands of rows;
- suggestions correct and complete the typed words against the vocabulary of product-name
  words (trigram GiST index), then fetch the best products whose names hold those words.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet

from souk.catalog.models import Product
from souk.catalog.selectors.products import (
    ProductFilters,
    product_base,
    product_filter,
    product_order,
)
from souk.catalog.text import word_list
from souk.core.counting import estimated_count
from souk.core.geo import Near, radius_estimate, within
from souk.core.results import ChainedResults, QuerysetResults, Results

SEARCH_CONFIG = "english"
# ts_rank weights for D, C, B, A: description (C) < category/attributes (B) < name (A).
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _excludes_words(text: str) -> bool:
    """Whether the parsed query holds a NOT ("-blue", "mug(-blue)", ...)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, text]
        )
        (parsed,) = cursor.fetchone()
    return "!" in parsed


def product_search(
    queryset: QuerySet[Product], text: str, *, ordering: str | None = None
) -> Results:
    """Products matching `text` (websearch syntax: words, "phrases", -exclusions, OR).

    With an explicit `ordering` the matches come in that order; otherwise by relevance.
    """
    query = _query(text)
    matched = queryset.filter(search_vector=query)
    if ordering is not None:
        return QuerysetResults(product_order(matched, ordering))
    expected = estimated_count(matched)
    if expected <= settings.SEARCH_EXACT_RANK_LIMIT:
        ranked = matched.annotate(
            rank=SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS)
        ).order_by("-rank", "-search_score", "-id")
        return QuerysetResults(ranked, estimator=lambda: expected)
    by_score = ("-search_score", "-id")
    # A name match is a full match unless the query excludes words ("-blue"), so the full-text
    # condition is left out of the first tier: PostgreSQL would multiply the two selectivities
    # as if independent, expect a handful of rows, and sort every match instead of walking the
    # score index.
    names = queryset.filter(name_vector=query)
    if _excludes_words(text):
        names = names.filter(search_vector=query)
    return ChainedResults(
        names.order_by(*by_score),
        matched.exclude(name_vector=query).order_by(*by_score),
        estimator=lambda: expected,
    )


# --- suggestions ---------------------------------------------------------------------------

SUGGEST_MAX_SCANNED = 400

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
    with connection.cursor() as cursor:
        cursor.execute(SIMILAR_TERM_SQL, [word, word, limit])
        return [row[0] for row in cursor.fetchall()]


def _prefix_terms(prefix: str, limit: int) -> list[str]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with connection.cursor() as cursor:
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
    """Up to `limit` {id, name} of products whose names hold the (corrected, completed) words,
    best-rated first, one per distinct name."""
    groups = suggestion_terms(text)
    if not groups:
        return []
    query: SearchQuery | None = None
    for options in groups:
        alternatives = SearchQuery(options[0], search_type="plain", config=SEARCH_CONFIG)
        for option in options[1:]:
            alternatives |= SearchQuery(option, search_type="plain", config=SEARCH_CONFIG)
        query = alternatives if query is None else query & alternatives
    candidates = (
        Product.objects.filter(name_vector=query)
        .order_by("-search_score", "-id")
        .values_list("id", "name")
    )
    seen: set[str] = set()
    picked: list[dict[str, Any]] = []
    # Read best-first in batches until `limit` distinct names: many products may share a
    # name. Bounded, so that a very common word still costs a fixed amount.
    batch = limit * 4
    for start in range(0, SUGGEST_MAX_SCANNED, batch):
        rows = list(candidates[start : start + batch])
        for product_id, name in rows:
            key = " ".join(name.lower().split())
            if key not in seen:
                seen.add(key)
                picked.append({"id": product_id, "name": name})
        if len(picked) >= limit or len(rows) < batch:
            break
    return picked[:limit]


def product_discover(
    *,
    filters: ProductFilters,
    search: str | None = None,
    ordering: str | None = None,
    near: Near | None = None,
) -> Results:
    """The product list behind /api/products/, geosearch and the search alias."""
    products = product_filter(product_base(), filters)
    if near is None:
        if search:
            return product_search(products, search, ordering=ordering)
        return QuerysetResults(product_order(products, ordering))
    if search:
        products = products.filter(search_vector=_query(search))
    nearby = within(products, near)
    if ordering is not None:
        nearby = product_order(nearby, ordering)
    return QuerysetResults(nearby, estimator=lambda: radius_estimate(products, near))
