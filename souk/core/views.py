"""The home page, health probes and the plain-Django error handlers (problem details outside
DRF too)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from kombu import Connection
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from souk.core.exceptions import (
    PROBLEM_CONTENT_TYPE,
    problem_body,
    problem_response,
    read_only_refusal,
)

logger = logging.getLogger(__name__)


class HealthView(APIView):
    """Liveness: the process answers."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["health"],
        responses=inline_serializer("Health", {"status": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("souk:readyz", "1", timeout=10)
    if cache.get("souk:readyz") != "1":
        raise RuntimeError("cache round trip failed")


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)


READINESS_CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}

# Figures an operator reads beside the checks (how far behind the outbox is, say), filled by
# the apps that own them in their AppConfig.ready. They never make the answer 503; one that
# fails is reported as "unavailable".
READINESS_DETAILS: dict[str, Callable[[], dict[str, Any]]] = {}


def _details() -> dict[str, Any]:
    details: dict[str, Any] = {}
    for name, detail in READINESS_DETAILS.items():
        try:
            details[name] = detail()
        except Exception as exc:
            logger.warning("readiness detail %s failed: %s", name, exc)
            details[name] = "unavailable"
    return details


class ReadyView(APIView):
    """Readiness: database, cache and broker reachable; 503 naming what is down."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["health"],
        responses={
            200: inline_serializer(
                "Ready",
                {
                    "status": serializers.CharField(),
                    "checks": serializers.DictField(),
                    "details": serializers.DictField(),
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        checks: dict[str, str] = {}
        for name, check in READINESS_CHECKS.items():
            try:
                check()
            except Exception as exc:  # any failure means "not ready"
                logger.warning("readiness check %s failed: %s", name, exc)
                checks[name] = "down"
            else:
                checks[name] = "ok"
        down = [name for name, state in checks.items() if state != "ok"]
        if not down:
            return Response({"status": "ok", "checks": checks, "details": _details()})
        body = problem_body(
            503,
            "service_unavailable",
            f"Not ready: {', '.join(down)} unreachable.",
            title="Service unavailable",
            checks=checks,
        )
        response = Response(body, status=503)
        response.content_type = PROBLEM_CONTENT_TYPE
        return response


HOME_LINKS = [
    ("docs", "swagger-ui", "API reference (Swagger UI)"),
    ("redoc", "redoc", "API reference (ReDoc)"),
    ("schema", "schema", "OpenAPI schema"),
    ("admin", "admin:index", "Administration"),
]


@csrf_exempt  # it only reads; other methods get the 405 below, not a CSRF 403
def home(request: HttpRequest) -> HttpResponse:
    """`/`: until there are web pages, where to go from here. An HTML page for browsers, JSON
    for everyone else."""
    refused = read_only_refusal(request)
    if refused is not None:
        return refused
    links = [(key, reverse(name), label) for key, name, label in HOME_LINKS]
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        return render(request, "core/home.html", {"links": links})
    return JsonResponse(
        {
            "name": "Souk",
            "description": "Marketplace API for local artisans.",
            "links": {key: request.build_absolute_uri(url) for key, url, _ in links},
        }
    )


# Namespaces of the routes that are web pages, filled by the app that owns them in its
# AppConfig.ready. An error on one of them, for a browser, is an HTML page
# (`web/errors/<status>.html`); every other answer (the API, unknown routes, clients that do
# not ask for HTML) stays problem+json.
PAGE_NAMESPACES: set[str] = set()


def _page_error(
    request: HttpRequest, status: int, context: dict[str, Any] | None = None
) -> HttpResponse | None:
    match = getattr(request, "resolver_match", None)
    if match is None or not PAGE_NAMESPACES.intersection(match.namespaces):
        return None
    if request.path.startswith("/api/"):
        return None
    if request.get_preferred_type(["application/json", "text/html"]) != "text/html":
        return None
    try:
        return render(request, f"web/errors/{status}.html", context, status=status)
    except Exception:  # the page itself failed (a database outage): the plain answer
        logger.exception("error page %s could not be rendered", status)
        return None


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    page = _page_error(request, 403, {"csrf_failed": True})
    if page is not None:
        return page
    return problem_response(
        403,
        "permission_denied",
        f"CSRF check failed: {reason}".strip(),
        title="Permission denied",
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # read outside DRF (forms, the admin)
        return problem_response(
            413, "request_too_large", "The request body is too large.", title="Request too large"
        )
    return problem_response(
        400, "bad_request", "The request could not be understood.", title="Bad request"
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    page = _page_error(request, 403)
    if page is not None:
        return page
    return problem_response(
        403,
        "permission_denied",
        "You do not have permission to do this.",
        title="Permission denied",
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    page = _page_error(request, 404)
    if page is not None:
        return page
    return problem_response(404, "not_found", f"No resource at {request.path}.", title="Not found")


def uri_too_long(request: HttpRequest) -> HttpResponse:
    return problem_response(
        414,
        "uri_too_long",
        f"The URL is longer than {settings.MAX_URL_BYTES} bytes; send long input in the body.",
        title="URI too long",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    page = _page_error(request, 500)
    if page is not None:
        return page
    return problem_response(500, "server_error", "An unexpected error occurred.")
