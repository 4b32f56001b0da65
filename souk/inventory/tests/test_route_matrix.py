"""Every inventory route against every role.

A shop's stock (its inventory page, low-stock alerts, ledger, adjustments and purchases) is for
the shop's members (owner or staff). Platform administrators have full powers over every shop's
alerts, ledger, adjustments and purchases: they list every shop's alerts and purchases, read any
shop's ledger, adjust stock, record, read and reverse purchases, and dismiss alerts. The
inventory page stays for members only. An alert or purchase
the caller may not see is 404; a list of a shop the caller does not belong to is 403; the alert
list without `shop` is 400 for anyone but an administrator. No credentials: 401. A refused
request changes nothing.
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
from souk.catalog.models import Variant
from souk.catalog.tests.factories import make_product
from souk.inventory.api import urls as inventory_urls
from souk.inventory.models import InventoryAlert, Purchase, PurchaseItem, StockMovement
from souk.inventory.services.purchases import purchase_create
from souk.inventory.tests.factories import ledger_mismatches
from souk.shops.models import Shop

PROBLEM = "application/problem+json"
ROLES = ("anonymous", "customer", "other_artisan", "staff", "owner", "admin")
USER_FIXTURES = {
    "customer": "customer",
    "other_artisan": "other_artisan",
    "staff": "staff",
    "owner": "artisan",
    "admin": "admin_user",
}
ERROR_CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
}

# `other_artisan` owns a shop of their own; the shop in question is owned by `owner`.
# route                     anonymous customer other_art staff owner admin
MATRIX = [
    ("shop-inventory", 401, 403, 403, 200, 200, 403),
    ("alert-list", 401, 403, 403, 200, 200, 200),
    ("alert-list-every-shop", 401, 400, 400, 400, 400, 200),
    ("alert-dismiss", 401, 404, 404, 204, 204, 204),
    ("movement-list", 401, 403, 403, 200, 200, 200),
    ("adjustment", 401, 403, 403, 201, 201, 201),
    ("purchase-list", 401, 403, 200, 200, 200, 200),
    ("purchase-list-of-shop", 401, 403, 403, 200, 200, 200),
    ("purchase-create", 401, 403, 403, 201, 201, 201),
    ("purchase-get", 401, 404, 404, 200, 200, 200),
    ("purchase-reverse", 401, 404, 404, 204, 204, 204),
]
CASES = [
    pytest.param(route, role, status, id=f"{route}-{role}")
    for route, *statuses in MATRIX
    for role, status in zip(ROLES, statuses, strict=True)
]

pytestmark = pytest.mark.django_db


@dataclass
class World:
    role: str
    shop: Shop
    variant: Variant
    owner: User
    caller: User | None
    extra: dict[str, Any] = field(default_factory=dict)


Request = tuple[str, str, dict[str, Any] | None]


class Route(NamedTuple):
    handler: tuple[str, str]  # (url name, view method)
    prepare: Callable[[World], None]
    request: Callable[[World], Request]
    # the ids a permitted GET must list (a list route), or None
    listed: Callable[[World], list[int]] | None = None


def nothing(w: World) -> None:
    return None


def alert(w: World) -> None:
    w.extra["alert"] = InventoryAlert.objects.create(
        shop=w.shop, variant=w.variant, quantity=2, threshold=3
    )


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


def listed_purchase(w: World) -> list[int]:
    """Without `shop`, other_artisan lists their own shop's purchases: none."""
    return [] if w.role == "other_artisan" else [extra(w, "purchase")]


