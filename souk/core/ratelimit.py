"""Sliding-window rate limits kept in Redis, shared by every web process.

One atomic Lua script per hit: drop entries older than the window, refuse if the newest entry
is within the cooldown or the window is full, else record the hit. Time comes from the caller
so limits follow the application clock.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django_redis import get_redis_connection

from souk.core.exceptions import RateLimited

_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cooldown = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if cooldown > 0 then
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] and now - tonumber(newest[2]) < cooldown then
    return tostring(tonumber(newest[2]) + cooldown - now)
  end
end
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, ARGV[5])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return '0'
"""


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window_seconds: float
    cooldown_seconds: float = 0


def limit_key(scope: str, identity: str) -> str:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"{settings.RATELIMIT_KEY_PREFIX}:{scope}:{digest}"


def limit_hit(rule: Limit, identity: str, *, now: float | None = None) -> None:
    """Record one hit for `identity`, or raise `RateLimited` with the seconds to wait."""
    connection = get_redis_connection("default")
    at = time.time() if now is None else now
    wait = connection.eval(
        _SCRIPT,
        1,
        limit_key(rule.scope, identity),
        repr(at),
        repr(rule.window_seconds),
        rule.limit,
        repr(rule.cooldown_seconds),
        f"{at!r}:{secrets.token_hex(4)}",
    )
    seconds = float(wait)
    if seconds > 0:
        raise RateLimited(seconds)


def limit_reset(rule: Limit, identity: str) -> None:
    get_redis_connection("default").delete(limit_key(rule.scope, identity))
