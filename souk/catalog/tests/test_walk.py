"""Bounded index walks: whatever the walk budget, a page holds exactly what the full ordering
says; only the cost differs (the walk, or the fallback when matches are sparse)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from souk.catalog.models import Product
from souk.catalog.selectors.discovery import product_discover
from souk.catalog.selectors.products import ProductFilters
from souk.catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(shop):
    pots, rugs = make_category("Pots"), make_category("Rugs")
    made = []
    for n in range(24):
        made.append(
            make_product(
                shop=shop,
                category=pots if n % 3 else rugs,
                name=f"{'Clay' if n % 2 else 'Wool'} {'Mug' if n % 4 else 'Rug'} {n}",
                description="Blue glaze." if n % 5 == 0 else "Plain.",
                price=Decimal(10 + (n * 7) % 50),
                quantity=n % 4,
            )
        )
    for n, product in enumerate(made):
        Product.objects.filter(pk=product.pk).update(search_score=(n * 13) % 7)
    return {"pots": pots, "rugs": rugs}


def page_ids(results, start, stop):
    return [product.pk for product in results.slice(start, stop)]


def everything(results):
    return page_ids(results, 0, 1000)


@pytest.mark.parametrize("budget", [1, 2, 5, 11, 23, 24, 25, 1000])
@pytest.mark.parametrize("ordering", ["price", "-price", "name", "-rating", "-created_at"])
def test_list_pages_do_not_depend_on_the_walk_budget(settings, catalog, budget, ordering):
    filters = ProductFilters(min_price=Decimal(20), max_price=Decimal(50), in_stock=True)
    settings.DISCOVERY_INDEX_WALK = 100_000
    expected = everything(product_discover(filters=filters, ordering=ordering))
    assert expected  # the filters keep some products

    settings.DISCOVERY_INDEX_WALK = budget
    results = product_discover(filters=filters, ordering=ordering)

    assert everything(results) == expected
    for start in range(0, len(expected), 3):
        assert page_ids(results, start, start + 3) == expected[start : start + 3]


@pytest.mark.parametrize("budget", [1, 3, 7, 24, 1000])
@pytest.mark.parametrize("text", ["mug", "rug", "blue", "clay -rug", "wool OR clay"])
def test_broad_search_pages_do_not_depend_on_the_walk_budgets(settings, catalog, budget, text):
    settings.SEARCH_EXACT_RANK_LIMIT = 0  # always the broad (tiered) mode
    settings.SEARCH_INDEX_WALK = settings.SEARCH_HEAP_WALK = 100_000
    expected = everything(product_discover(filters=ProductFilters(), search=text))
    assert expected

    settings.SEARCH_INDEX_WALK = settings.SEARCH_HEAP_WALK = budget
    results = product_discover(filters=ProductFilters(), search=text)

    for start in range(0, len(expected), 2):
        assert page_ids(results, start, start + 2) == expected[start : start + 2]


@pytest.mark.parametrize("budget", [1, 4, 1000])
def test_search_with_an_ordering_does_not_depend_on_the_walk_budget(settings, catalog, budget):
    settings.SEARCH_HEAP_WALK = 100_000
    expected = everything(
        product_discover(filters=ProductFilters(), search="mug", ordering="-price")
    )

    settings.SEARCH_HEAP_WALK = budget
    results = product_discover(filters=ProductFilters(), search="mug", ordering="-price")

    assert everything(results) == expected
    assert page_ids(results, 2, 5) == expected[2:5]


KEYS = {
    "price": lambda p: (p.price_min, p.pk),
    "-price": lambda p: (p.price_min, p.pk),
    "name": lambda p: (p.name, p.pk),
    "-rating": lambda p: (p.rating, p.pk),
    "-created_at": lambda p: (p.created_at, p.pk),
}


@pytest.mark.parametrize("ordering", list(KEYS))
def test_category_lists_merge_their_sub_categories_in_order(shop, ordering):
    home = make_category("Home")
    kitchen, garden = make_category("Kitchen", home), make_category("Garden", home)
    made = [
        make_product(
            shop=shop,
            category=[home, kitchen, garden][n % 3],
            name=f"Item {n:02d}",
            price=Decimal(5 + (n * 11) % 40),
            quantity=1,
        )
        for n in range(18)
    ]
    for n, product in enumerate(made):
        Product.objects.filter(pk=product.pk).update(rating=Decimal(n % 5))
    products = sorted(Product.objects.all(), key=KEYS[ordering], reverse=ordering.startswith("-"))
    expected = [p.pk for p in products if p.price_min >= 10]

    results = product_discover(
        filters=ProductFilters(category=home.pk, min_price=Decimal(10)), ordering=ordering
    )

    assert everything(results) == expected
    for start in range(0, len(expected), 4):
        assert page_ids(results, start, start + 4) == expected[start : start + 4]
