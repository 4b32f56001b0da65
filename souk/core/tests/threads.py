"""Racing real threads in tests (with `django_db(transaction=True)`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(calls: list[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Run every call in its own thread (its own database connection), all released at once
    by a barrier; their results in order. An exception in a thread, or a thread that does not
    finish, fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not [thread for thread in threads if thread.is_alive()], "a thread is stuck"
    assert errors == []
    return results
