"""Password authentication by email or phone number."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from souk.accounts.identifiers import EMAIL, parse_target
from souk.accounts.models import User


class EmailOrPhoneBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        identifier: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        ident = identifier or username or kwargs.get(User.USERNAME_FIELD)
        if not ident or password is None:
            return None
        try:
            target = parse_target(ident)
        except ValidationError:
            target = None
        user = None
        if target is not None:
            lookup = {"email": target.value} if target.channel == EMAIL else {"phone": target.value}
            user = User.objects.filter(**lookup).first()
        if user is None:
            # Run the hasher anyway so that response time does not reveal unknown accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
