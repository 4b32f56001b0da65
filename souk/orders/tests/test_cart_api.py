"""The cart over HTTP: created on first use, one line per variant, live prices and stock, the
coupon on it, and every bad input refused with problem details and nothing written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from souk.catalog.models import Product, Variant
from souk.core.testing import assert_problem
from souk.orders.models import Cart, CartItem
from souk.orders.tests.factories import make_coupon
from souk.shops.models import Shop

CART = "/api/cart/"
ITEMS = "/api/cart/items/"
COUPON = "/api/cart/coupon/"
pytestmark = pytest.mark.django_db


def item_url(pk):
    return f"{ITEMS}{pk}/"


def cart_lines(user):
    """{variant id: quantity} of the user's cart as stored."""
    return dict(CartItem.objects.filter(cart__user=user).values_list("variant_id", "quantity"))


@pytest.fixture
def buyer(client_for, customer):
    return client_for(customer)


@pytest.fixture
def variant(product):
    return product.variants.get()


@pytest.fixture
def jug(product_factory, shop, category):
    """A product with two variants (so it cannot be added by `product`)."""
    return product_factory(
        shop=shop,
        category=category,
        name="Water Jug",
        variants=[
            {"sku": "JUG-S", "price": "15.00", "quantity": 3, "attributes": {"size": "S"}},
            {"sku": "JUG-L", "price": "22.50", "quantity": 1, "attributes": {"size": "L"}},
        ],
    )


@pytest.fixture
def other_shop_product(product_factory, other_artisan, category):
    """A product of the shop `other_artisan` owns."""
    return product_factory(
        shop=Shop.objects.get(owner=other_artisan),
        category=category,
        name="Olive Bowl",
        price="10.00",
        quantity=4,
    )


# --- Reading and emptying ---------------------------------------------------------------------


def test_get_creates_the_cart_on_first_use(buyer, customer):
    assert not Cart.objects.filter(user=customer).exists()

    response = buyer.get(CART)

    assert response.status_code == 200
    assert response.json() == {
        "items": [],
        "subtotal": "0.00",
        "discount": "0.00",
        "total": "0.00",
        "currency": "USD",
        "coupon": None,
    }
    assert Cart.objects.filter(user=customer).count() == 1
    assert buyer.get(CART).status_code == 200
    assert Cart.objects.filter(user=customer).count() == 1


def test_cart_needs_credentials(api_client):
    assert_problem(api_client.get(CART), 401, "not_authenticated")
    assert_problem(api_client.post(ITEMS, {"variant": 1}), 401, "not_authenticated")
    assert Cart.objects.count() == 0


def test_add_by_variant(buyer, customer, product, variant, shop):
    response = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2})

    assert response.status_code == 201
    body = response.json()
    [line] = body["items"]
    assert line == {
        "id": CartItem.objects.get(cart__user=customer).pk,
        "variant": variant.pk,
        "sku": variant.sku,
        "product": {"id": product.pk, "name": product.name},
        "shop": {"id": shop.pk, "name": shop.name},
        "quantity": 2,
        "unit_price": "20.00",
        "line_total": "40.00",
        "available": True,
        "stock": 5,
    }
    assert (body["subtotal"], body["discount"], body["total"]) == ("40.00", "0.00", "40.00")
    assert body["currency"] == "USD"
    assert cart_lines(customer) == {variant.pk: 2}
    variant.refresh_from_db()
    assert variant.quantity == 5  # a cart reserves nothing


def test_add_by_single_variant_product(buyer, customer, product, variant):
    response = buyer.post(ITEMS, {"product": product.pk, "quantity": 3})

    assert response.status_code == 201
    assert response.json()["items"][0]["variant"] == variant.pk
    assert cart_lines(customer) == {variant.pk: 3}


def test_add_without_quantity_adds_one(buyer, customer, variant):
    response = buyer.post(ITEMS, {"variant": variant.pk})

    assert response.status_code == 201
    assert cart_lines(customer) == {variant.pk: 1}


def test_add_by_multi_variant_product_is_refused(buyer, customer, jug):
    body = assert_problem(
        buyer.post(ITEMS, {"product": jug.pk, "quantity": 1}), 400, "validation_error"
    )

    assert "product" in body["errors"]
    assert cart_lines(customer) == {}


