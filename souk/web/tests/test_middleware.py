"""The browsers' middleware (souk.web.middleware): skipped for API requests with an access
token, run for everything else, the API's session-authenticated requests included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from souk.web.middleware import token_request

pytestmark = pytest.mark.django_db


def test_a_token_request_builds_no_session_messages_or_htmx(client_for, customer):
    response = client_for(customer).get("/api/cart/")

    assert response.status_code == 200, response.content
    request = response.wsgi_request
    for built in ("session", "_messages", "htmx"):
        assert not hasattr(request, built), built
    assert request.user == customer  # set by the token's authentication
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"  # what every response gets


def test_the_api_with_a_session_still_goes_through_them(customer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)

    read = browser.get("/api/cart/")
    assert read.status_code == 200, read.content
    assert hasattr(read.wsgi_request, "session")
    assert read.wsgi_request.user == customer

    # SessionAuthentication checks CSRF for the session's unsafe requests, as before
    refused = browser.post("/api/cart/items/", {"variant": 1}, content_type="application/json")
    assert refused.status_code == 403, refused.content


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_bearer_header_is_never_answered_by_the_session(customer, scheme):
    """The scheme is case-insensitive: a session cookie does not authenticate a request that
    names a Bearer token, whatever its case; a bad token is a 401."""
    browser = Client()
    browser.force_login(customer)

    response = browser.get("/api/cart/", HTTP_AUTHORIZATION=f"{scheme} not-a-token")

    assert response.status_code == 401, response.content


def test_a_page_still_has_its_session_and_messages(customer):
    browser = Client()
    browser.force_login(customer)

    response = browser.get("/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response.wsgi_request.user == customer
    assert hasattr(response.wsgi_request, "_messages")
    assert hasattr(response.wsgi_request, "htmx")


@pytest.mark.parametrize(
    ("path", "authorization", "expected"),
    [
        ("/api/cart/", "Bearer abc", True),
        ("/api/cart/", "bearer abc", True),
        ("/api/cart/", "BEARER\tabc", True),
        ("/api/cart/", "Basic abc", False),
        ("/api/cart/", "", False),
        ("/cart/", "Bearer abc", False),
        ("/apiary/", "Bearer abc", False),
    ],
    ids=[
        "api-bearer",
        "api-bearer-lower",
        "api-bearer-tab",
        "api-basic",
        "api-none",
        "page-bearer",
        "lookalike-path",
    ],
)
def test_which_requests_count_as_token_requests(rf, path, authorization, expected):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    assert token_request(rf.get(path, **headers)) is expected


def _api_views(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[tuple]:
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _api_views(pattern.url_patterns, route)
        elif route.startswith("api/"):
            found.append((route, pattern.callback))
    return found


def test_every_api_route_checks_csrf_itself_or_is_exempt():
    """Why leaving out the session user is safe for a token request: an API view is a DRF
    view, which authenticates the token itself and, for a session, checks CSRF itself; the
    one HTML page under /api/ (the offline sandbox gateway's) is exempt and reads no
    session."""
    views = _api_views(get_resolver().url_patterns)

    assert len(views) > 50
    pages = []
    for route, callback in views:
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        assert view_class is not None, route
        if not issubclass(view_class, APIView):
            assert getattr(callback, "csrf_exempt", False), route
            pages.append(route)
    assert pages == ["api/payments/sandbox/<str:reference>/"]


def test_the_sandbox_page_answers_a_token_request(client_for, customer):
    response = client_for(customer).get("/api/payments/sandbox/no-such-charge/")

    assert response.status_code == 404
