"""Log record fields shared by every handler (settings LOGGING): the request id, and in a worker
the task being run. The JSON lines themselves are written by python-json-logger."""

from __future__ import annotations

import logging

from souk.core.requestid import request_id_var, task_var


class ContextFilter(logging.Filter):
    """Adds `request_id` (and `task_name`, `task_id` inside a Celery task) to every record that
    passes through the handler. With `default` None (JSON lines) a record without a request
    carries no `request_id` field; text lines show `default` instead."""

    def __init__(self, default: str | None = None) -> None:
        super().__init__()
        self.default = default

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id is not None:
            record.request_id = request_id
        elif self.default is not None:
            record.request_id = self.default
        task = task_var.get()
        if task is not None:
            record.task_name, record.task_id = task
        return True
