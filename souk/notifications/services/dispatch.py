"""Delivering the outbox: at least once, marked sent only after the provider accepted it.

A dispatcher claims a batch of due messages in a short transaction (SKIP LOCKED, so
dispatchers running side by side take different rows): each claimed message counts an
attempt and is leased, that is its `available_at` moves OUTBOX_LEASE_SECONDS ahead. Then,
holding no lock, it renders and sends them one by one; it marks each message sent as soon as
the provider accepted it, before the next send, and a failed one it schedules for a retry with
exponential backoff, or, after OUTBOX_MAX_ATTEMPTS, marks dead (visible and re-sendable in the
admin). Every mark touches the message only while this dispatcher still holds it (the attempt
of its claim). A dispatcher that dies mid-send leaves the message it was sending, and those
after it, pending: once their lease runs out, the next sweep sends them again. Halfway through
the lease a dispatcher stops and hands back what it has not sent, so that no lease runs out
while its message is still being worked on.

Dispatchers are kicked after the commit of every change that wrote messages (best effort: a
broker that is down is logged, never an error; published by a thread of the process, so the
request does not wait for the broker) and swept by beat every OUTBOX_SWEEP_SECONDS, which
delivers whatever a kick missed."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Now
from prometheus_client.core import GaugeMetricFamily, Metric

from souk.accounts.sms import send_sms
from souk.notifications.locks import outbox_due_lock
from souk.notifications.models import Channel, OutboxMessage
from souk.notifications.render import Gone, Subjects, check_recipient, render_email, render_sms
from souk.notifications.tasks import outbox_dispatch_task

logger = logging.getLogger(__name__)

PENDING = OutboxMessage.Status.PENDING

# Each message is marked sent as soon as the provider accepted it, before the next send
# starts, so a dispatcher killed mid-send leaves nothing sent but unmarked. The mark commits
# asynchronously (synchronous_commit off for that one statement): it does not wait for the
# disk flush, and only a crash of PostgreSQL itself in the next fraction of a second could lose
# it, which sends that message again (at least once still holds).
_MARK_SENT_SQL = """
UPDATE notifications_outboxmessage
SET status = 'sent', sent_at = now(), last_error = ''
WHERE id = %s AND status = 'pending' AND attempts = %s
  AND set_config('synchronous_commit', 'off', true) IS NOT NULL
