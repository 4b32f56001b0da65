"""Heavy reads on a streaming replica, everything else on the primary.

A view opts in with `@replica_reads` (or a block with `on_replica()`): the ORM's reads inside
it go to the `replica` database (`DATABASE_REPLICA_URL`), unless

- no replica is configured (`DATABASE_REPLICA_ALIAS` is None): nothing changes;
- the request has written (read your writes): `db_for_write` marks the request, and every
  later read of it goes to the primary;
- the client wrote less than `DATABASE_REPLICA_STICKY_SECONDS` ago: the middleware keeps a
  signed cookie for that long after a request that wrote, so the next pages see the write;
- the primary connection is inside a transaction (`atomic`): reads stay beside the writes;
- the replica is down or replays more than `DATABASE_REPLICA_MAX_LAG_SECONDS` behind: checked
  at most every `DATABASE_REPLICA_CHECK_SECONDS` per process, never once per request.

A replica that fails in the middle of a decorated view (a connection error) is marked down
and the view runs again on the primary, so the client sees no error. Writes always go to the
primary, and migrations run only there.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core import signing
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connections,
    router,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Per request (each gunicorn thread runs one request at a time in its own context).
_replica_allowed: ContextVar[bool] = ContextVar("souk_replica_allowed", default=False)
_replica_used: ContextVar[bool] = ContextVar("souk_replica_used", default=False)
_wrote: ContextVar[bool] = ContextVar("souk_db_wrote", default=False)
_sticky: ContextVar[bool] = ContextVar("souk_db_sticky", default=False)

STICKY_COOKIE = "souk_primary"
_STICKY_SALT = "souk.core.db_router.sticky"

# How far the replica is: a server not in recovery (a promoted replica, a test mirror) is not
# behind; one that has replayed up to the primary's current WAL position is not behind
# whatever the age of its last transaction (an idle primary is not lag); otherwise it is
# behind by the age of the last transaction it replayed (unknown, so too far, when it has
# replayed none since it started).
REPLICA_STATE_SQL = """
SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
"""
PRIMARY_REACHED_SQL = "SELECT %s::pg_lsn >= pg_current_wal_lsn()"
UNKNOWN_LAG = float("inf")


class _Health:
    """The replica's last known state in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.healthy = False

    def reset(self) -> None:
        with self.lock:
            self.checked_at = float("-inf")
            self.healthy = False


_health = _Health()


def replica_lag_seconds(alias: str) -> float:
    """Seconds the database behind `alias` replays behind the primary: a query on it, and,
    when it is a standby, one on the primary."""
    with connections[alias].cursor() as cursor:
        cursor.execute(REPLICA_STATE_SQL)
        in_recovery, replayed, age = cursor.fetchone()
    if not in_recovery:
        return 0.0
    if replayed is None:
        return UNKNOWN_LAG
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(PRIMARY_REACHED_SQL, [replayed])
        (caught_up,) = cursor.fetchone()
    if caught_up:
        return 0.0
    return UNKNOWN_LAG if age is None else max(0.0, float(age))


def _close_quietly(alias: str) -> None:
    try:
        connections[alias].close()
    except DatabaseError:
        logger.debug("closing the replica connection failed", exc_info=True)


def _check(alias: str) -> bool:
    try:
        lag = replica_lag_seconds(alias)
    except DatabaseError as exc:
        _close_quietly(alias)
        if _health.healthy:
            logger.warning("read replica unreachable, reading from the primary: %s", exc)
        return False
    healthy = lag <= float(settings.DATABASE_REPLICA_MAX_LAG_SECONDS)
    if healthy != _health.healthy:
        if healthy:
            logger.info("read replica in use (%.1f s behind)", lag)
        else:
            logger.warning("read replica %.1f s behind, reading from the primary", lag)
    return healthy


def replica_healthy(alias: str) -> bool:
    """Whether reads may go to the replica: re-checked at most every
    DATABASE_REPLICA_CHECK_SECONDS in this process; while one thread checks, the others go
    by the last answer (the primary before the first one)."""
    now = time.monotonic()
    if now - _health.checked_at < settings.DATABASE_REPLICA_CHECK_SECONDS:
        return _health.healthy
    if not _health.lock.acquire(blocking=False):
        return _health.healthy
    try:
        _health.healthy = _check(alias)
        _health.checked_at = time.monotonic()
    finally:
        _health.lock.release()
    return _health.healthy


