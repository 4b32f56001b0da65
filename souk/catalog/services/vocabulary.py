"""What suggestions search: the vocabulary of words in live product names (to correct and
complete what was typed) and the distinct product names themselves."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from souk.catalog.locks import suggest_name_lock
from souk.catalog.models import Product, SearchTerm, SuggestName
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


def name_key(name: str) -> str:
    return " ".join(name.lower().split())


_NAME_UPSERT = """
INSERT INTO catalog_suggestname (key, name, product_id, product_count, score)
VALUES (%s, %s, %s, 1, %s)
ON CONFLICT (key) DO UPDATE SET
    product_count = catalog_suggestname.product_count + 1,
    product_id = CASE WHEN EXCLUDED.score > catalog_suggestname.score
                      THEN EXCLUDED.product_id ELSE catalog_suggestname.product_id END,
    name = CASE WHEN EXCLUDED.score > catalog_suggestname.score
                THEN EXCLUDED.name ELSE catalog_suggestname.name END,
    score = GREATEST(EXCLUDED.score, catalog_suggestname.score)
"""


def names_add(*, products: Iterable[Product]) -> None:
    """Make the names of new (or renamed) products suggestible at once."""
    with connection.cursor() as cursor:
        for product in products:
            cursor.execute(
                _NAME_UPSERT,
                [name_key(product.name), product.name, product.pk, product.search_score],
            )


_NAMES_REBUILD = r"""
INSERT INTO catalog_suggestname (key, name, product_id, product_count, score)
SELECT key,
       (array_agg(name ORDER BY search_score DESC, id DESC))[1],
       (array_agg(id ORDER BY search_score DESC, id DESC))[1],
       count(*), max(search_score)
FROM (
    SELECT regexp_replace(lower(btrim(name)), '\s+', ' ', 'g') AS key, name, id, search_score
    FROM catalog_product WHERE deleted_at IS NULL
) AS live
GROUP BY key
"""


def names_rebuild() -> int:
    """Recompute distinct names from live products (best-rated product of each name)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_suggestname")
        cursor.execute(_NAMES_REBUILD)
        return int(cursor.rowcount)


def names_remove(*, product: Product, name: str) -> None:
    """`product` no longer carries `name` (renamed or deleted): count it out, and hand the
    name to another live product of that name if it was the one suggested."""
    key = name_key(name)
    row = suggest_name_lock(key=key)
    if row is None:
        return
    if row.product_count <= 1:
        row.delete()
        return
    row.product_count -= 1
    if row.product_id == product.pk:
        successor = (
            Product.objects.filter(name=name)
            .exclude(pk=product.pk)
            .order_by("-search_score", "-id")
            .first()
        )
        if successor is None:
            row.delete()
            return
        row.product_id, row.score = successor.pk, successor.search_score
    row.save(update_fields=["product_count", "product", "score"])


def names_rescore(*, product: Product) -> None:
    """The product's quality score changed: its name's best product may now be this one."""
    SuggestName.objects.filter(key=name_key(product.name), score__lt=product.search_score).update(
        product_id=product.pk, name=product.name, score=product.search_score
    )
