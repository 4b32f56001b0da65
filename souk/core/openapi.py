"""OpenAPI generation: every operation documents the problem-details errors it can answer.

Most error answers follow from the shape of the operation, so they are added here rather than
by hand on each view:

- a request body: 400 (invalid or unparsable), 413 (too large), 415 (wrong content type);
- query parameters: 400; a paginated list: 404 for a page past the end;
- a path parameter: 404;
- authentication accepted: 401 (missing or bad credentials); anything but `AllowAny`: 403;
- a throttle: 429 with `Retry-After`.

What depends on the business rules (409, 422, ...) is listed per operation in `_DOMAIN_ERRORS`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from souk.core.exceptions import PROBLEM_CONTENT_TYPE
from souk.core.serializers import ProblemSerializer

_DESCRIPTIONS = {
    "400": "Invalid input (`validation_error`, `parse_error`, or a more specific code).",
    "401": "Missing or invalid credentials (`not_authenticated`, `authentication_failed`).",
    "402": "The payment gateway refused the payment (`payment_failed`).",
    "403": "The caller may not perform this action (`permission_denied`).",
    "404": "No such object visible to the caller, or no such page (`not_found`).",
    "409": "The request conflicts with the current state (`insufficient_stock`, "
    "`invalid_transition`, `conflict`, `idempotency_in_progress`).",
    "413": "The request body is too large (`request_too_large`).",
    "415": "The request body's content type is not accepted (`unsupported_media_type`).",
    "422": "The `Idempotency-Key` was already used with another body (`idempotency_conflict`).",
    "429": "Too many requests (`throttled`); retry after `Retry-After` seconds.",
    "503": "A backing service or the payment gateway is unavailable (`service_unavailable`).",
}

# Error answers that come from business rules rather than from the operation's shape.
_DOMAIN_ERRORS: dict[str, tuple[str, ...]] = {
    "accounts_login_create": ("401",),
    "accounts_token_refresh_create": ("401",),
    "cart_items_create": ("409",),
    "cart_items_partial_update": ("409",),
    "categories_destroy": ("409",),
    "checkout_create": ("409",),
    "inventory_adjustments_create": ("409",),
    "orders_cancel_create": ("409",),
    "orders_create": ("409",),
    "orders_delivery_update": ("409",),
    "orders_status_create": ("409",),
    "payments_start_create": ("402", "404", "409", "503"),
    "payments_verify_retrieve": ("404", "503"),
    "payments_webhooks_paystack_create": ("401",),
    "products_reviews_create": ("409",),
    "products_variants_destroy": ("409",),
    "purchases_destroy": ("409",),
    "readyz_retrieve": ("503",),
    "shops_staff_destroy": ("409",),
}

# Operations that honour `Idempotency-Key`: 409 while the first is running, 422 for a reused key.
_IDEMPOTENT = {"checkout_create", "orders_create", "payments_start_create"}

_IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Makes retries safe: within 24 hours the same key and body replay the "
    "first response.",
}

_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before trying again.",
    }
}


def _may_be_blank(field: serializers.Field) -> bool:
    """Whether a read-only field of a model serializer shows a blank model field ("")."""
    if not field.read_only:
        return False
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:  # a property, say
        return False


class AutoSchema(SpectacularAutoSchema):
    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is None:
            return None
        codes = self._error_codes(operation)
        if operation["operationId"] in _IDEMPOTENT:
            operation.setdefault("parameters", []).append(dict(_IDEMPOTENCY_HEADER))
        responses: dict[str, Any] = operation["responses"]
        for code in sorted(codes):
            if code in responses:
                continue
            response = self._get_response_for_code(
                ProblemSerializer, code, [PROBLEM_CONTENT_TYPE], "response"
            )
            response["description"] = _DESCRIPTIONS[code]
            if code == "429":
                response["headers"] = dict(_RETRY_AFTER)
            responses[code] = response
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        if schema.get("format") == "email" and _may_be_blank(field):
            # A blank email is returned as "", which is no email address.
            del schema["format"]
            schema.setdefault("description", "An email address, or empty.")

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        # Views that parse their own query (no queryset) have no filter backends to describe.
        own_queryset = getattr(type(self.view), "get_queryset", None) not in (
            None,
            GenericAPIView.get_queryset,
        )
        if getattr(self.view, "queryset", None) is None and not own_queryset:
            return []
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        return parameters

    def _is_public(self) -> bool:
        permissions = self.view.get_permissions()
        return all(isinstance(permission, AllowAny) for permission in permissions)

    def _error_codes(self, operation: dict[str, Any]) -> set[str]:
        codes = set(_DOMAIN_ERRORS.get(operation["operationId"], ()))
        if operation["operationId"] in _IDEMPOTENT:
            codes |= {"409", "422"}
        if operation["operationId"].endswith("_restore_create"):
            codes.add("409")  # a live object has taken a unique name, slug or SKU since
        parameters = operation.get("parameters", [])
        located = {parameter["in"] for parameter in parameters}
        if "requestBody" in operation:
            codes |= {"400", "413", "415"}
        if "query" in located:
            codes.add("400")
        if "path" in located or any(p["name"] == "page" for p in parameters):
            codes.add("404")
        if any(requirement for requirement in operation.get("security", [])):
            codes.add("401")
        if not self._is_public():
            codes |= {"401", "403"}
        if getattr(self.view, "throttle_classes", None):
            codes.add("429")
        return codes
