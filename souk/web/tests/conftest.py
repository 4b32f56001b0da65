"""Fixtures shared by the web pages' client tests."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def signed_in(customer) -> Client:
    """A browser signed in as the customer (Django's session)."""
    client = Client()
    client.force_login(customer)
    return client
