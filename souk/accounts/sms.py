"""SMS sending behind one small interface; the backend is chosen by the SMS_BACKEND setting."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    """`key`, when given, identifies the message: a provider that supports idempotency keys
    gets it, so that a resend after a crash is not delivered twice."""

    def send(self, *, to: str, body: str, key: str | None = None) -> None: ...


class LoggingSmsBackend:
    """Development backend: writes the message to the log instead of sending it."""

    def send(self, *, to: str, body: str, key: str | None = None) -> None:
        logger.info("SMS to %s: %s", to, body)


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    key: str | None = None


class LocmemSmsBackend:
    """Test backend: keeps messages in `LocmemSmsBackend.outbox`."""

    outbox: list[SentSms] = []  # shared on purpose, like mail.outbox

    def send(self, *, to: str, body: str, key: str | None = None) -> None:
        LocmemSmsBackend.outbox.append(SentSms(to=to, body=body, key=key))


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    return import_string(path)


def send_sms(*, to: str, body: str, key: str | None = None) -> None:
    _backend_class(settings.SMS_BACKEND)().send(to=to, body=body, key=key)
