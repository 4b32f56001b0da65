"""Schema-driven fuzzing: every documented operation, called by a customer and by an artisan
who owns a shop with products, answers as the schema says (no 5xx, documented status codes,
content types, bodies and headers).

Each operation x role is its own test, so pytest-xdist spreads them over its workers and every
one of them runs. Half of the generated requests name real objects of the caller's world in the
path, so member routes answer with real data and not only 404s.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django_redis import get_redis_connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from souk.accounts.services.tokens import tokens_issue
from souk.accounts.tests.factories import AddressFactory, UserFactory

# Loading the schema needs no database: the schema view is public and sessionless.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
OPERATIONS = {
    result.ok().label: result.ok()
    for result in schema.get_all_operations()
    if isinstance(result, Ok)  # an operation that fails to load fails the count test below
}
ROLES = ["customer", "artisan"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Per operation and role; with the world built once per worker, the whole module stays near a
# minute on two cores.
MAX_EXAMPLES = 8


def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.content[:500]
    return response.json()


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "tile.png"
    return buffer


@pytest.fixture
def wsgi_connection_kept() -> Iterator[None]:
    """Requests go straight to the WSGI handler, so the test's database connection is kept open
    across them, as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user).access}")
    return client


def _build_world() -> dict[str, tuple[Any, dict[str, int]]]:
    """An artisan's shop with products, staff, a coupon, a purchase and an image, and a customer
    who ordered from it and started paying, all made through the API. Returns, per role, the
    caller and the ids its paths can name."""
    admin = UserFactory.create(role="admin", is_staff=True, is_superuser=True)
    artisan = UserFactory.create(role="artisan")
    customer = UserFactory.create(role="customer", phone="+14155550123")
    staff = UserFactory.create(role="artisan")
    as_admin, as_artisan, as_customer = _client(admin), _client(artisan), _client(customer)

    category = _ok(as_admin.post("/api/categories/", {"name": "Ceramics"}))
    shop = _ok(
        as_artisan.post(
            "/api/shops/",
            {
                "name": "Clay Corner",
                "location": {"lat": 51.5, "lng": -0.12},
                "address": "1 Main St",
            },
        )
    )
    product = _ok(
        as_artisan.post(
            "/api/products/",
            {
                "shop": shop["id"],
                "category": category["id"],
                "name": "Stoneware Mug",
                "description": "Wheel-thrown.",
                "price": "20.00",
                "quantity": 50,
            },
        )
    )
    _ok(  # low on stock, so it has an alert
        as_artisan.post(
            "/api/products/",
            {
                "shop": shop["id"],
                "category": category["id"],
                "name": "Linen Apron",
                "price": "35.00",
                "quantity": 2,
            },
        )
    )
    variant = product["variants"][0]["id"]
    _ok(as_artisan.post(f"/api/shops/{shop['id']}/staff/", {"email": staff.email}))
    coupon = _ok(
        as_artisan.post(
            "/api/coupons/",
            {"code": "SPRING", "shop": shop["id"], "kind": "percent", "value": "10"},
        )
    )
    purchase = _ok(
        as_artisan.post(
            "/api/purchases/",
            {
                "shop": shop["id"],
                "supplier": "Clay Co",
                "purchased_at": "2026-01-05",
                "items": [{"variant": variant, "quantity": 5, "unit_cost": "4.00"}],
            },
        )
    )
    image = _ok(
        as_artisan.post(
            f"/api/products/{product['id']}/images/",
            {"image": _png(), "alt": "A mug"},
            format="multipart",
        )
    )
    address = AddressFactory.create(user=customer, is_default=True)
    order = _ok(
        as_customer.post(
            "/api/orders/",
            {
                "shop": shop["id"],
                "items": [{"variant": variant, "quantity": 1}],
                "shipping_address": address.pk,
            },
        )
    )
    payment = _ok(
        as_customer.post("/api/payments/start/", {"order": order["id"], "gateway": "sandbox"})
    )
    alerts = _ok(as_artisan.get("/api/inventory-alerts/", {"shop": shop["id"]}), status=200)
    shared = {
        "inventory-alerts": alerts["results"][0]["id"],
        "shops": shop["id"],
        "products": product["id"],
        "vid": variant,
        "iid": image["id"],
        "user_id": staff.pk,
        "categories": category["id"],
        "orders": order["id"],
        "coupons": coupon["id"],
        "purchases": purchase["id"],
        "payments": payment["payment"]["id"],
    }
    roles = {}
    for role, user, client, own_address in (
        ("customer", customer, as_customer, address),
        ("artisan", artisan, as_artisan, AddressFactory.create(user=artisan)),
    ):
        cart = _ok(client.post("/api/cart/items/", {"variant": variant, "quantity": 1}))
        ids = {**shared, "addresses": own_address.pk, "items": cart["items"][0]["id"]}
        roles[role] = (user, ids)
    return roles


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once per worker inside a transaction that each test nests in (and rolls
    back to), and that is rolled back when the module is done."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            roles = _build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield roles
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _real_path_parameters(path: str, ids: dict[str, int]) -> dict[str, int]:
    """Path parameters naming the caller's own objects: `{id}` is the object of the collection
    it follows (`/api/shops/{id}/` -> the shop). Parameters the world has no object for are left
    to be generated."""
    segments = path.strip("/").split("/")
    found = {}
    for index, segment in enumerate(segments):
        name = segment.strip("{}")
        key = segments[index - 1] if segment == "{id}" else name
        if segment.startswith("{") and key in ids:
            found[name] = ids[key]
    return found


def _reset_limits() -> None:
    """Each request starts below every throttle and rate limit."""
    cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis API
    connection = get_redis_connection("default")
    stale = list(connection.scan_iter(f"{settings.RATELIMIT_KEY_PREFIX}:*", count=1000))
    if stale:
        connection.delete(*stale)


def test_every_documented_operation_is_fuzzed():
    documented = {
        f"{method.upper()} {path}"
        for path, operations in schema.raw_schema["paths"].items()
        for method in operations
    }

    assert len(documented) >= 84
    assert sorted(OPERATIONS) == sorted(documented)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_answers_as_documented(label, role, world, db, wsgi_connection_kept):
    operation = OPERATIONS[label]
    user, ids = world[role]
    headers = {"Authorization": f"Bearer {tokens_issue(user=user).access}"}
    strategy = operation.as_strategy()
    if "{" in operation.path:
        real = operation.as_strategy(path_parameters=_real_path_parameters(operation.path, ids))
        strategy = st.one_of(real, strategy)

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def answers_as_documented(case):
        _reset_limits()
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if response.status_code >= 400:
            assert response.headers.get("content-type") == ["application/problem+json"], (
                response.status_code,
                response.content[:300],
            )

    answers_as_documented()
