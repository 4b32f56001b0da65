"""The home page (the shopper's page for browsers, the API's index for other clients), unknown
routes, and requests too large for the service: every error answer is problem+json, rendered
exactly as the API renders its own."""

from __future__ import annotations

import pytest
from django.test import Client

PROBLEM = "application/problem+json"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(
    "path", ["/api/no-such-thing/", "/api/no-such-thing", "/no-such-page/", "/static/none.css"]
)
def test_an_unknown_route_is_a_problem_like_every_other_error(client, settings, debug, path):
    settings.DEBUG = debug

    response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.content == (
        b'{"type":"about:blank","title":"Not found","status":404,'
        b'"detail":"No resource at ' + path.encode() + b'.","code":"not_found"}'
    )


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_missing_object_is_the_same_problem_with_and_without_debug(api_client, settings, debug):
    settings.DEBUG = debug

    response = api_client.get("/api/products/999999/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.content.startswith(b'{"type":"about:blank","title":"Not found","status":404,')


def test_the_home_page_is_the_shoppers_page_for_browsers(client):
    response = client.get("/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "<title>Handmade goods near you · Souk</title>" in page
    assert 'role="search"' in page


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_the_home_page_is_json_for_other_clients(client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = client.get("/", **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "name": "Souk",
        "description": "Marketplace API for local artisans.",
        "links": {
            "docs": "http://testserver/api/docs/",
            "redoc": "http://testserver/api/redoc/",
            "schema": "http://testserver/api/schema/",
            "admin": "http://testserver/admin/",
        },
    }


def test_the_home_page_answers_only_reads():
    client = Client(enforce_csrf_checks=True)  # as a real browser or API client is checked

    response = client.post("/", {"a": "b"})

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/products/", "q=" + "a" * 4094),
        ("/api/" + "a" * 4100 + "/", ""),
        ("/", "x=" + "%C3%A9" * 700),
    ],
    ids=["query", "path", "percent-encoded"],
)
def test_a_url_longer_than_the_limit_is_414(client, path, query):
    response = client.get(path, QUERY_STRING=query)

    assert response.status_code == 414
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "URI too long",
        "status": 414,
        "detail": "The URL is longer than 4096 bytes; send long input in the body.",
        "code": "uri_too_long",
    }


def test_a_url_at_the_limit_is_served(client):
    query = "unused=" + "a" * (4096 - len("/api/categories/?unused="))

    response = client.get("/api/categories/", QUERY_STRING=query)

    assert response.status_code == 200


def test_a_too_large_form_outside_the_api_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = client.post("/admin/login/", {"username": "a" * 4096, "password": "x"})

    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "request_too_large"


def test_a_too_large_json_body_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"email": "' + "a" * 4096 + '@example.com", "password": "x"}'

    response = api_client.generic("POST", "/api/accounts/login/", body, "application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["title"] == "Request too large"
