"""Serializer building blocks shared by every app."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number (no NaN or infinity)."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class LatLngSerializer(serializers.Serializer):
    lat = FiniteFloatField(min_value=-90, max_value=90)
    lng = FiniteFloatField(min_value=-180, max_value=180)


@extend_schema_field(LatLngSerializer)
class LocationField(serializers.Field):
    """A geography point as `{"lat": .., "lng": ..}` (WGS 84)."""

    default_error_messages = {
        "invalid": 'Expected an object {{"lat": number, "lng": number}}.',
    }

    def to_internal_value(self, data: Any) -> Point:
        if not isinstance(data, dict):
            self.fail("invalid")
        inner = LatLngSerializer(data=data)
        if not inner.is_valid():
            raise serializers.ValidationError(inner.errors)
        values = inner.validated_data
        return Point(values["lng"], values["lat"], srid=4326)

    def to_representation(self, value: Point) -> dict[str, float]:
        return {"lat": round(value.y, 6), "lng": round(value.x, 6)}


class RefSerializer(serializers.Serializer):
    """A reference to another object: its id and display name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ProblemDetails")
class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error response is shaped."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow `.errors`.
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False,
        child=serializers.JSONField(),
        help_text="Field -> list of messages (nested for list items).",
    )


class MoneyField(serializers.DecimalField):
    """Money as a decimal string with 2 places."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


BIGINT_MAX = 2**63 - 1


class PrimaryKeyOnlyField(serializers.PrimaryKeyRelatedField):
    """A primary key of the queryset's model, checked here for its type only (the same
    `incorrect_type` error as `PrimaryKeyRelatedField`): whether the object exists is checked
    by the service that uses it, in the query that needs it anyway, with the field's
    `does_not_exist` message (`does_not_exist_message`). The validated value is the key."""

    def to_internal_value(self, data: Any) -> Any:
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        try:
            if isinstance(data, bool):
                raise TypeError
            queryset = self.get_queryset()
            if queryset is None:  # a read-only field is never validated
                raise TypeError
            value = queryset.model._meta.pk.to_python(data)
        except (TypeError, ValueError, DjangoValidationError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(value, int) and not 0 < value <= BIGINT_MAX:
            self.fail("does_not_exist", pk_value=data)
        return value


def does_not_exist_message(pk_value: Any) -> str:
    """`PrimaryKeyRelatedField`'s message for a key with no object."""
    message = serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
    return str(message).format(pk_value=pk_value)