def test_adding_the_same_variant_adds_to_its_line(buyer, customer, variant):
    first = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2}).json()["items"][0]["id"]

    response = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2})

    assert response.status_code == 201
    [line] = response.json()["items"]
    assert (line["id"], line["quantity"], line["line_total"]) == (first, 4, "80.00")
    assert CartItem.objects.filter(cart__user=customer).count() == 1


def test_adding_by_product_and_by_variant_share_one_line(buyer, customer, product, variant):
    buyer.post(ITEMS, {"product": product.pk, "quantity": 1})
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 1})

    assert cart_lines(customer) == {variant.pk: 2}


def test_adding_more_than_the_stock_is_409_and_changes_nothing(buyer, customer, variant):
    body = assert_problem(
        buyer.post(ITEMS, {"variant": variant.pk, "quantity": 6}), 409, "insufficient_stock"
    )

    assert body["errors"] == {"items": [{"variant": variant.pk, "requested": 6, "available": 5}]}
    assert cart_lines(customer) == {}


def test_adding_to_a_line_beyond_the_stock_is_409_and_keeps_the_line(buyer, customer, variant):
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 3})

    body = assert_problem(
        buyer.post(ITEMS, {"variant": variant.pk, "quantity": 3}), 409, "insufficient_stock"
    )

    assert body["errors"]["items"] == [{"variant": variant.pk, "requested": 6, "available": 5}]
    assert cart_lines(customer) == {variant.pk: 3}


def test_adding_a_deleted_variant_is_refused(buyer, customer, jug):
    small = jug.variants.get(sku="JUG-S")
    small.soft_delete()

    assert_problem(buyer.post(ITEMS, {"variant": small.pk, "quantity": 1}), 400, "validation_error")
    assert cart_lines(customer) == {}


def test_patch_sets_the_quantity(buyer, customer, variant):
    line = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 1}).json()["items"][0]

    response = buyer.patch(item_url(line["id"]), {"quantity": 4})

    assert response.status_code == 200
    assert response.json()["items"][0]["quantity"] == 4
    assert response.json()["total"] == "80.00"
    assert cart_lines(customer) == {variant.pk: 4}


def test_patch_beyond_the_stock_is_409_and_keeps_the_line(buyer, customer, variant):
    line = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2}).json()["items"][0]

    body = assert_problem(
        buyer.patch(item_url(line["id"]), {"quantity": 9}), 409, "insufficient_stock"
    )

    assert body["errors"]["items"] == [{"variant": variant.pk, "requested": 9, "available": 5}]
    assert cart_lines(customer) == {variant.pk: 2}


def test_delete_removes_the_line(buyer, customer, variant, jug):
    line = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2}).json()["items"][0]
    small = jug.variants.get(sku="JUG-S")
    buyer.post(ITEMS, {"variant": small.pk, "quantity": 1})

    response = buyer.delete(item_url(line["id"]))

    assert response.status_code == 204
    assert cart_lines(customer) == {small.pk: 1}
    assert_problem(buyer.delete(item_url(line["id"])), 404, "not_found")


def test_delete_cart_empties_it_and_drops_the_coupon(buyer, customer, variant, jug):
    make_coupon(code="TENOFF", kind="percent", value="10")
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2})
    buyer.post(ITEMS, {"variant": jug.variants.get(sku="JUG-S").pk, "quantity": 1})
    assert buyer.post(COUPON, {"code": "TENOFF"}).status_code == 200

    response = buyer.delete(CART)

    assert response.status_code == 204
    assert cart_lines(customer) == {}
    assert Cart.objects.get(user=customer).coupon_id is None
    assert buyer.get(CART).json()["coupon"] is None


def test_another_users_cart_line_is_404(buyer, client_for, customer, other_customer, variant):
    line = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2}).json()["items"][0]
    intruder = client_for(other_customer)

    assert_problem(intruder.patch(item_url(line["id"]), {"quantity": 1}), 404, "not_found")
    assert_problem(intruder.delete(item_url(line["id"])), 404, "not_found")

    assert cart_lines(customer) == {variant.pk: 2}
    assert intruder.get(CART).json()["items"] == []


def test_unknown_line_is_404(buyer):
    assert_problem(buyer.patch(item_url(999999), {"quantity": 1}), 404, "not_found")
    assert_problem(buyer.delete(item_url(999999)), 404, "not_found")


# --- Live prices and availability --------------------------------------------------------------


