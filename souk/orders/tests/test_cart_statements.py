"""The cart flow's round trips to PostgreSQL, counted as a production request makes them
(autocommit, real transactions, BEGIN and COMMIT included): adding to the cart is one
transaction of two statements (the cart's lock, then one statement that writes the line and
reads the whole cart back), reading the cart is one statement, and a checkout of one shop is
at most eight (each further shop adds one).
With them, the edges of those statements: a line added to, lines that are no longer for sale,
the coupon on the cart, adds racing each other and a checkout."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from souk.catalog.models import Product, Variant
from souk.core.models import IdempotencyRecord
from souk.core.renderers import dumps
from souk.core.testing import assert_problem
from souk.core.tests.threads import run_together
from souk.inventory.models import StockMovement
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import Cart, CartItem, Checkout, Coupon, CouponRedemption, Order
from souk.orders.services import placement
from souk.orders.services.cart import cart_item_add
from souk.orders.tests.factories import ensure_address, make_coupon, place_order
from souk.orders.tests.test_purchase_statements import round_trips, total
from souk.shops.models import Shop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]
CART = "/api/cart/"
ITEMS = "/api/cart/items/"
COUPON = "/api/cart/coupon/"
CHECKOUT = "/api/checkout/"


@pytest.fixture(autouse=True)
def _dispatcher_elsewhere(monkeypatch):
    """The outbox dispatcher runs in a worker, not in the request."""
    from souk.notifications.services import dispatch

    monkeypatch.setattr(dispatch._kicks, "ask", lambda: None)


@pytest.fixture
def buyer(client_for, customer):
    ensure_address(customer)
    return client_for(customer)


@pytest.fixture
def goods(product_factory, shop, category, other_artisan):
    """A mug (20.00, 5 in stock) and a two-variant jug of `shop`, and a bowl (10.00, 4) of
    another shop."""
    other = Shop.objects.get(owner=other_artisan)
    mug = product_factory(shop=shop, category=category, name="Mug", price="20.00", quantity=5)
    jug = product_factory(
        shop=shop,
        category=category,
        name="Jug",
        variants=[
            {"sku": "JUG-S", "price": "15.00", "quantity": 3, "attributes": {"size": "S"}},
            {"sku": "JUG-L", "price": "22.50", "quantity": 1, "attributes": {"size": "L"}},
        ],
    )
    bowl = product_factory(shop=other, category=category, name="Bowl", price="10.00", quantity=4)
    return {
        "mug": mug.variants.get(),
        "jug_s": jug.variants.get(sku="JUG-S"),
        "jug_l": jug.variants.get(sku="JUG-L"),
        "jug": jug,
        "bowl": bowl.variants.get(),
    }


@pytest.fixture
def plenty(goods):
    """`goods` with stock enough that no checkout below raises a low-stock alert."""
    Variant.objects.filter(pk__in=[goods["mug"].pk, goods["bowl"].pk]).update(quantity=1000)
    return goods


def add(client: Any, variant: Variant, quantity: int = 1) -> Any:
    return client.post(ITEMS, {"variant": variant.pk, "quantity": quantity}, format="json")


def lines(user: Any) -> dict[int, int]:
    return dict(CartItem.objects.filter(cart__user=user).values_list("variant_id", "quantity"))


# --- Statement counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["new-line", "same-line", "by-product", "coupon-on-cart"])
def test_adding_to_the_cart_is_one_transaction_of_two_statements(buyer, goods, case):
    add(buyer, goods["jug_s"])  # a cart with a line (and the auth state cached)
    body: dict[str, Any] = {"variant": goods["mug"].pk, "quantity": 1}
    if case == "same-line":
        body["variant"] = goods["jug_s"].pk
    elif case == "by-product":
        body = {"product": goods["mug"].product_id, "quantity": 1}
    elif case == "coupon-on-cart":
        make_coupon(code="ONCE", max_uses_per_customer=1)
        assert buyer.post(COUPON, {"code": "ONCE"}, format="json").status_code == 200

    with round_trips() as counts:
        response = buyer.post(ITEMS, body, format="json")

    assert response.status_code == 201, response.content
    assert len(counts["statements"]) == 2, counts["statements"]
    assert counts["transactions"] == 1
    assert total(counts) == 4


def test_reading_the_cart_is_one_statement(buyer, goods):
    add(buyer, goods["mug"])
    add(buyer, goods["bowl"])
    make_coupon(code="ONCE", max_uses_per_customer=1)
    buyer.post(COUPON, {"code": "ONCE"}, format="json")

    with round_trips() as counts:
        response = buyer.get(CART)

    assert response.status_code == 200
    assert len(response.json()["items"]) == 2
    assert total(counts) == 1, counts["statements"]


@pytest.mark.parametrize(
    ("coupon", "most"),
    [(False, 8), (True, 10)],
    ids=["no-coupon", "coupon-on-cart"],
)
def test_a_checkout_of_two_shops_is_at_most_nine_round_trips(buyer, plenty, coupon, most):
    """Nine: the address, the cart's lock, the cart emptied (its lines and coupon read), the
    variants' lock, the checkout with its first order and that order's stock, the second
    order with its stock, the order notifications, BEGIN and COMMIT. A coupon adds its lock
    and its use."""
    add(buyer, plenty["mug"])
    assert buyer.post(CHECKOUT, {}, format="json").status_code == 201  # warm
    add(buyer, plenty["mug"])
    add(buyer, plenty["bowl"], 2)
    if coupon:
        make_coupon(code="TENOFF")
        assert buyer.post(COUPON, {"code": "TENOFF"}, format="json").status_code == 200

    with round_trips() as counts:
        response = buyer.post(CHECKOUT, {}, format="json")

    assert response.status_code == 201, response.content
    assert len(response.json()["orders"]) == 2
    assert counts["transactions"] == 1
    assert total(counts) <= most + 1, counts["statements"]  # the second shop's one statement


def test_a_checkout_of_one_shop_is_at_most_eight_round_trips(buyer, plenty):
    add(buyer, plenty["mug"])
    assert buyer.post(CHECKOUT, {}, format="json").status_code == 201  # warm
    add(buyer, plenty["mug"])

    with round_trips() as counts:
        response = buyer.post(CHECKOUT, {}, format="json")

    assert response.status_code == 201, response.content
    assert total(counts) <= 8, counts["statements"]


def test_an_idempotency_key_adds_at_most_two_to_a_checkout(buyer, plenty):
    """The claim and the stored response; the checkout is named on the record by its first
    order's statement."""
    add(buyer, plenty["mug"])
    with round_trips() as plain:
        assert buyer.post(CHECKOUT, {}, format="json").status_code == 201
    add(buyer, plenty["mug"])

    with round_trips() as keyed:
        response = buyer.post(CHECKOUT, {}, format="json", headers={"Idempotency-Key": "c-1"})

    assert response.status_code == 201, response.content
    assert total(keyed) - total(plain) <= 2, (plain, keyed)
    record = IdempotencyRecord.objects.get(key="c-1")
    assert record.response_status == 201
    replay = buyer.post(CHECKOUT, {}, format="json", headers={"Idempotency-Key": "c-1"})
    assert replay.json() == response.json()


