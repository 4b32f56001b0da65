"""Throttles backed by the shared Redis cache (every web process sees the same counters)."""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class ClientIPThrottle(SimpleRateThrottle):
    """Counts requests per client address, whether or not the caller is signed in.
    Subclasses set `scope` to a key of DEFAULT_THROTTLE_RATES."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BodyFieldThrottle(SimpleRateThrottle):
    """Counts requests per value of one body field (e.g. the account being signed in to)."""

    field = ""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        value = data.get(self.field) if isinstance(data, dict) else None
        if not isinstance(value, str) or not value.strip():
            return None
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}
