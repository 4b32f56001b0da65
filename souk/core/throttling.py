"""Throttles backed by the shared Redis cache (every web process sees the same counters)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class ClientIPThrottle(SimpleRateThrottle):
    """Counts requests per client address, whether or not the caller is signed in.
    Subclasses set `scope` to a key of DEFAULT_THROTTLE_RATES."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