"""


# A kick tries the broker once, briefly: Celery's pooled connection keeps retrying for
# broker_connection_timeout (seconds), which an outage would add to every request that kicks.
KICK_CONNECT_TIMEOUT = 1.0

# Each thread keeps its kick producer (and its connection) between requests: opening a
# connection and declaring the queue for every kick cost about as much as the rest of the
# outbox write. A producer that failed is dropped; the next kick opens a new connection.
_kicker = threading.local()


def _kick_producer() -> Any:
    app = outbox_dispatch_task.app
    url = app.conf.broker_url
    cached = getattr(_kicker, "producer", None)
    if cached is not None and cached[0] == url:
        return cached[1]
    _kick_producer_drop()
    connection = app.connection_for_write(
        connect_timeout=KICK_CONNECT_TIMEOUT,
        # a broker that accepts the connection but stops answering must not hold a request
        # whose transaction has committed
        transport_options={"max_retries": 0, "socket_timeout": KICK_CONNECT_TIMEOUT},
    )
    producer = app.amqp.Producer(connection, auto_declare=False)
    _kicker.producer = (url, producer)
    return producer


def _kick_producer_drop() -> None:
    cached = getattr(_kicker, "producer", None)
    _kicker.producer = None
    if cached is not None:
        with contextlib.suppress(Exception):
            cached[1].connection.close()


def _kick() -> None:
    """After commit: ask a worker to dispatch now. Never raises; the sweep is the fallback."""
    try:
        outbox_dispatch_task.apply_async(retry=False, producer=_kick_producer())
    except Exception:
        _kick_producer_drop()
        logger.warning(
            "could not kick the outbox dispatcher; the sweep will deliver", exc_info=True
        )


def dispatch_again() -> None:
    """Queue another dispatcher run now (best effort, like the kick after commit)."""
    _kick()


# The least time between two kicks of one process.
KICK_INTERVAL_SECONDS = 0.25


class _Kicker:
    """Publishes the kicks of a process from a thread of its own, off the requests' path: a
    request only asks, after its commit. Asks that arrive while a kick is being published, or
    less than KICK_INTERVAL_SECONDS after one, are merged into the next one, so a busy process
    publishes at most one kick per interval instead of one per commit, and every ask is
    followed by a publish that starts after it (the dispatcher it wakes sees that commit).
    The thread is started on the first ask in each process (after a fork, anew). With tasks
    run eagerly (tests), the kick is published in the request."""

    def __init__(self) -> None:
        self._asked = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None
        # The context of the latest ask: its kick is published in it, so the request id (and
        # trace) of the request that asked travel with the message (souk.core.requestid).
        self._context: contextvars.Context | None = None
        self.published = 0  # kicks this process published (for tests and debugging)

    def ask(self) -> None:
        if outbox_dispatch_task.app.conf.task_always_eager:
            _kick()
            return
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._asked = threading.Event()
                    threading.Thread(target=self._run, name="outbox-kicker", daemon=True).start()
                    self._pid = os.getpid()
        self._context = contextvars.copy_context()
        self._asked.set()

    def _run(self) -> None:
        asked = self._asked
        while True:
            asked.wait()
            asked.clear()
            context, self._context = self._context, None
            if context is None:
                _kick()
            else:
                context.run(_kick)
            self.published += 1
            # At most one kick per interval: the asks of a busy process meanwhile are merged
            # into the next one (a dispatcher claims every due message when it runs).
            time.sleep(KICK_INTERVAL_SECONDS)


_kicks = _Kicker()


class _KickOnce:
    """The after-commit kick of one transaction: registered by every write of the
    transaction, it asks once."""

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            _kicks.ask()


def dispatch_on_commit() -> None:
    """Kick a dispatcher once the current transaction commits (once per transaction, however
    many of its writes asked)."""
    pending = (entry[1] for entry in reversed(connection.run_on_commit))
    kick = next(
        (c for c in pending if isinstance(c, _KickOnce) and not c.done),
        None,
    )
    transaction.on_commit(kick or _KickOnce(), robust=True)


@dataclass(frozen=True)
class Dispatched:
    """What one dispatcher run did."""

    sent: int
    retried: int
    dead: int
    skipped: int
    more: bool  # it stopped at its time budget with messages still due


def _backoff(attempts: int) -> timedelta:
    base = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    delay = min(base, settings.OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311 (jitter)


def _claim(limit: int) -> list[OutboxMessage]:
    """Lease up to `limit` due messages (the database's clock decides what is due)."""
    with transaction.atomic():
        batch = outbox_due_lock(limit=limit)
        if batch:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
                attempts=F("attempts") + 1,
                available_at=Now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
            )
            for message in batch:
                message.attempts += 1
    return batch


