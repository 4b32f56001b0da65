"""Turning the services' refusals into text a shopper reads (no rule of its own)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DRFValidationError

from souk.core.exceptions import DomainError
from souk.inventory.services.stock import InsufficientStock


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [text for value in detail for text in _flatten(value)]
    return [str(detail)]


def field_errors(exc: DRFValidationError | DjangoValidationError) -> dict[str, list[str]]:
    """A rejected input's messages by field (nested fields joined as `address.city`)."""
    detail: Any = exc.detail if isinstance(exc, DRFValidationError) else None
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    if not isinstance(detail, dict):
        return {"__all__": _flatten(detail)}
    errors: dict[str, list[str]] = {}
    for key, value in detail.items():
        if isinstance(value, dict):
            for sub, texts in field_errors(DRFValidationError(value)).items():
                errors[f"{key}.{sub}"] = texts
        else:
            errors[str(key)] = _flatten(value)
    return errors


def shortage_text(exc: InsufficientStock, names: dict[int, str]) -> str:
    """'Not enough stock: Mug (2 left, 5 wanted), ...' naming each short line."""
    parts = []
    for short in exc.shortages:
        name = names.get(short.get("variant", 0), _("an item"))
        parts.append(
            _("%(name)s (%(available)s left, %(requested)s wanted)")
            % {"name": name, "available": short["available"], "requested": short["requested"]}
        )
    return _("Not enough stock: %(lines)s.") % {"lines": ", ".join(parts)}


def error_text(exc: Exception) -> str:
    """One sentence for any refusal a service or serializer raises."""
    if isinstance(exc, DRFValidationError | DjangoValidationError):
        return " ".join(text for texts in field_errors(exc).values() for text in texts)
    if isinstance(exc, DomainError):
        return str(exc.detail)
    return _("That could not be done.")
