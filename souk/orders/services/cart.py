"""The cart: one per user, created on first use; one line per variant."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.core.arrays import BIGINT_MAX
from souk.core.exceptions import NotFound
from souk.inventory.services.stock import InsufficientStock
from souk.orders.locks import cart_lock, cart_touch_lock
from souk.orders.models import Cart, CartItem, Coupon
from souk.orders.services.pricing import (
    CENT,
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


@dataclass(frozen=True)
class CartView:
    cart: Cart
    items: list[dict[str, Any]]
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    coupon: dict[str, Any] | None
    currency: str


# What the cart answer shows of each line (`r`: the line's id, variant and quantity) with its
# variant, product and shop, and of the cart's coupon (`cp`, deleted or not) with the user's
# unreleased uses of it when it limits them. A line's shop is named by its product's shop.
_LINE_COLUMNS = """
       r.id, r.quantity, v.id, v.sku, v.price, v.quantity,
       v.deleted_at IS NULL AND p.deleted_at IS NULL, v.shop_id, p.id, p.name, s.name"""
_LINE_JOINS = """
    catalog_variant v
    JOIN catalog_product p ON p.id = v.product_id
    JOIN shops_shop s ON s.id = p.shop_id"""
_COUPON_COLUMNS = """
       cp.id, cp.code, cp.shop_id, cp.kind, cp.value, cp.min_subtotal, cp.starts_at,
       cp.ends_at, cp.max_uses, cp.max_uses_per_customer, cp.uses, cp.deleted_at,
       CASE WHEN cp.max_uses_per_customer IS NOT NULL THEN (
           SELECT count(*) FROM orders_couponredemption u
           WHERE u.coupon_id = cp.id AND u.user_id = %(user)s AND u.released_at IS NULL
       ) END"""
_COUPON_FIELDS = (
    "id",
    "code",
    "shop_id",
    "kind",
    "value",
    "min_subtotal",
    "starts_at",
    "ends_at",
    "max_uses",
    "max_uses_per_customer",
    "uses",
    "deleted_at",
)
_LINE_WIDTH = 11
_COUPON_WIDTH = len(_COUPON_FIELDS) + 1

# The user's cart, its coupon and every line, in one statement: one row per line (ordered by
# line), or one row with NULL line columns for a cart without lines; no row: no cart yet.
_READ_SQL = f"""
SELECT c.id, c.coupon_id, {_COUPON_COLUMNS}, {_LINE_COLUMNS}
FROM orders_cart c
LEFT JOIN orders_coupon cp ON cp.id = c.coupon_id
LEFT JOIN (orders_cartitem r JOIN {_LINE_JOINS} ON v.id = r.variant_id) ON r.cart_id = c.id
WHERE c.user_id = %(user)s
ORDER BY r.id
"""  # noqa: S608 - column names only

_CART_CREATE_SQL = """
INSERT INTO orders_cart (user_id, created_at, updated_at) VALUES (%(user)s, %(now)s, %(now)s)
ON CONFLICT (user_id) DO NOTHING
"""

# Add to the line of a live variant of a live product (created if needed), in the cart the
# caller holds locked, and read the whole cart back, in one statement. The variant is named
# (`variant`) or is the one live variant of a live product (`product`). The first column is
# the variant's stock (NULL: no such variant), the second whether the product named is live;
# then, for each line, whether it is the one just changed, its columns and the coupon's (one
# row with NULL line columns if the cart has no line at all). The changed line comes from the
# upsert (the statement's other reads do not see its change), the others from the table. A
# new quantity is checked after the statement, and a refused one rolls back with the
# transaction.
_ADD_SQL = f"""
WITH wanted AS (
    SELECT v.id, v.quantity
    FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
    WHERE v.id = COALESCE(%(variant)s::bigint, (
            SELECT min(o.id) FROM catalog_variant o
            WHERE o.product_id = %(product)s::bigint AND o.deleted_at IS NULL
            HAVING count(*) = 1))
      AND v.deleted_at IS NULL AND p.deleted_at IS NULL
), line AS (
    INSERT INTO orders_cartitem (cart_id, variant_id, quantity, created_at, updated_at)
    SELECT %(cart)s, wanted.id, %(quantity)s, %(now)s, %(now)s FROM wanted
    ON CONFLICT (cart_id, variant_id) DO UPDATE
    SET quantity = orders_cartitem.quantity + EXCLUDED.quantity,
        updated_at = EXCLUDED.updated_at
    RETURNING id, variant_id, quantity
), r AS (
    SELECT id, variant_id, quantity, true AS added FROM line
    UNION ALL
    SELECT i.id, i.variant_id, i.quantity, false FROM orders_cartitem i
    WHERE i.cart_id = %(cart)s AND i.id NOT IN (SELECT id FROM line)
)
SELECT (SELECT quantity FROM wanted),
       %(product)s::bigint IS NOT NULL AND EXISTS (
           SELECT 1 FROM catalog_product WHERE id = %(product)s::bigint AND deleted_at IS NULL
       ),
       r.added, {_LINE_COLUMNS}, {_COUPON_COLUMNS}
