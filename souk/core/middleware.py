"""Middleware that keeps every answer problem+json, whatever stage of a request fails."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from souk.core.views import not_found, uri_too_long


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
