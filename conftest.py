"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_redis import get_redis_connection
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

settings.register_profile(
    "souk",
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("souk")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test databases; behind a transaction pooler (DB_TRANSACTION_POOLER), the
    pooler's idle server connections to them are ended before they are dropped, or the drop
    would fail on a database "being accessed by other users"."""
    yield
    from django.conf import settings

    if settings.DB_TRANSACTION_POOLER:
        with django_db_blocker.unblock():
            pooled_connections_end()


def pooled_connections_end() -> None:
    """End this role's server connections to each test database (a pooler's, once this
    process has closed its own), waiting up to 5 s for each to go."""
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """Start every test with this run's cache, throttle and rate-limit keys gone (other test
    runs sharing the Redis database keep theirs)."""
    from django.conf import settings
    from django.core.cache import cache

    cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis API
    connection = get_redis_connection("default")
    stale = list(connection.scan_iter(f"{settings.RATELIMIT_KEY_PREFIX}:*", count=1000))
    if stale:
        connection.delete(*stale)


@pytest.fixture(autouse=True)
def _clean_sms_outbox() -> None:
    from souk.accounts.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def sms_outbox() -> list[Any]:
    from souk.accounts.sms import LocmemSmsBackend

    return LocmemSmsBackend.outbox


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """client_for(user) -> an APIClient sending that user's access token."""
    from souk.accounts.services.tokens import tokens_issue

    def make(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user).access}")
        return client

    return make


@pytest.fixture
def user_factory():
    from souk.accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def address_factory():
    from souk.accounts.tests.factories import AddressFactory

    return AddressFactory


@pytest.fixture
def customer(db, user_factory):
    return user_factory(role="customer")


@pytest.fixture
def other_customer(db, user_factory):
    return user_factory(role="customer")


@pytest.fixture
def artisan(db, user_factory):
    return user_factory(role="artisan")


@pytest.fixture
def admin_user(db, user_factory):
    return user_factory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def shop_factory(db):
    from souk.shops.tests.factories import ShopFactory

    return ShopFactory


@pytest.fixture
def shop(shop_factory, artisan):
    """A shop owned by the `artisan` fixture."""
    return shop_factory(owner=artisan)


@pytest.fixture
def staff(db, user_factory, shop):
    """An artisan who is staff (not owner) of `shop`."""
    from souk.shops.tests.factories import add_staff

    user = user_factory(role="artisan")
    add_staff(shop, user)
    return user


@pytest.fixture
def removed_staff(db, user_factory, shop):
    """An artisan who was staff of `shop` and has been removed (a soft-deleted membership)."""
    from souk.shops.tests.factories import add_staff

    user = user_factory(role="artisan")
    add_staff(shop, user).soft_delete()
    return user


@pytest.fixture
def as_role(request, db):
    """The user playing `role` ("anonymous" is Django's anonymous user; the others name
    fixtures: customer, other_artisan, staff, artisan (the owner), removed_staff,
    admin_user)."""
    from django.contrib.auth.models import AnonymousUser

    def user_for(role: str) -> Any:
        if role == "anonymous":
            return AnonymousUser()
        return request.getfixturevalue(role)

    return user_for


@pytest.fixture
def other_artisan(db, user_factory, shop_factory):
    """An artisan who owns a different shop."""
    user = user_factory(role="artisan")
    shop_factory(owner=user)
    return user


@pytest.fixture
def category(db):
    from souk.catalog.tests.factories import make_category

    return make_category("Ceramics")


@pytest.fixture
def product_factory(db):
    from souk.catalog.tests.factories import make_product

    return make_product


@pytest.fixture
def product(product_factory, shop, category):
    return product_factory(shop=shop, category=category)
