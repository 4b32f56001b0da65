"""The browsers' middleware (session, the session's user, messages, htmx), skipped for API requests
that carry an access token.

The web pages sign in with Django's session and post forms with a CSRF token; the JSON API
authenticates with its access tokens (`Authorization: Bearer ...`), and a request with one is
answered or refused by the token alone (`souk.accounts.authentication.JWTAuthentication` never
falls back to the session once the header names a Bearer token). For those requests the
session store, the lazy session user, the message storage and the htmx details would only be
built to be thrown away: on the purchase routes they were about 2% of the workers' CPU
(py-spy, bench/orders.py). Every other request, the API's session-authenticated ones included,
goes through them as before. Registered in `settings.MIDDLEWARE` in place of Django's and
django-htmx's own classes. Django's CSRF middleware stays as it is for every request (the
deploy checks look for it by name; DRF's views are exempt from it and check a session's CSRF
token themselves).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django.http import HttpRequest
from django_htmx.middleware import HtmxMiddleware as _Htmx

API_PREFIX = "/api/"


def token_request(request: HttpRequest) -> bool:
    """An API request authenticated by the access token it carries, not by a session (its
    Authorization header's scheme is Bearer, in any case, as the authentication reads it)."""
    if not request.path_info.startswith(API_PREFIX):
        return False
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split(None, 1)
    return bool(scheme) and scheme[0].lower() == "bearer"


class _BrowsersOnly:
    """Runs the middleware it is mixed into except for `token_request`s (sync only: the
    service runs under WSGI)."""

    sync_capable = True
    async_capable = False
    get_response: Any

    def __call__(self, request: HttpRequest) -> Any:
        if token_request(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_BrowsersOnly, _Session):
    pass


class AuthenticationMiddleware(_BrowsersOnly, _Authentication):
    pass


class MessageMiddleware(_BrowsersOnly, _Messages):
    pass


class HtmxMiddleware(_BrowsersOnly, _Htmx):
    pass
