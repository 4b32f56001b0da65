"""GET /api/products/: default and explicit orderings, filters, pagination, soft delete, and a
query count that does not grow with the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Product
from souk.catalog.tests.factories import make_category
from souk.core.testing import assert_problem
from souk.shops.services import shop_delete

LIST = "/api/products/"
pytestmark = pytest.mark.django_db

BASE_TIME = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def set_fields(product, **fields):
    """Write fields straight to the row (rating, created_at ...) and return the fresh product."""
    Product.all_objects.filter(pk=product.pk).update(**fields)
    product.refresh_from_db()
    return product


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def four(product_factory, shop, category):
    """Four products whose every ordering gives a different permutation."""
    specs = {
        # name, price, rating, minutes after BASE_TIME
        "a": ("Amber Bowl", "10.00", "4.50", 1),
        "b": ("Birch Spoon", "50.00", "3.00", 3),
        "c": ("Cedar Box", "30.00", "1.50", 0),
        "d": ("Denim Bag", "20.00", "4.90", 2),
    }
    made = {}
    for key, (name, price, rating, minutes) in specs.items():
        product = product_factory(shop=shop, category=category, name=name, price=price)
        made[key] = set_fields(
            product,
            rating=Decimal(rating),
            created_at=BASE_TIME + timedelta(minutes=minutes),
        )
    return made


@pytest.fixture
def make_many(product_factory, shop, category):
    def make(count, **kwargs):
        products = []
        for n in range(count):
            product = product_factory(shop=shop, category=category, name=f"Item {n:03d}", **kwargs)
            products.append(set_fields(product, created_at=BASE_TIME + timedelta(minutes=n)))
        return products

    return make


# --- ordering ----------------------------------------------------------------------------------


def test_default_order_is_newest_first(api_client, four):
    response = api_client.get(LIST)

    assert response.status_code == 200
    assert ids(response) == [four[k].pk for k in "bdac"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", "adcb"),
        ("-price", "bcda"),
        ("created_at", "cadb"),
        ("-created_at", "bdac"),
        ("name", "abcd"),
        ("-name", "dcba"),
        ("rating", "cbad"),
        ("-rating", "dabc"),
    ],
)
def test_each_ordering(api_client, four, ordering, expected):
    response = api_client.get(LIST, {"ordering": ordering})

    assert response.status_code == 200
    assert ids(response) == [four[k].pk for k in expected]


@pytest.mark.parametrize("ordering", ["price", "-rating", "name"])
def test_ties_page_without_repeats_or_gaps(api_client, make_many, ordering):
    products = make_many(7, price="15.00")  # same price, rating; names differ

    seen = []
    for page in (1, 2, 3, 4):
        response = api_client.get(LIST, {"ordering": ordering, "page": page, "page_size": 2})
        assert response.status_code == 200
        seen += ids(response)

    assert sorted(seen) == sorted(p.pk for p in products)
    assert len(seen) == 7


def test_same_creation_time_pages_newest_id_first(api_client, make_many):
    products = make_many(5)
    Product.objects.update(created_at=BASE_TIME)

    walked = []
    for page in (1, 2, 3):
        walked += ids(api_client.get(LIST, {"page": page, "page_size": 2}))

    assert walked == [p.pk for p in reversed(products)]


@pytest.mark.parametrize("ordering", ["price_min", "random", "-id", "search_score", "Price"])
def test_unknown_ordering_is_400(api_client, four, ordering):
    response = api_client.get(LIST, {"ordering": ordering})

    body = assert_problem(response, 400, "validation_error")
    assert "ordering" in body["errors"]


# --- filters -----------------------------------------------------------------------------------


@pytest.fixture
def tree():
    home = make_category("Home")
    ceramics = make_category("Ceramics", home)
    mugs = make_category("Mugs", ceramics)
    textiles = make_category("Textiles")
    return {"home": home, "ceramics": ceramics, "mugs": mugs, "textiles": textiles}


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ("home", ["home", "ceramics", "mugs"]),
        ("ceramics", ["ceramics", "mugs"]),
        ("mugs", ["mugs"]),
        ("textiles", ["textiles"]),
    ],
)
def test_category_includes_descendants(api_client, product_factory, shop, tree, chosen, expected):
    made = {key: product_factory(shop=shop, category=node) for key, node in tree.items()}

    response = api_client.get(LIST, {"category": tree[chosen].pk, "page_size": 100})

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(made[key].pk for key in expected)


def test_unknown_category_is_an_empty_list(api_client, product):
    response = api_client.get(LIST, {"category": 999_999})

    assert response.status_code == 200
    assert response.json() == {
        "count": 0,
        "count_exact": True,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_shop_filter(api_client, product_factory, shop_factory, category):
    first, second = shop_factory(), shop_factory()
    mine = [product_factory(shop=first, category=category) for _ in range(2)]
    product_factory(shop=second, category=category)

    response = api_client.get(LIST, {"shop": first.pk})

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(p.pk for p in mine)


@pytest.fixture
def priced(product_factory, shop, category):
    """cheap 5.00; twenty 20.00; split: variants 12.00 and 30.00 (lowest 12.00); dear 45.00."""
    return {
        "cheap": product_factory(shop=shop, category=category, name="Cheap", price="5.00"),
        "twenty": product_factory(shop=shop, category=category, name="Twenty", price="20.00"),
        "split": product_factory(
            shop=shop,
            category=category,
            name="Split",
            variants=[{"price": "30.00", "quantity": 1}, {"price": "12.00", "quantity": 1}],
        ),
        "dear": product_factory(shop=shop, category=category, name="Dear", price="45.00"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_price": "20"}, {"twenty", "dear"}),
        ({"min_price": "20.00"}, {"twenty", "dear"}),
        ({"min_price": "12.01"}, {"twenty", "dear"}),
        ({"min_price": "12"}, {"split", "twenty", "dear"}),
        ({"max_price": "12"}, {"cheap", "split"}),
        ({"max_price": "11.99"}, {"cheap"}),
        ({"max_price": "25"}, {"cheap", "split", "twenty"}),
        ({"min_price": "10", "max_price": "20"}, {"split", "twenty"}),
        ({"min_price": "20", "max_price": "20"}, {"twenty"}),
        ({"min_price": "46"}, set()),
    ],
)
def test_price_filters_use_the_lowest_variant_price(api_client, priced, params, expected):
    response = api_client.get(LIST, params)

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(priced[key].pk for key in expected)


def test_price_is_the_lowest_variant_price(api_client, priced):
    response = api_client.get(LIST, {"min_price": "12", "max_price": "12"})

    (row,) = response.json()["results"]
    assert row["id"] == priced["split"].pk
    assert row["price"] == "12.00"
    assert sorted(v["price"] for v in row["variants"]) == ["12.00", "30.00"]


def test_min_price_above_max_price_is_400(api_client, priced):
    response = api_client.get(LIST, {"min_price": "30", "max_price": "10"})

    body = assert_problem(response, 400, "validation_error")
    assert "max_price" in body["errors"]


@pytest.mark.parametrize(
    ("field", "value"), [("min_price", "abc"), ("max_price", "ten"), ("min_price", "1e999x")]
)
def test_non_numeric_price_is_400(api_client, priced, field, value):
    response = api_client.get(LIST, {field: value})

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]


@pytest.fixture
def stocked(product_factory, shop, category):
    return {
        "in": product_factory(shop=shop, category=category, name="In", quantity=3),
        "none": product_factory(shop=shop, category=category, name="None", quantity=0),
        "all_zero": product_factory(
            shop=shop,
            category=category,
            name="All zero",
            variants=[{"price": "10.00", "quantity": 0}, {"price": "11.00", "quantity": 0}],
        ),
        "one_left": product_factory(
            shop=shop,
            category=category,
            name="One left",
            variants=[{"price": "10.00", "quantity": 0}, {"price": "11.00", "quantity": 1}],
        ),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", {"in", "one_left"}),
        ("false", {"none", "all_zero"}),
        ("1", {"in", "one_left"}),
        ("0", {"none", "all_zero"}),
    ],
)
def test_in_stock_filter(api_client, stocked, value, expected):
    response = api_client.get(LIST, {"in_stock": value})

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(stocked[key].pk for key in expected)
    assert {row["in_stock"] for row in response.json()["results"]} == {value in ("true", "1")}


def test_without_in_stock_both_kinds_are_listed(api_client, stocked):
    response = api_client.get(LIST)

    assert sorted(ids(response)) == sorted(p.pk for p in stocked.values())


def test_invalid_in_stock_is_400(api_client, stocked):
    response = api_client.get(LIST, {"in_stock": "maybe"})

    body = assert_problem(response, 400, "validation_error")
    assert "in_stock" in body["errors"]


def test_filters_combine(api_client, product_factory, shop_factory, tree):
    first, second = shop_factory(), shop_factory()
    wanted = product_factory(shop=first, category=tree["mugs"], price="15.00", quantity=2)
    # each of these misses exactly one condition
    product_factory(shop=second, category=tree["mugs"], price="15.00", quantity=2)
    product_factory(shop=first, category=tree["textiles"], price="15.00", quantity=2)
    product_factory(shop=first, category=tree["mugs"], price="25.00", quantity=2)
    product_factory(shop=first, category=tree["mugs"], price="5.00", quantity=2)
    product_factory(shop=first, category=tree["mugs"], price="15.00", quantity=0)

    response = api_client.get(
        LIST,
        {
            "category": tree["ceramics"].pk,
            "shop": first.pk,
            "min_price": "10",
            "max_price": "20",
            "in_stock": "true",
        },
    )

    assert response.status_code == 200
    assert ids(response) == [wanted.pk]


# --- soft delete -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "da"),
        ({"ordering": "price"}, "ad"),
        ({"ordering": "-rating"}, "da"),
        ({"in_stock": "true"}, "da"),
        ({"max_price": "100"}, "da"),
    ],
)
def test_soft_deleted_products_never_appear(
    api_client, client_for, artisan, four, params, expected
):
    assert client_for(artisan).delete(f"{LIST}{four['b'].pk}/").status_code == 204
    four["c"].soft_delete()

    response = api_client.get(LIST, params)

    assert ids(response) == [four[k].pk for k in expected]
    assert (response.json()["count"], response.json()["count_exact"]) == (2, True)


def test_products_of_a_deleted_shop_never_appear(api_client, product_factory, shop_factory):
    category = make_category("Wood")
    closed, open_ = shop_factory(), shop_factory()
    product_factory(shop=closed, category=category)
    kept = product_factory(shop=open_, category=category)

    shop_delete(shop=closed)

    assert ids(api_client.get(LIST)) == [kept.pk]
    assert ids(api_client.get(LIST, {"shop": closed.pk})) == []


# --- pagination --------------------------------------------------------------------------------


def test_everything_on_one_page_has_an_exact_count(api_client, make_many):
    products = make_many(5)

    response = api_client.get(LIST)

    assert response.json() == {
        "count": 5,
        "count_exact": True,
        "next": None,
        "previous": None,
        "results": response.json()["results"],
    }
    assert ids(response) == [p.pk for p in reversed(products)]


def test_a_full_last_page_has_an_exact_count_and_no_next(api_client, make_many):
    make_many(10)

    body = api_client.get(LIST, {"page_size": 10}).json()

    assert (body["count"], body["count_exact"], body["next"]) == (10, True, None)
    assert len(body["results"]) == 10


def test_default_page_size_is_20(api_client, make_many):
    products = make_many(25)

    body = api_client.get(LIST).json()

    assert [row["id"] for row in body["results"]] == [p.pk for p in reversed(products)][:20]
    assert body["count_exact"] is False
    assert body["count"] >= 21
    assert query_of(body["next"]) == {"page": "2"}


def test_more_rows_than_a_page_give_an_estimate_and_next_link(api_client, make_many):
    products = make_many(25)
    newest_first = [p.pk for p in reversed(products)]

    first = api_client.get(LIST, {"page_size": 10}).json()

    assert [row["id"] for row in first["results"]] == newest_first[:10]
    assert first["count_exact"] is False
    assert first["count"] >= 11
    assert first["previous"] is None
    assert urlsplit(first["next"]).path == LIST
    assert query_of(first["next"]) == {"page": "2", "page_size": "10"}

    second = api_client.get(first["next"]).json()

    assert [row["id"] for row in second["results"]] == newest_first[10:20]
    assert second["count_exact"] is False
    assert second["count"] >= 21
    assert query_of(second["previous"]) == {"page_size": "10"}
    assert query_of(second["next"]) == {"page": "3", "page_size": "10"}

    third = api_client.get(second["next"]).json()

    assert [row["id"] for row in third["results"]] == newest_first[20:]
    assert (third["count"], third["count_exact"], third["next"]) == (25, True, None)
    assert query_of(third["previous"]) == {"page": "2", "page_size": "10"}


def test_page_size_is_clamped_to_100(api_client, make_many):
    make_many(101)

    first = api_client.get(LIST, {"page_size": 1000}).json()
    second = api_client.get(LIST, {"page_size": 1000, "page": 2}).json()

    assert len(first["results"]) == 100
    assert first["count_exact"] is False
    assert query_of(first["next"]) == {"page": "2", "page_size": "1000"}
    assert len(second["results"]) == 1
    assert (second["count"], second["count_exact"], second["next"]) == (101, True, None)
    everything = [row["id"] for row in first["results"] + second["results"]]
    assert sorted(everything) == sorted(Product.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("page", ["2", "3", "99"])
def test_page_beyond_the_end_is_404(api_client, make_many, page):
    make_many(5)

    response = api_client.get(LIST, {"page": page})

    assert_problem(response, 404, "not_found")


def test_page_beyond_the_end_of_a_paged_list_is_404(api_client, make_many):
    make_many(25)

    assert api_client.get(LIST, {"page": 3, "page_size": 10}).status_code == 200
    assert_problem(api_client.get(LIST, {"page": 4, "page_size": 10}), 404, "not_found")


def test_an_empty_catalog_is_an_empty_first_page(api_client):
    response = api_client.get(LIST)

    assert response.status_code == 200
    assert response.json() == {
        "count": 0,
        "count_exact": True,
        "next": None,
        "previous": None,
        "results": [],
    }


# --- query count -------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_page(
    api_client, product_factory, shop_factory, category
):
    other_category = make_category("Textiles")

    def add(count):
        for n in range(count):
            product_factory(
                shop=shop_factory(),
                category=category if n % 2 else other_category,
                variants=[{"price": "10.00", "quantity": 1}, {"price": "12.00", "quantity": 0}],
            )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(LIST, {"page_size": 50})
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    add(3)
    small = queries()
    add(27)
    large = queries()

    assert small[1] == 3
    assert large[1] == 30
    assert small[0] == large[0]
