"""Placing orders: a checkout of the whole cart (one order per shop) or a direct order from one
shop. Both lock the variants in primary-key order, check every line after locking, and either
take all the stock or change nothing (409 `insufficient_stock` listing every short line).
Totals come from our prices, never from the request."""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from souk.accounts.models import Address, User
from souk.catalog.models import Variant
from souk.core.exceptions import InvalidInput
from souk.core.idempotency import Recorder
from souk.core.renderers import dumps
from souk.core.serializers import BIGINT_MAX, does_not_exist_message
from souk.inventory.locks import LockedVariants, variants_lock
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import (
    InsufficientStock,
    StockChange,
    StockWrite,
    stock_shortages,
)
from souk.orders.locks import cart_touch_lock, coupon_code_lock
from souk.orders.metrics import orders_placed_count
from souk.orders.models import (
    Checkout,
    Coupon,
    DeliverySchedule,
    Order,
    OrderEvent,
    OrderItem,
)
from souk.orders.services.cart import cart_take
from souk.orders.services.notify import order_events_announce
from souk.orders.services.pricing import (
    ZERO,
    CouponInvalid,
    PricedLine,
    allocate,
    coupon_applicable,
    coupon_code_normalize,
    coupon_discount,
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


Destination = tuple[dict[str, Any] | None, DeliveryRequest]


@dataclass
class Placement:
    orders: list[Order] = field(default_factory=list)
    checkout: Checkout | None = None


# One of the user's addresses (`%(address)s`, or, when that is NULL, the default one: as the
# address book orders them), its text fields and point, in one statement.
_ADDRESS_SQL = f"""
SELECT {", ".join(Address.TEXT_FIELDS)},
       ST_Y(location::geometry), ST_X(location::geometry)
FROM accounts_address
WHERE user_id = %(user)s AND (%(address)s::bigint IS NULL OR id = %(address)s::bigint)
ORDER BY is_default DESC, created_at DESC, id DESC
LIMIT 1
"""  # noqa: S608 - column names only


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
    row = None
    if address_id is None or 0 < address_id <= BIGINT_MAX:  # else no address has that id
        with connection.cursor() as cursor:
            cursor.execute(_ADDRESS_SQL, {"user": user.pk, "address": address_id})
            row = cursor.fetchone()
    if row is None:
        if address_id is not None:
            raise ValidationError({"shipping_address": ["Choose one of your addresses."]})
        return None
    fields = len(Address.TEXT_FIELDS)
    chosen: dict[str, Any] = dict(zip(Address.TEXT_FIELDS, row[:fields], strict=True))
    lat, lng = row[fields:]
    chosen["location"] = {"lat": lat, "lng": lng} if lat is not None else None
    return chosen


def destination_resolve(
    *,
    user: User,
    address_id: int | None,
    address: dict[str, Any] | None,
    delivery: DeliveryRequest | None,
) -> Destination:
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


# A new order, its lines, its delivery schedule, its "placed" event and its sale (the stock
# taken and its ledger rows, `StockWrite`), in one statement. An order number drawn at the
# same moment by another order inserts nothing (ON CONFLICT), and neither does anything that
# hangs off the order, the stock included: the caller draws another number. The first
# order of a checkout writes the checkout too (`_CHECKOUT_CTE`, under the id drawn for it
# beforehand, so that another try with another number writes it once).
_WRITE_ORDER_SQL = """
WITH {checkout}o AS (
    INSERT INTO orders_order
        (created_at, updated_at, number, status, payment_status, subtotal, discount, total,
         currency, shipping_address, expires_at, checkout_id, coupon_id, customer_id, shop_id)
    VALUES (%(now)s, %(now)s, %(number)s, %(status)s, %(payment_status)s, %(subtotal)s,
            %(discount)s, %(total)s, %(currency)s, %(address)s::jsonb, %(expires_at)s,
            %(checkout)s, %(coupon)s, %(customer)s, %(shop)s)
    ON CONFLICT (number) DO NOTHING
    RETURNING id, checkout_id
),
items AS (
    INSERT INTO orders_orderitem
        (order_id, variant_id, product_id, sku, name, unit_price, quantity, line_total,
         net_total)
    SELECT o.id, i.variant, i.product, i.sku, i.name, i.unit_price, i.quantity, i.line_total,
           i.net_total
    FROM o, jsonb_to_recordset(%(items)s::jsonb)
        AS i(n integer, variant bigint, product bigint, sku text, name text,
             unit_price numeric, quantity integer, line_total numeric, net_total numeric)
    ORDER BY i.n
    RETURNING id
),
delivery AS (
    INSERT INTO orders_deliveryschedule
        (created_at, updated_at, order_id, method, window_start, window_end, carrier,
         tracking_number, status, notes)
    SELECT %(now)s, %(now)s, o.id, %(method)s, %(window_start)s, %(window_end)s, '', '',
           %(delivery_status)s, %(notes)s
    FROM o
    RETURNING id
),
event AS (
    INSERT INTO orders_orderevent (order_id, event, actor_id, created_at)
    SELECT o.id, 'placed', %(customer)s, %(now)s FROM o
    RETURNING id
),
{stock}
{named}
SELECT o.id, (SELECT array_agg(id ORDER BY id) FROM items), (SELECT id FROM delivery),
       (SELECT id FROM event), {named_count}, {moved}
FROM o
"""


_CHECKOUT_CTE = """ck AS (
    INSERT INTO orders_checkout
        (id, created_at, updated_at, user_id, shipping_address, coupon_id, subtotal, discount,
         total, currency, expires_at)
    VALUES (%(checkout)s, %(now)s, %(now)s, %(customer)s, %(address)s::jsonb,
            %(checkout_coupon)s, %(checkout_subtotal)s, %(checkout_discount)s,
            %(checkout_total)s, %(currency)s, %(expires_at)s)
    ON CONFLICT (id) DO NOTHING
),
"""


@dataclass
class Written:
    """An order as placed, built from what was written (nothing is read back): its lines,
    delivery schedule, shop, buyer and coupon are attached to it, so that it renders and
    is announced without a query."""

    order: Order
    event: OrderEvent


def _write_order(
    *,
    user: User,
    shop: Shop,
    lines: list[PricedLine],
    discount: Decimal,
    address: dict[str, Any] | None,
    delivery: DeliveryRequest,
    coupon: Coupon | None,
    checkout: Checkout | None,
    expires_at: datetime,
    now: datetime,
    stock: StockWrite,
    recorder: Recorder | None = None,
    checkout_new: bool = False,
) -> Written:
    """Write one order (and, with `checkout_new`, its `checkout`, not yet written) and take
    its `stock` (the lines' sale, of locked and checked variants) in the same statement. With
    `recorder`, the statement also names the order (the checkout, for a checkout's order) on
    the request's idempotency record (see `souk.core.idempotency.Recorder`)."""
    order_subtotal = subtotal(lines)
    shares = allocate(discount, {index: line.line_total for index, line in enumerate(lines)})
    names = [_line_name(line.variant.product.name, line.variant) for line in lines]
    net_totals = [line.line_total - shares[index] for index, line in enumerate(lines)]
    kept_coupon = coupon if discount > 0 else None
    method = delivery.method or DeliverySchedule.Method.DELIVERY
    params: dict[str, Any] = {
        "now": now,
        "status": Order.Status.PENDING_PAYMENT,
        "payment_status": Order.PaymentStatus.UNPAID,
        "subtotal": order_subtotal,
        "discount": discount,
        "total": order_subtotal - discount,
        "currency": settings.CURRENCY,
        "address": json.dumps(address) if address is not None else None,
        "expires_at": expires_at,
        "checkout": checkout.pk if checkout is not None else None,
        "coupon": kept_coupon.pk if kept_coupon is not None else None,
        "customer": user.pk,
        "shop": shop.pk,
        # the lines as one JSON parameter (one value to send, however many lines)
        "items": dumps(
            [
                {
                    "n": index,
                    "variant": line.variant.pk,
                    "product": line.variant.product_id,
                    "sku": line.variant.sku,
                    "name": names[index],
                    "unit_price": str(line.unit_price),
                    "quantity": line.quantity,
                    "line_total": str(line.line_total),
                    "net_total": str(net_totals[index]),
                }
                for index, line in enumerate(lines)
            ]
        ).decode(),
        "method": method,
        "window_start": delivery.window_start,
        "window_end": delivery.window_end,
        "delivery_status": DeliverySchedule.State.SCHEDULED,
        "notes": delivery.notes,
    }
    checkout_cte = ""
    if checkout_new and checkout is not None:
        checkout_cte = _CHECKOUT_CTE
        params.update(
            checkout_coupon=checkout.coupon_id,
            checkout_subtotal=checkout.subtotal,
            checkout_discount=checkout.discount,
            checkout_total=checkout.total,
        )
    named_id = "SELECT id FROM o" if checkout is None else "SELECT checkout_id FROM o"
    sql = _WRITE_ORDER_SQL.format(
        checkout=checkout_cte, stock=stock.sql, named="", named_count="0", moved=stock.moved
    )
    with connection.cursor() as cursor:
        for _ in range(5):
            params["number"] = _order_number()
            # the ledger names this try's number
            params.update(stock.params(f"order:{params['number']}"))
            if recorder is not None:
                named, named_params = recorder.cte(named_id)
                sql = _WRITE_ORDER_SQL.format(
                    checkout=checkout_cte,
                    stock=stock.sql,
                    named=f", named AS ({named})",
                    named_count="(SELECT count(*) FROM named)",
                    moved=stock.moved,
                )
                params.update(named_params)
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if row is not None:
                break
        else:
            raise RuntimeError("could not allocate an order number")
    order_id, item_ids, schedule_id, event_id, named_count, moved = row
    if recorder is not None:
        recorder.checked(named_count)
    stock.finish(moved)
    order = Order(
        id=order_id,
        created_at=now,
        updated_at=now,
        number=params["number"],
        status=params["status"],
        payment_status=params["payment_status"],
        subtotal=order_subtotal,
        discount=discount,
        total=params["total"],
        currency=params["currency"],
        shipping_address=address,
        expires_at=expires_at,
        checkout=checkout,
        coupon=kept_coupon,
        customer=user,
        shop=shop,
    )
    order._state.adding = False
    order._state.db = connection.alias
    items = [
        OrderItem(
            id=item_id,
            order=order,
            variant_id=line.variant.pk,
            product_id=line.variant.product_id,
            sku=line.variant.sku,
            name=names[index],
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.line_total,
            net_total=net_totals[index],
        )
        for index, (item_id, line) in enumerate(zip(item_ids, lines, strict=True))
    ]
    schedule = DeliverySchedule(
        id=schedule_id,
        order=order,
        created_at=now,
        updated_at=now,
        method=method,
        window_start=delivery.window_start,
        window_end=delivery.window_end,
        status=DeliverySchedule.State.SCHEDULED,
        notes=delivery.notes,
    )
    for row_object in (*items, schedule):
        row_object._state.adding = False
        row_object._state.db = connection.alias
    _attach(order, "items", items)
    order.delivery = schedule
    event = OrderEvent(id=event_id, order=order, event="placed", actor=user, created_at=now)
    return Written(order=order, event=event)


def _attach(instance: Model, name: str, rows: list[Any]) -> None:
    """Give `instance` its related `rows` under `name` as `prefetch_related` would, so that
    `instance.<name>.all()` is answered without a query."""
    related = getattr(instance, name).all()
    related._result_cache = rows
    related._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = related


def _line_name(product_name: str, variant: Variant) -> str:
    options = ", ".join(str(value) for value in (variant.attributes or {}).values())
    return f"{product_name} ({options})"[:300] if options else product_name[:300]


def _place(
    *,
    user: User,
    wanted: dict[int, int] | None = None,
    lines: list[dict[str, int]] | None = None,
    destination: Destination | Callable[[], Destination],
    coupon_code: str | None,
    as_checkout: bool,
    shop_id: int | None = None,
    recorder: Recorder | None = None,
    checkout_id: int | None = None,
) -> Placement:
    """Inside a transaction (cart already locked for a checkout). The variants come either
    as `wanted` ({variant id: quantity}) or as request `lines` ({variant or product,
    quantity}, resolved once they are locked); `destination` is (address, delivery) or
    resolves it after the lines. A checkout is written under `checkout_id`, drawn for it
    beforehand."""
    now = timezone.now()
    pending, resolve = (
        (destination, None) if isinstance(destination, tuple) else (None, destination)
    )
    if pending is not None:
        _check_delivery(pending[1], now)
    coupon = None
    if coupon_code:
        coupon = coupon_code_lock(coupon_code_normalize(coupon_code))
        if coupon is None:
            raise CouponInvalid("No such coupon.")
    if lines is not None:
        locked = variants_lock(
            [line["variant"] for line in lines if "variant" in line],
            products=[line["product"] for line in lines if "product" in line],
        )
    else:
        locked = variants_lock(wanted or {})
    shop = _shop_check(shop_id, locked) if shop_id is not None else None
    if lines is not None:
        wanted = _lines_resolve(lines, locked)
    wanted = wanted or {}
    if resolve is not None:
        pending = resolve()
        _check_delivery(pending[1], now)
    if pending is None:  # one of the two is always given
        raise TypeError("no destination")
    address, delivery = pending
    short = stock_shortages(locked, wanted)
    if short:
        raise InsufficientStock(short)
    priced = _lines(locked, wanted)
    if shop is not None:
        foreign = [line.variant.pk for line in priced if line.shop_id != shop.pk]
        if foreign:
            raise ValidationError({"items": [f"Variants not sold by this shop: {foreign}."]})
    by_shop: dict[int, list[PricedLine]] = defaultdict(list)
    for line in priced:
        by_shop[line.shop_id].append(line)
    shares = dict.fromkeys(by_shop, ZERO)
    discount = ZERO
    if coupon is not None:
        applicable = coupon_applicable(coupon, user=user, lines=priced, now=now)
        discount = coupon_discount(coupon, sum(applicable.values(), ZERO))
        shares.update(allocate(discount, applicable))
    expires_at = now + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
    placement = Placement()
    if as_checkout:
        if checkout_id is None:
            raise TypeError("a checkout needs its drawn id")
        total_subtotal = subtotal(priced)
        placement.checkout = Checkout(
            id=checkout_id,
            created_at=now,
            updated_at=now,
            user=user,
            shipping_address=address,
            coupon=coupon if discount > 0 else None,
            subtotal=total_subtotal,
            discount=discount,
            total=total_subtotal - discount,
            currency=settings.CURRENCY,
            expires_at=expires_at,
        )
        placement.checkout._state.adding = False
        placement.checkout._state.db = connection.alias
    events = []
    for shop_key in sorted(by_shop):
        sale = StockWrite(
            changes=[StockChange(line.variant.pk, -line.quantity) for line in by_shop[shop_key]],
            reason=StockMovement.Reason.SALE,
            actor=user,
            locked=locked,
            only_if="o",
        )
        written = _write_order(
            user=user,
            shop=by_shop[shop_key][0].variant.shop,
            lines=by_shop[shop_key],
            discount=shares[shop_key],
            address=address,
            delivery=delivery,
            coupon=coupon,
            checkout=placement.checkout,
            expires_at=expires_at,
            now=now,
            stock=sale,
            recorder=recorder if not placement.orders else None,
            checkout_new=not placement.orders,
        )
        placement.orders.append(written.order)
        events.append(written.event)
    if placement.checkout is not None:
        # by shop, as `selectors.checkout_get` lists them
        _attach(placement.checkout, "orders", placement.orders)
    if coupon is not None and discount > 0:
        _redeem(coupon, user=user, placement=placement, amount=discount)
    order_events_announce(orders=placement.orders, events=events, event="placed")
    return placement


def _shop_check(shop_id: int, locked: LockedVariants) -> Shop:
    """The shop a direct order names, as its variants were locked with; a shop that is not
    there (or deleted) is a 400 on `shop`, as for any unknown object the body names."""
    for variant in locked.values():
        if variant.shop_id == shop_id and variant.shop.deleted_at is None:
            return variant.shop
    shop = Shop.objects.filter(pk=shop_id).only("id", "name", "deleted_at").first()
    if shop is None:
        raise ValidationError({"shop": [does_not_exist_message(shop_id)]})
    return shop


def _lines_resolve(lines: list[dict[str, int]], locked: LockedVariants) -> dict[int, int]:
    """{variant id: quantity} for request lines given as {variant or product, quantity}, from
    the variants locked for them; a product must have exactly one live variant. Unknown
    variants or products are a 400 naming each line."""
    single: dict[int, list[int]] = defaultdict(list)
    for variant in locked.values():
        if variant.deleted_at is None and variant.product.deleted_at is None:
            single[variant.product_id].append(variant.pk)
    wanted: dict[int, int] = defaultdict(int)
    errors, failed = [], False
    for line in lines:
        problem: dict[str, list[str]] = {}
        if "variant" in line:
            variant_id = line["variant"]
            if variant_id not in locked:
                problem = {"variant": ["No such variant."]}
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
        wanted[variant_id] += line["quantity"]
    if failed:
        raise InvalidInput("Some items cannot be ordered.", errors={"items": errors})
    return dict(wanted)


# One more use of the (locked) coupon unless that would pass `max_uses`, and its redemption,
# in one statement; no row: used up.
_REDEEM_SQL = """
WITH taken AS (
    UPDATE orders_coupon SET uses = uses + 1
    WHERE id = %(coupon)s AND (max_uses IS NULL OR uses < max_uses)
    RETURNING id
)
INSERT INTO orders_couponredemption (coupon_id, user_id, checkout_id, order_id, amount, created_at)
SELECT taken.id, %(user)s, %(checkout)s, %(order)s, %(amount)s, %(now)s FROM taken
RETURNING id
"""


def _redeem(coupon: Coupon, *, user: User, placement: Placement, amount: Decimal) -> None:
    """Count one use of the (locked) coupon and record the redemption; the check above and
    this update happen under the same row lock, so the last use cannot be taken twice."""
    with connection.cursor() as cursor:
        cursor.execute(
            _REDEEM_SQL,
            {
                "coupon": coupon.pk,
                "user": user.pk,
                "checkout": placement.checkout.pk if placement.checkout is not None else None,
                "order": placement.orders[0].pk if placement.checkout is None else None,
                "amount": amount,
                "now": timezone.now(),
            },
        )
        taken = cursor.fetchone()
    if taken is None:
        raise CouponInvalid("This coupon has been used up.")


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
    # The request's idempotency record is named by the first order's statement when it can be.
    recorder = on_placed if isinstance(on_placed, Recorder) else None
    with transaction.atomic():
        cart = cart_touch_lock(user)
        taken = cart_take(cart=cart)  # rolled back with the rest if the checkout fails
        if not taken.wanted:
            raise ValidationError({"cart": ["Your cart is empty."]})
        placement = _place(
            user=user,
            wanted=taken.wanted,
            destination=(snapshot, chosen),
            coupon_code=coupon_code or taken.coupon_code,
            as_checkout=True,
            recorder=recorder,
            checkout_id=taken.checkout_id,
        )
        if placement.checkout is None:  # as_checkout=True always creates one
            raise RuntimeError("checkout was not created")
        orders_placed_count(flow="checkout", orders=len(placement.orders))
        if on_placed is not None and recorder is None:
            on_placed(placement.checkout)
    return placement.checkout


def order_place(
    *,
    user: User,
    shop: Shop | int,
    items: list[tuple[int, int]] | list[dict[str, int]],
    address_id: int | None = None,
    address: dict[str, Any] | None = None,
    coupon_code: str | None = None,
    delivery: DeliveryRequest | None = None,
    on_placed: Callable[[Order], None] | None = None,
) -> Order:
    """A direct order from one shop: `items` are (variant id, quantity) or request lines
    ({variant or product, quantity}). `on_placed` is called with the order inside the same
    transaction (to record the result of an idempotent request with it). The order comes
    back with its lines, delivery schedule and shop attached (see `Written`)."""
    lines = [
        item if isinstance(item, dict) else {"variant": item[0], "quantity": item[1]}
        for item in items
    ]
    if not lines:
        raise ValidationError({"items": ["Give at least one item."]})
    # The request's idempotency record is named by the order's own statement when it can be.
    recorder = on_placed if isinstance(on_placed, Recorder) else None
    with transaction.atomic():
        placement = _place(
            user=user,
            lines=lines,
            destination=lambda: destination_resolve(
                user=user, address_id=address_id, address=address, delivery=delivery
            ),
            coupon_code=coupon_code,
            as_checkout=False,
            shop_id=shop if isinstance(shop, int) else shop.pk,
            recorder=recorder,
        )
        if on_placed is not None and recorder is None:
            on_placed(placement.orders[0])
        orders_placed_count(flow="direct", orders=1)
    return placement.orders[0]
