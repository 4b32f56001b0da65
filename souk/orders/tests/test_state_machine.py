"""Random sequences of cart, order, cancel, expiry, restock and adjustment calls (through the
services) against a model of the expected stock: after every step, stock is never negative and
equals its ledger (DESIGN.md 1), a refused call changes nothing (2), order totals add up from
our prices (4), and cancelled or expired orders gave their stock back exactly once (6).

Each example runs inside a savepoint of the test's transaction, rolled back in `teardown`, so
every example starts from the same fresh rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from souk.accounts.models import User
from souk.accounts.tests.factories import UserFactory
from souk.catalog.models import Variant
from souk.catalog.tests.factories import make_category, make_product
from souk.core.exceptions import InvalidTransition
from souk.inventory.models import StockMovement
from souk.inventory.services.purchases import purchase_create, stock_adjust
from souk.inventory.services.stock import InsufficientStock
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import CartItem, Checkout, Order, OrderItem
from souk.orders.services.cart import cart_item_add
from souk.orders.services.lifecycle import order_cancel, orders_expire
from souk.orders.services.placement import checkout_place, order_place
from souk.orders.tests.factories import ensure_address, make_coupon
from souk.shops.models import Shop
from souk.shops.tests.factories import ShopFactory

CENT = Decimal("0.01")
COUPON = "TENOFF"  # 10 % off, platform-wide, unlimited
OrderStatus = Order.Status
RETURN_REASONS: dict[str, str] = {OrderStatus.CANCELLED: "cancel", OrderStatus.EXPIRED: "expiry"}

customers = st.integers(min_value=0, max_value=1)
variant_indexes = st.integers(min_value=0, max_value=2)


@dataclass
class ExpectedOrder:
    customer: int
    lines: dict[int, int]
    coupon_group: int | None
    status: str = OrderStatus.PENDING_PAYMENT


@dataclass
class World:
    stock: dict[int, int] = field(default_factory=dict)
    price: dict[int, Decimal] = field(default_factory=dict)
    shop_of: dict[int, int] = field(default_factory=dict)
    carts: list[dict[int, int]] = field(default_factory=lambda: [{}, {}])
    orders: dict[int, ExpectedOrder] = field(default_factory=dict)


def new_user(role: str) -> User:
    return cast(User, UserFactory(role=role))


def ten_percent(amount: Decimal) -> Decimal:
    return (amount * 10 / 100).quantize(CENT, rounding=ROUND_HALF_UP)


class OrdersMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        category = make_category("Ceramics")
        self.owners = [new_user("artisan"), new_user("artisan")]
        self.shops = [cast(Shop, ShopFactory(owner=owner)) for owner in self.owners]
        mug = make_product(
            shop=self.shops[0],
            category=category,
            variants=[
                {"price": "10.00", "quantity": 6, "attributes": {"size": "S"}},
                {"price": "12.35", "quantity": 2, "attributes": {"size": "L"}},
            ],
        )
        towel = make_product(
            shop=self.shops[1], category=category, name="Linen Towel", price="7.25", quantity=5
        )
        variants = [*mug.variants.order_by("pk"), towel.variants.get()]
        self.variant_ids = [variant.pk for variant in variants]
        self.customers = [new_user("customer"), new_user("customer")]
        for customer in self.customers:
            ensure_address(customer)
        self.coupon = make_coupon(code=COUPON, kind="percent", value="10")
        self.world = World(
            stock={v.pk: v.quantity for v in variants},
            price={v.pk: v.price for v in variants},
            shop_of={v.pk: 0 if v.shop_id == self.shops[0].pk else 1 for v in variants},
        )
        self.coupon_groups = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------

    def _snapshot(self) -> tuple[Any, ...]:
        """Everything a refused call might have written."""
        return (
            dict(Variant.all_objects.values_list("pk", "quantity")),
            StockMovement.objects.count(),
            Order.all_objects.count(),
            Checkout.objects.count(),
            sorted(CartItem.objects.values_list("cart__user_id", "variant_id", "quantity")),
            list(Order.all_objects.order_by("pk").values_list("pk", "status")),
        )

    def _expect_placed(self, orders: list[Order], *, customer: int, coupon: bool) -> None:
        """Record newly placed orders (one per shop) and check their lines and totals."""
        group = None
        if coupon:
            self.coupon_groups += 1
            group = self.coupon_groups
        for order in orders:
            lines = dict(
                OrderItem.objects.filter(order=order).values_list("variant_id", "quantity")
            )
            expected_subtotal = sum(
                (self.world.price[vid] * qty for vid, qty in lines.items()), Decimal("0.00")
            )
            assert order.subtotal == expected_subtotal
            assert order.total == order.subtotal - order.discount
            assert order.status == OrderStatus.PENDING_PAYMENT
            for vid, qty in lines.items():
                self.world.stock[vid] -= qty
            self.world.orders[order.pk] = ExpectedOrder(
                customer=customer, lines=lines, coupon_group=group
            )
        all_subtotal = sum((o.subtotal for o in orders), Decimal("0.00"))
        discount = sum((o.discount for o in orders), Decimal("0.00"))
        assert discount == (ten_percent(all_subtotal) if coupon else Decimal("0.00"))

    def _give_back(self, order_id: int, status: str) -> None:
        expected = self.world.orders[order_id]
        expected.status = status
        for vid, qty in expected.lines.items():
            self.world.stock[vid] += qty

    # --- rules -------------------------------------------------------------------------------

    @rule(customer=customers, index=variant_indexes, quantity=st.integers(1, 3))
    def add_to_cart(self, customer: int, index: int, quantity: int) -> None:
        vid = self.variant_ids[index]
        cart = self.world.carts[customer]
        variant = Variant.objects.select_related("product").get(pk=vid)
        if cart.get(vid, 0) + quantity > self.world.stock[vid]:
            before = self._snapshot()
            with pytest.raises(InsufficientStock):
                cart_item_add(user=self.customers[customer], variant=variant, quantity=quantity)
            assert self._snapshot() == before
            return
        cart_item_add(user=self.customers[customer], variant=variant, quantity=quantity)
        cart[vid] = cart.get(vid, 0) + quantity

    @precondition(lambda self: not all(self.world.carts))
    @rule(data=st.data())
    def checkout_empty_cart(self, data: st.DataObject) -> None:
        customer = data.draw(st.sampled_from([i for i, c in enumerate(self.world.carts) if not c]))
        before = self._snapshot()
        with pytest.raises(ValidationError):
            checkout_place(user=self.customers[customer])
        assert self._snapshot() == before

    @precondition(lambda self: any(self.world.carts))
    @rule(target=orders, data=st.data(), coupon=st.booleans())
    def checkout(self, data: st.DataObject, coupon: bool) -> Any:
        customer = data.draw(st.sampled_from([i for i, c in enumerate(self.world.carts) if c]))
        return multiple(*self._checkout(customer, coupon))

    @precondition(lambda self: any(self.world.carts))
    @rule(target=orders, data=st.data())
    def checkout_after_a_rival_sale(self, data: st.DataObject) -> Any:
        """The other customer buys a line of this cart down to one unit short first; the
        checkout is then refused as a whole."""
        customer = data.draw(st.sampled_from([i for i, c in enumerate(self.world.carts) if c]))
        cart = self.world.carts[customer]
        vid = data.draw(st.sampled_from(sorted(cart)))
        take = self.world.stock[vid] - cart[vid] + 1
        rival: list[int] = []
        if take > 0:
            order = order_place(
                user=self.customers[1 - customer],
                shop=self.shops[self.world.shop_of[vid]],
                items=[(vid, take)],
            )
            self._expect_placed([order], customer=1 - customer, coupon=False)
            rival.append(order.pk)
        assert self._checkout(customer, coupon=False) == []
        return multiple(*rival)

    def _checkout(self, customer: int, coupon: bool) -> list[int]:
        cart = self.world.carts[customer]
        user = self.customers[customer]
        code = COUPON if coupon else None
        short = sorted(vid for vid, qty in cart.items() if qty > self.world.stock[vid])
        if short:
            before = self._snapshot()
            with pytest.raises(InsufficientStock) as refused:
                checkout_place(user=user, coupon_code=code)
            assert [line["variant"] for line in refused.value.shortages] == short
            assert self._snapshot() == before  # nothing written, the cart kept
            return []
        placed = checkout_place(user=user, coupon_code=code)
        orders = list(Order.objects.filter(checkout=placed).order_by("shop_id"))
        assert len(orders) == len({self.world.shop_of[vid] for vid in cart})
        self._expect_placed(orders, customer=customer, coupon=coupon)
        assert placed.subtotal == sum((o.subtotal for o in orders), Decimal("0.00"))
        assert placed.total == placed.subtotal - placed.discount
        ordered: dict[int, int] = defaultdict(int)
        for order in orders:
            for vid, qty in self.world.orders[order.pk].lines.items():
                ordered[vid] += qty
        assert dict(ordered) == cart
        cart.clear()
        return [order.pk for order in orders]

    @rule(
        target=orders,
        customer=customers,
        shop=st.integers(0, 1),
        lines=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 3)), min_size=1, max_size=3),
        coupon=st.booleans(),
    )
    def order_direct(
        self, customer: int, shop: int, lines: list[tuple[int, int]], coupon: bool
    ) -> Any:
        choices = [vid for vid in self.variant_ids if self.world.shop_of[vid] == shop]
        items = [(choices[index % len(choices)], qty) for index, qty in lines]
        wanted: dict[int, int] = defaultdict(int)
        for vid, qty in items:
            wanted[vid] += qty
        short = sorted(vid for vid, qty in wanted.items() if qty > self.world.stock[vid])
        call: dict[str, Any] = {
            "user": self.customers[customer],
            "shop": self.shops[shop],
            "items": items,
            "coupon_code": COUPON if coupon else None,
        }
        if short:
            before = self._snapshot()
            with pytest.raises(InsufficientStock) as refused:
                order_place(**call)
            assert [s["variant"] for s in refused.value.shortages] == short
            assert self._snapshot() == before
            return multiple()
        order = order_place(**call)
        self._expect_placed([order], customer=customer, coupon=coupon)
        assert self.world.orders[order.pk].lines == dict(wanted)
        return order.pk

    @rule(order_id=orders)
    def cancel(self, order_id: int) -> None:
        expected = self.world.orders[order_id]
        buyer = self.customers[expected.customer]
        if expected.status != OrderStatus.PENDING_PAYMENT:
            before = self._snapshot()
            with pytest.raises(InvalidTransition):
                order_cancel(order_id=order_id, actor=buyer)
            assert self._snapshot() == before
            return
        order_cancel(order_id=order_id, actor=buyer)
        self._give_back(order_id, OrderStatus.CANCELLED)

    @rule(order_id=orders)
    def expire(self, order_id: int) -> None:
        Order.all_objects.filter(pk=order_id).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        was_pending = self.world.orders[order_id].status == OrderStatus.PENDING_PAYMENT
        assert orders_expire() == (1 if was_pending else 0)
        if was_pending:
            self._give_back(order_id, OrderStatus.EXPIRED)

    @rule(index=variant_indexes, quantity=st.integers(1, 5))
    def purchase(self, index: int, quantity: int) -> None:
        vid = self.variant_ids[index]
        shop = self.world.shop_of[vid]
        purchase_create(
            actor=self.owners[shop],
            shop=self.shops[shop],
            supplier="Atlas Clay Co.",
            purchased_at=timezone.localdate(),
            items=[{"variant": vid, "quantity": quantity, "unit_cost": Decimal("3.10")}],
        )
        self.world.stock[vid] += quantity

    @rule(index=variant_indexes, delta=st.integers(-5, 5).filter(bool))
    def adjust(self, index: int, delta: int) -> None:
        vid = self.variant_ids[index]
        owner = self.owners[self.world.shop_of[vid]]
        if self.world.stock[vid] + delta < 0:
            before = self._snapshot()
            with pytest.raises(InsufficientStock):
                stock_adjust(actor=owner, variant_id=vid, delta=delta, note="count")
            assert self._snapshot() == before
            return
        stock_adjust(actor=owner, variant_id=vid, delta=delta, note="count")
        self.world.stock[vid] += delta

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def stock_is_the_ledger_and_the_model(self) -> None:
        assert ledger_mismatches() == []
        found = dict(
            Variant.all_objects.filter(pk__in=self.variant_ids).values_list("pk", "quantity")
        )
        assert found == self.world.stock
        assert all(quantity >= 0 for quantity in found.values())

    @invariant()
    def carts_are_the_model(self) -> None:
        for customer, cart in zip(self.customers, self.world.carts, strict=True):
            found = CartItem.objects.filter(cart__user=customer).values_list(
                "variant_id", "quantity"
            )
            assert dict(found) == cart

    @invariant()
    def order_totals_add_up(self) -> None:
        rows = Order.all_objects.annotate(
            lines_sum=Sum("items__line_total"), line_count=Count("items")
        ).values_list("pk", "status", "subtotal", "discount", "total", "lines_sum", "line_count")
        seen = {}
        for pk, status, sub, discount, total, lines_sum, line_count in rows:
            assert line_count == len(self.world.orders[pk].lines)
            assert sub == lines_sum
            assert total == lines_sum - discount
            assert discount >= 0
            seen[pk] = status
        assert seen == {pk: expected.status for pk, expected in self.world.orders.items()}

    @invariant()
    def closed_orders_gave_stock_back_once(self) -> None:
        returned: dict[tuple[str, str], int] = defaultdict(int)
        for reference, reason, delta in StockMovement.objects.filter(
            reason__in=[StockMovement.Reason.CANCEL, StockMovement.Reason.EXPIRY]
        ).values_list("reference", "reason", "delta"):
            returned[(reference, reason)] += delta
        numbers = dict(Order.all_objects.values_list("pk", "number"))
        expected = {}
        for pk, order in self.world.orders.items():
            kind = RETURN_REASONS.get(order.status)
            if kind:
                expected[(f"order:{numbers[pk]}", kind)] = sum(order.lines.values())
        assert dict(returned) == expected

    @invariant()
    def coupon_uses_count_open_placements(self) -> None:
        open_groups = {
            order.coupon_group
            for order in self.world.orders.values()
            if order.coupon_group is not None and order.status == OrderStatus.PENDING_PAYMENT
        }
        self.coupon.refresh_from_db()
        assert self.coupon.uses == len(open_groups)


@pytest.mark.django_db
def test_orders_state_machine():
    run_state_machine_as_test(
        OrdersMachine, settings=settings(max_examples=30, stateful_step_count=25)
    )
