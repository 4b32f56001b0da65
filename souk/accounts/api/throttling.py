from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from souk.accounts.identifiers import identity_key
from souk.core.throttling import ClientIPThrottle


class LoginThrottle(ClientIPThrottle):
    scope = "login"


class LoginIdentifierThrottle(SimpleRateThrottle):
    """Counts sign-in attempts per account, keyed on the normalised identity, so that
    `+49 151 12345678`, `+4915112345678`, full-width digits or another letter case of an email
    address all draw from one budget."""

    scope = "login_identifier"
    field = "identifier"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        value = data.get(self.field) if isinstance(data, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            return None
        key = identity_key(value)
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class OtpThrottle(ClientIPThrottle):
    scope = "otp"


class RegisterThrottle(ClientIPThrottle):
    scope = "register"
