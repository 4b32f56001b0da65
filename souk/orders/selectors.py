"""Order reads, always scoped to what the caller may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from souk.accounts.models import User
from souk.orders import policy
from souk.orders.models import CartItem, Checkout, Coupon, DeliverySchedule, Order, OrderItem
from souk.shops.models import Shop


def _base() -> QuerySet[Order]:
    return Order.objects.select_related("shop", "customer", "delivery", "coupon").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("id"))
    )


def orders_visible(*, user: User) -> QuerySet[Order]:
    """Orders the user placed, plus those of shops they belong to; all for administrators."""
    return policy.visible_orders(user, _base())


def order_get(*, user: User, order_id: int) -> Order | None:
    return orders_visible(user=user).filter(pk=order_id).first()


def order_list(
    *,
    user: User,
    shop: Shop | None = None,
    status: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Order]:
    """The caller's own orders; with `shop`, that shop's (caller must be a member); all for
    administrators without `shop`."""
    orders = policy.listed_orders(user, _base()) if shop is None else _base().filter(shop=shop)
    if status:
        orders = orders.filter(status=status)
    if created_after:
        orders = orders.filter(created_at__gte=created_after)
    if created_before:
        orders = orders.filter(created_at__lt=created_before)
    return orders.order_by("-created_at", "-id")


def cart_count(*, user: User) -> int:
    """How many items (units) are in the user's cart: one query, no cart created."""
    total = CartItem.objects.filter(cart__user=user).aggregate(units=Sum("quantity"))["units"]
    return int(total or 0)


def checkout_get(*, user: User, checkout_id: int) -> Checkout | None:
    """The user's checkout with its orders (as `order_get` loads them)."""
    return (
        Checkout.objects.filter(user=user, pk=checkout_id)
        .prefetch_related(Prefetch("orders", queryset=_base().order_by("shop_id", "id")))
        .first()
    )


def delivery_of(order: Order) -> DeliverySchedule:
    """The order's delivery schedule (every order gets one when placed)."""
    schedule = getattr(order, "delivery", None)
    if schedule is None:
        schedule, _ = DeliverySchedule.objects.get_or_create(order=order)
    return schedule


def coupons_visible(*, user: User) -> QuerySet[Coupon]:
    return policy.visible_coupons(user, Coupon.objects.select_related("shop"))


def customer_received(*, user: User, product_id: int) -> bool:
    """Whether the user has a delivered order line of this product (in an order that an
    administrator has not deleted)."""
    return OrderItem.objects.filter(
        order__customer=user,
        order__status=Order.Status.DELIVERED,
        order__deleted_at__isnull=True,
        product_id=product_id,
    ).exists()


def variant_units_reserved() -> Coalesce:
    """Units of a variant held by orders awaiting payment (already taken from stock), for a
    variant queryset's annotation."""
    held = (
        OrderItem.objects.filter(variant=OuterRef("pk"), order__status=Order.Status.PENDING_PAYMENT)
        .order_by()
        .values("variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), Value(0))
