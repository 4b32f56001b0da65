"""Orders under real concurrency: real threads, each on its own database connection, released
together by a barrier; the invariants are checked afterwards (DESIGN.md 1, 2, 3, 4 and 6).

1. stock never goes below zero and always equals its ledger;
2. a placement is all-or-nothing (no order, no stock change, the cart kept);
3. variants are locked in one global order, so crossing orders never deadlock;
4. totals come from our prices (and a coupon's last use is taken once);
6. expired or cancelled orders give their stock back exactly once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.core.tests.threads import run_together
from souk.inventory.models import StockMovement
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import CartItem, Checkout, Coupon, CouponRedemption, Order
from souk.orders.services import placement
from souk.orders.services.cart import cart_item_add
from souk.orders.services.lifecycle import orders_expire
from souk.orders.tests.factories import ensure_address, make_coupon, place_order

ORDERS = "/api/orders/"
CHECKOUT = "/api/checkout/"
CART_ITEMS = "/api/cart/items/"

# Many threads, one connection each: these files share one xdist worker (`--dist loadgroup`)
# so that two of them never hold their connections at once.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]


def cancel_url(order_id: int) -> str:
    return f"{ORDERS}{order_id}/cancel/"


def post(client: Any, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return lambda: client.post(url, body or {}, format="json", headers=headers)


def buyers(user_factory: Any, count: int) -> list[Any]:
    users = [user_factory(role="customer") for _ in range(count)]
    for user in users:
        ensure_address(user)
    return users


def stock(variant: Variant) -> int:
    return Variant.all_objects.values_list("quantity", flat=True).get(pk=variant.pk)


def movements(reason: str) -> Counter[tuple[int, str]]:
    """(variant id, reference) -> count of ledger movements with this reason."""
    return Counter(
        StockMovement.objects.filter(reason=reason).values_list("variant_id", "reference")
    )


def single_variant(product_factory: Any, shop: Any, category: Any, **kwargs: Any) -> Variant:
    return product_factory(shop=shop, category=category, **kwargs).variants.get()


# --- Stock never oversold ----------------------------------------------------------------------


def test_fifty_direct_orders_for_five_units_sell_exactly_five(
    client_for, user_factory, product_factory, shop, category
):
    variant = single_variant(product_factory, shop, category, quantity=5)
    people = buyers(user_factory, 50)
    body = {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 1}]}

    responses = run_together([post(client_for(user), ORDERS, body) for user in people])

    assert Counter(response.status_code for response in responses) == {201: 5, 409: 45}
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, "insufficient_stock")
            assert problem["errors"] == {
                "items": [{"variant": variant.pk, "requested": 1, "available": 0}]
            }
    winners = {user.pk for user, r in zip(people, responses, strict=True) if r.status_code == 201}
    assert set(Order.objects.values_list("customer_id", flat=True)) == winners
    assert Order.objects.count() == 5
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert created == set(Order.objects.values_list("pk", flat=True))
    assert stock(variant) == 0
    assert sum(movements(StockMovement.Reason.SALE).values()) == 5
    assert ledger_mismatches() == []


def test_checkouts_racing_for_three_units_take_all_or_nothing(
    client_for, user_factory, product_factory, shop, category, shop_factory
):
    scarce = single_variant(product_factory, shop, category, quantity=3, price="20.00")
    other_shop = shop_factory(owner=user_factory(role="artisan"))
    plenty = single_variant(
        product_factory, other_shop, category, name="Linen Towel", quantity=100, price="7.50"
    )
    people = buyers(user_factory, 12)
    for user in people:
        cart_item_add(user=user, variant=plenty, quantity=2)
        cart_item_add(user=user, variant=scarce, quantity=1)

    responses = run_together([post(client_for(user), CHECKOUT) for user in people])

    assert Counter(response.status_code for response in responses) == {201: 3, 409: 9}
    for user, response in zip(people, responses, strict=True):
        cart_lines = set(
            CartItem.objects.filter(cart__user=user).values_list("variant_id", "quantity")
        )
        if response.status_code == 201:
            body = response.json()
            assert len(body["orders"]) == 2
            assert body["total"] == "35.00"  # 20.00 + 2 x 7.50, from our prices
            assert cart_lines == set()
        else:
            problem = assert_problem(response, 409, "insufficient_stock")
            assert problem["errors"] == {
                "items": [{"variant": scarce.pk, "requested": 1, "available": 0}]
            }
            assert cart_lines == {(plenty.pk, 2), (scarce.pk, 1)}  # the cart is kept
            assert not Order.objects.filter(customer=user).exists()
    assert Checkout.objects.count() == 3
    assert Order.objects.count() == 6
    assert stock(scarce) == 0
    assert stock(plenty) == 94  # the losers' lines of the other shop were not taken either
    assert ledger_mismatches() == []


# --- No deadlocks --------------------------------------------------------------------------------


def test_orders_locking_variants_in_opposite_orders_never_deadlock(
    client_for, user_factory, product_factory, shop, category
):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[
            {"price": "10.00", "quantity": 500, "attributes": {"size": "S"}},
            {"price": "12.00", "quantity": 500, "attributes": {"size": "L"}},
        ],
    )
    first, second = product.variants.order_by("pk")
    people = buyers(user_factory, 8)
    rounds = 6

    def shopper(client: Any, ordering: list[Variant]) -> list[int]:
        statuses = []
        quantities = {first.pk: 1, second.pk: 2}
        items = [{"variant": v.pk, "quantity": quantities[v.pk]} for v in ordering]
        body = {"shop": shop.pk, "items": items}
        for index in range(rounds):
            response = client.post(ORDERS, body, format="json")
            statuses.append(response.status_code)
            if index % 2 and response.status_code == 201:  # cancels lock order then variants
                statuses.append(client.post(cancel_url(response.json()["id"])).status_code)
        return statuses

    results = run_together(
        [
            partial(shopper, client_for(user), [first, second] if i % 2 else [second, first])
            for i, user in enumerate(people)
        ]
    )

    assert [Counter(statuses) for statuses in results] == [Counter({201: 6, 200: 3})] * 8
    live = Order.objects.filter(status=Order.Status.PENDING_PAYMENT)
    assert live.count() == 8 * 3
    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == 8 * 3
    assert stock(first) == 500 - 24 * 1
    assert stock(second) == 500 - 24 * 2
    assert ledger_mismatches() == []


def test_checkouts_spanning_two_shops_in_opposite_orders_never_deadlock(
    client_for, user_factory, product_factory, shop, category, shop_factory
):
    other_shop = shop_factory(owner=user_factory(role="artisan"))
    here = single_variant(product_factory, shop, category, quantity=200, price="5.00")
    there = single_variant(
        product_factory, other_shop, category, name="Woven Basket", quantity=200, price="9.00"
    )
    people = buyers(user_factory, 8)
    rounds = 4

    def shopper(client: Any, ordering: list[Variant]) -> list[int]:
        statuses = []
        for _ in range(rounds):
            for variant in ordering:
                line = {"variant": variant.pk, "quantity": 1}
                added = client.post(CART_ITEMS, line, format="json")
                statuses.append(added.status_code)
            statuses.append(client.post(CHECKOUT, {}, format="json").status_code)
        return statuses

    results = run_together(
        [
            partial(shopper, client_for(user), [here, there] if i % 2 else [there, here])
            for i, user in enumerate(people)
        ]
    )

    assert results == [[201, 201, 201] * rounds] * 8
    assert Checkout.objects.count() == 8 * rounds
    assert Order.objects.count() == 2 * 8 * rounds
    assert stock(here) == 200 - 32
    assert stock(there) == 200 - 32
    assert not CartItem.objects.exists()
    assert ledger_mismatches() == []


# --- Idempotency ----------------------------------------------------------------------------------


def test_duplicate_requests_racing_with_one_key_create_one_order(
    client_for, customer, product_factory, shop, category
):
    ensure_address(customer)
    variant = single_variant(product_factory, shop, category, quantity=50)
    body = {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 2}]}

    for attempt in range(5):
        key = f"race-{attempt}"
        first, second = run_together(
            [post(client_for(customer), ORDERS, body, **{"Idempotency-Key": key}) for _ in "ab"]
        )

        assert Order.objects.count() == attempt + 1
        answers = sorted([first, second], key=lambda response: response.status_code)
        assert answers[0].status_code == 201
        if answers[1].status_code == 201:  # the loser came after the winner: a replay
            assert answers[1].json() == answers[0].json()
        else:
            assert_problem(answers[1], 409, "idempotency_in_progress")
    assert stock(variant) == 50 - 5 * 2
    assert ledger_mismatches() == []


def test_duplicate_while_the_first_runs_is_in_progress_then_replayed(
    client_for, customer, product_factory, shop, category
):
    ensure_address(customer)
    variant = single_variant(product_factory, shop, category, quantity=5)
    body = {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 2}]}
    headers = {"Idempotency-Key": "order-1"}
    entered, release = threading.Event(), threading.Event()
    real_place = placement.order_place

    def held_place(**kwargs: Any) -> Order:
        entered.set()
        assert release.wait(30)
        return real_place(**kwargs)

    first_result: list[Any] = []

    def first_request() -> None:
        try:
            first_result.append(
                client_for(customer).post(ORDERS, body, format="json", headers=headers)
            )
        finally:
            connection.close()

    with mock.patch("souk.orders.api.views.orders.order_place", held_place):
        thread = threading.Thread(target=first_request)
        thread.start()
        try:
            assert entered.wait(30)
            client = client_for(customer)
            duplicate = client.post(ORDERS, body, format="json", headers=headers)
            other = {**body, "items": [{"variant": variant.pk, "quantity": 1}]}
            different = client.post(ORDERS, other, format="json", headers=headers)
        finally:
            release.set()
            thread.join(30)

    assert_problem(duplicate, 409, "idempotency_in_progress")
    assert_problem(different, 422, "idempotency_conflict")
    (created,) = first_result
    assert created.status_code == 201
    assert Order.objects.count() == 1
    assert stock(variant) == 3

    replay = client_for(customer).post(ORDERS, body, format="json", headers=headers)

    assert replay.status_code == 201
    assert replay.json() == created.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert stock(variant) == 3
    assert_problem(
        client_for(customer).post(
            ORDERS,
            {**body, "items": [{"variant": variant.pk, "quantity": 1}]},
            format="json",
            headers=headers,
        ),
        422,
        "idempotency_conflict",
    )
    assert Order.objects.count() == 1
    assert stock(variant) == 3
    assert ledger_mismatches() == []


# --- Coupons: the last use is taken once ------------------------------------------------------


def assert_one_discounted_order(responses: list[Any], coupon: Coupon, variants: list[Variant]):
    won = [response for response in responses if response.status_code == 201]
    assert len(won) == 1
    body = won[0].json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("20.00", "2.00", "18.00")
    for response in responses:
        if response.status_code != 201:
            problem = assert_problem(response, 400, "validation_error")
            assert set(problem["errors"]) == {"coupon"}
    order = Order.objects.get()
    assert order.pk == body["id"]
    assert (order.subtotal, order.discount, order.total) == (
        Decimal("20.00"),
        Decimal("2.00"),
        Decimal("18.00"),
    )
    coupon.refresh_from_db()
    assert coupon.uses == 1
    assert list(CouponRedemption.objects.values_list("coupon_id", "order_id", "amount")) == [
        (coupon.pk, order.pk, Decimal("2.00"))
    ]
    sold = order.items.get().variant_id
    assert [stock(variant) for variant in variants] == [
        4 if variant.pk == sold else 5 for variant in variants
    ]
    assert StockMovement.objects.filter(reason=StockMovement.Reason.SALE).count() == 1
    assert ledger_mismatches() == []


def many_variants(product_factory: Any, shop: Any, category: Any, count: int) -> list[Variant]:
    """Variants of 20.00 with 5 in stock each: concurrent orders for different ones do not
    wait on each other's stock locks, only on the coupon."""
    specs = [{"price": "20.00", "quantity": 5, "attributes": {"n": str(n)}} for n in range(count)]
    product = product_factory(shop=shop, category=category, variants=specs)
    return list(product.variants.order_by("pk"))


