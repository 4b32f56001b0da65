"""Accounts: registration, password login, profile changes, role change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from souk.accounts.identifiers import normalize_email, normalize_phone
from souk.accounts.models import User
from souk.accounts.services.auth_state import auth_state_changed
from souk.accounts.services.tokens import AuthenticationFailed, tokens_revoke_all
from souk.core.exceptions import PermissionDeniedError
from souk.core.services import model_update

SELF_SERVICE_ROLES = (User.Role.CUSTOMER, User.Role.ARTISAN)
PROFILE_FIELDS = ("email", "phone", "first_name", "last_name")


def _clean_email(email: str, *, exclude: User | None = None) -> str:
    try:
        value = normalize_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    taken = User.objects.filter(email=value)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"email": ["A user with this email already exists."]})
    return value


def _clean_phone(phone: str | None, *, exclude: User | None = None) -> str | None:
    if not phone:
        return None
    try:
        value = normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    taken = User.objects.filter(phone=value)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"phone": ["A user with this phone number already exists."]})
    return value


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _unique_violation(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "phone" in text:
        return ValidationError({"phone": ["A user with this phone number already exists."]})
    return ValidationError({"email": ["A user with this email already exists."]})


def user_register(
    *,
    email: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    phone: str | None = None,
) -> User:
    """Create a customer or artisan account. Nothing else can be chosen here: staff and
    superuser flags are never set by registration."""
    if role not in SELF_SERVICE_ROLES:
        raise ValidationError({"role": ["Choose customer or artisan."]})
    user = User(
        email=_clean_email(email),
        phone=_clean_phone(phone),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        is_staff=False,
        is_superuser=False,
    )
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise _unique_violation(exc) from exc
    return user


def user_login(*, request: HttpRequest | None, identifier: str, password: str) -> User:
    user = authenticate(request, identifier=identifier, password=password)
    if user is None:
        raise AuthenticationFailed("No active account matches these credentials.")
    update_last_login(User, user)
    return user


def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change profile fields. A new email or phone is unverified until proven again."""
    values: dict[str, Any] = {}
    if "email" in data:
        email = _clean_email(data["email"], exclude=user)
        if email != user.email:
            values |= {"email": email, "is_email_verified": False}
    if "phone" in data:
        phone = _clean_phone(data["phone"], exclude=user)
        if phone != user.phone:
            values |= {"phone": phone, "is_phone_verified": False}
    for field in ("first_name", "last_name"):
        if field in data:
            values[field] = data[field].strip()
    fields = [*PROFILE_FIELDS, "is_email_verified", "is_phone_verified"]
    try:
        with transaction.atomic():
            model_update(instance=user, fields=fields, data=values)
    except IntegrityError as exc:
        raise _unique_violation(exc) from exc
    return user


def user_password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Change the password; every session (refresh and access token) is signed out."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is incorrect."]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        tokens_revoke_all(user=user)


def user_set_password(*, user: User, new_password: str) -> None:
    """Set a new password after proof of identity (reset); signs out every session."""
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)


def user_become_artisan(*, user: User) -> User:
    """A customer turns into an artisan (may then open shops). Repeating it changes nothing."""
    if user.role == User.Role.ARTISAN:
        return user
    if user.role != User.Role.CUSTOMER:
        raise PermissionDeniedError("Only customer accounts can become artisans.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk, role=User.Role.CUSTOMER).update(role=User.Role.ARTISAN)
        auth_state_changed(user_ids=[user.pk])  # an update() sends no post_save
    user.refresh_from_db(fields=["role"])
    return user
