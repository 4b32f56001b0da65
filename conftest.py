"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable
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


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """Each xdist worker has its own Redis database; start every test with it empty."""
    get_redis_connection("default").flushdb()


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