def test_last_use_of_a_coupon_goes_to_exactly_one_of_many_buyers(
    client_for, user_factory, product_factory, shop, category
):
    variants = many_variants(product_factory, shop, category, 12)
    coupon = make_coupon(code="LAST1", kind="percent", value="10", max_uses=1)
    people = buyers(user_factory, 12)

    responses = run_together(
        [
            post(
                client_for(user),
                ORDERS,
                {"shop": shop.pk, "items": [{"variant": v.pk, "quantity": 1}], "coupon": "last1"},
            )
            for user, v in zip(people, variants, strict=True)
        ]
    )

    assert_one_discounted_order(responses, coupon, variants)


def test_one_use_per_customer_holds_when_that_customer_races_himself(
    client_for, customer, product_factory, shop, category
):
    ensure_address(customer)
    variants = many_variants(product_factory, shop, category, 8)
    coupon = make_coupon(code="ONCE", kind="percent", value="10", max_uses_per_customer=1)

    responses = run_together(
        [
            post(
                client_for(customer),
                ORDERS,
                {"shop": shop.pk, "items": [{"variant": v.pk, "quantity": 1}], "coupon": "ONCE"},
            )
            for v in variants
        ]
    )

    assert_one_discounted_order(responses, coupon, variants)


# --- Stock comes back exactly once ----------------------------------------------------------------


