"""JWT authentication that reads no database row and refuses tokens issued before a password
change or reset.

The user is built from the per-user auth state in the cache
(`souk.accounts.services.auth_state`); only a cache miss or an unreachable cache reads the
row."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from souk.accounts.services.auth_state import auth_user_get
from souk.accounts.services.tokens import GENERATION_CLAIM, token_is_current


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        try:
            user_id = int(validated_token[jwt_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = auth_user_get(user_id=user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if not token_is_current(user=user, generation=validated_token.get(GENERATION_CLAIM)):
            raise AuthenticationFailed("This token has been revoked.", code="token_revoked")
        return user