def _mark_sent(message: OutboxMessage) -> None:
    """Mark this message sent, if this dispatcher still holds it (its claim's attempt)."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SENT_SQL, [message.pk, message.attempts])
        marked = cursor.rowcount
    if not marked:
        logger.warning("outbox message %s was sent after its lease ran out", message.pk)


def _held(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    """The message, while still pending under this dispatcher's claim: once its lease ran out
    and another dispatcher claimed it (or an operator queued it again), the attempt count
    moved on and nothing here touches it."""
    return OutboxMessage.objects.filter(pk=message.pk, status=PENDING, attempts=message.attempts)


def _mark_failed(message: OutboxMessage, error: str, *, final: bool = False) -> bool:
    """Schedule a retry, or give up (`final`, or after OUTBOX_MAX_ATTEMPTS); True when it is
    dead."""
    dead = final or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    changes: dict[str, object] = {"last_error": error[:2000]}
    if dead:
        changes["status"] = OutboxMessage.Status.DEAD
    else:
        changes["available_at"] = Now() + _backoff(message.attempts)
    _held(message).update(**changes)
    log = logger.error if dead else logger.warning
    log("outbox message %s failed (attempt %s): %s", message.pk, message.attempts, error)
    return dead


def _mark_skipped(message: OutboxMessage, reason: str) -> None:
    _held(message).update(status=OutboxMessage.Status.SKIPPED, last_error=reason)
    logger.info("outbox message %s skipped: %s", message.pk, reason)


def _release(messages: list[OutboxMessage]) -> None:
    """Hand back leased messages that were not tried: due at once, the attempt not counted."""
    for message in messages:
        _held(message).update(available_at=Now(), attempts=F("attempts") - 1)


def _send(message: OutboxMessage, subjects: Subjects, mail_connection: BaseEmailBackend) -> None:
    user = message.recipient
    if not user.is_active:
        raise Gone("the recipient was deactivated")
    check_recipient(message, subjects)
    if message.channel == Channel.EMAIL:
        if not user.email:
            raise Gone("the recipient has no email address")
        email = render_email(message, subjects)
        email.connection = mail_connection
        if email.send() != 1:
            raise RuntimeError("the mail backend accepted no message")
    else:
        if not user.phone:
            raise Gone("the recipient has no phone number")
        send_sms(
            to=message.recipient.phone or "",
            body=render_sms(message, subjects),
            key=str(message.key),
        )


def _deliver(batch: list[OutboxMessage]) -> Counter[str]:
    done: Counter[str] = Counter()
    subjects = Subjects.load(batch)
    # Halfway through the lease, hand back what is left: no lease runs out while a send that
    # respects EMAIL_TIMEOUT is still going on.
    stop_at = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 2
    mail_connection = get_connection()
    try:
        for index, message in enumerate(batch):
            if time.monotonic() >= stop_at:
                _release(batch[index:])
                break
            if message.attempts > settings.OUTBOX_MAX_ATTEMPTS:
                # Claimed that often without an outcome: each try died with its sender.
                _mark_failed(message, "no outcome after repeated attempts", final=True)
                done["dead"] += 1
                continue
            try:
                _send(message, subjects, mail_connection)
            except Gone as exc:  # nobody or nothing left to tell: retrying cannot help
                _mark_skipped(message, str(exc))
                done["skipped"] += 1
            except Exception as exc:
                dead = _mark_failed(message, f"{type(exc).__name__}: {exc}")
                done["dead" if dead else "retried"] += 1
            else:
                _mark_sent(message)
                done["sent"] += 1
    finally:
        try:
            mail_connection.close()
        except Exception:
            logger.warning("could not close the mail connection", exc_info=True)
    return done


def outbox_dispatch(*, budget_seconds: float | None = None) -> Dispatched:
    """Deliver due messages in batches of OUTBOX_BATCH_SIZE until none is due or the time
    budget (OUTBOX_DISPATCH_SECONDS) is spent. Memory holds one batch at a time."""
    budget = settings.OUTBOX_DISPATCH_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    done: Counter[str] = Counter()
    while True:
        more = time.monotonic() >= deadline
        batch = [] if more else _claim(settings.OUTBOX_BATCH_SIZE)
        if not batch:
            return Dispatched(
                sent=done["sent"],
                retried=done["retried"],
                dead=done["dead"],
                skipped=done["skipped"],
                more=more,
            )
        done += _deliver(batch)


def outbox_resend(*, message_ids: list[int]) -> int:
    """Send these dead or skipped messages again: pending, due now, attempts from 0. Messages
    that were sent, or are pending (perhaps being sent right now), are left alone. How many
    were queued again."""
    with transaction.atomic():
        queued = OutboxMessage.objects.filter(
            pk__in=message_ids,
            status__in=[OutboxMessage.Status.DEAD, OutboxMessage.Status.SKIPPED],
        ).update(status=PENDING, attempts=0, available_at=Now(), last_error="")
        if queued:
            dispatch_on_commit()
    return queued


# Pending messages are counted up to this many (a large backlog is not counted row by row).
PENDING_COUNT_CAP = 10_000


@dataclass(frozen=True)
class OutboxState:
    """How far behind delivery is: messages waiting (counted up to PENDING_COUNT_CAP), dead
    ones, and the age in seconds of the oldest one waiting (0 when none)."""

    pending: int
    dead: int
    oldest_pending_seconds: float


def outbox_state() -> OutboxState:
    pending = OutboxMessage.objects.filter(status=PENDING)
    age = (
        pending.order_by("id")
        .annotate(age=Now() - F("created_at"))
        .values_list("age", flat=True)
        .first()
    )
    return OutboxState(
        pending=pending.order_by()[:PENDING_COUNT_CAP].count(),
        dead=OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD).count(),
        oldest_pending_seconds=round(max(age.total_seconds(), 0.0), 1) if age else 0.0,
    )


def outbox_metrics() -> Iterator[Metric]:
    """The outbox's lag for Prometheus, read at scrape time (three short indexed queries)."""
    state = outbox_state()
    yield GaugeMetricFamily(
        "souk_outbox_pending_messages",
        f"Outbox messages waiting to be sent (counted up to {PENDING_COUNT_CAP}).",
        value=state.pending,
    )
    yield GaugeMetricFamily(
        "souk_outbox_oldest_pending_age_seconds",
        "Age of the oldest outbox message waiting to be sent (0 when none waits).",
        value=state.oldest_pending_seconds,
    )
    yield GaugeMetricFamily(
        "souk_outbox_dead_messages",
        "Outbox messages given up after OUTBOX_MAX_ATTEMPTS (re-sendable in the admin).",
        value=state.dead,
    )