FROM (SELECT 1) one
LEFT JOIN (r JOIN {_LINE_JOINS} ON v.id = r.variant_id) ON true
LEFT JOIN orders_coupon cp ON cp.id = %(coupon)s::bigint
ORDER BY r.id
"""  # noqa: S608 - column names only


@dataclass(frozen=True)
class CartAdded:
    """The line just added to (its id, variant and new quantity), and the whole cart after
    it."""

    item_id: int
    variant_id: int
    quantity: int
    view: CartView


def cart_item_add(
    *, user: User, variant: Variant | int, quantity: int, field: str = "variant"
) -> CartItem:
    """Add to the line of this variant (a `Variant` or its id; the line is created if
    needed). No such live variant of a live product: 400 on `field`. More than the stock (as
    read in this transaction) -> 409."""
    variant_id = variant.pk if isinstance(variant, Variant) else int(variant)
    added = cart_line_add(user=user, variant_id=variant_id, quantity=quantity, field=field)
    cart = added.view.cart
    item = CartItem(
        id=added.item_id,
        cart=cart,
        variant_id=variant_id,
        quantity=added.quantity,
        updated_at=cart.updated_at,
    )
    item._state.adding = False
    item._state.db = connection.alias
    if isinstance(variant, Variant):
        item.variant = variant
    return item


def cart_line_add(
    *,
    user: User,
    quantity: int,
    variant_id: int | None = None,
    product_id: int | None = None,
    field: str | None = None,
) -> CartAdded:
    """Add to the cart line of a variant, named by `variant_id`, or by `product_id` for a
    product that has exactly one live variant (400 on `product` otherwise: no such live
    product, or several variants), and answer the whole cart, in one transaction of two
    statements. No such live variant of a live product: 400 on `field` (`variant` or
    `product`, as named). More than the stock (as read in this transaction) -> 409; nothing
    changes on any error."""
    by_product = variant_id is None
    field = field or ("product" if by_product else "variant")
    wanted = product_id if by_product else variant_id
    if wanted is None or not 0 < wanted <= BIGINT_MAX:  # no row has such an id
        raise ValidationError({field: ["No such product." if by_product else "No such variant."]})
    with transaction.atomic():
        cart = cart_touch_lock(user)
        now = cart.updated_at
        params = {
            "cart": cart.pk,
            "variant": variant_id,
            "product": product_id if by_product else None,
            "quantity": quantity,
            "now": now,
            "coupon": cart.coupon_id,
            "user": user.pk,
        }
        with connection.cursor() as cursor:
            cursor.execute(_ADD_SQL, params)
            rows = cursor.fetchall()
        available, product_live = rows[0][0], rows[0][1]
        added = next((row for row in rows if row[2]), None)
        if added is None or available is None:
            if by_product:
                message = (
                    "This product has several variants; choose one."
                    if product_live
                    else "No such product."
                )
                raise ValidationError({field: [message]})
            raise ValidationError({field: ["No such variant."]})
        item_id, total, chosen = added[3], added[4], added[5]
        if total > MAX_LINE_QUANTITY:
            raise ValidationError({"quantity": [f"At most {MAX_LINE_QUANTITY} per line."]})
        if total > available:
            raise InsufficientStock(
                [{"variant": chosen, "requested": total, "available": available}]
            )
    lines = [row[3 : 3 + _LINE_WIDTH] for row in rows]
    coupon = rows[0][3 + _LINE_WIDTH :]
    view = _view(user=user, cart=cart, lines=lines, coupon=coupon)
    return CartAdded(item_id=item_id, variant_id=chosen, quantity=total, view=view)


# Empty the cart (held locked by the caller) and drop its coupon, in one statement: the lines
# it had, with the code of the coupon it had (one row with a NULL line if it had none; the
# statement runs after the cart's lock was taken, so it reads the cart as it is now), and an
# id drawn for the checkout that takes them. A checkout that fails rolls all of it back.
_TAKE_SQL = """
WITH gone AS (
    DELETE FROM orders_cartitem WHERE cart_id = %(cart)s RETURNING id, variant_id, quantity
), dropped AS (
    UPDATE orders_cart SET coupon_id = NULL, updated_at = %(now)s
    WHERE id = %(cart)s AND coupon_id IS NOT NULL
    RETURNING id
), drawn AS (
    SELECT nextval(pg_get_serial_sequence('orders_checkout', 'id')) AS id
)
SELECT (SELECT code FROM orders_coupon WHERE id = %(coupon)s::bigint),
       (SELECT id FROM drawn), gone.variant_id, gone.quantity