def replica_failed(alias: str) -> None:
    """The replica failed a query: read from the primary until the next check."""
    _close_quietly(alias)
    with _health.lock:
        _health.healthy = False
        _health.checked_at = time.monotonic()


def replica_health_reset() -> None:
    """Forget the last check (the next read checks again)."""
    _health.reset()


def _read_alias() -> str | None:
    """The alias for a read inside a replica block, or None for the default."""
    alias: str | None = settings.DATABASE_REPLICA_ALIAS
    if alias is None or _wrote.get() or _sticky.get():
        return None
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    if not replica_healthy(alias):
        return None
    _replica_used.set(True)
    return alias


@contextmanager
def on_replica() -> Iterator[None]:
    """Reads in this block may go to the replica (see the module's rules)."""
    allowed = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(allowed)


@contextmanager
def on_primary() -> Iterator[None]:
    """Reads in this block go to the primary, even inside a replica block (a figure that
    must include a change committed a moment ago)."""
    allowed = _replica_allowed.set(False)
    try:
        yield
    finally:
        _replica_allowed.reset(allowed)


def replica_window_seconds() -> float:
    """How far behind a read on the replica may be: its lag bound, plus the time until the
    next check can notice it was passed."""
    return float(settings.DATABASE_REPLICA_MAX_LAG_SECONDS) + float(
        settings.DATABASE_REPLICA_CHECK_SECONDS
    )


def replica_reads(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` with its reads on the replica; if the replica fails during it (and it
    wrote nothing), mark the replica down and run it again on the primary."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        used = _replica_used.set(False)
        try:
            with on_replica():
                return func(*args, **kwargs)
        # A replica that has not replayed a migration yet (still within the lag bound) knows no
        # new table or column: a ProgrammingError there is a replica failure too.
        except (OperationalError, InterfaceError, ProgrammingError):
            alias: str | None = settings.DATABASE_REPLICA_ALIAS
            if alias is None or not _replica_used.get() or _wrote.get():
                raise
            logger.warning("read replica failed during a request; reading from the primary")
            replica_failed(alias)
        finally:
            _replica_used.reset(used)
        return func(*args, **kwargs)

    return wrapper


def read_connection(model: type[Any]) -> BaseDatabaseWrapper:
    """The connection the router picks for reading `model`: for raw SQL that should follow
    the same rules as the ORM's reads."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    """DATABASE_ROUTERS entry: see the module's docstring."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not _replica_allowed.get():
            return None
        return _read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        if not _wrote.get():
            _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


@contextmanager
def request_scope(*, sticky: bool = False) -> Iterator[None]:
    """One request's routing state: nothing written yet; `sticky` keeps reads on the primary."""
    wrote = _wrote.set(False)
    stuck = _sticky.set(sticky)
    try:
        yield
    finally:
        _sticky.reset(stuck)
        _wrote.reset(wrote)


def wrote_in_scope() -> bool:
    return _wrote.get()


class ReplicaRoutingMiddleware:
    """Starts each request with nothing written; with a replica configured, a request that
    wrote sets a signed cookie that keeps the client's reads on the primary for
    DATABASE_REPLICA_STICKY_SECONDS. Without a replica it does nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DATABASE_REPLICA_ALIAS is None:
            return self.get_response(request)
        seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
        sticky = False
        if seconds > 0 and STICKY_COOKIE in request.COOKIES:
            try:
                request.get_signed_cookie(STICKY_COOKIE, salt=_STICKY_SALT, max_age=seconds)
                sticky = True
            except (KeyError, signing.BadSignature):
                sticky = False
        with request_scope(sticky=sticky):
            response = self.get_response(request)
            if seconds > 0 and wrote_in_scope():
                response.set_signed_cookie(
                    STICKY_COOKIE,
                    "1",
                    salt=_STICKY_SALT,
                    max_age=seconds,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
        return response
