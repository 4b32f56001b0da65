"""The signed-in user of a request, typed (views behind IsAuthenticated only)."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from souk.accounts.models import User


def request_user(request: Request) -> User:
    return cast(User, request.user)
