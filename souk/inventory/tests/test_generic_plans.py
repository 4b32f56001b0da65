"""The variant lock and the stock update, on its own or in an order's statement, are planned
once per connection: PostgreSQL's `auto` keeps their generic plans after five executions,
with no `plan_cache_mode` set per transaction (one parameter per variant, see
`souk.inventory.locks._lock_sql`)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from souk.inventory.locks import _lock_sql, variants_lock
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import StockChange, _apply_sql, stock_apply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]


def _plans(marker: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
            "FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{marker}%"],
        )
        generic, custom = cursor.fetchone()
    return int(generic), int(custom)


@pytest.fixture
def variants(shop, category, product_factory):
    products = [product_factory(shop=shop, category=category, quantity=500) for _ in range(2)]
    return [product.variants.get() for product in products]


def test_the_lock_and_the_stock_update_keep_their_generic_plans(settings, variants, artisan):
    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared (test_pooler.py)")
    assert settings.DB_LOCKING_PLAN_CACHE_MODE == ""  # PostgreSQL's auto
    ids = [variant.pk for variant in variants]
    for _ in range(9):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            locked = variants_lock(ids)
            stock_apply(
                changes=[StockChange(pk, -1) for pk in ids],
                reason=StockMovement.Reason.SALE,
                actor=artisan,
                locked=locked,
            )
        assert not any("set_config" in query["sql"] for query in queries.captured_queries)

    lock_generic, lock_custom = _plans("FOR NO KEY UPDATE OF v")
    stock_generic, stock_custom = _plans("UPDATE catalog_variant v SET quantity")
    # prepared on the second run; auto plans the first five executions for their values
    assert lock_custom <= 5, (lock_generic, lock_custom)
    assert lock_generic >= 2, (lock_generic, lock_custom)
    assert stock_custom <= 5, (stock_generic, stock_custom)
    assert stock_generic >= 2, (stock_generic, stock_custom)


def test_the_order_statement_that_takes_the_stock_keeps_its_generic_plan(
    settings, variants, customer
):
    """The order's statement takes its stock (`StockWrite`): its text depends only on the
    number of variants, so its plan is kept too."""
    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared (test_pooler.py)")
    from souk.orders.tests.factories import place_order

    for _ in range(9):
        order = place_order(user=customer, lines=[(variant, 1) for variant in variants])
        assert order.items.count() == 2

    generic, custom = _plans("UPDATE catalog_variant v SET quantity")
    assert custom <= 5, (generic, custom)
    assert generic >= 2, (generic, custom)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%INSERT INTO orders_order%stock_changed%"],
        )
        assert cursor.fetchone()[0] == 1  # one text for every order of two variants


def test_an_array_parameter_would_be_planned_afresh_every_time(settings, variants):
    """Why the ids are listed: the same lock with the ids as one array parameter never gets
    its generic plan under auto (if PostgreSQL learns to, the listing can go)."""
    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared (test_pooler.py)")
    sql = _lock_sql(0).replace("SELECT", "SELECT /* arrays */", 1)
    ids = "{" + ",".join(str(variant.pk) for variant in variants) + "}"
    for _ in range(9):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {"variants": ids, "products": "{}"})
    generic, custom = _plans("/* arrays */")
    assert generic == 0, (generic, custom)
    assert custom >= 7, (generic, custom)


@pytest.mark.parametrize("count", [1, 2, 32, 33])
def test_locks_and_updates_any_number_of_variants(count, shop, category, product_factory):
    """Up to LISTED_MAX ids are listed one parameter each, more go as arrays: both lock every
    variant and move every stock."""
    products = [product_factory(shop=shop, category=category, quantity=5) for _ in range(count)]
    ids = sorted(product.variants.get().pk for product in products)
    with transaction.atomic():
        locked = variants_lock([*ids, 2**63])  # an id beyond bigint names nothing
        assert sorted(locked) == ids
        stock_apply(
            changes=[StockChange(pk, -2) for pk in ids],
            reason=StockMovement.Reason.SALE,
            locked=locked,
        )
    for product in products:
        assert product.variants.get().quantity == 3
    assert StockMovement.objects.filter(variant_id__in=ids, delta=-2).count() == count
    assert "IN (" in _lock_sql(1)
    assert "VALUES" in _apply_sql(1)
