"""Placing orders: a checkout of the whole cart (one order per shop) or a direct order from one
shop. Both lock the variants in primary-key order, check every line after locking, and either
take all the stock or change nothing (409 `insufficient_stock` listing every short line).
Totals come from our prices, never from the request."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from souk.accounts.models import Address, User
from souk.catalog.models import Variant
from souk.core.exceptions import InvalidInput
from souk.inventory.locks import variants_lock
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import (
    InsufficientStock,
    StockChange,
    stock_apply,
    stock_shortages,
)
from souk.orders.locks import cart_lock, coupon_lock
from souk.orders.models import (
    Checkout,
    Coupon,
    CouponRedemption,
    DeliverySchedule,
    Order,
    OrderItem,
)
from souk.orders.services.notify import order_events
from souk.orders.services.pricing import (
    ZERO,
    CouponInvalid,
    PricedLine,
    allocate,
    coupon_applicable,
    coupon_discount,
    coupon_find,
    coupon_use_take,
    subtotal,
)
from souk.shops.models import Shop


@dataclass(frozen=True)
class DeliveryRequest:
    """What the buyer asked for; `method` None means "delivery if there is an address, else
    pickup"."""

    method: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    notes: str = ""


@dataclass
class Placement:
    orders: list[Order] = field(default_factory=list)
    checkout: Checkout | None = None


def address_snapshot(
    *, user: User, address_id: int | None, address: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The shipping address as it is now: one of the user's addresses, one given inline, or
    else the user's default address (None if the user has no address at all)."""
    if address is not None:
        snapshot: dict[str, Any] = {key: str(address.get(key) or "") for key in Address.TEXT_FIELDS}
        location = address.get("location")
        snapshot["location"] = (
            {"lat": location.y, "lng": location.x} if location is not None else None
        )
        return snapshot
    if address_id is not None:
        chosen = Address.objects.filter(user=user, pk=address_id).first()
        if chosen is None:
            raise ValidationError({"shipping_address": ["Choose one of your addresses."]})
    else:
        chosen = (
            Address.objects.filter(user=user).order_by("-is_default", "-created_at", "-id").first()
        )
        if chosen is None:
            return None
    chosen_snapshot: dict[str, Any] = {key: getattr(chosen, key) for key in Address.TEXT_FIELDS}
    chosen_snapshot["location"] = (
        {"lat": chosen.location.y, "lng": chosen.location.x} if chosen.location else None
    )
    return chosen_snapshot


def destination_resolve(
    *,
    user: User,
    address_id: int | None,
    address: dict[str, Any] | None,
    delivery: DeliveryRequest | None,
) -> tuple[dict[str, Any] | None, DeliveryRequest]:
    """Where the goods go, and how: the given or default address is delivered to; a buyer
    with no address at all collects the order (pickup). Asking for delivery with no address
    anywhere is a 400."""
    wanted = delivery or DeliveryRequest()
    snapshot = address_snapshot(user=user, address_id=address_id, address=address)
    method = wanted.method
    if method is None:
        method = (
            DeliverySchedule.Method.DELIVERY
            if snapshot is not None
            else DeliverySchedule.Method.PICKUP
        )
    if method == DeliverySchedule.Method.DELIVERY and snapshot is None:
        raise ValidationError(
            {
                "address": [
                    "Delivery needs an address: give shipping_address or address, add an "
                    "address to your account, or choose pickup."
                ]
            }
        )
    return snapshot, replace(wanted, method=method)


def _order_number() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    stamp = timezone.now().strftime("%y%m%d")
    return f"SK-{stamp}-{''.join(secrets.choice(alphabet) for _ in range(6))}"


def _check_delivery(delivery: DeliveryRequest, now: datetime) -> None:
    if (
        delivery.window_start
        and delivery.window_end
        and delivery.window_end <= delivery.window_start
    ):
        raise ValidationError({"delivery": ["The window must end after it starts."]})
    if delivery.window_start and delivery.window_start < now:
        raise ValidationError({"delivery": ["The window must be in the future."]})


def _lines(locked: dict[int, Variant], wanted: dict[int, int]) -> list[PricedLine]:
    return [PricedLine(variant=locked[vid], quantity=qty) for vid, qty in sorted(wanted.items())]


def _create_order(
    *,
    user: User,
    shop_id: int,
    lines: list[PricedLine],
    discount: Decimal,
    address: dict[str, Any] | None,
    delivery: DeliveryRequest,
    coupon: Coupon | None,
    checkout: Checkout | None,
    expires_at: datetime,
) -> Order:
    order_subtotal = subtotal(lines)
    for _ in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=_order_number(),
                    shop_id=shop_id,
                    customer=user,
                    checkout=checkout,
                    subtotal=order_subtotal,
                    discount=discount,
                    total=order_subtotal - discount,
                    currency=settings.CURRENCY,
                    coupon=coupon if discount > 0 else None,
                    shipping_address=address,
                    expires_at=expires_at,
                )
            break
        except IntegrityError:  # an order number taken at the same moment: draw again
            continue
    else:
        raise RuntimeError("could not allocate an order number")
    shares = allocate(discount, {index: line.line_total for index, line in enumerate(lines)})
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                variant=line.variant,
                product_id=line.variant.product_id,
                sku=line.variant.sku,
                # variants_lock loaded each variant's product with it
                name=_line_name(line.variant.product.name, line.variant),
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
                net_total=line.line_total - shares[index],
            )
            for index, line in enumerate(lines)
        ]
    )
    DeliverySchedule.objects.create(
        order=order,
        method=delivery.method or DeliverySchedule.Method.DELIVERY,
        window_start=delivery.window_start,
        window_end=delivery.window_end,
        notes=delivery.notes,
    )
    return order


