"""Browser clients on the origins in CORS_ALLOWED_ORIGINS may call the API; others may not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://shop.example.com"


@pytest.fixture
def client(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    return client


def test_an_allowed_origin_gets_the_cors_headers(client):
    response = client.get("/api/categories/", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Expose-Headers"] == "Retry-After, Location"


def test_an_allowed_origin_may_send_a_token_and_an_idempotency_key(client):
    response = client.options(
        "/api/orders/",
        HTTP_ORIGIN=ALLOWED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    allowed_headers = set(response["Access-Control-Allow-Headers"].split(", "))
    assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_another_origin_gets_no_cors_headers(client):
    response = client.get("/api/categories/", HTTP_ORIGIN="https://evil.example.net")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    preflight = client.options(
        "/api/orders/",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in preflight


def test_no_origin_is_allowed_by_default(settings):
    from django.test import Client

    assert settings.CORS_ALLOWED_ORIGINS == []  # CORS_ALLOWED_ORIGINS unset

    response = Client().get("/api/categories/", HTTP_ORIGIN=ALLOWED)

    assert "Access-Control-Allow-Origin" not in response


def test_errors_carry_the_cors_headers_too(client):
    response = client.get("/api/no-such-thing/", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == ALLOWED
