"""The cart: one per user, created on first use; one line per variant."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Product, Variant
from souk.core.exceptions import NotFound
from souk.inventory.services.stock import InsufficientStock
from souk.orders.locks import cart_lock, cart_touch_lock
from souk.orders.models import Cart, CartItem, Coupon
from souk.orders.services.pricing import (
    ZERO,
    CouponInvalid,
    PricedLine,
    coupon_applicable,
    coupon_discount,
    coupon_find,
)

MAX_LINE_QUANTITY = 1000


def _sellable(variant: Variant) -> bool:
    return variant.deleted_at is None and variant.product.deleted_at is None


def _check_stock(variant: Variant, quantity: int) -> None:
    available = variant.quantity if _sellable(variant) else 0
    if quantity > available:
        raise InsufficientStock(
            [{"variant": variant.pk, "requested": quantity, "available": available}]
        )


def product_variant(*, product_id: int) -> Variant:
    """The variant of a product that has exactly one (a cart line may name the product)."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError({"product": ["No such product."]})
    variants = list(Variant.objects.select_related("product").filter(product=product)[:2])
    if len(variants) != 1:
        raise ValidationError({"product": ["This product has several variants; choose one."]})
    return variants[0]


# Add to the line of a live variant of a live product (created if needed) and read the
# variant's stock, in one statement; no row: no such variant. The new quantity is checked
# after it, and a refused one rolls back with the transaction.
_ADD_SQL = """
WITH v AS (
    SELECT v.id, v.quantity
    FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
    WHERE v.id = %(variant)s AND v.deleted_at IS NULL AND p.deleted_at IS NULL
), line AS (
    INSERT INTO orders_cartitem (cart_id, variant_id, quantity, created_at, updated_at)
    SELECT %(cart)s, v.id, %(quantity)s, %(now)s, %(now)s FROM v
    ON CONFLICT (cart_id, variant_id) DO UPDATE
    SET quantity = orders_cartitem.quantity + EXCLUDED.quantity,
        updated_at = EXCLUDED.updated_at
    RETURNING id, quantity
)
SELECT v.quantity, line.id, line.quantity FROM v, line
"""


def cart_item_add(
    *, user: User, variant: Variant | int, quantity: int, field: str = "variant"
) -> CartItem:
    """Add to the line of this variant (a `Variant` or its id; the line is created if
    needed). No such live variant of a live product: 400 on `field`. More than the stock (as
    read in this transaction) -> 409."""
    variant_id = variant.pk if isinstance(variant, Variant) else int(variant)
    with transaction.atomic():
        cart = cart_touch_lock(user)
        now = cart.updated_at
        with connection.cursor() as cursor:
            cursor.execute(
                _ADD_SQL,
                {"cart": cart.pk, "variant": variant_id, "quantity": quantity, "now": now},
            )
            row = cursor.fetchone()
        if row is None:
            raise ValidationError({field: ["No such variant."]})
        available, item_id, total = row
        if total > MAX_LINE_QUANTITY:
            raise ValidationError({"quantity": [f"At most {MAX_LINE_QUANTITY} per line."]})
        if total > available:
            raise InsufficientStock(
                [{"variant": variant_id, "requested": total, "available": available}]
            )
    item = CartItem(id=item_id, cart=cart, variant_id=variant_id, quantity=total, updated_at=now)
    if isinstance(variant, Variant):
        item.variant = variant
    item._state.adding = False
    return item


def cart_item_get(*, user: User, item_id: int) -> CartItem:
    item = (
        CartItem.objects.select_related("variant__product")
        .filter(pk=item_id, cart__user=user)
        .first()
    )
    if item is None:
        raise NotFound("No such cart line.")
    return item


def cart_item_set(*, user: User, item_id: int, quantity: int) -> CartItem:
    with transaction.atomic():
        cart_lock(user)
        item = cart_item_get(user=user, item_id=item_id)
        _check_stock(item.variant, quantity)
        item.quantity = quantity
        item.save(update_fields=["quantity", "updated_at"])
    return item


def cart_item_remove(*, user: User, item_id: int) -> None:
    with transaction.atomic():
        cart_lock(user)
        cart_item_get(user=user, item_id=item_id).delete()


def cart_clear(*, user: User) -> None:
    with transaction.atomic():
        cart = cart_lock(user)
        cart.items.all().delete()
        if cart.coupon_id:
            cart.coupon = None
            cart.save(update_fields=["coupon", "updated_at"])


def cart_coupon_apply(*, user: User, code: str) -> Coupon:
    """Attach a coupon that is valid for the cart now (else 400 with the reason)."""
    with transaction.atomic():
        cart = cart_lock(user)
        coupon = coupon_find(code)
        coupon_applicable(coupon, user=user, lines=_lines(cart), now=timezone.now())
        cart.coupon = coupon
        cart.save(update_fields=["coupon", "updated_at"])
    return coupon


def cart_coupon_remove(*, user: User) -> None:
    with transaction.atomic():
        cart = cart_lock(user)
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])


def _lines(cart: Cart) -> list[PricedLine]:
    items = cart.items.select_related("variant__product").order_by("id")
    return [PricedLine(variant=item.variant, quantity=item.quantity) for item in items]


@dataclass(frozen=True)
class CartView:
    cart: Cart
    items: list[dict[str, Any]]
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    coupon: dict[str, Any] | None
    currency: str


# What a cart line shows of its variant, product and shop.
_LINE_FIELDS = (
    "id",
    "cart",
    "quantity",
    "variant__id",
    "variant__sku",
    "variant__price",
    "variant__quantity",
    "variant__deleted_at",
    "variant__product_id",
    "variant__shop_id",
    "variant__product__id",
    "variant__product__name",
    "variant__product__deleted_at",
    "variant__product__shop__id",
    "variant__product__shop__name",
)


def cart_view(*, user: User, cart: Cart | None = None) -> CartView:
    """The cart with live prices and availability; totals computed here, never stored.
    `cart`: the user's cart when the caller has it already."""
    if cart is None:
        try:
            cart, _ = Cart.objects.select_related("coupon").get_or_create(user=user)
        except IntegrityError:  # created at the same moment by another request
            cart = Cart.objects.select_related("coupon").get(user=user)
    items = list(
        cart.items.select_related("variant__product__shop").only(*_LINE_FIELDS).order_by("id")
    )
    rows: list[dict[str, Any]] = []
    lines: list[PricedLine] = []
    for item in items:
        variant = item.variant
        line = PricedLine(variant=variant, quantity=item.quantity)
        available = _sellable(variant) and item.quantity <= variant.quantity
        if available:
            lines.append(line)
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
                "stock": variant.quantity if _sellable(variant) else 0,
            }
        )
    subtotal = sum((row["line_total"] for row in rows if row["available"]), ZERO)
    discount, coupon = ZERO, None
    if cart.coupon is not None:
        coupon = {"code": cart.coupon.code, "valid": True, "reason": ""}
        try:
            applicable = coupon_applicable(cart.coupon, user=user, lines=lines, now=timezone.now())
            discount = coupon_discount(cart.coupon, sum(applicable.values(), ZERO))
        except CouponInvalid as exc:
            coupon.update(valid=False, reason=exc.detail)
    return CartView(
        cart=cart,
        items=rows,
        subtotal=subtotal,
        discount=discount,
        total=subtotal - discount,
        coupon=coupon,
        currency=settings.CURRENCY,
    )