def two_line_orders(user_factory: Any, first: Variant, second: Variant, count: int) -> list[Order]:
    return [
        place_order(user=user, lines=[(first, 1), (second, 2)])
        for user in buyers(user_factory, count)
    ]


def two_variants(product_factory: Any, shop: Any, category: Any) -> tuple[Variant, Variant]:
    product = product_factory(
        shop=shop,
        category=category,
        variants=[
            {"price": "10.00", "quantity": 40, "attributes": {"colour": "red"}},
            {"price": "15.00", "quantity": 60, "attributes": {"colour": "blue"}},
        ],
    )
    first, second = product.variants.order_by("pk")
    return first, second


def assert_returned_once(orders: list[Order], reasons: dict[int, str]) -> None:
    """Each order's two lines came back once, with the reason its final status calls for."""
    returned = Counter(
        StockMovement.objects.filter(delta__gt=0)
        .exclude(reference="opening")
        .values_list("reference", "reason")
    )
    assert returned == Counter(
        {(f"order:{order.number}", reasons[order.pk]): 2 for order in orders}
    )


def test_two_expiry_runs_at_once_expire_each_order_once(
    user_factory, product_factory, shop, category
):
    first, second = two_variants(product_factory, shop, category)
    orders = two_line_orders(user_factory, first, second, 12)
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert (stock(first), stock(second)) == (40 - 12, 60 - 24)

    counts = run_together([orders_expire, orders_expire])

    assert sum(counts) == 12
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.EXPIRED}
    assert_returned_once(orders, dict.fromkeys([o.pk for o in orders], "expiry"))
    assert (stock(first), stock(second)) == (40, 60)
    assert ledger_mismatches() == []
    assert orders_expire() == 0
    assert ledger_mismatches() == []


