"""Normalising the ways a person is addressed: email addresses and phone numbers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

EMAIL = "email"
SMS = "sms"


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    validate_email(email)
    return email


def normalize_phone(value: str) -> str:
    """Return the number in E.164 (`+4915112345678`) or raise ValidationError."""
    raw = value.strip()
    region = None if raw.startswith("+") else settings.PHONE_DEFAULT_REGION
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "Enter a valid phone number in international format, e.g. +14155550123.",
            code="invalid_phone",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This phone number is not valid.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class Target:
    channel: str  # EMAIL or SMS
    value: str  # normalised


def parse_target(value: str) -> Target:
    """An email address or a phone number, normalised."""
    text = (value or "").strip()
    if "@" in text:
        return Target(EMAIL, normalize_email(text))
    return Target(SMS, normalize_phone(text))


# Characters people put between the digits of a phone number (or around an identifier).
_SEPARATORS = frozenset(" \t\r\n()-./\u00a0")


def identity_key(value: str) -> str:
    """One spelling for every way of writing the same identity: an email address in any case,
    a phone number with any spacing, punctuation or full-width digits. A value that is not a
    valid email address or phone number is folded the same way (Unicode compatibility forms,
    case, separators), so that respelling it gives no fresh identity either."""
    raw = value or ""
    folded = unicodedata.normalize("NFKC", raw).strip()
    for candidate in (raw, folded):
        try:
            return parse_target(candidate).value
        except ValidationError:
            continue
    return "".join(char for char in folded.casefold() if char not in _SEPARATORS)


def is_country_code(value: str) -> bool:
    return value in phonenumbers.SUPPORTED_REGIONS
