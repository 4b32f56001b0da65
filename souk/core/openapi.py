"""OpenAPI generation: every operation documents the problem-details errors it can answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny

from souk.core.exceptions import PROBLEM_CONTENT_TYPE
from souk.core.serializers import ProblemSerializer

_DESCRIPTIONS = {
    "400": "Invalid input (`validation_error`, `parse_error`).",
    "401": "Missing or invalid credentials (`not_authenticated`, `authentication_failed`).",
    "403": "The caller may not perform this action (`permission_denied`).",
    "404": "No such object visible to the caller (`not_found`).",
    "429": "Too many requests (`throttled`); see `Retry-After`.",
}


class AutoSchema(SpectacularAutoSchema):
    def _is_public(self) -> bool:
        permissions = self.view.get_permissions()
        return all(isinstance(permission, AllowAny) for permission in permissions)

    def _error_codes(self) -> list[str]:
        codes: list[str] = []
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters():
            codes.append("400")
        if not self._is_public():
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue
            response = self._get_response_for_code(
                ProblemSerializer, code, [PROBLEM_CONTENT_TYPE], direction
            )
            response["description"] = _DESCRIPTIONS[code]
            responses[code] = response
        return responses
