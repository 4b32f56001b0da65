"""Errors on the pages are HTML pages for browsers; the API, unknown routes and clients that
do not ask for HTML keep problem+json."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PROBLEM = "application/problem+json"


def test_a_404_on_a_page_is_an_html_page_for_browsers(client, customer):
    client.force_login(customer)

    response = client.get("/addresses/999999/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content
    assert b'<main id="main"' in response.content


def test_a_404_on_a_page_is_problem_json_for_other_clients(client, customer):
    client.force_login(customer)

    response = client.get("/addresses/999999/", HTTP_ACCEPT="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_the_api_keeps_problem_json_for_browsers(client):
    response = client.get("/api/products/999999/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_an_unknown_route_keeps_problem_json(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_a_csrf_failure_on_a_page_is_an_html_403(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post("/logout/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert b"Your form expired" in response.content


def test_a_page_that_fails_is_an_html_500(client, customer, monkeypatch):
    from souk.web.views import account_addresses

    def explode(**kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(account_addresses.selectors, "address_list", explode)
    client.raise_request_exception = False
    client.force_login(customer)

    response = client.get("/addresses/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"Something went wrong" in response.content
    assert b"SELECT" not in response.content


def test_a_permission_denied_on_a_page_is_an_html_403(rf, customer):
    from django.urls import resolve

    from souk.core.views import permission_denied

    request = rf.get("/addresses/", HTTP_ACCEPT=BROWSER)
    request.user = customer
    request.resolver_match = resolve("/addresses/")

    response = permission_denied(request, None)

    assert response.status_code == 403
    assert b"permission" in response.content