# --- The answer of an add is the cart as read --------------------------------------------------


def test_adding_to_a_line_keeps_its_place_and_answers_the_cart_as_read(buyer, customer, goods):
    first = add(buyer, goods["mug"], 1).json()["items"][0]["id"]
    add(buyer, goods["bowl"], 1)
    add(buyer, goods["jug_s"], 2)

    response = add(buyer, goods["mug"], 2)

    assert response.status_code == 201
    body = response.json()
    assert [(row["id"], row["variant"], row["quantity"]) for row in body["items"]] == [
        (first, goods["mug"].pk, 3),
        (body["items"][1]["id"], goods["bowl"].pk, 1),
        (body["items"][2]["id"], goods["jug_s"].pk, 2),
    ]
    assert (body["subtotal"], body["total"]) == ("100.00", "100.00")
    assert body == buyer.get(CART).json()
    assert lines(customer) == {goods["mug"].pk: 3, goods["bowl"].pk: 1, goods["jug_s"].pk: 2}


def test_lines_no_longer_for_sale_are_answered_by_an_add_as_by_a_read(buyer, goods):
    add(buyer, goods["mug"], 2)
    add(buyer, goods["jug_l"], 1)
    Product.objects.filter(pk=goods["mug"].product_id).update(deleted_at=timezone.now())
    Variant.objects.filter(pk=goods["jug_l"].pk).update(deleted_at=timezone.now())

    response = add(buyer, goods["bowl"], 1)

    assert response.status_code == 201
    body = response.json()
    by_variant = {row["variant"]: row for row in body["items"]}
    assert (by_variant[goods["mug"].pk]["available"], by_variant[goods["mug"].pk]["stock"]) == (
        False,
        0,
    )
    assert by_variant[goods["jug_l"].pk]["available"] is False
    assert by_variant[goods["bowl"].pk]["available"] is True
    assert body["subtotal"] == "10.00"
    assert body == buyer.get(CART).json()


