"""Variants of a product: list, add, edit, delete; the product's price follows them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Product, Variant
from souk.core.testing import assert_problem
from souk.shops.models import Shop

VARIANT_FIELDS = {"id", "sku", "price", "quantity", "in_stock", "attributes"}

pytestmark = pytest.mark.django_db


def variants_url(product_id):
    return f"/api/products/{product_id}/variants/"


def variant_url(product_id, variant_id):
    return f"/api/products/{product_id}/variants/{variant_id}/"


def product_url(product_id):
    return f"/api/products/{product_id}/"


def snapshot():
    products = list(
        Product.all_objects.order_by("pk").values_list("pk", "name", "price_min", "deleted_at")
    )
    variants = list(
        Variant.all_objects.order_by("pk").values_list(
            "pk", "product_id", "sku", "price", "quantity", "attributes", "position", "deleted_at"
        )
    )
    shops = list(Shop.all_objects.order_by("pk").values_list("pk", "product_count"))
    return products, variants, shops


def price_min(product):
    return Product.all_objects.get(pk=product.pk).price_min


@pytest.fixture
def two_variant_product(product_factory, shop, category):
    return product_factory(
        shop=shop,
        category=category,
        name="Wool Scarf",
        variants=[
            {"sku": "SCARF-RED", "price": "30.00", "quantity": 4, "attributes": {"c": "red"}},
            {"sku": "SCARF-BLU", "price": "25.00", "quantity": 0, "attributes": {"c": "blue"}},
        ],
    )


# --- GET list --------------------------------------------------------------------------------


def test_anyone_lists_variants_in_position_order(api_client, two_variant_product):
    red, blue = two_variant_product.variants.order_by("position")

    response = api_client.get(variants_url(two_variant_product.pk))

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": red.pk,
                "sku": "SCARF-RED",
                "price": "30.00",
                "quantity": 4,
                "in_stock": True,
                "attributes": {"c": "red"},
            },
            {
                "id": blue.pk,
                "sku": "SCARF-BLU",
                "price": "25.00",
                "quantity": 0,
                "in_stock": False,
                "attributes": {"c": "blue"},
            },
        ],
    }


def test_variant_list_is_paginated(api_client, product_factory, shop, category):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[{"sku": f"V-{i}", "price": "1.00", "quantity": 1} for i in range(5)],
    )

    first = api_client.get(variants_url(product.pk), {"page_size": 2}).json()
    last = api_client.get(variants_url(product.pk), {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [row["sku"] for row in first["results"]] == ["V-0", "V-1"]
    assert first["previous"] is None
    assert "page=2" in first["next"]
    assert [row["sku"] for row in last["results"]] == ["V-4"]
    assert last["next"] is None


def test_variant_list_hides_deleted_variants(api_client, two_variant_product):
    Variant.objects.filter(sku="SCARF-RED").soft_delete()

    body = api_client.get(variants_url(two_variant_product.pk)).json()

    assert [row["sku"] for row in body["results"]] == ["SCARF-BLU"]
    assert body["count"] == 1


def test_variant_list_query_count_does_not_grow(api_client, product_factory, shop, category):
    small = product_factory(
        shop=shop,
        category=category,
        variants=[{"sku": "S-1", "price": "1.00", "quantity": 1}],
    )
    large = product_factory(
        shop=shop,
        category=category,
        variants=[{"sku": f"L-{i}", "price": "1.00", "quantity": 1} for i in range(15)],
    )

    with CaptureQueriesContext(connection) as few:
        assert api_client.get(variants_url(small.pk)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert api_client.get(variants_url(large.pk)).json()["count"] == 15

    assert len(many.captured_queries) == len(few.captured_queries)


def test_variant_list_of_missing_or_deleted_product_is_404(
    client_for, api_client, artisan, product
):
    assert_problem(api_client.get(variants_url(product.pk + 1000)), 404, "not_found")
    Product.objects.filter(pk=product.pk).soft_delete()
    assert_problem(api_client.get(variants_url(product.pk)), 404, "not_found")


# --- POST ------------------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_member_adds_a_cheaper_variant(request, client_for, api_client, product, member):
    user = request.getfixturevalue(member)

    response = client_for(user).post(
        variants_url(product.pk),
        {"sku": "MUG-MINI", "price": "14.5", "quantity": 6, "attributes": {"size": "mini"}},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    variant = Variant.objects.get(sku="MUG-MINI")
    assert body == {
        "id": variant.pk,
        "sku": "MUG-MINI",
        "price": "14.50",
        "quantity": 6,
        "in_stock": True,
        "attributes": {"size": "mini"},
    }
    assert (variant.product_id, variant.shop_id, variant.position) == (
        product.pk,
        product.shop_id,
        1,
    )
    assert price_min(product) == Decimal("14.50")
    shown = api_client.get(product_url(product.pk)).json()
    assert (shown["price"], shown["quantity"]) == ("14.50", 11)
    assert [v["sku"] for v in shown["variants"]] == [f"P{product.pk}-1", "MUG-MINI"]


def test_a_dearer_variant_leaves_the_price_alone(client_for, artisan, product):
    response = client_for(artisan).post(
        variants_url(product.pk), {"sku": "MUG-XL", "price": "35.00"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert (response.json()["quantity"], response.json()["in_stock"]) == (0, False)
    assert price_min(product) == Decimal("20.00")


def test_new_variant_without_sku_gets_one(client_for, artisan, product):
    response = client_for(artisan).post(
        variants_url(product.pk), {"price": "21.00", "quantity": 1}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["sku"] == f"P{product.pk}-2"


def test_new_variant_without_sku_after_a_delete_gets_a_free_one(
    client_for, artisan, shop, category, product_factory
):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[{"price": "10.00", "quantity": 1}, {"price": "11.00", "quantity": 1}],
    )
    first, second = product.variants.order_by("position")
    assert (first.sku, second.sku) == (f"P{product.pk}-1", f"P{product.pk}-2")
    client = client_for(artisan)
    assert client.delete(variant_url(product.pk, first.pk)).status_code == 204

    response = client.post(variants_url(product.pk), {"price": "12.00"}, format="json")

    assert response.status_code == 201, response.content
    skus = list(Variant.objects.filter(product=product).values_list("sku", flat=True))
    assert len(skus) == len(set(skus)) == 2
    assert response.json()["sku"] in skus


def test_new_variant_with_sku_taken_in_the_shop_is_400(
    client_for, artisan, product, product_factory, shop, category
):
    product_factory(shop=shop, category=category, variants=[{"sku": "TAKEN", "price": "2.00"}])
    before = snapshot()

    response = client_for(artisan).post(
        variants_url(product.pk), {"sku": "TAKEN", "price": "1.00"}, format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"sku"}
    assert snapshot() == before


def test_new_variant_may_reuse_a_sku_of_another_shop_or_a_deleted_variant(
    client_for, artisan, product, product_factory, shop_factory, shop, category
):
    product_factory(
        shop=shop_factory(), category=category, variants=[{"sku": "ELSEWHERE", "price": "2"}]
    )
    gone = product_factory(shop=shop, category=category, variants=[{"sku": "GONE", "price": "2"}])
    Variant.objects.filter(product=gone).soft_delete()
    client = client_for(artisan)

    first = client.post(
        variants_url(product.pk), {"sku": "ELSEWHERE", "price": "3.00"}, format="json"
    )
    second = client.post(variants_url(product.pk), {"sku": "GONE", "price": "3.00"}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert Variant.objects.filter(product=product).count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "X-1"}, "price"),
        ({"sku": "X-1", "price": "0.00"}, "price"),
        ({"sku": "X-1", "price": "-1.00"}, "price"),
        ({"sku": "X-1", "price": "free"}, "price"),
        ({"sku": "X-1", "price": "1.00", "quantity": -1}, "quantity"),
        ({"sku": "X-1", "price": "1.00", "attributes": {"a": {"b": 1}}}, "attributes"),
        ({"sku": "X-1", "price": "1.00", "attributes": [1]}, "attributes"),
        ({"sku": "no spaces", "price": "1.00"}, "sku"),
    ],
)
def test_invalid_new_variant_is_400(client_for, artisan, product, body, field):
    before = snapshot()

    response = client_for(artisan).post(variants_url(product.pk), body, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {field}
    assert snapshot() == before


# --- GET / PATCH / DELETE one variant --------------------------------------------------------


def test_anyone_reads_one_variant(api_client, two_variant_product):
    blue = Variant.objects.get(sku="SCARF-BLU")

    response = api_client.get(variant_url(two_variant_product.pk, blue.pk))

    assert response.status_code == 200
    assert response.json() == {
        "id": blue.pk,
        "sku": "SCARF-BLU",
        "price": "25.00",
        "quantity": 0,
        "in_stock": False,
        "attributes": {"c": "blue"},
    }


def test_variant_of_another_product_is_404(
    client_for, api_client, artisan, product, two_variant_product
):
    foreign = Variant.objects.get(sku="SCARF-RED")
    url = variant_url(product.pk, foreign.pk)
    client = client_for(artisan)
    before = snapshot()

    assert_problem(api_client.get(url), 404, "not_found")
    assert_problem(
        client.patch(url, {"price": "1.00", "quantity": 0}, format="json"), 404, "not_found"
    )
    assert_problem(client.delete(url), 404, "not_found")
    assert snapshot() == before


def test_missing_or_deleted_variant_is_404(client_for, api_client, artisan, two_variant_product):
    red = Variant.objects.get(sku="SCARF-RED")
    Variant.objects.filter(pk=red.pk).soft_delete()
    client = client_for(artisan)

    assert_problem(api_client.get(variant_url(two_variant_product.pk, red.pk)), 404, "not_found")
    assert_problem(
        client.patch(variant_url(two_variant_product.pk, red.pk), {"price": "1"}, format="json"),
        404,
        "not_found",
    )
    assert_problem(
        api_client.get(variant_url(two_variant_product.pk, red.pk + 1000)), 404, "not_found"
    )


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_patch_price_moves_the_product_price(
    request, client_for, api_client, two_variant_product, member
):
    user = request.getfixturevalue(member)
    red = Variant.objects.get(sku="SCARF-RED")
    blue = Variant.objects.get(sku="SCARF-BLU")
    client = client_for(user)

    cheaper = client.patch(
        variant_url(two_variant_product.pk, red.pk), {"price": "19.99"}, format="json"
    )

    assert cheaper.status_code == 200, cheaper.content
    assert cheaper.json()["price"] == "19.99"
    assert price_min(two_variant_product) == Decimal("19.99")
    assert api_client.get(product_url(two_variant_product.pk)).json()["price"] == "19.99"

    dearer = client.patch(
        variant_url(two_variant_product.pk, red.pk), {"price": "40.00"}, format="json"
    )

    assert dearer.status_code == 200, dearer.content
    assert price_min(two_variant_product) == Decimal("25.00")
    assert api_client.get(product_url(two_variant_product.pk)).json()["price"] == "25.00"
    blue.refresh_from_db()
    assert blue.price == Decimal("25.00")


def test_patch_quantity_sets_the_stock(client_for, api_client, artisan, two_variant_product):
    blue = Variant.objects.get(sku="SCARF-BLU")

    response = client_for(artisan).patch(
        variant_url(two_variant_product.pk, blue.pk), {"quantity": 9}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["quantity"], response.json()["in_stock"]) == (9, True)
    blue.refresh_from_db()
    assert blue.quantity == 9
    assert api_client.get(product_url(two_variant_product.pk)).json()["quantity"] == 13


def test_patch_sku_and_attributes(client_for, artisan, two_variant_product):
    blue = Variant.objects.get(sku="SCARF-BLU")

    response = client_for(artisan).patch(
        variant_url(two_variant_product.pk, blue.pk),
        {"sku": "SCARF-NAVY", "attributes": {"c": "navy"}},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["sku"], response.json()["attributes"]) == ("SCARF-NAVY", {"c": "navy"})
    blue.refresh_from_db()
    assert (blue.sku, blue.attributes, blue.price) == ("SCARF-NAVY", {"c": "navy"}, Decimal("25"))


def test_patch_sku_to_its_own_value_is_fine(client_for, artisan, two_variant_product):
    blue = Variant.objects.get(sku="SCARF-BLU")

    response = client_for(artisan).patch(
        variant_url(two_variant_product.pk, blue.pk), {"sku": "SCARF-BLU"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["sku"] == "SCARF-BLU"


@pytest.mark.parametrize("taken", ["SCARF-RED", "OTHER-1"])
def test_patch_sku_to_a_taken_one_is_400(
    client_for, artisan, two_variant_product, product_factory, shop, category, taken
):
    product_factory(shop=shop, category=category, variants=[{"sku": "OTHER-1", "price": "2"}])
    blue = Variant.objects.get(sku="SCARF-BLU")
    before = snapshot()

    response = client_for(artisan).patch(
        variant_url(two_variant_product.pk, blue.pk),
        {"sku": taken, "price": "1.00", "quantity": 50},
        format="json",
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"sku"}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-4.00"}, "price"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"sku": ""}, "sku"),
        ({"sku": "bad sku"}, "sku"),
        ({"attributes": {"a": [1]}}, "attributes"),
    ],
)
def test_patch_invalid_values_are_400_and_unchanged(
    client_for, artisan, two_variant_product, body, field
):
    red = Variant.objects.get(sku="SCARF-RED")
    before = snapshot()

    response = client_for(artisan).patch(
        variant_url(two_variant_product.pk, red.pk), body, format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {field}
    assert snapshot() == before


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_delete_variant_is_soft_and_reprices(
    request, client_for, api_client, two_variant_product, member
):
    user = request.getfixturevalue(member)
    blue = Variant.objects.get(sku="SCARF-BLU")

    response = client_for(user).delete(variant_url(two_variant_product.pk, blue.pk))

    assert response.status_code == 204
    assert Variant.all_objects.get(pk=blue.pk).deleted_at is not None
    assert list(
        Variant.objects.filter(product=two_variant_product).values_list("sku", flat=True)
    ) == ["SCARF-RED"]
    assert price_min(two_variant_product) == Decimal("30.00")
    shown = api_client.get(product_url(two_variant_product.pk)).json()
    assert (shown["price"], [v["sku"] for v in shown["variants"]]) == ("30.00", ["SCARF-RED"])
    assert_problem(api_client.get(variant_url(two_variant_product.pk, blue.pk)), 404, "not_found")


def test_deleted_variant_sku_can_be_reused(client_for, artisan, two_variant_product):
    blue = Variant.objects.get(sku="SCARF-BLU")
    client = client_for(artisan)
    assert client.delete(variant_url(two_variant_product.pk, blue.pk)).status_code == 204

    response = client.post(
        variants_url(two_variant_product.pk), {"sku": "SCARF-BLU", "price": "26"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert Variant.all_objects.filter(sku="SCARF-BLU").count() == 2


def test_deleting_the_last_live_variant_is_409(client_for, artisan, two_variant_product):
    red = Variant.objects.get(sku="SCARF-RED")
    blue = Variant.objects.get(sku="SCARF-BLU")
    client = client_for(artisan)
    assert client.delete(variant_url(two_variant_product.pk, blue.pk)).status_code == 204
    before = snapshot()

    response = client.delete(variant_url(two_variant_product.pk, red.pk))

    assert_problem(response, 409, "conflict")
    assert snapshot() == before
    assert Variant.objects.get(product=two_variant_product).pk == red.pk


def test_deleting_the_only_variant_is_409(client_for, artisan, product):
    variant = product.variants.get()
    before = snapshot()

    response = client_for(artisan).delete(variant_url(product.pk, variant.pk))

    assert_problem(response, 409, "conflict")
    assert snapshot() == before


# --- non-members -----------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["customer", "other_artisan"])
def test_non_members_cannot_write_variants(request, client_for, two_variant_product, outsider):
    client = client_for(request.getfixturevalue(outsider))
    red = Variant.objects.get(sku="SCARF-RED")
    before = snapshot()

    created = client.post(
        variants_url(two_variant_product.pk), {"sku": "NEW", "price": "1.00"}, format="json"
    )
    patched = client.patch(
        variant_url(two_variant_product.pk, red.pk), {"price": "1.00"}, format="json"
    )
    deleted = client.delete(variant_url(two_variant_product.pk, red.pk))

    for response in (created, patched, deleted):
        assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_anonymous_cannot_write_variants(api_client, two_variant_product):
    red = Variant.objects.get(sku="SCARF-RED")
    before = snapshot()

    created = api_client.post(
        variants_url(two_variant_product.pk), {"sku": "NEW", "price": "1.00"}, format="json"
    )
    patched = api_client.patch(
        variant_url(two_variant_product.pk, red.pk), {"price": "1.00"}, format="json"
    )
    deleted = api_client.delete(variant_url(two_variant_product.pk, red.pk))

    for response in (created, patched, deleted):
        assert_problem(response, 401, "not_authenticated")
    assert snapshot() == before
