"""Schema-driven fuzzing: no generated request gets a 5xx; every error is problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django_redis import get_redis_connection
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from config.wsgi import application

# Loading the schema needs no database: the schema view is public and sessionless.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def auth_header(db, user_factory):
    """A signed-in caller; requests go straight to the WSGI handler, so the test's database
    connection is kept open across them, as Django's own test client does."""
    from souk.accounts.services.tokens import tokens_issue

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    user = user_factory(phone="+14155550123")
    try:
        yield {"Authorization": f"Bearer {tokens_issue(user=user).access}"}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(max_examples=25)
def test_no_request_produces_a_server_error(case, auth_header):
    cache.delete_pattern("*")  # each example starts below every throttle
    connection = get_redis_connection("default")
    for key in connection.scan_iter(f"{settings.RATELIMIT_KEY_PREFIX}:*"):
        connection.delete(key)
    response = case.call(headers=auth_header)

    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        assert response.headers.get("content-type") == ["application/problem+json"], (
            response.status_code,
            response.headers,
            response.content[:300],
        )
