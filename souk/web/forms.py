"""Form input for the pages, validated by the API's own serializers (one copy of each rule):
a serializer's errors and a service's ValidationError both become `{field: [messages]}` that
the templates show beside each field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

Errors = dict[str, list[str]]

NON_FIELD = "form"


def _messages(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [text for item in value for text in _messages(item)]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _messages(item)]
    return [str(value)]


def validate(
    serializer_class: type[serializers.Serializer], data: Mapping[str, Any], **kwargs: Any
) -> tuple[dict[str, Any], Errors]:
    """(validated data, {}) or ({}, errors by field)."""
    serializer = serializer_class(data=data, **kwargs)
    if serializer.is_valid():
        return dict(serializer.validated_data), {}
    errors = {
        (NON_FIELD if field == "non_field_errors" else field): _messages(value)
        for field, value in serializer.errors.items()
    }
    return {}, errors


def service_errors(exc: ValidationError) -> Errors:
    """A service's ValidationError as errors by field."""
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): _messages(messages)
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def posted(request_post: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    """The named fields of a form post, as plain strings (absent ones left out)."""
    return {name: request_post[name] for name in fields if name in request_post}
