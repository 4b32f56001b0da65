"""`Idempotency-Key` for POST endpoints that create things (orders, checkouts, payments).

Within 24 hours, for the same caller and endpoint: the same key with the same body replays
the first response (status and body) and creates nothing again; the same key with another
body is 422 `idempotency_conflict`; a duplicate arriving while the first is still running is
409 `idempotency_in_progress`. The stored response is written in the same transaction as the
work it answers, so a crash can never leave work done without its record (or the reverse).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from souk.core.exceptions import PROBLEM_CONTENT_TYPE, DomainError
from souk.core.locks import idempotency_record_lock
from souk.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
State = IdempotencyRecord.State


class InvalidIdempotencyKey(DomainError):
    status_code = 400
    code = "validation_error"
    title = "Invalid input"


class IdempotencyInProgress(DomainError):
    status_code = 409
    code = "idempotency_in_progress"
    title = "Request in progress"
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."


class IdempotencyConflict(DomainError):
    status_code = 422
    code = "idempotency_conflict"
    title = "Idempotency key reused"
    default_detail = "This Idempotency-Key was used with a different request body."


def _fingerprint(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, user: Any, key: str, scope: str, fingerprint: str) -> IdempotencyRecord | None:
    """Claim the key for this request (None: replay the record returned by `_existing`)."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user, key=key, scope=scope, request_hash=fingerprint
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.get(user=user, key=key, scope=scope)
    now = timezone.now()
    expired = existing.created_at < now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    stale = existing.state == State.IN_PROGRESS and existing.updated_at < now - timedelta(
        seconds=settings.IDEMPOTENCY_STALE_SECONDS
    )
    if expired or (stale and existing.request_hash == fingerprint):
        # Take over an expired key, or the abandoned attempt of this same request.
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, updated_at=existing.updated_at
        ).update(
            request_hash=fingerprint,
            state=State.IN_PROGRESS,
            response_status=None,
            response_body=None,
            created_at=now if expired else existing.created_at,
            updated_at=now,
        )
        if taken:
            existing.refresh_from_db()
            return existing
        raise IdempotencyInProgress()
    if existing.request_hash != fingerprint:
        raise IdempotencyConflict()
    if existing.state == State.IN_PROGRESS:
        raise IdempotencyInProgress()
    return None


def _replay(user: Any, key: str, scope: str) -> Response:
    record = IdempotencyRecord.objects.get(user=user, key=key, scope=scope)
    body = json.loads(record.response_body) if record.response_body else None
    response = Response(body, status=record.response_status)
    if record.response_status and record.response_status >= 400:
        response.content_type = PROBLEM_CONTENT_TYPE
    response["Idempotent-Replayed"] = "true"
    return response


def _plain(data: Any) -> str:
    return json.dumps(data, cls=JSONEncoder)


Handler = Callable[..., Response]


def idempotent(handler: Handler | None = None, *, atomic: bool = True) -> Any:
    """Decorate an APIView method (POST) to honour `Idempotency-Key`.

    With `atomic` (the default) the handler runs in one transaction with the stored response.
    `atomic=False` is for handlers that call out (a payment gateway) and so must not run inside
    a transaction: the key stays claimed as in progress while the handler runs, and its
    response is stored when it returns.
    """
    if handler is None:
        return lambda inner: idempotent(inner, atomic=atomic)

    @wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not KEY.match(key):
            raise InvalidIdempotencyKey(
                f"{HEADER} must be 1 to 255 printable characters.",
                errors={HEADER: ["Use 1 to 255 printable ASCII characters."]},
            )
        scope = f"{request.method} {view.__class__.__name__}"[:100]
        fingerprint = _fingerprint(request.data)
        record = _claim(user=request.user, key=key, scope=scope, fingerprint=fingerprint)
        if record is None:
            return _replay(request.user, key, scope)
        if not atomic:
            response = _run(handler, view, request, *args, **kwargs)
            if response.status_code >= 500:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
            else:
                _store(record, response)
            return response
        try:
            with transaction.atomic():
                idempotency_record_lock(record_id=record.pk)
                response = _run(handler, view, request, *args, **kwargs)
                if response.status_code >= 500:
                    raise _ServerError(response)
                _store(record, response)
            return response
        except _ServerError as failure:
            # Not a first response worth replaying: free the key for a retry.
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return failure.response

    return wrapper


def _run(handler: Handler, view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
    try:
        return handler(view, request, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - rendered like any error, then stored
        return view.handle_exception(exc)


def _store(record: IdempotencyRecord, response: Response) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=State.DONE,
        response_status=response.status_code,
        response_body=_plain(response.data),  # text: replayed with its keys in order
        updated_at=timezone.now(),
    )


class _ServerError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def idempotency_prune() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