@pytest.mark.parametrize(
    ("coupon", "valid", "discount"),
    [
        ({"code": "TENOFF"}, True, "4.00"),
        ({"code": "SHOPFIVE", "kind": "fixed", "value": "5.00", "shop": "bowl"}, True, "5.00"),
        ({"code": "ONCE", "max_uses_per_customer": 1, "used": True}, False, "0.00"),
        ({"code": "GONE", "deleted": True}, False, "0.00"),
        ({"code": "BIG", "min_subtotal": Decimal("1000.00")}, False, "0.00"),
    ],
    ids=["percent", "shop-fixed", "used-by-customer", "deleted", "below-minimum"],
)
def test_the_coupon_on_the_cart_is_answered_by_an_add_as_by_a_read(
    buyer, customer, goods, coupon, valid, discount
):
    extra = dict(coupon)
    code = extra.pop("code")
    used, deleted = extra.pop("used", False), extra.pop("deleted", False)
    if extra.pop("shop", None):
        extra["shop"] = goods["bowl"].shop
    made = make_coupon(code=code, **extra)
    add(buyer, goods["bowl"], 1)
    add(buyer, goods["mug"], 1)
    Cart.objects.filter(user=customer).update(coupon=made)
    if used:
        CouponRedemption.objects.create(coupon=made, user=customer, amount=Decimal("1.00"))
    if deleted:
        Coupon.objects.filter(pk=made.pk).update(deleted_at=timezone.now())

    response = add(buyer, goods["bowl"], 1)

    assert response.status_code == 201
    body = response.json()
    assert body["coupon"]["code"] == code
    assert body["coupon"]["valid"] is valid
    assert body["discount"] == discount
    assert Decimal(body["total"]) == Decimal(body["subtotal"]) - Decimal(discount)
    assert body == buyer.get(CART).json()


def reference_view(user: Any) -> dict[str, Any]:
    """The cart's answer as the ORM read it before the cart was read in one statement (each
    line with its variant, product and shop; the coupon through the cart), to hold the new
    read to the same body."""
    from souk.orders.api.payloads import cart_payload
    from souk.orders.services.cart import CartView
    from souk.orders.services.pricing import (
        ZERO,
        CouponInvalid,
        PricedLine,
        coupon_applicable,
        coupon_discount,
    )

    cart = Cart.objects.select_related("coupon").get(user=user)
    rows: list[dict[str, Any]] = []
    priced = []
    for item in cart.items.select_related("variant__product__shop").order_by("id"):
        variant = item.variant
        sellable = variant.deleted_at is None and variant.product.deleted_at is None
        line = PricedLine(variant=variant, quantity=item.quantity)
        available = sellable and item.quantity <= variant.quantity
        if available:
            priced.append(line)
        rows.append(
            {
                "id": item.pk,
                "variant": variant.pk,
                "sku": variant.sku,
                "product": {"id": variant.product_id, "name": variant.product.name},
                "shop": {"id": variant.shop_id, "name": variant.product.shop.name},
                "quantity": item.quantity,
                "unit_price": variant.price,
                "line_total": line.line_total,
                "available": available,
                "stock": variant.quantity if sellable else 0,
            }
        )
    subtotal = sum((row["line_total"] for row in rows if row["available"]), ZERO)
    discount, coupon = ZERO, None
    if cart.coupon is not None:
        shown: dict[str, Any] = {"code": cart.coupon.code, "valid": True, "reason": ""}
        coupon = shown
        try:
            applicable = coupon_applicable(cart.coupon, user=user, lines=priced, now=timezone.now())
            discount = coupon_discount(cart.coupon, sum(applicable.values(), ZERO))
        except CouponInvalid as exc:
            shown.update(valid=False, reason=exc.detail)
    view = CartView(cart, rows, subtotal, discount, subtotal - discount, coupon, "USD")
    return json.loads(dumps(cart_payload(view)))