def _line_name(product_name: str, variant: Variant) -> str:
    options = ", ".join(str(value) for value in (variant.attributes or {}).values())
    return f"{product_name} ({options})"[:300] if options else product_name[:300]


def _place(
    *,
    user: User,
    wanted: dict[int, int],
    address: dict[str, Any] | None,
    delivery: DeliveryRequest,
    coupon_code: str | None,
    as_checkout: bool,
    only_shop: Shop | None = None,
) -> Placement:
    """Inside a transaction (cart already locked for a checkout)."""
    now = timezone.now()
    _check_delivery(delivery, now)
    coupon = coupon_lock(coupon_find(coupon_code).pk) if coupon_code else None
    locked = variants_lock(wanted)
    short = stock_shortages(locked, wanted)
    if short:
        raise InsufficientStock(short)
    lines = _lines(locked, wanted)
    if only_shop is not None:
        foreign = [line.variant.pk for line in lines if line.shop_id != only_shop.pk]
        if foreign:
            raise ValidationError({"items": [f"Variants not sold by this shop: {foreign}."]})
    by_shop: dict[int, list[PricedLine]] = defaultdict(list)
    for line in lines:
        by_shop[line.shop_id].append(line)
    shares = dict.fromkeys(by_shop, ZERO)
    discount = ZERO
    if coupon is not None:
        applicable = coupon_applicable(coupon, user=user, lines=lines, now=now)
        discount = coupon_discount(coupon, sum(applicable.values(), ZERO))
        shares.update(allocate(discount, applicable))
    expires_at = now + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
    placement = Placement()
    if as_checkout:
        total_subtotal = subtotal(lines)
        placement.checkout = Checkout.objects.create(
            user=user,
            shipping_address=address,
            coupon=coupon if discount > 0 else None,
            subtotal=total_subtotal,
            discount=discount,
            total=total_subtotal - discount,
            currency=settings.CURRENCY,
            expires_at=expires_at,
        )
    for shop_id in sorted(by_shop):
        order = _create_order(
            user=user,
            shop_id=shop_id,
            lines=by_shop[shop_id],
            discount=shares[shop_id],
            address=address,
            delivery=delivery,
            coupon=coupon,
            checkout=placement.checkout,
            expires_at=expires_at,
        )
        stock_apply(
            changes=[StockChange(line.variant.pk, -line.quantity) for line in by_shop[shop_id]],
            reason=StockMovement.Reason.SALE,
            reference=f"order:{order.number}",
            actor=user,
            locked=locked,
        )
        placement.orders.append(order)
    if coupon is not None and discount > 0:
        _redeem(coupon, user=user, placement=placement, amount=discount)
    order_events(orders=placement.orders, event="placed", actor=user)
    return placement


def _redeem(coupon: Coupon, *, user: User, placement: Placement, amount: Decimal) -> None:
    """Count one use of the (locked) coupon; the check above and this update happen under the
    same row lock, so the last use cannot be taken twice."""
    if not coupon_use_take(coupon.pk):
        raise CouponInvalid("This coupon has been used up.")
    CouponRedemption.objects.create(
        coupon=coupon,
        user=user,
        checkout=placement.checkout,
        order=placement.orders[0] if placement.checkout is None else None,
        amount=amount,
    )


