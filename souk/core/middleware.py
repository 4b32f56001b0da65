"""Middleware that keeps every answer problem+json, whatever stage of a request fails, and the
one that gives each request its id, its access log line and its metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from souk.core.metrics import UNMATCHED_ROUTE, http_observe
from souk.core.requestid import REQUEST_ID_HEADER, REQUEST_ID_META, request_id_clean, request_id_var
from souk.core.views import not_found, uri_too_long

access_logger = logging.getLogger("souk.access")


def _route(request: HttpRequest) -> str:
    """The URL pattern the request matched (`api/orders/<int:pk>/`), never its raw path, so
    that metrics and logs group by route with few distinct values."""
    match = request.resolver_match
    if match is None:
        return UNMATCHED_ROUTE
    return "/" + match.route


def _user_id(request: HttpRequest) -> int | None:
    """The id of the user the request authenticated as, if authentication already ran (a user
    not yet looked up is not looked up here: that would cost a query)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pk = getattr(user, "pk", None)
    return pk if isinstance(pk, int) else None


class RequestIdMiddleware:
    """First in the chain: takes the request's `X-Request-ID` (or makes one up, see
    souk.core.requestid), keeps it in the context for every log line and queued task of the
    request, answers it in the `X-Request-ID` header, counts the request in the HTTP metrics
    and writes one access line (logger `souk.access`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_clean(request.META.get(REQUEST_ID_META))
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            route = _route(request)
            status = response.status_code
            http_observe(route=route, method=request.method or "", status=status, seconds=seconds)
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    route,
                    status,
                    extra={
                        "method": request.method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "user_id": _user_id(request),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)


class ProblemDetailsMiddleware:
    """First in the chain: refuses URLs longer than `MAX_URL_BYTES` (path and query string,
    as sent) with `414`, before any other middleware or view reads them; and under `DEBUG`
    answers an unknown route or missing object with the same problem+json 404 as in
    production, instead of Django's HTML debug page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if len(request.get_full_path().encode()) > settings.MAX_URL_BYTES:
            return uri_too_long(request)
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return not_found(request)
        return response
