"""The health check of a reused connection (CONN_HEALTH_CHECKS, souk.core.backend): no round
trip for a healthy connection, and a connection the server ended is found unusable and
replaced before the request's first statement."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections

# These reach the PostgreSQL server's own session (its pid, pg_terminate_backend): behind a
# transaction pooler the connection's far end is the pooler (scripts/pgbouncer-check.sh leaves
# them out, as it leaves out the browser tests; `make test` runs them).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("threads"),
    pytest.mark.server_session,
]


@pytest.fixture
def other() -> Iterator[object]:
    """A second connection to the test database, as a worker thread would hold one."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _backend(pid: int) -> tuple[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query, state_change FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0], row[1]


def test_a_healthy_connection_is_checked_without_a_statement(other):
    pid = other.connection.info.backend_pid
    with other.cursor() as cursor:
        cursor.execute("SELECT 'last one'")
    before = _backend(pid)

    assert other.is_usable()
    assert other.is_usable()

    assert _backend(pid) == before  # nothing was sent: the same last query, at the same time


def test_a_connection_idle_for_long_is_checked_with_a_round_trip(other):
    """A peer that vanished without closing leaves nothing to read: after a while idle, the
    check asks the server."""
    pid = other.connection.info.backend_pid
    other._checked_at = time.monotonic() - 60  # as if idle for a minute

    assert other.is_usable()

    assert _backend(pid)[0] == "SELECT 1"
    before = _backend(pid)
    assert other.is_usable()  # checked just now: no round trip again
    assert _backend(pid) == before


def test_a_connection_on_a_descriptor_beyond_1023_is_checked_like_any(other):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2048 if hard == resource.RLIM_INFINITY else min(2048, hard)
    assert wanted > 1100, "the test needs more than 1,100 open files"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    wrapper = connections.create_connection("default")
    try:
        wrapper.ensure_connection()
        assert wrapper.connection.pgconn.socket >= 1024
        assert wrapper.is_usable()  # select() would have refused the descriptor
    finally:
        wrapper.close()
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_connection_the_server_ended_is_unusable_and_replaced(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while other.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not other.is_usable()

    # As at the start of a request: the check closes it, the first statement opens another.
    other.health_check_enabled = True
    other.health_check_done = False
    other.close_if_health_check_failed()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_in_a_failed_transaction_is_unusable(other):
    other.connection.autocommit = False
    with other.connection.cursor() as cursor, pytest.raises(Exception, match="division by zero"):
        cursor.execute("SELECT 1 / 0")
    assert not other.is_usable()
    other.connection.rollback()
    assert other.is_usable()


def test_a_closed_connection_is_unusable(other):
    other.connection.close()
    assert not other.is_usable()
