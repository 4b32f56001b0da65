"""Assertions shared by every app's tests.

Part of `souk.core`, so it imports no app; each app's tests import it as
`from souk.core.testing import assert_problem`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections

from souk.core.exceptions import PROBLEM_CONTENT_TYPE


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert that `response` is an RFC 9457 problem with this status and stable code.

    Checks the HTTP status, the exact `application/problem+json` content type and the body's
    `type`, `title`, `status`, `detail` and `code`; returns the body for further assertions.
    """
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    return body


class QueriesByAlias:
    """The statements the `default` and `replica` connections ran inside the block (recorded
    as they are sent, so capturing opens no connection): which database the router chose."""

    def __init__(self) -> None:
        self.sql: dict[str, list[str]] = {"default": [], "replica": []}
        self._stack = ExitStack()

    def _recorder(self, alias: str) -> Callable[..., Any]:
        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            self.sql[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    def __enter__(self) -> QueriesByAlias:
        for alias in self.sql:
            self._stack.enter_context(connections[alias].execute_wrapper(self._recorder(alias)))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def default(self) -> list[str]:
        return self.sql["default"]

    @property
    def replica(self) -> list[str]:
        return self.sql["replica"]

    def on_default(self, table: str) -> list[str]:
        return [sql for sql in self.default if table in sql]

    def on_replica(self, table: str) -> list[str]:
        return [sql for sql in self.replica if table in sql]
