"""Domain errors and the one exception handler that renders every error as RFC 9457 problem details.

Services raise `DomainError` subclasses (or Django's `ValidationError`); views never build error
responses themselves. Every 4xx/5xx body is `application/problem+json`:

    {"type": "about:blank", "title", "status", "detail", "code", "errors"?: {...}}
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from souk.core.renderers import JSONRenderer

logger = logging.getLogger("souk.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"


class DomainError(Exception):
    """A business rule said no. Subclasses set the HTTP status, stable code and title."""

    status_code: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    default_detail: str = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers) if headers else {}
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """A 400 whose `errors` need nesting that Django's ValidationError cannot carry (per list
    item, say)."""

    status_code = 400
    code = "validation_error"
    title = "Invalid input"
    default_detail = "Invalid input."


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"
    title = "Invalid transition"
    default_detail = "This action is not allowed in the object's current state."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    title = "Conflict"
    default_detail = "The request conflicts with the current state."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    title = "Not found"
    default_detail = "Not found."


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"
    title = "Permission denied"
    default_detail = "You do not have permission to perform this action."


class RateLimited(DomainError):
    status_code = 429
    code = "throttled"
    title = "Too many requests"
    default_detail = "Request was throttled."

    def __init__(self, retry_after: float, detail: str | None = None) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            detail or f"Request was throttled. Expected available in {seconds} seconds.",
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    title = "Service unavailable"
    default_detail = "A backing service is unavailable; try again shortly."


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status: int, code: str, detail: str, **kwargs: Any) -> HttpResponse:
    """A problem response for plain Django views and middleware (404/500 handlers, CSRF
    failures, URLs too long), rendered exactly as the API renders its own."""
    return HttpResponse(
        JSONRenderer().render(problem_body(status, code, detail, **kwargs)),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def read_only_refusal(request: HttpRequest) -> HttpResponse | None:
    """For a plain Django view that only reads: 405 problem for any method but GET and HEAD,
    else None."""
    if request.method in ("GET", "HEAD"):
        return None
    response = problem_response(
        405,
        "method_not_allowed",
        f'Method "{request.method}" not allowed.',
        title="Method not allowed",
    )
    response["Allow"] = "GET, HEAD"
    return response


# DRF exception class -> (stable code, title)
_DRF_CODES: list[tuple[type[drf.APIException], str, str]] = [
    (drf.ParseError, "parse_error", "Malformed request body"),
    (drf.ValidationError, "validation_error", "Invalid input"),
    (drf.NotAuthenticated, "not_authenticated", "Not authenticated"),
    (drf.AuthenticationFailed, "authentication_failed", "Authentication failed"),
    (drf.PermissionDenied, "permission_denied", "Permission denied"),
    (drf.NotFound, "not_found", "Not found"),
    (drf.MethodNotAllowed, "method_not_allowed", "Method not allowed"),
    (drf.NotAcceptable, "not_acceptable", "Not acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type"),
    (drf.Throttled, "throttled", "Too many requests"),
]


def _first_message(errors: Any, prefix: str = "") -> str | None:
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            # Errors of the object as a whole are named by the object's own path.
            inner = prefix if key in ("non_field_errors", "__all__") else f"{prefix}{key}."
            found = _first_message(value, inner)
            if found:
                return found
        return None
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, Mapping):
                found = _first_message(value, f"{prefix}{index}.")
            else:
                found = _first_message(value, prefix)
            if found:
                return found
        return None
    text = str(errors)
    field = prefix.rstrip(".")
    return f"{field}: {text}" if field else text


def _validation_problem(detail: Any) -> dict[str, Any]:
    errors = detail if isinstance(detail, Mapping) else {"non_field_errors": detail}
    errors = _plain(errors)
    summary = _first_message(errors) or "Invalid input."
    return problem_body(400, "validation_error", summary, title="Invalid input", errors=errors)


def _plain(value: Any) -> Any:
    """ErrorDetail/ReturnDict -> plain str/dict/list for JSON."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _api_exception_problem(exc: drf.APIException) -> dict[str, Any]:
    if isinstance(exc, drf.ValidationError):
        return _validation_problem(exc.detail)
    code, title = "error", None
    for klass, klass_code, klass_title in _DRF_CODES:
        if isinstance(exc, klass):
            code, title = klass_code, klass_title
            break
    else:
        code = str(getattr(exc, "default_code", "error"))
    detail = exc.detail
    if isinstance(detail, Mapping | list):
        text = _first_message(_plain(detail)) or str(exc.default_detail)
    else:
        text = str(detail)
    return problem_body(exc.status_code, code, text, title=title)


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF EXCEPTION_HANDLER: every exception becomes problem details; never a traceback."""
    headers: dict[str, str] = {}

    if isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        body = problem_body(
            413, "request_too_large", "The request body is too large.", title="Request too large"
        )
        return _respond(body, 413, headers)
    elif isinstance(exc, SuspiciousOperation):
        exc = drf.ParseError("The request was malformed.")

    if isinstance(exc, DomainError):
        body = problem_body(
            exc.status_code, exc.code, exc.detail, title=exc.title, errors=exc.errors
        )
        headers.update(exc.headers)
        status = exc.status_code
    elif isinstance(exc, drf.APIException):
        body = _api_exception_problem(exc)
        status = exc.status_code
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
    elif isinstance(exc, RedisConnectionError | RedisTimeoutError | OperationalError):
        if is_lock_timeout(exc):
            logger.warning("lock timeout: a row stayed locked past DB_LOCK_TIMEOUT_MS")
        else:
            logger.warning("backing service unavailable: %s", exc.__class__.__name__, exc_info=exc)
        status = 503
        body = problem_body(
            503,
            ServiceUnavailable.code,
            ServiceUnavailable.default_detail,
            title=ServiceUnavailable.title,
        )
        headers["Retry-After"] = "5"
    else:
        request = context.get("request")
        logger.error(
            "unhandled error on %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        status = 500
        body = problem_body(500, "server_error", "An unexpected error occurred.")

    set_rollback()
    return _respond(body, status, headers)


LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(exc: BaseException) -> bool:
    """PostgreSQL gave up waiting for a row lock (`lock_timeout`, see souk.core.locks)."""
    cause = exc.__cause__ if isinstance(exc, OperationalError) else exc
    return getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE


def set_rollback() -> None:
    """Roll back request-wide transactions after an error (as DRF's own handler does)."""
    for connection in connections.all(initialized_only=True):
        if connection.settings_dict.get("ATOMIC_REQUESTS") and connection.in_atomic_block:
            connection.set_rollback(True)


def _respond(body: dict[str, Any], status: int, headers: Mapping[str, str]) -> Response:
    response = Response(body, status=status, headers=dict(headers))
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
