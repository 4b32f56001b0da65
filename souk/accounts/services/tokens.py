"""JWT pairs: issue, rotate (refresh), revoke one, revoke all of a user's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from souk.accounts.locks import outstanding_token_lock
from souk.accounts.models import User
from souk.accounts.services.auth_state import auth_state_changed
from souk.core.exceptions import DomainError


class AuthenticationFailed(DomainError):
    status_code = 401
    code = "authentication_failed"
    title = "Authentication failed"
    default_detail = "Incorrect authentication credentials."


class InvalidRefreshToken(AuthenticationFailed):
    default_detail = "The refresh token is invalid, expired or revoked."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


GENERATION_CLAIM = "gen"


def token_is_current(*, user: Any, generation: Any) -> bool:
    """False when the token predates the user's last password change or reset."""
    return bool(generation == getattr(user, "token_generation", 0))


def tokens_issue(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    refresh[GENERATION_CLAIM] = user.token_generation  # copied into the access token
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _load_refresh(raw: str) -> RefreshToken:
    try:
        # Checks signature, expiry, type and the blacklist (the stubs type the argument as Token).
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidRefreshToken() from exc


def tokens_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the presented one is blacklisted, a new pair is issued.

    The outstanding-token row is locked so that two concurrent uses of one refresh token
    cannot both succeed.
    """
    token = _load_refresh(refresh)
    user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
    if user_id is None:
        raise InvalidRefreshToken()
    with transaction.atomic():
        outstanding = outstanding_token_lock(jti=token.payload.get("jti"))
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidRefreshToken()
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or not token_is_current(
            user=user, generation=token.payload.get(GENERATION_CLAIM)
        ):
            raise InvalidRefreshToken()
        BlacklistedToken.objects.create(token=outstanding)
        return tokens_issue(user=user)


def token_revoke(*, user: User, refresh: str) -> None:
    """Log out: the given refresh token (which must be the caller's) stops working."""
    token = _load_refresh(refresh)
    if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidRefreshToken("This refresh token does not belong to you.")
    with transaction.atomic():
        outstanding = outstanding_token_lock(jti=token.payload.get("jti"))
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)


def tokens_revoke_all(*, user: User) -> None:
    """Sign the user out everywhere: every refresh token is blacklisted and every access
    token issued until now is refused."""
    with transaction.atomic():
        pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in pending], ignore_conflicts=True
        )
        User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
        auth_state_changed(user_ids=[user.pk])  # an update() sends no post_save
        user.refresh_from_db(fields=["token_generation"])