def test_the_cart_shows_the_price_of_now(buyer, variant):
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2})
    Variant.objects.filter(pk=variant.pk).update(price=Decimal("17.25"))

    body = buyer.get(CART).json()

    assert body["items"][0]["unit_price"] == "17.25"
    assert body["items"][0]["line_total"] == "34.50"
    assert (body["subtotal"], body["total"]) == ("34.50", "34.50")


def test_lines_short_of_stock_are_flagged_and_left_out_of_the_totals(buyer, variant, jug):
    small = jug.variants.get(sku="JUG-S")
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 4})
    buyer.post(ITEMS, {"variant": small.pk, "quantity": 2})
    Variant.objects.filter(pk=variant.pk).update(quantity=3)

    body = buyer.get(CART).json()

    by_variant = {line["variant"]: line for line in body["items"]}
    assert by_variant[variant.pk]["available"] is False
    assert by_variant[variant.pk]["stock"] == 3
    assert by_variant[small.pk]["available"] is True
    assert (body["subtotal"], body["total"]) == ("30.00", "30.00")


def test_lines_of_deleted_products_are_flagged_and_left_out(buyer, product, variant, jug):
    small = jug.variants.get(sku="JUG-S")
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 1})
    buyer.post(ITEMS, {"variant": small.pk, "quantity": 1})
    Product.objects.filter(pk=product.pk).update(deleted_at=timezone.now())

    body = buyer.get(CART).json()

    by_variant = {line["variant"]: line for line in body["items"]}
    assert by_variant[variant.pk]["available"] is False
    assert by_variant[variant.pk]["stock"] == 0
    assert body["subtotal"] == "15.00"


def test_lines_from_several_shops_sit_in_one_cart(buyer, variant, other_shop_product):
    other = other_shop_product.variants.get()
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 1})
    buyer.post(ITEMS, {"variant": other.pk, "quantity": 3})

    body = buyer.get(CART).json()

    assert {line["shop"]["id"] for line in body["items"]} == {
        variant.shop_id,
        other.shop_id,
    }
    assert body["total"] == "50.00"


# --- Coupon -------------------------------------------------------------------------------------


def test_apply_and_remove_a_coupon(buyer, customer, variant):
    make_coupon(code="TENOFF", kind="percent", value="10")
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 3})

    applied = buyer.post(COUPON, {"code": " tenoff "})

    assert applied.status_code == 200
    body = applied.json()
    assert body["coupon"] == {"code": "TENOFF", "valid": True, "reason": ""}
    assert (body["subtotal"], body["discount"], body["total"]) == ("60.00", "6.00", "54.00")

    removed = buyer.delete(COUPON)

    assert removed.status_code == 200
    body = removed.json()
    assert body["coupon"] is None
    assert (body["discount"], body["total"]) == ("0.00", "60.00")
    assert Cart.objects.get(user=customer).coupon_id is None


def test_fixed_coupon_never_exceeds_the_subtotal(buyer, variant):
    make_coupon(code="BIGFIX", kind="fixed", value="50.00")
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 1})

    body = buyer.post(COUPON, {"code": "BIGFIX"}).json()

    assert (body["subtotal"], body["discount"], body["total"]) == ("20.00", "20.00", "0.00")


def test_coupon_that_stops_applying_is_shown_invalid_and_gives_no_discount(buyer, variant):
    make_coupon(code="MIN30", kind="fixed", value="5.00", min_subtotal=Decimal("30.00"))
    line = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2}).json()["items"][0]
    assert buyer.post(COUPON, {"code": "MIN30"}).json()["discount"] == "5.00"

    body = buyer.patch(item_url(line["id"]), {"quantity": 1}).json()

    assert body["coupon"]["valid"] is False
    assert "30.00" in body["coupon"]["reason"]
    assert (body["discount"], body["total"]) == ("0.00", "20.00")


