"""The address book: a user with addresses always has exactly one default."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from souk.accounts.identifiers import is_country_code, normalize_phone
from souk.accounts.locks import address_book_lock
from souk.accounts.models import Address, User
from souk.core.services import model_update

ADDRESS_FIELDS = (*Address.TEXT_FIELDS, "location")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data[key] for key in ADDRESS_FIELDS if key in data}
    if "country" in values:
        country = str(values["country"]).strip().upper()
        if not is_country_code(country):
            raise ValidationError({"country": ["Use an ISO 3166-1 alpha-2 code such as 'US'."]})
        values["country"] = country
    if values.get("phone"):
        try:
            values["phone"] = normalize_phone(values["phone"])
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    return values


def _lock_book(user: User) -> None:
    """Serialise changes to one user's address book (the default flag moves between rows)."""
    address_book_lock(user_id=user.pk)


def address_create(*, user: User, data: dict[str, Any]) -> Address:
    values = _clean(data)
    with transaction.atomic():
        _lock_book(user)
        has_default = Address.objects.filter(user=user, is_default=True).exists()
        make_default = bool(data.get("is_default")) or not has_default
        if make_default and has_default:
            Address.objects.filter(user=user, is_default=True).update(is_default=False)
        return Address.objects.create(user=user, is_default=make_default, **values)


def address_update(*, address: Address, data: dict[str, Any]) -> Address:
    values = _clean(data)
    with transaction.atomic():
        _lock_book(address.user)
        address.refresh_from_db()
        if "is_default" in data:
            wants_default = bool(data["is_default"])
            if wants_default and not address.is_default:
                Address.objects.filter(user_id=address.user_id, is_default=True).update(
                    is_default=False
                )
                values["is_default"] = True
            elif not wants_default and address.is_default:
                raise ValidationError(
                    {
                        "is_default": [
                            "One address is always the default; "
                            "make another address the default instead."
                        ]
                    }
                )
        model_update(instance=address, fields=[*ADDRESS_FIELDS, "is_default"], data=values)
        return address


def address_delete(*, address: Address) -> None:
    """Delete an address; if it was the default, the newest remaining one takes over."""
    with transaction.atomic():
        _lock_book(address.user)
        was_default = address.is_default
        user_id = address.user_id
        address.delete()
        if was_default:
            successor = (
                Address.objects.filter(user_id=user_id).order_by("-created_at", "-id").first()
            )
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
