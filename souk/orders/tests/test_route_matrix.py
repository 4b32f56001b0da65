"""Every cart, checkout, order, coupon and review route against every role.

Orders are visible to their buyer, the members (owner or staff) of their shop and platform
administrators; anyone else gets 404. On a visible order: cancel is for the buyer (before
shipping), members and administrators; status changes for members and administrators; the
delivery schedule is read by anyone who sees the order and written by the buyer and members
only; deleting and restoring are for administrators (a restore is 403 to those who see the
object, else 404). A shop's order list is for its members and administrators. Cart,
checkout and direct orders are for any signed-in user. Coupons are managed by shop members
(their shop's) and administrators; only administrators restore them. Inventory routes have a
matrix of their own (souk/inventory/tests/test_route_matrix.py). Reviews are read by anyone
and written only by a customer with a delivered order line of the product. No credentials:
401. A refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from rest_framework.test import APIClient

from souk.accounts.models import User
from souk.catalog.api import urls as catalog_urls
from souk.catalog.models import Product, Review, Variant
from souk.catalog.tests.factories import make_product
from souk.inventory.models import InventoryAlert, Purchase, PurchaseItem, StockMovement
from souk.inventory.services.purchases import purchase_create
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.api import urls as orders_urls
from souk.orders.models import (
    Cart,
    CartItem,
    Checkout,
    Coupon,
    CouponRedemption,
    DeliverySchedule,
    Order,
    OrderItem,
)
from souk.orders.services.cart import cart_coupon_apply, cart_item_add
from souk.orders.services.lifecycle import order_mark_paid, order_soft_delete, order_transition
from souk.orders.tests.factories import ensure_address, make_coupon, place_order
from souk.shops.models import Shop

PROBLEM = "application/problem+json"
ROLES = ("anonymous", "customer", "other_customer", "other_artisan", "staff", "owner", "admin")
USER_FIXTURES = {
    "customer": "customer",
    "other_customer": "other_customer",
    "other_artisan": "other_artisan",
    "staff": "staff",
    "owner": "artisan",
    "admin": "admin_user",
}
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}

# `customer` is the buyer of the orders below and has the cart lines a cart route works on
# (each signed-in caller works on a cart of their own); the shop is owned by `owner`.
# route                         anonymous customer other_cust other_art staff owner admin
MATRIX = [
    ("cart-get", 401, 200, 200, 200, 200, 200, 200),
    ("cart-clear", 401, 204, 204, 204, 204, 204, 204),
    ("cart-item-add", 401, 201, 201, 201, 201, 201, 201),
    ("cart-item-update", 401, 200, 200, 200, 200, 200, 200),
    ("cart-item-remove", 401, 204, 204, 204, 204, 204, 204),
    ("customer-cart-item-update", 401, 200, 404, 404, 404, 404, 404),
    ("customer-cart-item-remove", 401, 204, 404, 404, 404, 404, 404),
    ("cart-coupon-apply", 401, 200, 200, 200, 200, 200, 200),
    ("cart-coupon-remove", 401, 200, 200, 200, 200, 200, 200),
    ("checkout", 401, 201, 201, 201, 201, 201, 201),
    ("order-list", 401, 200, 200, 200, 200, 200, 200),
    ("order-list-of-shop", 401, 403, 403, 403, 200, 200, 200),
    ("order-create", 401, 201, 201, 201, 201, 201, 201),
    ("order-get", 401, 200, 404, 404, 200, 200, 200),
    ("order-delete", 401, 403, 404, 404, 403, 403, 204),
    ("order-restore", 401, 404, 404, 404, 404, 404, 200),
    ("live-order-restore", 401, 403, 404, 404, 403, 403, 200),
    ("order-cancel", 401, 200, 404, 404, 200, 200, 200),
    ("order-status", 401, 403, 404, 404, 200, 200, 200),
    ("delivery-get", 401, 200, 404, 404, 200, 200, 200),
    ("delivery-put", 401, 200, 404, 404, 200, 200, 403),
    ("shop-orders", 401, 403, 403, 403, 200, 200, 200),
    ("coupon-list", 401, 403, 403, 200, 200, 200, 200),
    ("coupon-create", 401, 403, 403, 403, 201, 201, 201),
    ("platform-coupon-create", 401, 403, 403, 403, 403, 403, 201),
    ("coupon-get", 401, 404, 404, 404, 200, 200, 200),
    ("coupon-update", 401, 404, 404, 404, 200, 200, 200),
    ("coupon-delete", 401, 404, 404, 404, 204, 204, 204),
    ("platform-coupon-get", 401, 404, 404, 404, 404, 404, 200),
    ("coupon-restore", 401, 404, 404, 404, 404, 404, 200),
    ("live-coupon-restore", 401, 404, 404, 404, 403, 403, 200),
    ("review-list", 200, 200, 200, 200, 200, 200, 200),
    ("review-create", 401, 201, 403, 403, 403, 403, 403),
]
# Permitted calls that change nothing: restoring what is not deleted answers it as it is.
UNCHANGING = {"live-order-restore", "live-coupon-restore"}
CASES = [
    pytest.param(route, role, status, id=f"{route}-{role}")
    for route, *statuses in MATRIX
    for role, status in zip(ROLES, statuses, strict=True)
]

pytestmark = pytest.mark.django_db


@dataclass
class World:
    shop: Shop
    product: Product
    variant: Variant
    customer: User
    owner: User
    caller: User | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cart_user(self) -> User:
        """Whose cart a cart route works on: the caller's, or the customer's for anonymous."""
        return self.caller or self.customer


Request = tuple[str, str, dict[str, Any] | None]


class Route(NamedTuple):
    handler: tuple[str, str]  # (url name, view method)
    prepare: Callable[[World], None]
    request: Callable[[World], Request]


# --- What each route needs before it is called -----------------------------------------------


def nothing(w: World) -> None:
    return None


def cart_line(w: World) -> None:
    w.extra["item"] = cart_item_add(user=w.cart_user, variant=w.variant, quantity=1)


def customer_cart_line(w: World) -> None:
    w.extra["item"] = cart_item_add(user=w.customer, variant=w.variant, quantity=1)


def cart_line_and_coupon(w: World) -> None:
    cart_line(w)
    make_coupon(code="SAVE10")


def cart_with_coupon(w: World) -> None:
    cart_line_and_coupon(w)
    cart_coupon_apply(user=w.cart_user, code="SAVE10")


def cart_ready_for_checkout(w: World) -> None:
    cart_line(w)
    ensure_address(w.cart_user)


def caller_address(w: World) -> None:
    if w.caller is not None:
        ensure_address(w.caller)


def pending_order(w: World) -> None:
    w.extra["order"] = place_order(user=w.customer, lines=[(w.variant, 2)])


def paid_order(w: World) -> None:
    pending_order(w)
    order_mark_paid(order_id=w.extra["order"].pk)


def delivered_order(w: World) -> None:
    paid_order(w)
    for status in ("processing", "shipped", "delivered"):
        order_transition(order_id=w.extra["order"].pk, status=status, actor=w.owner)


def deleted_order(w: World) -> None:
    pending_order(w)
    order_soft_delete(order_id=w.extra["order"].pk)


def deleted_shop_coupon(w: World) -> None:
    shop_coupon(w)
    w.extra["coupon"].soft_delete()


def shop_coupon(w: World) -> None:
    w.extra["coupon"] = make_coupon(code="SHOP5", shop=w.shop)


def platform_coupon(w: World) -> None:
    w.extra["coupon"] = make_coupon(code="SITE5")


def purchase(w: World) -> None:
    w.extra["purchase"] = purchase_create(
        actor=w.owner,
        shop=w.shop,
        supplier="Clay & Co",
        purchased_at=date(2024, 5, 1),
        items=[{"variant": w.variant.pk, "quantity": 4, "unit_cost": Decimal("3.50")}],
    )


def extra(w: World, key: str) -> int:
    return int(w.extra[key].pk)


def order_url(w: World, tail: str = "") -> str:
    return f"/api/orders/{extra(w, 'order')}/{tail}"


ROUTES: dict[str, Route] = {
    "cart-get": Route(("cart", "get"), nothing, lambda w: ("get", "/api/cart/", None)),
    "cart-clear": Route(("cart", "delete"), cart_line, lambda w: ("delete", "/api/cart/", None)),
    "cart-item-add": Route(
        ("cart-items", "post"),
        nothing,
        lambda w: ("post", "/api/cart/items/", {"variant": w.variant.pk, "quantity": 2}),
    ),
    "cart-item-update": Route(
        ("cart-item", "patch"),
        cart_line,
        lambda w: ("patch", f"/api/cart/items/{extra(w, 'item')}/", {"quantity": 3}),
    ),
    "cart-item-remove": Route(
        ("cart-item", "delete"),
        cart_line,
        lambda w: ("delete", f"/api/cart/items/{extra(w, 'item')}/", None),
    ),
    "customer-cart-item-update": Route(
        ("cart-item", "patch"),
        customer_cart_line,
        lambda w: ("patch", f"/api/cart/items/{extra(w, 'item')}/", {"quantity": 3}),
    ),
    "customer-cart-item-remove": Route(
        ("cart-item", "delete"),
        customer_cart_line,
        lambda w: ("delete", f"/api/cart/items/{extra(w, 'item')}/", None),
    ),
    "cart-coupon-apply": Route(
        ("cart-coupon", "post"),
        cart_line_and_coupon,
        lambda w: ("post", "/api/cart/coupon/", {"code": "save10"}),
    ),
    "cart-coupon-remove": Route(
        ("cart-coupon", "delete"),
        cart_with_coupon,
        lambda w: ("delete", "/api/cart/coupon/", None),
    ),
    "checkout": Route(
        ("checkout", "post"), cart_ready_for_checkout, lambda w: ("post", "/api/checkout/", {})
    ),
    "order-list": Route(
        ("order-list", "get"), pending_order, lambda w: ("get", "/api/orders/", None)
    ),
    "order-list-of-shop": Route(
        ("order-list", "get"),
        pending_order,
        lambda w: ("get", f"/api/orders/?shop={w.shop.pk}", None),
    ),
    "order-create": Route(
        ("order-list", "post"),
        caller_address,
        lambda w: (
            "post",
            "/api/orders/",
            {"shop": w.shop.pk, "items": [{"variant": w.variant.pk, "quantity": 1}]},
        ),
    ),
    "order-get": Route(
        ("order-detail", "get"), pending_order, lambda w: ("get", order_url(w), None)
    ),
    "order-delete": Route(
        ("order-detail", "delete"), pending_order, lambda w: ("delete", order_url(w), None)
    ),
    "order-restore": Route(
        ("order-restore", "post"), deleted_order, lambda w: ("post", order_url(w, "restore/"), {})
    ),
    "live-order-restore": Route(
        ("order-restore", "post"), pending_order, lambda w: ("post", order_url(w, "restore/"), {})
    ),
    "order-cancel": Route(
        ("order-cancel", "post"), pending_order, lambda w: ("post", order_url(w, "cancel/"), {})
    ),
    "order-status": Route(
        ("order-status", "post"),
        paid_order,
        lambda w: ("post", order_url(w, "status/"), {"status": "processing"}),
    ),
    "delivery-get": Route(
        ("order-delivery", "get"), pending_order, lambda w: ("get", order_url(w, "delivery/"), None)
    ),
    "delivery-put": Route(
        ("order-delivery", "put"),
        pending_order,
        lambda w: ("put", order_url(w, "delivery/"), {"notes": "Ring twice."}),
    ),
    "shop-orders": Route(
        ("shop-orders", "get"),
        pending_order,
        lambda w: ("get", f"/api/shops/{w.shop.pk}/orders/", None),
    ),
    "coupon-list": Route(
        ("coupon-list", "get"), shop_coupon, lambda w: ("get", "/api/coupons/", None)
    ),
    "coupon-create": Route(
        ("coupon-list", "post"),
        nothing,
        lambda w: (
            "post",
            "/api/coupons/",
            {"code": "spring20", "shop": w.shop.pk, "kind": "percent", "value": "20"},
        ),
    ),
    "platform-coupon-create": Route(
        ("coupon-list", "post"),
        nothing,
        lambda w: ("post", "/api/coupons/", {"code": "site20", "kind": "fixed", "value": "5.00"}),
    ),
    "coupon-get": Route(
        ("coupon-detail", "get"),
        shop_coupon,
        lambda w: ("get", f"/api/coupons/{extra(w, 'coupon')}/", None),
    ),
    "coupon-update": Route(
        ("coupon-detail", "patch"),
        shop_coupon,
        lambda w: ("patch", f"/api/coupons/{extra(w, 'coupon')}/", {"value": "15"}),
    ),
    "coupon-delete": Route(
        ("coupon-detail", "delete"),
        shop_coupon,
        lambda w: ("delete", f"/api/coupons/{extra(w, 'coupon')}/", None),
    ),
    "platform-coupon-get": Route(
        ("coupon-detail", "get"),
        platform_coupon,
        lambda w: ("get", f"/api/coupons/{extra(w, 'coupon')}/", None),
    ),
    "coupon-restore": Route(
        ("coupon-restore", "post"),
        deleted_shop_coupon,
        lambda w: ("post", f"/api/coupons/{extra(w, 'coupon')}/restore/", {}),
    ),
    "live-coupon-restore": Route(
        ("coupon-restore", "post"),
        shop_coupon,
        lambda w: ("post", f"/api/coupons/{extra(w, 'coupon')}/restore/", {}),
    ),
    "review-list": Route(
        ("review-list", "get"),
        nothing,
        lambda w: ("get", f"/api/products/{w.product.pk}/reviews/", None),
    ),
    "review-create": Route(
        ("review-list", "post"),
        delivered_order,
        lambda w: ("post", f"/api/products/{w.product.pk}/reviews/", {"rating": 4}),
    ),
}


# --- Helpers ---------------------------------------------------------------------------------


def send(client: APIClient, request: Request) -> Any:
    method, url, body = request
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def snapshot() -> dict[str, list[Any]]:
    """Every row a route of this matrix could write."""
    return {
        "carts": list(Cart.objects.order_by("pk").values_list("pk", "user_id", "coupon_id")),
        "cart_items": list(
            CartItem.objects.order_by("pk").values_list("pk", "cart_id", "variant_id", "quantity")
        ),
        "checkouts": list(Checkout.objects.order_by("pk").values_list("pk", "total")),
        "orders": list(
            Order.all_objects.order_by("pk").values_list(
                "pk", "status", "payment_status", "deleted_at", "cancelled_at", "stock_returned_at"
            )
        ),
        "order_items": list(OrderItem.objects.order_by("pk").values_list("pk", "quantity")),
        "deliveries": list(
            DeliverySchedule.objects.order_by("pk").values_list(
                "pk", "method", "window_start", "window_end", "carrier", "tracking_number", "notes"
            )
        ),
        "coupons": list(
            Coupon.all_objects.order_by("pk").values_list(
                "pk", "code", "shop_id", "kind", "value", "uses", "deleted_at"
            )
        ),
        "redemptions": list(
            CouponRedemption.objects.order_by("pk").values_list("pk", "released_at")
        ),
        "stock": list(Variant.all_objects.order_by("pk").values_list("pk", "quantity")),
        "movements": list(StockMovement.objects.order_by("pk").values_list("pk", "delta")),
        "purchases": list(Purchase.objects.order_by("pk").values_list("pk", "reversed_at")),
        "purchase_items": list(PurchaseItem.objects.order_by("pk").values_list("pk", "quantity")),
        "alerts": list(InventoryAlert.objects.order_by("pk").values_list("pk", "resolved_at")),
        "reviews": list(Review.objects.order_by("pk").values_list("pk", "rating")),
        "product_ratings": list(
            Product.all_objects.order_by("pk").values_list("pk", "rating", "review_count")
        ),
        "shop_ratings": list(
            Shop.all_objects.order_by("pk").values_list("pk", "rating", "review_count")
        ),
    }


@pytest.fixture
def make_world(request, shop, staff, artisan, customer, category):
    """make_world(role) -> the shop with a two-variant product (10 of each in stock), seen by
    `role` (None for anonymous)."""
    product = make_product(
        shop=shop,
        category=category,
        name="Glazed Bowl",
        variants=[
            {"sku": "BOWL-S", "price": "12.00", "quantity": 10},
            {"sku": "BOWL-L", "price": "30.00", "quantity": 10},
        ],
    )

    def make(role: str) -> World:
        caller = None if role == "anonymous" else request.getfixturevalue(USER_FIXTURES[role])
        return World(
            shop=shop,
            product=product,
            variant=product.variants.get(sku="BOWL-L"),
            customer=customer,
            owner=artisan,
            caller=caller,
        )

    return make


def client_as(client_for, api_client, w: World) -> APIClient:
    return api_client if w.caller is None else client_for(w.caller)


# --- The matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_route_permissions(client_for, api_client, make_world, route, role, expected):
    w = make_world(role)
    spec = ROUTES[route]
    spec.prepare(w)
    client = client_as(client_for, api_client, w)
    before = snapshot()

    response = send(client, spec.request(w))

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == ERROR_CODES[expected]
        assert snapshot() == before
    elif route in UNCHANGING:
        assert snapshot() == before
    elif spec.request(w)[0] != "get":
        assert snapshot() != before
    assert ledger_mismatches() == []


@pytest.mark.parametrize("route", [route for route, *_ in MATRIX])
def test_a_bad_token_is_401_on_every_route(api_client, make_world, route):
    w = make_world("customer")
    spec = ROUTES[route]
    spec.prepare(w)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    before = snapshot()

    response = send(api_client, spec.request(w))

    assert response.status_code == 401, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_failed"
    assert snapshot() == before


def route_handlers(urls: Any, names: set[str] | None = None) -> set[tuple[str, str]]:
    return {
        (pattern.name, method)
        for pattern in urls.urlpatterns
        if names is None or pattern.name in names
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(pattern.callback.view_class, method)
    }


def test_matrix_covers_every_route_and_method():
    """A new route or method of these features needs a row in MATRIX."""
    handlers = route_handlers(orders_urls) | route_handlers(catalog_urls, {"review-list"})

    assert handlers == {ROUTES[route].handler for route, *_ in MATRIX}
    assert set(ROUTES) == {route for route, *_ in MATRIX}


# --- What a permitted caller sees, and the refusals the matrix does not show -------------------


def test_each_caller_lists_only_what_is_theirs(
    client_for, make_world, customer, other_customer, other_artisan, staff, admin_user
):
    w = make_world("customer")
    pending_order(w)
    shop_coupon(w)
    purchase(w)
    order_id, coupon_id, purchase_id = extra(w, "order"), extra(w, "coupon"), extra(w, "purchase")

    def ids(user: User, url: str) -> list[int]:
        response = client_for(user).get(url)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(customer, "/api/orders/") == [order_id]
    assert ids(other_customer, "/api/orders/") == []
    assert ids(staff, "/api/orders/") == []  # own orders only, without ?shop
    assert ids(staff, f"/api/orders/?shop={w.shop.pk}") == [order_id]
    assert ids(staff, f"/api/shops/{w.shop.pk}/orders/") == [order_id]
    assert ids(admin_user, "/api/orders/") == [order_id]
    assert ids(admin_user, f"/api/orders/?shop={w.shop.pk}") == [order_id]
    assert ids(admin_user, f"/api/shops/{w.shop.pk}/orders/") == [order_id]
    assert ids(other_artisan, "/api/coupons/") == []
    assert ids(staff, "/api/coupons/") == [coupon_id]
    assert ids(admin_user, "/api/coupons/") == [coupon_id]
    assert ids(other_artisan, "/api/purchases/") == []
    assert ids(staff, "/api/purchases/") == [purchase_id]


@pytest.mark.parametrize("role", ["customer", "staff", "owner", "admin"])
def test_a_shipped_order_cannot_be_cancelled(client_for, make_world, role):
    w = make_world(role)
    paid_order(w)
    order_transition(order_id=extra(w, "order"), status="processing", actor=w.owner)
    order_transition(order_id=extra(w, "order"), status="shipped", actor=w.owner)
    before = snapshot()

    response = client_for(w.caller).post(order_url(w, "cancel/"))

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    assert snapshot() == before


def test_a_member_cannot_move_an_unpaid_order(client_for, make_world):
    w = make_world("owner")
    pending_order(w)
    before = snapshot()

    response = client_for(w.caller).post(order_url(w, "status/"), {"status": "shipped"})

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("role", "body"),
    [
        ("customer", {"carrier": "Amana Express"}),
        ("staff", {"window_start": "2099-01-01T09:00:00Z", "window_end": "2099-01-01T12:00:00Z"}),
    ],
)
def test_delivery_fields_of_the_other_side_are_refused(client_for, make_world, role, body):
    w = make_world(role)
    pending_order(w)
    before = snapshot()

    response = client_for(w.caller).put(order_url(w, "delivery/"), body, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert snapshot() == before


def test_a_deleted_order_is_gone_for_everyone_but_stays_in_the_ledger(
    client_for, make_world, admin_user, customer, staff
):
    w = make_world("admin")
    pending_order(w)

    assert client_for(admin_user).delete(order_url(w)).status_code == 204

    for user in (customer, staff, admin_user):
        response = client_for(user).get(order_url(w))
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert Order.all_objects.get(pk=extra(w, "order")).deleted_at is not None
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    "url",
    ["/api/inventory-alerts/", "/api/inventory/movements/", "/api/inventory/movements/?variant=1"],
)
def test_alerts_and_movements_need_a_shop(client_for, make_world, url):
    w = make_world("owner")

    response = client_for(w.caller).get(url)

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "validation_error"
    assert "shop" in response.json()["errors"]


@pytest.mark.parametrize(
    "path", ["/api/inventory-alerts/", "/api/inventory/movements/", "/api/purchases/"]
)
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_unknown_shop_is_404(client_for, make_world, path, role):
    w = make_world(role)
    missing = Shop.all_objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

    response = client_for(w.caller).get(f"{path}?shop={missing}")

    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def test_an_outsider_cannot_restock_another_shops_variant_through_their_own_shop(
    client_for, make_world, other_artisan
):
    """A purchase for a shop the caller belongs to may only name that shop's variants."""
    w = make_world("other_artisan")
    own_shop = Shop.objects.get(owner=other_artisan)
    before = snapshot()

    response = client_for(other_artisan).post(
        "/api/purchases/",
        {
            "shop": own_shop.pk,
            "supplier": "Kiln Supplies",
            "purchased_at": "2024-06-01",
            "items": [{"variant": w.variant.pk, "quantity": 5, "unit_cost": "2.00"}],
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"] == {"items": [{"variant": ["No such variant in this shop."]}]}
    assert snapshot() == before
