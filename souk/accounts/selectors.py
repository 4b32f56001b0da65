"""Reads for accounts, always scoped to the caller."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.accounts.models import Address, User


def address_list(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "-id")


def address_get(*, user: User, address_id: int) -> Address | None:
    return address_list(user=user).filter(pk=address_id).first()
