"""Assertions shared by every app's tests.

Part of `souk.core`, so it imports no app; each app's tests import it as
`from souk.core.testing import assert_problem`.
"""

from __future__ import annotations

from typing import Any

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
