"""`Idempotency-Key` for POST endpoints that create things (orders, checkouts, payments).

Within 24 hours, for the same caller and endpoint: the same key with the same body replays
the first response (status and body) and creates nothing again; the same key with another
body is 422 `idempotency_conflict`; a duplicate arriving while the first is still running is
409 `idempotency_in_progress`.

No transaction spans the request: the key is claimed in a short transaction of its own, the
service runs and commits its own work, and the response is stored in another short
transaction, so no row lock is held while a response is rendered. A view whose service creates
something passes `resume` and hands the `record` callback it receives to the service, which
calls it inside its own transaction with what it created: the record then names that object
in the same commit as the object itself. A retry of a request that committed its work but
never stored its response (its process died, or rendering failed) renders the response from
that object through `resume` instead of running the service again, so nothing is created
twice.

A record is claimed (`in_progress`, no body), committed (`in_progress`, its body naming the
created object) or done (`done`, the response as first sent).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from souk.core.arrays import timestamp_array
from souk.core.exceptions import PROBLEM_CONTENT_TYPE, DomainError
from souk.core.models import IdempotencyRecord
from souk.core.renderers import dumps

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
State = IdempotencyRecord.State

Handler = Callable[..., Response]
# Renders the response for an object a previous attempt created: (view, request, its pk).
Resume = Callable[[Any, Request, Any], Response]
# Called by a service inside its transaction with the object it created.
ResultRecorder = Callable[[Model], None]


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


@dataclass
class _Claim:
    """A key this request holds. `versions` are the `updated_at` values this request wrote:
    a write conditioned on them fails once another request has taken the key over."""

    pk: int
    versions: list[datetime] = field(default_factory=list)
    resource: Any = None  # pk of the object an earlier attempt created, to resume from
    named: bool = False  # this request named what it created on the record (see Recorder)


def _fingerprint(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _committed_resource(record: IdempotencyRecord) -> Any:
    """The pk of the object a committed (not yet done) attempt created, else None."""
    if record.state != State.IN_PROGRESS or not record.response_body:
        return None
    return json.loads(record.response_body).get("resource")


# Claiming a key commits without waiting for the disk flush (synchronous_commit off, for that
# one statement): the claim reaches the disk with the request's own commit, which flushes the
# log up to it. So does storing the response of a request that named what it created on the
# record (committed with the object): a stored response lost to a crash of PostgreSQL in the
# next fraction of a second leaves that name, which a retry resumes from. Any other response
# is stored with the usual flush.
_CLAIM_SQL = """
INSERT INTO core_idempotencyrecord
    (user_id, key, scope, request_hash, state, created_at, updated_at)
SELECT %(user)s, %(key)s, %(scope)s, %(hash)s, %(state)s, %(now)s, %(now)s
WHERE set_config('synchronous_commit', 'off', true) IS NOT NULL
ON CONFLICT (user_id, scope, key) DO NOTHING
RETURNING id
"""

_STORE_SQL = """
UPDATE core_idempotencyrecord
SET state = %(state)s, response_status = %(status)s, response_body = %(body)s,
    updated_at = %(now)s
WHERE id = %(id)s AND updated_at = ANY(%(versions)s::timestamptz[])
  AND set_config('synchronous_commit', %(synchronous)s, true) IS NOT NULL
"""


def _claim(*, user: Any, key: str, scope: str, fingerprint: str) -> _Claim | None:
    """Claim the key for this request (None: replay the record returned by `_replay`)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL,
            {
                "user": user.pk,
                "key": key,
                "scope": scope,
                "hash": fingerprint,
                "state": State.IN_PROGRESS,
                "now": now,
            },
        )
        row = cursor.fetchone()
    if row is not None:
        return _Claim(pk=row[0], versions=[now])
    existing = IdempotencyRecord.objects.get(user=user, key=key, scope=scope)
    now = timezone.now()
    expired = existing.created_at < now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    stale = existing.state == State.IN_PROGRESS and existing.updated_at < now - timedelta(
        seconds=settings.IDEMPOTENCY_STALE_SECONDS
    )
    if expired or (stale and existing.request_hash == fingerprint):
        # Take over an expired key, or the abandoned attempt of this same request (resuming
        # from what it created if it got as far as committing).
        resource = None if expired else _committed_resource(existing)
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, updated_at=existing.updated_at
        ).update(
            request_hash=fingerprint,
            state=State.IN_PROGRESS,
            response_status=None,
            response_body=existing.response_body if resource is not None else None,
            created_at=now if expired else existing.created_at,
            updated_at=now,
        )
        if taken:
            return _Claim(pk=existing.pk, versions=[now], resource=resource)
        raise IdempotencyInProgress()
    if existing.request_hash != fingerprint:
        raise IdempotencyConflict()
    if existing.state == State.IN_PROGRESS:
        raise IdempotencyInProgress()
    return None


# Naming what the request created on its claimed record, in the service's transaction, while
# this request still holds the claim (the versions it wrote).
_NAME_SQL = """
UPDATE core_idempotencyrecord SET response_body = %(body)s, updated_at = %(now)s
WHERE id = %(id)s AND state = %(state)s AND updated_at = ANY(%(versions)s::timestamptz[])
"""


