"""JWT authentication that also refuses tokens issued before a password change or reset."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from souk.accounts.services.tokens import GENERATION_CLAIM, token_is_current


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        user = super().get_user(validated_token)
        if not token_is_current(user=user, generation=validated_token.get(GENERATION_CLAIM)):
            raise AuthenticationFailed("This token has been revoked.", code="token_revoked")
        return user
