"""The request id: one per HTTP request, in every log line the request writes, and carried into
the Celery tasks it queues (and the tasks those queue), so that an operator can follow one
request through the web and worker logs.

An incoming `X-Request-ID` is kept when it is 1-REQUEST_ID_MAX_LENGTH characters of
`A-Z a-z 0-9 - _ . : @ +` (a load balancer's or a client's id); anything else is replaced by a
new one (32 hex digits). The id lives in a context variable: set by the request middleware,
published as a message header of every task queued meanwhile (`before_task_publish`), and set
again in the worker around the task's run (`task_prerun` .. `task_postrun`)."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from typing import Any

from celery import signals

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# The message header a queued task carries the id in.
TASK_HEADER = "souk_request_id"
REQUEST_ID_MAX_LENGTH = 128
_VALID = re.compile(rf"[A-Za-z0-9\-_.:@+]{{1,{REQUEST_ID_MAX_LENGTH}}}")

request_id_var: ContextVar[str | None] = ContextVar("souk_request_id", default=None)
# The task being run in this context (name and id), for the worker's log lines.
task_var: ContextVar[tuple[str, str] | None] = ContextVar("souk_task", default=None)


def request_id_get() -> str | None:
    return request_id_var.get()


def request_id_clean(value: str | None) -> str:
    """`value` when it is an acceptable id, else a new one."""
    if value and _VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex


# --- Celery: the id travels as a message header -----------------------------------------------

# The tokens of the task runs in progress in this process, by task id: a task run eagerly
# inside a request must give the request its own id back when it ends.
_task_tokens: dict[str, tuple[Token[str | None], Token[tuple[str, str] | None]]] = {}


def _on_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_id_var.get()
    if request_id is not None and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def _header_of(task: Any) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    # A worker puts custom message headers on the request itself; an eager run (apply) keeps
    # them under `headers`.
    value = getattr(request, TASK_HEADER, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return value if isinstance(value, str) else None


def _on_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None:
        return
    carried = _header_of(task)
    # An eager run inside a request has no header of its own: it keeps the request's id.
    request_id = request_id_clean(carried) if carried else request_id_var.get()
    name = getattr(task, "name", "") or ""
    _task_tokens[task_id] = (request_id_var.set(request_id), task_var.set((name, task_id)))


def _on_postrun(task_id: str | None = None, **_: Any) -> None:
    tokens = _task_tokens.pop(task_id, None) if task_id is not None else None
    if tokens is None:
        return
    request_id_var.reset(tokens[0])
    task_var.reset(tokens[1])


def celery_signals_connect() -> None:
    """Connect the handlers (once; connecting again changes nothing)."""
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="souk-request-id")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="souk-request-id")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="souk-request-id")