class Recorder:
    """Names what the request creates on its claimed record, in the service's transaction
    (see the module docstring). Called with the created object, it writes one UPDATE. A
    service that writes the object with a hand-written statement can instead add the same
    UPDATE to that statement as a data-modifying CTE (`cte`), which saves a round trip, and
    hand the number of rows it named to `checked`."""

    def __init__(self, claim: _Claim) -> None:
        self.claim = claim
        self._pending: datetime | None = None

    def __call__(self, resource: Model) -> None:
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                _NAME_SQL,
                {
                    "body": json.dumps({"resource": resource.pk}),
                    "now": now,
                    "id": self.claim.pk,
                    "state": State.IN_PROGRESS,
                    "versions": timestamp_array(self.claim.versions),
                },
            )
            named = cursor.rowcount
        self._named(now, named)

    def cte(self, new_id: str) -> tuple[str, dict[str, Any]]:
        """(SQL, parameters) of an UPDATE naming the id `new_id` (an SQL expression yielding
        the created row's id, or nothing) on the record; it returns one row if it named it."""
        self._pending = timezone.now()
        sql = f"""
            UPDATE core_idempotencyrecord
            SET response_body = json_build_object('resource', ({new_id}))::text,
                updated_at = %(idempotency_now)s
            WHERE id = %(idempotency_id)s AND state = %(idempotency_state)s
              AND updated_at = ANY(%(idempotency_versions)s::timestamptz[]) AND EXISTS ({new_id})
            RETURNING 1
        """  # noqa: S608 - `new_id` is the caller's SQL, not input
        return sql, {
            "idempotency_now": self._pending,
            "idempotency_id": self.claim.pk,
            "idempotency_state": State.IN_PROGRESS,
            "idempotency_versions": timestamp_array(self.claim.versions),
        }

    def checked(self, named: int) -> None:
        """After the statement that ran `cte`: how many rows it named (0 or 1)."""
        if self._pending is None:
            raise RuntimeError("checked() without cte()")
        self._named(self._pending, named)

    def _named(self, now: datetime, named: int) -> None:
        self.claim.versions.append(now)
        if not named:  # taken over by a retry meanwhile: it does the work, this one must not
            raise IdempotencyInProgress()
        transaction.on_commit(lambda: setattr(self.claim, "named", True), robust=True)


def _replay(user: Any, key: str, scope: str) -> Response:
    record = IdempotencyRecord.objects.get(user=user, key=key, scope=scope)
    body = json.loads(record.response_body) if record.response_body else None
    response = Response(body, status=record.response_status)
    if record.response_status and record.response_status >= 400:
        response.content_type = PROBLEM_CONTENT_TYPE
    response["Idempotent-Replayed"] = "true"
    return response


def _plain(data: Any) -> str:
    """The response data as JSON text, as the renderer writes it (orjson), else DRF's way."""
    try:
        return dumps(data).decode()
    except TypeError:
        return json.dumps(data, cls=JSONEncoder)


def idempotent(handler: Handler | None = None, *, resume: Resume | None = None) -> Any:
    """Decorate an APIView method (POST) to honour `Idempotency-Key`.

    With `resume`, the handler is called with a keyword argument `record`: None without a key,
    else the callback its service must call, inside its transaction, with the object it
    creates; `resume(view, request, pk)` renders the response for that object when a retry
    finds it created but its response never stored. Without `resume` (a handler whose
    service calls out, such as a payment gateway, and may be retried after an outage) the key
    stays claimed while the handler runs and its response is stored when it returns.
    """
    if handler is None:
        return lambda inner: idempotent(inner, resume=resume)

    @wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            if resume is not None:
                kwargs["record"] = None
            return handler(view, request, *args, **kwargs)
        if not KEY.match(key):
            raise InvalidIdempotencyKey(
                f"{HEADER} must be 1 to 255 printable characters.",
                errors={HEADER: ["Use 1 to 255 printable ASCII characters."]},
            )
        scope = f"{request.method} {view.__class__.__name__}"[:100]
        fingerprint = _fingerprint(request.data)
        claim = _claim(user=request.user, key=key, scope=scope, fingerprint=fingerprint)
        if claim is None:
            return _replay(request.user, key, scope)
        if claim.resource is not None and resume is not None:
            response = _run(resume, view, request, claim.resource)
        else:
            if resume is not None:
                kwargs["record"] = Recorder(claim)
            response = _run(handler, view, request, *args, **kwargs)
        if response.status_code >= 500:
            _release(claim)
            return response
        _store(claim, response)
        if claim.resource is not None:  # the work was done by the first attempt
            response["Idempotent-Replayed"] = "true"
        return response

    return wrapper


def _run(handler: Callable[..., Response], view: APIView, *args: Any, **kwargs: Any) -> Response:
    try:
        return handler(view, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - rendered like any error, then stored
        return view.handle_exception(exc)


def _store(claim: _Claim, response: Response) -> None:
    """Store the response. Without a named object to resume from (a handler without
    `resume`, such as a payment start that called a gateway), the store is the only trace of
    the work and waits for the disk flush like any commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STORE_SQL,
            {
                "state": State.DONE,
                "status": response.status_code,
                "body": _plain(response.data),  # text: replayed with its keys in order
                "now": timezone.now(),
                "id": claim.pk,
                "versions": timestamp_array(claim.versions),
                "synchronous": "off" if claim.named else "on",
            },
        )


def _release(claim: _Claim) -> None:
    """A server error is not a first response worth replaying. If nothing was committed the
    key is freed for a retry; if the work was, the claim is marked abandoned at once, so a
    retry resumes from what was created instead of waiting for the claim to go stale."""
    mine = IdempotencyRecord.objects.filter(
        pk=claim.pk, state=State.IN_PROGRESS, updated_at__in=claim.versions
    )
    if not mine.filter(response_body__isnull=True).delete()[0]:
        abandoned = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
        mine.update(updated_at=abandoned)


def idempotency_prune() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
