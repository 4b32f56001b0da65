"""Every shops route against every kind of caller.

POST /api/shops/ is for artisans (any artisan, including staff of another shop); edits and staff
management are for the owner only; closing is for the owner or a platform admin; reads are open.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from souk.catalog.models import Product
from souk.shops.models import Shop, ShopMember
from souk.shops.tests.factories import add_staff

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "customer", "other_customer", "other_artisan", "staff", "owner", "admin"]

SHOP_BODY = {
    "name": "Table Works",
    "description": "Oak tables.",
    "location": {"lat": 52.370216, "lng": 4.895168},
    "address": "1 Dam Square, Amsterdam",
}

# route -> expected status per role, in ROLES order.
EXPECTED = {
    "list": [200, 200, 200, 200, 200, 200, 200],
    "create": [401, 403, 403, 201, 201, 201, 403],
    "retrieve": [200, 200, 200, 200, 200, 200, 200],
    "patch": [401, 403, 403, 403, 403, 200, 403],
    "put": [401, 403, 403, 403, 403, 200, 403],
    "delete": [401, 403, 403, 403, 403, 204, 204],
    "staff_list": [401, 403, 403, 403, 403, 200, 403],
    "staff_add": [401, 403, 403, 403, 403, 201, 403],
    "staff_remove": [401, 403, 403, 403, 403, 204, 403],
    # Restores act on deleted objects, which only admins see.
    "restore": [401, 404, 404, 404, 404, 404, 200],
    "staff_restore": [401, 404, 404, 404, 404, 404, 200],
}
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}

CASES = [
    pytest.param(route, role, status, id=f"{route}-{role}")
    for route, statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


@pytest.fixture
def world(
    shop,
    staff,
    artisan,
    customer,
    other_customer,
    other_artisan,
    admin_user,
    user_factory,
    shop_factory,
):
    """The shop under test, a second staff member to remove, a user to add, a removed staff
    member and a closed shop to restore, and every caller."""
    target = user_factory(role="artisan")
    add_staff(shop, target)
    newcomer = user_factory(role="artisan")
    removed = user_factory(role="artisan")
    add_staff(shop, removed)
    ShopMember.objects.filter(shop=shop, user=removed).update(deleted_at=timezone.now())
    closed = shop_factory(owner=artisan, name="Closed Works")
    Shop.all_objects.filter(pk=closed.pk).update(deleted_at=timezone.now())
    callers = {
        "anonymous": None,
        "customer": customer,
        "other_customer": other_customer,
        "other_artisan": other_artisan,
        "staff": staff,
        "owner": artisan,
        "admin": admin_user,
    }
    return {
        "shop": shop,
        "target": target,
        "newcomer": newcomer,
        "removed": removed,
        "closed": closed,
        "callers": callers,
    }


def route_request(route, world):
    shop = world["shop"]
    base = f"/api/shops/{shop.pk}/"
    return {
        "list": ("get", "/api/shops/", None),
        "create": ("post", "/api/shops/", SHOP_BODY),
        "retrieve": ("get", base, None),
        "patch": ("patch", base, {"name": "Patched"}),
        "put": ("put", base, {**SHOP_BODY, "name": "Replaced"}),
        "delete": ("delete", base, None),
        "staff_list": ("get", f"{base}staff/", None),
        "staff_add": ("post", f"{base}staff/", {"email": world["newcomer"].email}),
        "staff_remove": ("delete", f"{base}staff/{world['target'].pk}/", None),
        "restore": ("post", f"/api/shops/{world['closed'].pk}/restore/", None),
        "staff_restore": ("post", f"{base}staff/{world['removed'].pk}/restore/", None),
    }[route]


def db_state():
    shops = list(
        Shop.all_objects.order_by("id").values_list(
            "id", "owner_id", "name", "slug", "location", "address", "deleted_at", "updated_at"
        )
    )
    members = list(
        ShopMember.all_objects.order_by("id").values_list(
            "shop_id", "user_id", "role", "deleted_at"
        )
    )
    products = list(Product.all_objects.order_by("id").values_list("id", "deleted_at"))
    return shops, members, products


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_route_by_role(client_for, world, route, role, expected):
    method, url, body = route_request(route, world)
    client = client_for(world["callers"][role])
    before = db_state()

    response = getattr(client, method)(url, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["code"] == ERROR_CODES[expected]
        assert response["Content-Type"].startswith("application/problem+json")
        assert db_state() == before
    elif method in ("get",):
        assert db_state() == before
    else:
        assert db_state() != before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "route",
    [
        "retrieve",
        "patch",
        "put",
        "delete",
        "staff_list",
        "staff_add",
        "staff_remove",
        "staff_restore",
    ],
)
def test_route_on_a_closed_shop(client_for, world, route, role):
    """A closed shop is invisible: 404 for everyone with credentials, 401 first without."""
    Shop.all_objects.filter(pk=world["shop"].pk).update(deleted_at=timezone.now())
    method, url, body = route_request(route, world)
    before = db_state()

    response = getattr(client_for(world["callers"][role]), method)(url, body, format="json")

    expected = 401 if role == "anonymous" and route != "retrieve" else 404
    assert response.status_code == expected, response.content
    assert response.json()["code"] == ERROR_CODES[expected]
    assert db_state() == before