ROUTES: dict[str, Route] = {
    "shop-inventory": Route(
        ("shop-inventory", "get"),
        nothing,
        lambda w: ("get", f"/api/shops/{w.shop.pk}/inventory/", None),
    ),
    "alert-list": Route(
        ("alert-list", "get"),
        alert,
        lambda w: ("get", f"/api/inventory-alerts/?shop={w.shop.pk}", None),
        lambda w: [extra(w, "alert")],
    ),
    "alert-list-every-shop": Route(
        ("alert-list", "get"),
        alert,
        lambda w: ("get", "/api/inventory-alerts/", None),
        lambda w: [extra(w, "alert")],
    ),
    "alert-dismiss": Route(
        ("alert-detail", "delete"),
        alert,
        lambda w: ("delete", f"/api/inventory-alerts/{extra(w, 'alert')}/", None),
    ),
    "movement-list": Route(
        ("movement-list", "get"),
        nothing,
        lambda w: ("get", f"/api/inventory/movements/?shop={w.shop.pk}", None),
    ),
    "adjustment": Route(
        ("adjustment", "post"),
        nothing,
        lambda w: (
            "post",
            "/api/inventory/adjustments/",
            {"variant": w.variant.pk, "delta": -2, "note": "chipped"},
        ),
    ),
    "purchase-list": Route(
        ("purchase-list", "get"),
        purchase,
        lambda w: ("get", "/api/purchases/", None),
        listed_purchase,
    ),
    "purchase-list-of-shop": Route(
        ("purchase-list", "get"),
        purchase,
        lambda w: ("get", f"/api/purchases/?shop={w.shop.pk}", None),
        lambda w: [extra(w, "purchase")],
    ),
    "purchase-create": Route(
        ("purchase-list", "post"),
        nothing,
        lambda w: (
            "post",
            "/api/purchases/",
            {
                "shop": w.shop.pk,
                "supplier": "Kiln Supplies",
                "purchased_at": "2024-06-01T09:30:00Z",
                "items": [{"variant": w.variant.pk, "quantity": 5, "unit_cost": "2.00"}],
            },
        ),
    ),
    "purchase-get": Route(
        ("purchase-detail", "get"),
        purchase,
        lambda w: ("get", f"/api/purchases/{extra(w, 'purchase')}/", None),
    ),
    "purchase-reverse": Route(
        ("purchase-detail", "delete"),
        purchase,
        lambda w: ("delete", f"/api/purchases/{extra(w, 'purchase')}/", None),
    ),
}


def send(client: APIClient, request: Request) -> Any:
    method, url, body = request
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def snapshot() -> dict[str, list[Any]]:
    """Every row an inventory route could write."""
    return {
        "stock": list(Variant.all_objects.order_by("pk").values_list("pk", "quantity")),
        "movements": list(StockMovement.objects.order_by("pk").values_list("pk", "delta")),
        "purchases": list(Purchase.objects.order_by("pk").values_list("pk", "reversed_at")),
        "purchase_items": list(PurchaseItem.objects.order_by("pk").values_list("pk", "quantity")),
        "alerts": list(
            InventoryAlert.objects.order_by("pk").values_list(
                "pk", "resolved_at", "dismissed_at", "dismissed_by_id"
            )
        ),
    }


@pytest.fixture
def make_world(request, shop, staff, artisan, other_artisan, category):
    """make_world(role) -> the shop with a product of 10 in stock, seen by `role` (None for
    anonymous). `other_artisan` owns a shop of their own."""
    product = make_product(shop=shop, category=category, name="Glazed Bowl", quantity=10)

    def make(role: str) -> World:
        caller = None if role == "anonymous" else request.getfixturevalue(USER_FIXTURES[role])
        return World(
            role=role, shop=shop, variant=product.variants.get(), owner=artisan, caller=caller
        )

    return make


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_route_permissions(client_for, api_client, make_world, route, role, expected):
    w = make_world(role)
    spec = ROUTES[route]
    spec.prepare(w)
    client = api_client if w.caller is None else client_for(w.caller)
    before = snapshot()

    response = send(client, spec.request(w))

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == ERROR_CODES[expected]
        assert snapshot() == before
    elif spec.request(w)[0] != "get":
        assert snapshot() != before
    elif spec.listed is not None:
        assert [row["id"] for row in response.json()["results"]] == spec.listed(w)
    assert ledger_mismatches() == []


@pytest.mark.parametrize("route", [route for route, *_ in MATRIX])
def test_a_bad_token_is_401_on_every_route(api_client, make_world, route):
    w = make_world("owner")
    spec = ROUTES[route]
    spec.prepare(w)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    before = snapshot()

    response = send(api_client, spec.request(w))

    assert response.status_code == 401, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_failed"
    assert snapshot() == before


def test_matrix_covers_every_route_and_method():
    """A new inventory route or method needs a row in MATRIX."""
    handlers = {
        (pattern.name, method)
        for pattern in inventory_urls.urlpatterns
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(pattern.callback.view_class, method)
    }

    assert handlers == {ROUTES[route].handler for route, *_ in MATRIX}
    assert set(ROUTES) == {route for route, *_ in MATRIX}