@pytest.mark.parametrize(
    "coupon",
    [
        None,
        {"code": "TENOFF"},
        {"code": "SHOPFIVE", "kind": "fixed", "value": "5.00", "shop": "bowl"},
        {"code": "ONCE", "max_uses_per_customer": 1, "used": True},
        {"code": "TWICE", "max_uses_per_customer": 2, "used": True},
        {"code": "GONE", "deleted": True},
        {"code": "LATER", "starts_at": 1},
        {"code": "OVER", "ends_at": -1},
        {"code": "FULL", "max_uses": 1, "uses": 1},
        {"code": "BIG", "min_subtotal": Decimal("1000.00")},
        {"code": "ELSEWHERE", "shop": "other"},
    ],
    ids=lambda value: value["code"] if value else "none",
)
def test_the_cart_answers_as_the_orm_read_it(buyer, customer, goods, shop_factory, coupon):
    add(buyer, goods["mug"], 2)
    add(buyer, goods["jug_s"], 3)
    add(buyer, goods["jug_l"], 1)
    add(buyer, goods["bowl"], 4)
    Variant.objects.filter(pk=goods["jug_s"].pk).update(quantity=2, price=Decimal("15.55"))
    Variant.objects.filter(pk=goods["jug_l"].pk).update(deleted_at=timezone.now())
    Product.objects.filter(pk=goods["bowl"].product_id).update(name="Bowl, glazed")
    if coupon is not None:
        extra = dict(coupon)
        used, deleted = extra.pop("used", False), extra.pop("deleted", False)
        owner = extra.pop("shop", None)
        if owner == "bowl":
            extra["shop"] = goods["bowl"].shop
        elif owner == "other":
            extra["shop"] = shop_factory()
        for field in ("starts_at", "ends_at"):
            if field in extra:
                extra[field] = timezone.now() + timedelta(days=extra[field])
        made = make_coupon(**extra)
        Cart.objects.filter(user=customer).update(coupon=made)
        if used:
            CouponRedemption.objects.create(coupon=made, user=customer, amount=Decimal("1.00"))
        if deleted:
            Coupon.objects.filter(pk=made.pk).update(deleted_at=timezone.now())
    expected = reference_view(customer)

    assert buyer.get(CART).json() == expected
    assert len(expected["items"]) == 4
    if coupon is not None:
        assert expected["coupon"]["code"] == coupon["code"]
    Variant.objects.filter(pk=goods["mug"].pk).update(quantity=1000)
    answered = add(buyer, goods["mug"], 1).json()
    assert answered == reference_view(customer)
    assert answered["items"][0]["quantity"] == 3


# --- Adding by product --------------------------------------------------------------------------


