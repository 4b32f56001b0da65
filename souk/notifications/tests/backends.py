"""Mail backends for the outbox worker tests (test_outbox_worker.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend

# Long enough for the test to kill the worker while the send hangs.
STALL_SECONDS = 60


class StallOnSecondEmailBackend(EmailBackend):
    """The file backend, except that the second send, across every process that shares the
    marker file ($SOUK_WORKER_TEST_STALL_MARKER), creates that file and then hangs for
    STALL_SECONDS before writing: a provider call that never answers, after one that was
    accepted. The first send leaves "<marker>.first" behind; sends after the second go
    through."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        marker = Path(os.environ["SOUK_WORKER_TEST_STALL_MARKER"])
        for path in (marker.with_name(f"{marker.name}.first"), marker):
            try:
                path.touch(exist_ok=False)
            except FileExistsError:
                continue
            if path == marker:
                time.sleep(STALL_SECONDS)
            break
        return super().send_messages(email_messages)
