"""Every error is RFC 9457 problem details with a stable code; never a traceback."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from souk.core.testing import assert_problem

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.django_db


def test_malformed_json_is_400_parse_error(api_client):
    response = api_client.generic(
        "POST", "/api/accounts/login/", '{"identifier": "a@b.c", ', content_type="application/json"
    )

    assert_problem(response, 400, "parse_error")


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_400(api_client, body):
    response = api_client.generic("POST", "/api/register/", body, content_type="application/json")

    assert_problem(response, 400, "validation_error")


def test_validation_error_lists_fields(api_client):
    body = assert_problem(
        api_client.post("/api/register/", {}, format="json"), 400, "validation_error"
    )

    assert body["errors"]["email"] == ["This field is required."]
    assert body["detail"].startswith(("email:", "password:", "role:"))


def test_unknown_route_is_404_problem(api_client):
    response = api_client.get("/api/no-such-thing/")

    body = assert_problem(response, 404, "not_found")
    assert "/api/no-such-thing/" in body["detail"]


def test_wrong_method_is_405(api_client):
    assert_problem(api_client.get("/api/accounts/login/"), 405, "method_not_allowed")


def test_unsupported_media_type_is_415(api_client):
    response = api_client.generic(
        "POST", "/api/accounts/login/", "identifier=a", content_type="text/plain"
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_unauthenticated_is_401_with_challenge(api_client):
    response = api_client.get("/api/accounts/me/")

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_oversized_body_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client.generic(
        "POST", "/api/register/", '{"email": "' + "a" * 4096 + '"}', content_type="application/json"
    )

    assert_problem(response, 413, "request_too_large")


def test_unhandled_exception_is_500_without_internals(client_for, customer, monkeypatch):
    from souk.accounts.services import users

    def explode(**kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(users, "user_become_artisan", explode)

    response = client_for(customer).post("/api/accounts/become-artisan/")

    body = assert_problem(response, 500, "server_error")
    assert "SELECT" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"] == "An unexpected error occurred."


def test_redis_outage_is_503(api_client, monkeypatch):
    from souk.accounts.services import otp

    def down(*args, **kwargs):
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(otp, "limit_hit", down)

    response = api_client.post(
        "/api/accounts/otp/request/", {"target": "a@example.com", "purpose": "login"}, format="json"
    )

    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"


def test_database_outage_is_503(client_for, customer, monkeypatch):
    from souk.accounts.services import users

    def down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(users, "user_become_artisan", down)

    assert_problem(
        client_for(customer).post("/api/accounts/become-artisan/"), 503, "service_unavailable"
    )


def test_plain_django_handlers_answer_problem_json(rf):
    from souk.core import views

    request = rf.get("/x")
    for handler, status, _code in [
        (views.bad_request, 400, "bad_request"),
        (views.permission_denied, 403, "permission_denied"),
        (views.not_found, 404, "not_found"),
    ]:
        response = handler(request, None)
        assert (response.status_code, response["Content-Type"]) == (status, PROBLEM)
    response = views.server_error(request)
    assert response.status_code == 500
    assert b"server_error" in response.content


def test_csrf_failure_is_problem_json(customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post("/api/accounts/become-artisan/", content_type="application/json")

    assert_problem(response, 403, "permission_denied")
    customer.refresh_from_db()
    assert customer.role == "customer"


def test_disallowed_host_is_400_problem(client):
    response = client.get("/healthz", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