def checkout_place(
    *,
    user: User,
    address_id: int | None = None,
    address: dict[str, Any] | None = None,
    coupon_code: str | None = None,
    delivery: DeliveryRequest | None = None,
    on_placed: Callable[[Checkout], None] | None = None,
) -> Checkout:
    """Check the whole cart out: one order per shop, stock taken at once, cart emptied.
    `on_placed` is called with the checkout inside the same transaction (to record the result
    of an idempotent request with it)."""
    snapshot, chosen = destination_resolve(
        user=user, address_id=address_id, address=address, delivery=delivery
    )
    with transaction.atomic():
        cart = cart_lock(user)
        wanted: dict[int, int] = {}
        for variant_id, quantity in cart.items.values_list("variant_id", "quantity"):
            wanted[variant_id] = wanted.get(variant_id, 0) + quantity
        if not wanted:
            raise ValidationError({"cart": ["Your cart is empty."]})
        code = coupon_code or (cart.coupon.code if cart.coupon_id and cart.coupon else None)
        placement = _place(
            user=user,
            wanted=wanted,
            address=snapshot,
            delivery=chosen,
            coupon_code=code,
            as_checkout=True,
        )
        cart.items.all().delete()
        if cart.coupon_id:
            cart.coupon = None
            cart.save(update_fields=["coupon", "updated_at"])
        if placement.checkout is None:  # as_checkout=True always creates one
            raise RuntimeError("checkout was not created")
        if on_placed is not None:
            on_placed(placement.checkout)
    return placement.checkout


def order_lines_resolve(items: list[dict[str, int]]) -> list[tuple[int, int]]:
    """(variant id, quantity) for lines given as {variant or product, quantity}; a product
    must have exactly one variant. Unknown variants or products are a 400 naming the line."""
    variant_ids = {line["variant"] for line in items if "variant" in line}
    product_ids = {line["product"] for line in items if "product" in line}
    known = set(Variant.all_objects.filter(pk__in=variant_ids).values_list("pk", flat=True))
    single: dict[int, list[int]] = defaultdict(list)
    for product_id, variant_id in Variant.objects.filter(
        product_id__in=product_ids, product__deleted_at__isnull=True
    ).values_list("product_id", "pk"):
        single[product_id].append(variant_id)
    resolved, errors, failed = [], [], False
    for line in items:
        problem: dict[str, list[str]] = {}
        if "variant" in line:
            if line["variant"] not in known:
                problem = {"variant": ["No such variant."]}
            variant_id = line["variant"]
        else:
            choices = single.get(line["product"], [])
            if len(choices) != 1:
                problem = {
                    "product": [
                        "No such product."
                        if not choices
                        else "This product has several variants; choose one."
                    ]
                }
            variant_id = choices[0] if choices else 0
        errors.append(problem)
        failed = failed or bool(problem)
        resolved.append((variant_id, line["quantity"]))
    if failed:
        raise InvalidInput("Some items cannot be ordered.", errors={"items": errors})
    return resolved


def order_place(
    *,
    user: User,
    shop: Shop,
    items: list[tuple[int, int]],
    address_id: int | None = None,
    address: dict[str, Any] | None = None,
    coupon_code: str | None = None,
    delivery: DeliveryRequest | None = None,
    on_placed: Callable[[Order], None] | None = None,
) -> Order:
    """A direct order from one shop: `items` are (variant id, quantity). `on_placed` is called
    with the order inside the same transaction (to record the result of an idempotent request
    with it)."""
    wanted: dict[int, int] = defaultdict(int)
    for variant_id, quantity in items:
        wanted[variant_id] += quantity
    if not wanted:
        raise ValidationError({"items": ["Give at least one item."]})
    snapshot, chosen = destination_resolve(
        user=user, address_id=address_id, address=address, delivery=delivery
    )
    with transaction.atomic():
        placement = _place(
            user=user,
            wanted=dict(wanted),
            address=snapshot,
            delivery=chosen,
            coupon_code=coupon_code,
            as_checkout=False,
            only_shop=shop,
        )
        if on_placed is not None:
            on_placed(placement.orders[0])
    return placement.orders[0]