FROM (SELECT 1) one
LEFT JOIN gone ON true
ORDER BY gone.id
"""


@dataclass(frozen=True)
class CartTaken:
    """What a checkout takes from the cart: {variant id: quantity}, the code of the cart's
    coupon (None if it had none) and the id drawn for the checkout."""

    wanted: dict[int, int]
    coupon_code: str | None
    checkout_id: int


def cart_take(*, cart: Cart) -> CartTaken:
    """Empty the cart, which the caller holds locked (`cart_touch_lock`), and drop its coupon,
    answering what it held. Inside the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TAKE_SQL, {"cart": cart.pk, "coupon": cart.coupon_id, "now": timezone.now()}
        )
        rows = cursor.fetchall()
    wanted: dict[int, int] = {}
    for _code, _drawn, variant_id, quantity in rows:
        if variant_id is not None:
            wanted[variant_id] = wanted.get(variant_id, 0) + quantity
    cart.coupon_id = None
    return CartTaken(wanted=wanted, coupon_code=rows[0][0], checkout_id=rows[0][1])


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


class _Priced(NamedTuple):
    shop_id: int
    line_total: Decimal


def cart_view(*, user: User, cart: Cart | None = None) -> CartView:
    """The cart with live prices and availability; totals computed here, never stored.
    `cart`: the user's cart when the caller has it already (it is read again all the same);
    the cart is created on first use."""
    params = {"user": user.pk}
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(_READ_SQL, params)
            rows = cursor.fetchall()
            if rows:
                break
            cursor.execute(_CART_CREATE_SQL, {"user": user.pk, "now": timezone.now()})
    if not rows:  # pragma: no cover - created above, or by another request at the same moment
        raise RuntimeError("the cart could not be created")
    cart_id, coupon_id = rows[0][0], rows[0][1]
    if cart is None or cart.pk != cart_id:
        cart = Cart(id=cart_id, user=user, coupon_id=coupon_id)
        cart._state.adding = False
        cart._state.db = connection.alias
    coupon = rows[0][2 : 2 + _COUPON_WIDTH]
    lines = [row[2 + _COUPON_WIDTH :] for row in rows]
    return _view(user=user, cart=cart, lines=lines, coupon=coupon)


def _view(
    *, user: User, cart: Cart, lines: list[tuple[Any, ...]], coupon: tuple[Any, ...]
) -> CartView:
    """The cart view from the rows of `_READ_SQL` or `_ADD_SQL`: each line's columns
    (`_LINE_COLUMNS`; all NULL for none) and the coupon's (`_COUPON_COLUMNS`)."""
    rows: list[dict[str, Any]] = []
    priced: list[_Priced] = []
    subtotal = ZERO
    for line in lines:
        item_id, quantity, variant_id, sku, price, stock, sellable, shop_id = line[:8]
        if item_id is None:
            continue
        product_id, product_name, shop_name = line[8:]
        line_total = (price * quantity).quantize(CENT)
        available = sellable and quantity <= stock
        if available:
            priced.append(_Priced(shop_id, line_total))
            subtotal += line_total
        rows.append(
            {
                "id": item_id,
                "variant": variant_id,
                "sku": sku,
                "product": {"id": product_id, "name": product_name},
                "shop": {"id": shop_id, "name": shop_name},
                "quantity": quantity,
                "unit_price": price,
                "line_total": line_total,
                "available": available,
                "stock": stock if sellable else 0,
            }
        )
    discount, shown = ZERO, None
    if coupon[0] is not None:
        found = Coupon(**dict(zip(_COUPON_FIELDS, coupon[:-1], strict=True)))
        shown = {"code": found.code, "valid": True, "reason": ""}
        try:
            applicable = coupon_applicable(
                found, user=user, lines=priced, now=timezone.now(), customer_used=coupon[-1]
            )
            discount = coupon_discount(found, sum(applicable.values(), ZERO))
        except CouponInvalid as exc:
            shown.update(valid=False, reason=exc.detail)
    return CartView(
        cart=cart,
        items=rows,
        subtotal=subtotal,
        discount=discount,
        total=subtotal - discount,
        coupon=shown,
        currency=settings.CURRENCY,
    )
