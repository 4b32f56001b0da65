"""How many products a text query can match, judged so that multi-word queries are not
underestimated.

PostgreSQL estimates `vector @@ 'a' & 'b'` as if the words were independent; in a catalog
they are not ("brass" and "lamp" go together), so it expects a few hundred rows where there
are tens of thousands and then picks a plan that reads them all. Single-word estimates come
straight from the column statistics and are good, so a query's matches are bounded by its
rarest required word (or by the sum of the alternatives of an OR).
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery

from souk.catalog.models import Product
from souk.core.cache import cache_get_or_set_safe
from souk.core.counting import estimated_count
from souk.core.db_router import read_connection

SEARCH_CONFIG = "english"
LEXEME = re.compile(r"(!?)'((?:[^']|'')*)'")
ESTIMATE_TTL = 600


def parse(text: str) -> tuple[str, list[str]]:
    """The query as PostgreSQL parses it (websearch syntax) and its required lexemes."""
    with read_connection(Product).cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, text]
        )
        (parsed,) = cursor.fetchone()
    lexemes = [
        match.group(2).replace("''", "'") for match in LEXEME.finditer(parsed) if not match.group(1)
    ]
    return parsed, list(dict.fromkeys(lexemes))


def _lexeme_estimate(field: str, lexeme: str) -> int:
    def compute() -> int:
        raw = "'" + lexeme.replace("'", "''") + "'"
        query = SearchQuery(raw, search_type="raw", config="simple")
        return estimated_count(Product.objects.filter(**{field: query}))

    return cache_get_or_set_safe(f"catalog:lexeme:{field}:{lexeme}", compute, ESTIMATE_TTL)


def match_bound(field: str, parsed: str, lexemes: list[str]) -> int:
    """At most how many live products `field @@ query` can match (by the statistics)."""
    if not lexemes:
        return 0
    counts = [_lexeme_estimate(field, lexeme) for lexeme in lexemes]
    return sum(counts) if "|" in parsed else min(counts)
