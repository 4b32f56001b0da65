"""The suggestion vocabulary: every word of live product names, with how many products use it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from souk.catalog.models import SearchTerm
from souk.catalog.text import MAX_LEN, MIN_LEN, name_words


def terms_add(*, names: Iterable[str]) -> None:
    """Make new words suggestible at once (counts are refreshed by `terms_rebuild`)."""
    words = set().union(*(name_words(name) for name in names))
    if words:
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=word, product_count=1) for word in sorted(words)],
            ignore_conflicts=True,
        )


_REBUILD = """
INSERT INTO catalog_searchterm (term, product_count)
SELECT word, count(*) FROM (
    SELECT DISTINCT p.id, w AS word
    FROM catalog_product p, regexp_split_to_table(lower(p.name), '[^[:alnum:]]+') AS w
    WHERE p.deleted_at IS NULL AND length(w) BETWEEN %s AND %s
) AS words
GROUP BY word
"""


def terms_rebuild() -> int:
    """Recount the vocabulary from live products (drops words no product uses any more)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_searchterm")
        cursor.execute(_REBUILD, [MIN_LEN, MAX_LEN])
        return int(cursor.rowcount)