def test_an_order_cancelled_twice_at_once_returns_its_stock_once(
    client_for, user_factory, product_factory, shop, category
):
    first, second = two_variants(product_factory, shop, category)
    orders = two_line_orders(user_factory, first, second, 5)
    calls = []
    for order in orders:
        calls += [post(client_for(order.customer), cancel_url(order.pk)) for _ in "ab"]

    responses = run_together(calls)

    for pair in zip(responses[::2], responses[1::2], strict=True):
        done, refused = sorted(pair, key=lambda response: response.status_code)
        assert done.status_code == 200
        assert done.json()["status"] == "cancelled"
        assert_problem(refused, 409, "invalid_transition")
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CANCELLED}
    assert_returned_once(orders, dict.fromkeys([o.pk for o in orders], "cancel"))
    assert (stock(first), stock(second)) == (40, 60)
    assert ledger_mismatches() == []


def test_cancel_racing_expiry_returns_the_stock_once(
    client_for, user_factory, product_factory, shop, category
):
    first, second = two_variants(product_factory, shop, category)
    orders = two_line_orders(user_factory, first, second, 8)
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    calls: list[Callable[[], Any]] = [orders_expire]
    calls += [post(client_for(order.customer), cancel_url(order.pk)) for order in orders]

    expired_count, *responses = run_together(calls)

    statuses = dict(Order.objects.values_list("pk", "status"))
    reasons = {}
    for order, response in zip(orders, responses, strict=True):
        if statuses[order.pk] == Order.Status.CANCELLED:
            assert response.status_code == 200
            reasons[order.pk] = "cancel"
        else:
            assert statuses[order.pk] == Order.Status.EXPIRED
            assert_problem(response, 409, "invalid_transition")
            reasons[order.pk] = "expiry"
    assert expired_count == list(statuses.values()).count(Order.Status.EXPIRED)
    assert_returned_once(orders, reasons)
    assert (stock(first), stock(second)) == (40, 60)
    assert ledger_mismatches() == []