def test_a_product_whose_other_variants_are_deleted_is_added_by_product(buyer, customer, goods):
    Variant.objects.filter(pk=goods["jug_l"].pk).update(deleted_at=timezone.now())

    response = buyer.post(ITEMS, {"product": goods["jug"].pk, "quantity": 2}, format="json")

    assert response.status_code == 201
    assert lines(customer) == {goods["jug_s"].pk: 2}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "No such product."),
        ("deleted-product", "No such product."),
        ("several-variants", "This product has several variants; choose one."),
        ("no-live-variant", "This product has several variants; choose one."),
    ],
)
def test_a_product_that_cannot_be_added_is_400_on_product(buyer, customer, goods, case, message):
    add(buyer, goods["bowl"], 1)
    product_id = goods["jug"].pk
    if case == "unknown":
        product_id = 10**9
    elif case == "deleted-product":
        product_id = goods["mug"].product_id
        Product.objects.filter(pk=product_id).update(deleted_at=timezone.now())
    elif case == "no-live-variant":
        Variant.objects.filter(product=goods["jug"]).update(deleted_at=timezone.now())

    response = buyer.post(ITEMS, {"product": product_id, "quantity": 1}, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert problem["errors"] == {"product": [message]}
    assert lines(customer) == {goods["bowl"].pk: 1}


def test_a_refused_add_changes_nothing_in_the_cart(buyer, customer, goods):
    add(buyer, goods["mug"], 4)
    before = Cart.objects.get(user=customer).updated_at

    problem = assert_problem(add(buyer, goods["mug"], 2), 409, "insufficient_stock")

    assert problem["errors"] == {
        "items": [{"variant": goods["mug"].pk, "requested": 6, "available": 5}]
    }
    assert lines(customer) == {goods["mug"].pk: 4}
    assert Cart.objects.get(user=customer).updated_at == before


# --- Racing -------------------------------------------------------------------------------------


def test_adds_racing_for_one_line_add_up(client_for, customer, goods):
    ensure_address(customer)
    mug = goods["mug"]
    Variant.objects.filter(pk=mug.pk).update(quantity=100)
    clients = [client_for(customer) for _ in range(8)]

    responses = run_together([lambda client=client: add(client, mug, 2) for client in clients])

    assert [response.status_code for response in responses] == [201] * 8
    assert lines(customer) == {mug.pk: 16}
    assert Cart.objects.filter(user=customer).count() == 1
    assert sorted(r.json()["items"][0]["quantity"] for r in responses) == list(range(2, 17, 2))


def _someone_waits_for_a_lock(seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_line_added_while_a_checkout_waits_for_the_cart_is_checked_out(
    client_for, customer, goods
):
    """The checkout reads the cart's lines after it holds the cart's lock, so a line added
    by a transaction that held the lock first is in the checkout, not lost or left behind."""
    ensure_address(customer)
    cart_item_add(user=customer, variant=goods["mug"], quantity=1)
    added, release = threading.Event(), threading.Event()
    answers: dict[str, Any] = {}

    def adding() -> None:
        try:
            with transaction.atomic():
                cart_item_add(user=customer, variant=goods["bowl"], quantity=2)
                added.set()
                release.wait(30)
        finally:
            connection.close()

    def checking_out() -> None:
        try:
            answers["checkout"] = client_for(customer).post(CHECKOUT, {}, format="json")
        finally:
            connection.close()

    first = threading.Thread(target=adding)
    first.start()
    assert added.wait(30)
    second = threading.Thread(target=checking_out)
    second.start()
    waited = _someone_waits_for_a_lock()
    release.set()
    first.join(30)
    second.join(30)

    assert waited
    response = answers["checkout"]
    assert response.status_code == 201, response.content
    ordered = {
        item["variant"]: item["quantity"]
        for order in response.json()["orders"]
        for item in order["items"]
    }
    assert ordered == {goods["mug"].pk: 1, goods["bowl"].pk: 2}
    assert lines(customer) == {}
    assert ledger_mismatches() == []


# --- Checkout -----------------------------------------------------------------------------------


def test_checkout_with_the_carts_coupon_uses_it_once_and_drops_it(buyer, customer, goods):
    coupon = make_coupon(code="TENOFF", max_uses=5)
    add(buyer, goods["mug"], 2)
    add(buyer, goods["bowl"], 1)
    buyer.post(COUPON, {"code": "TENOFF"}, format="json")

    response = buyer.post(CHECKOUT, {}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    checkout = Checkout.objects.get()
    assert body["id"] == checkout.pk
    assert (body["subtotal"], body["discount"], body["total"]) == ("50.00", "5.00", "45.00")
    assert (checkout.subtotal, checkout.discount, checkout.coupon_id) == (
        Decimal("50.00"),
        Decimal("5.00"),
        coupon.pk,
    )
    assert set(Order.objects.values_list("checkout_id", flat=True)) == {checkout.pk}
    redemption = CouponRedemption.objects.get()
    assert (redemption.checkout_id, redemption.order_id, redemption.amount) == (
        checkout.pk,
        None,
        Decimal("5.00"),
    )
    assert Coupon.objects.get(pk=coupon.pk).uses == 1
    assert lines(customer) == {}
    assert Cart.objects.get(user=customer).coupon_id is None


def test_a_refused_checkout_keeps_the_carts_lines_and_coupon(buyer, customer, goods):
    coupon = make_coupon(code="TENOFF")
    add(buyer, goods["mug"], 2)
    add(buyer, goods["bowl"], 1)
    buyer.post(COUPON, {"code": "TENOFF"}, format="json")
    Variant.objects.filter(pk=goods["bowl"].pk).update(quantity=0)

    assert_problem(buyer.post(CHECKOUT, {}, format="json"), 409, "insufficient_stock")

    assert lines(customer) == {goods["mug"].pk: 2, goods["bowl"].pk: 1}
    assert Cart.objects.get(user=customer).coupon_id == coupon.pk
    assert (Checkout.objects.count(), Order.objects.count()) == (0, 0)
    assert Coupon.objects.get(pk=coupon.pk).uses == 0


def test_a_coupon_used_up_meanwhile_refuses_the_checkout_and_changes_nothing(
    buyer, customer, goods
):
    coupon = make_coupon(code="LAST", max_uses=1)
    add(buyer, goods["mug"], 1)
    buyer.post(COUPON, {"code": "LAST"}, format="json")
    Coupon.objects.filter(pk=coupon.pk).update(uses=1)

    problem = assert_problem(buyer.post(CHECKOUT, {}, format="json"), 400, "validation_error")

    assert problem["errors"] == {"coupon": ["This coupon has been used up."]}
    assert lines(customer) == {goods["mug"].pk: 1}
    assert Cart.objects.get(user=customer).coupon_id == coupon.pk
    assert CouponRedemption.objects.count() == 0


@pytest.fixture
def taken_number(monkeypatch, customer, goods) -> str:
    """The next order number drawn is one an order has already; the ones after are new."""
    existing = place_order(user=customer, lines=[(goods["jug_s"], 1)]).number
    drawn = iter([existing, "SK-000000-AAAAAA", "SK-000000-BBBBBB", "SK-000000-CCCCCC"])
    monkeypatch.setattr(placement, "_order_number", lambda: next(drawn))
    return existing


@pytest.mark.parametrize("key", [None, "k-taken"])
def test_a_checkout_drawing_a_taken_number_writes_one_checkout(
    buyer, customer, goods, taken_number, key
):
    add(buyer, goods["mug"], 1)
    add(buyer, goods["bowl"], 1)
    headers = {"Idempotency-Key": key} if key else {}

    response = buyer.post(CHECKOUT, {}, format="json", headers=headers)

    assert response.status_code == 201, response.content
    checkout = Checkout.objects.get()
    orders = Order.objects.filter(checkout=checkout).order_by("id")
    assert [order.number for order in orders] == ["SK-000000-AAAAAA", "SK-000000-BBBBBB"]
    # each order's stock is taken once, its ledger naming the number the order was written with
    sales = StockMovement.objects.filter(
        reason=StockMovement.Reason.SALE, variant__in=[goods["mug"], goods["bowl"]]
    )
    assert sorted(sales.values_list("variant_id", "delta", "reference")) == sorted(
        (variant.pk, -1, f"order:{order.number}")
        for order in orders
        for variant in (goods["mug"], goods["bowl"])
        if variant.shop_id == order.shop_id
    )
    assert ledger_mismatches() == []
    assert response.json()["id"] == checkout.pk
    assert checkout.total == Decimal("30.00")
    assert checkout.expires_at > timezone.now() + timedelta(minutes=1)
    if key:
        again = buyer.post(CHECKOUT, {}, format="json", headers=headers)
        assert again.json() == response.json()
        assert Checkout.objects.count() == 1
