"""Turning the services' and serializers' refusals into form errors on the studio's pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from souk.core.exceptions import DomainError

NON_FIELD = "general"


def _flat(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _flat(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _flat(item)]
    return [str(value)]


def errors_of(error: Any) -> dict[str, Any]:
    """{field: [messages]} (nested lists stay nested) of a serializer's `errors`, a Django
    ValidationError or a domain error; messages without a field go under `general`."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {key: list(value) for key, value in error.message_dict.items()}
        return {NON_FIELD: list(error.messages)}
    if isinstance(error, DomainError):
        found: dict[str, Any] = dict(error.errors or {})
        found.setdefault(NON_FIELD, [str(error.detail)])
        return found
    if isinstance(error, dict):
        return {
            (NON_FIELD if key == "non_field_errors" else key): value for key, value in error.items()
        }
    return {NON_FIELD: _flat(error)}


def per_item(errors: Any, count: int) -> list[dict[str, Any]] | None:
    """A list field's errors, one dict per item (DRF gives a list, or a dict by index), or
    None when they are not about single items."""
    if isinstance(errors, dict) and all(isinstance(key, int) for key in errors):
        return [errors_of(errors.get(index) or {}) for index in range(count)]
    if (
        isinstance(errors, list)
        and len(errors) == count
        and all(isinstance(item, dict) for item in errors)
    ):
        return [errors_of(item) for item in errors]
    return None


def parse_attributes(text: str) -> dict[str, str]:
    """`key: value` pairs, one a line or separated by `;`, as a dict (blank parts skipped).
    A part without a colon keeps its text as the key and an empty value, which the
    serializers' attribute rules then judge."""
    pairs: dict[str, str] = {}
    for part in text.replace(";", "\n").splitlines():
        if not part.strip():
            continue
        key, _, value = part.partition(":")
        pairs[key.strip()] = value.strip()
    return pairs


def format_attributes(attributes: dict[str, Any] | None, separator: str = "\n") -> str:
    return separator.join(f"{key}: {value}" for key, value in (attributes or {}).items())
