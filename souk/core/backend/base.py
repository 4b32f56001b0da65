"""Django's PostGIS backend, with bulk batches that fit in one statement's parameters, and
rollbacks that keep the connection's prepared statements.

Parameters are sent apart from the statement (server-side binding, config.settings.base), and
PostgreSQL's protocol carries at most 65,535 of them per statement. Django's PostgreSQL backend
puts every object of a `bulk_create` or `bulk_update` into one statement, which is only safe
while parameters are quoted into the text on the client: 5,000 shops of 13 columns failed with
"number of parameters must be between 0 and 65535". Here a batch holds as many objects as fit.

psycopg prepares a statement on the server once it has run `prepare_threshold` times on a
connection (config.settings.base), and on every rollback it deallocates all of them (DEALLOCATE
ALL) and starts counting again. PostgreSQL keeps prepared
statements through a rollback (they belong to the session, not the transaction) and replans
them itself when a table they use changes, so the purchase path, where a refused order (not
enough stock) is a rollback, lost its prepared statements on every refusal: half of its
statements were planned afresh in the orders benchmark. Here a rollback is only a rollback,
unless a database error came first (a statement may have gone stale: then psycopg's rollback).
(A savepoint rolled back still clears them, as psycopg reads the statement's result; the
purchase path takes no savepoints.)
Behind a transaction pooler nothing is prepared, and psycopg's own rollback runs.

Django's health check (CONN_HEALTH_CHECKS) sends `SELECT 1` before the first statement of every
request that reuses a connection: a round trip per request, uncounted by the statement tests,
which the wall-clock profile of the orders benchmark put at 7.6% of the workers' time. Here a
connection checked less than `HEALTH_CHECK_IDLE_SECONDS` ago (a busy one) is checked by its
state and by whether the server sent anything since (a server that ends a session, by a
restart, a terminated backend or an idle timeout, first sends a FATAL notice and then closes
the socket; an idle session of ours is otherwise never sent anything, as nothing LISTENs): a
readable socket is an unusable connection, closed and opened afresh, with no round trip for a
healthy one. A connection idle for longer still gets Django's `SELECT 1`: a peer that vanished
without closing (a host gone, a NAT or load balancer that dropped the idle flow) leaves nothing
to read, and only a round trip finds out before the request's own statement would.
"""

from __future__ import annotations

import select
import time
from typing import Any

from django.contrib.gis.db.backends.postgis.base import (
    DatabaseWrapper as PostGISDatabaseWrapper,
)
from django.contrib.gis.db.backends.postgis.operations import PostGISOperations
from django.db.backends.utils import debug_transaction
from psycopg import pq

# PostgreSQL's wire protocol counts a statement's parameters in an unsigned 16-bit integer.
MAX_PARAMETERS = 65_535

# A connection not checked for this long is checked with a round trip (see the docstring).
HEALTH_CHECK_IDLE_SECONDS = 5.0


class DatabaseOperations(PostGISOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        if not self.connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
            return super().bulk_batch_size(fields, objs)
        # bulk_update passes (field, "pk") pairs per object as separate entries; a CASE per
        # field takes two parameters per object and the WHERE one more, counted generously.
        width = max(1, len(fields))
        return max(1, min(len(objs), MAX_PARAMETERS // (2 * width + 1)))


class DatabaseWrapper(PostGISDatabaseWrapper):
    ops_class = DatabaseOperations

    def _keeps_prepared(self) -> bool:
        return self.connection is not None and self.connection.prepare_threshold is not None

    def close_if_unusable_or_obsolete(self) -> None:
        """Between requests: a connection that saw a database error outside a transaction
        (where no rollback clears the prepared statements) is closed, so a stale one is not
        used again; Django would keep it while `SELECT 1` works."""
        if self.connection is not None and self.errors_occurred and self._keeps_prepared():
            self.close()
            return
        super().close_if_unusable_or_obsolete()

    _checked_at = 0.0  # when the connection was opened or last found usable (monotonic)

    def connect(self) -> None:
        super().connect()
        self._checked_at = time.monotonic()

    def is_usable(self) -> bool:
        raw = self.connection
        if raw is None or raw.closed or raw.broken:
            return False
        pgconn = raw.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status in (
            pq.TransactionStatus.INERROR,
            pq.TransactionStatus.UNKNOWN,
        ):
            return False
        now = time.monotonic()
        if now - self._checked_at > HEALTH_CHECK_IDLE_SECONDS:
            usable = bool(super().is_usable())  # SELECT 1
        else:
            try:
                poller = select.poll()  # select() refuses descriptors from 1024 on
                poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
                usable = not poller.poll(0)  # anything to read, a hang-up or an error
            except (OSError, ValueError):  # the socket is gone
                usable = False
        if usable:
            self._checked_at = now
        return usable

    def _command(self, command: bytes) -> None:
        """Run a transaction command as psycopg's rollback() does, without its DEALLOCATE ALL
        (psycopg's connection lock, its wait loop and its error handling)."""
        raw = self.connection
        with raw.lock:
            raw.wait(raw._exec_command(command))

    def _rollback(self) -> None:
        if not self._keeps_prepared() or self.errors_occurred:
            # After a database error (one may be a prepared statement gone stale: a migration
            # changed a table it reads, "cached plan must not change result type") psycopg's
            # own rollback deallocates them all and they are prepared afresh.
            return super()._rollback()  # type: ignore[misc,no-any-return]
        with debug_transaction(self, "ROLLBACK"), self.wrap_database_errors:
            if self.connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
                self._command(b"ROLLBACK")
        return None