@pytest.mark.parametrize(
    "coupon_kwargs",
    [
        pytest.param(None, id="unknown"),
        pytest.param({"ends_at": -1}, id="expired"),
        pytest.param({"starts_at": 1}, id="not-yet-valid"),
        pytest.param({"max_uses": 1, "uses": 1}, id="used-up"),
        pytest.param({"min_subtotal": Decimal("100.00")}, id="below-min-subtotal"),
        pytest.param({"deleted_at": 0}, id="deleted"),
        pytest.param({"other_shop": True}, id="another-shops-coupon"),
    ],
)
def test_unusable_coupons_are_400_and_leave_the_cart_alone(
    buyer, customer, variant, shop_factory, coupon_kwargs
):
    buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2})
    if coupon_kwargs is not None:
        extra = dict(coupon_kwargs)
        now = timezone.now()
        for field in ("starts_at", "ends_at", "deleted_at"):
            if field in extra:
                extra[field] = now + timedelta(days=extra[field])
        if extra.pop("other_shop", False):
            extra["shop"] = shop_factory()
        make_coupon(code="NOPE", **extra)

    body = assert_problem(buyer.post(COUPON, {"code": "NOPE"}), 400, "validation_error")

    assert "coupon" in body["errors"]
    assert Cart.objects.get(user=customer).coupon_id is None
    assert buyer.get(CART).json()["discount"] == "0.00"


def test_coupon_on_an_empty_cart_is_400(buyer, customer):
    make_coupon(code="TENOFF")

    assert_problem(buyer.post(COUPON, {"code": "TENOFF"}), 400, "validation_error")
    assert not Cart.objects.filter(user=customer, coupon__isnull=False).exists()


def test_coupon_without_code_is_400(buyer):
    body = assert_problem(buyer.post(COUPON, {}), 400, "validation_error")
    assert "code" in body["errors"]


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"quantity": 0}, "quantity", id="zero"),
        pytest.param({"quantity": -2}, "quantity", id="negative"),
        pytest.param({"quantity": "two"}, "quantity", id="not-a-number"),
        pytest.param({"quantity": 1.5}, "quantity", id="fraction"),
        pytest.param({"quantity": None}, "quantity", id="null"),
        pytest.param({"quantity": 10**12}, "quantity", id="huge"),
        pytest.param({"quantity": 1001}, "quantity", id="over-line-max"),
        pytest.param({"variant": None, "quantity": 1}, "variant", id="no-variant-or-product"),
        pytest.param({"variant": 999999, "quantity": 1}, "variant", id="unknown-variant"),
        pytest.param({"variant": 2**63, "quantity": 1}, "variant", id="variant-beyond-bigint"),
        pytest.param({"variant": 2**80, "quantity": 1}, "variant", id="variant-far-beyond-bigint"),
        pytest.param({"variant": "abc", "quantity": 1}, "variant", id="variant-not-an-id"),
        pytest.param({"product": 999999, "quantity": 1}, "product", id="unknown-product"),
        pytest.param({"both": True, "quantity": 1}, "variant", id="variant-and-product"),
    ],
)
def test_bad_item_input_is_400_and_writes_nothing(
    buyer, customer, product, variant, payload, field
):
    body = dict(payload)
    if body.get("variant", "") is None:
        del body["variant"]
    elif body.pop("both", False):
        body.update(variant=variant.pk, product=product.pk)
    elif "variant" not in body and "product" not in body:
        body["variant"] = variant.pk

    problem = assert_problem(buyer.post(ITEMS, body), 400, "validation_error")

    assert field in problem["errors"]
    assert cart_lines(customer) == {}
    variant.refresh_from_db()
    assert variant.quantity == 5


def test_adding_an_item_of_a_deleted_product_is_400(buyer, customer, product, variant):
    product.soft_delete()

    assert_problem(
        buyer.post(ITEMS, {"variant": variant.pk, "quantity": 1}), 400, "validation_error"
    )
    assert_problem(
        buyer.post(ITEMS, {"product": product.pk, "quantity": 1}), 400, "validation_error"
    )
    assert cart_lines(customer) == {}


@pytest.mark.parametrize(
    "payload",
    [{}, {"quantity": 0}, {"quantity": -1}, {"quantity": "x"}, {"quantity": 10**9}],
    ids=["missing", "zero", "negative", "not-a-number", "huge"],
)
def test_bad_patch_is_400_and_keeps_the_line(buyer, customer, variant, payload):
    line = buyer.post(ITEMS, {"variant": variant.pk, "quantity": 2}).json()["items"][0]

    problem = assert_problem(buyer.patch(item_url(line["id"]), payload), 400, "validation_error")

    assert "quantity" in problem["errors"]
    assert cart_lines(customer) == {variant.pk: 2}


def test_body_that_is_not_json_is_parse_error(buyer, customer):
    response = buyer.post(ITEMS, data="{not json", content_type="application/json")

    assert_problem(response, 400, "parse_error")
    assert cart_lines(customer) == {}
