"""JWT authentication that reads no database row and refuses tokens issued before a password
change or reset.

The user is built from the per-user auth state in the cache
(`souk.accounts.services.auth_state`); only a cache miss or an unreachable cache reads the
row.

A client sends the same access token with many requests: each process keeps the tokens it
has verified (`VerifiedTokens`, keyed by the whole token, signature included) until they
expire, so the signature and claims are checked once per token, not once per request.
Revocation is unaffected: it is the user's token generation, read on every request."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from souk.accounts.services.auth_state import auth_user_get
from souk.accounts.services.tokens import GENERATION_CLAIM, token_is_current


class VerifiedTokens:
    """Access tokens this process has verified, by their raw bytes, until their `exp` (at
    most `size` of them; the oldest are forgotten first)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._tokens: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw: bytes) -> Any:
        token = self._tokens.get(raw)
        if token is None:
            return None
        expires = token.payload.get("exp")
        if not isinstance(expires, int | float) or expires <= time.time():
            with self._lock:
                self._tokens.pop(raw, None)
            return None
        return token

    def add(self, raw: bytes, token: Any) -> None:
        with self._lock:
            self._tokens[raw] = token
            while len(self._tokens) > self.size:
                self._tokens.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


verified_tokens = VerifiedTokens()


# The header's schemes, in lower case: a scheme is case-insensitive (RFC 9110, 11.1).
_SCHEMES = {scheme.lower() for scheme in authentication.AUTH_HEADER_TYPE_BYTES}


class JWTAuthentication(authentication.JWTAuthentication):
    def get_raw_token(self, header: bytes) -> Any:
        """As simplejwt's, with the scheme matched in any case: `bearer <token>` is a token
        request (answered or refused by the token), never one the session authenticates."""
        parts = header.split()
        if not parts or parts[0].lower() not in _SCHEMES:
            return None  # another scheme (or none): for the other authenticators
        if len(parts) != 2:
            raise AuthenticationFailed(
                "Authorization header must contain two space-delimited values",
                code="bad_authorization_header",
            )
        return parts[1]

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = verified_tokens.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            verified_tokens.add(raw_token, token)
        return token

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
