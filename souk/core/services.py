"""Writes shared by every app's services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

_M = TypeVar("_M", bound=models.Model)


def model_update(
    *, instance: _M, fields: Iterable[str], data: Mapping[str, Any]
) -> tuple[_M, bool]:
    """Set each of `fields` found in `data` whose value differs from the instance's, and save
    only those (plus `updated_at` where the model has one). Returns the instance and whether
    anything changed; an unchanged instance is not written.

    The caller owns the transaction, the row lock and any validation; `data` holds clean
    values.
    """
    changed: list[str] = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if not changed:
        return instance, False
    if any(field.name == "updated_at" for field in instance._meta.concrete_fields):
        changed.append("updated_at")
    instance.save(update_fields=changed)
    return instance, True
