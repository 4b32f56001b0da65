"""Delivering the outbox (DESIGN.md 8): each due message is sent at least once and marked sent
only after the provider accepted it; failures are retried with backoff and give up after
OUTBOX_MAX_ATTEMPTS; a dispatcher that dies mid-send is replaced once its lease runs out."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models.functions import Now

from souk.accounts.sms import SentSms
from souk.core.tests.threads import run_together
from souk.inventory.models import InventoryAlert
from souk.notifications.models import Channel, Kind, OutboxMessage
from souk.notifications.services import dispatch
from souk.notifications.services.dispatch import outbox_dispatch, outbox_resend, outbox_state
from souk.orders.services.placement import order_place
from souk.orders.tests.factories import ensure_address

pytestmark = pytest.mark.django_db

PENDING = OutboxMessage.Status.PENDING
SENT = OutboxMessage.Status.SENT
DEAD = OutboxMessage.Status.DEAD
SKIPPED = OutboxMessage.Status.SKIPPED
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture
def order(customer, shop, product):
    """An order placed through `order_place`, which writes its "placed" messages: one email to
    the buyer, one to the shop's owner."""
    ensure_address(customer)
    return order_place(user=customer, shop=shop, items=[(product.variants.get().pk, 1)])


@pytest.fixture
def buyer_message(order, customer) -> OutboxMessage:
    return OutboxMessage.objects.get(recipient=customer)


def db_clock() -> datetime:
    """The database's clock as leases, backoffs and ages read it (Django's Now())."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def transaction_began() -> datetime:
    """PostgreSQL's now(), which the sent mark reads: in a test, when its transaction began
    (in a dispatcher, which runs in autocommit, the time of the mark)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def make_due(message: OutboxMessage) -> None:
    """Move the message's next try (or the end of its lease) into the past."""
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=Now() - timedelta(seconds=1))


def make_all_due() -> None:
    """Every message's next try (or the end of its lease) into the past: leases ran out."""
    OutboxMessage.objects.update(available_at=Now() - timedelta(seconds=1))


def low_stock_sms(recipient: Any, alert: InventoryAlert) -> OutboxMessage:
    return OutboxMessage.objects.create(
        channel=Channel.SMS,
        recipient=recipient,
        kind=Kind.LOW_STOCK,
        data={"shop": alert.shop_id, "alerts": [alert.pk]},
    )


@pytest.fixture
def alert(shop, product) -> InventoryAlert:
    return InventoryAlert.objects.create(
        shop=shop, variant=product.variants.get(), quantity=2, threshold=3
    )


def test_placing_an_order_writes_one_pending_email_per_recipient(order, customer, artisan):
    messages = OutboxMessage.objects.order_by("recipient_id")

    assert [(m.recipient_id, m.channel, m.kind, m.status, m.attempts) for m in messages] == sorted(
        [
            (customer.pk, Channel.EMAIL, Kind.ORDER_PLACED, PENDING, 0),
            (artisan.pk, Channel.EMAIL, Kind.ORDER_PLACED, PENDING, 0),
        ]
    )
    assert mail.outbox == []


def test_a_due_message_is_sent_once_and_marked_sent(buyer_message, customer, artisan):
    done = outbox_dispatch()

    assert (done.sent, done.retried, done.dead, done.skipped, done.more) == (2, 0, 0, 0, False)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([customer.email, artisan.email])
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts, buyer_message.last_error) == (
        SENT,
        1,
        "",
    )
    assert buyer_message.sent_at == transaction_began()  # marked by the database's clock

    again = outbox_dispatch()

    assert (again.sent, len(mail.outbox)) == (0, 2)


def test_a_provider_failure_leaves_it_pending_with_a_backoff(buyer_message):
    before = db_clock()

    with mock.patch(LOCMEM_SEND, side_effect=OSError("connection refused")):
        done = outbox_dispatch()
    after = db_clock()

    assert (done.sent, done.retried, done.dead) == (0, 2, 0)
    assert mail.outbox == []
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts, buyer_message.last_error) == (
        PENDING,
        1,
        "OSError: connection refused",
    )
    assert buyer_message.sent_at is None
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    assert before + timedelta(seconds=base * 0.8) <= buyer_message.available_at
    assert buyer_message.available_at <= after + timedelta(seconds=base * 1.2)

    assert outbox_dispatch().sent == 0  # not due before its backoff ran out


def test_the_second_retry_waits_twice_as_long(buyer_message):
    with mock.patch(LOCMEM_SEND, side_effect=OSError("connection refused")):
        outbox_dispatch()
        make_due(buyer_message)
        before = db_clock()
        outbox_dispatch()
    after = db_clock()

    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts) == (PENDING, 2)
    base = settings.OUTBOX_RETRY_BASE_SECONDS * 2
    assert before + timedelta(seconds=base * 0.8) <= buyer_message.available_at
    assert buyer_message.available_at <= after + timedelta(seconds=base * 1.2)


def test_after_the_last_attempt_fails_it_is_dead(buyer_message):
    with mock.patch(LOCMEM_SEND, side_effect=OSError("connection refused")):
        for _ in range(settings.OUTBOX_MAX_ATTEMPTS - 1):
            assert outbox_dispatch().retried == 2
            make_all_due()
        last = outbox_dispatch()

    assert (last.retried, last.dead) == (0, 2)
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts, buyer_message.last_error) == (
        DEAD,
        settings.OUTBOX_MAX_ATTEMPTS,
        "OSError: connection refused",
    )
    make_all_due()
    assert outbox_dispatch().sent == 0
    assert mail.outbox == []
    assert outbox_state().dead == 2


def test_a_dead_message_sent_again_by_resend(buyer_message, customer):
    OutboxMessage.objects.filter(pk=buyer_message.pk).update(
        status=DEAD, attempts=settings.OUTBOX_MAX_ATTEMPTS, last_error="OSError: refused"
    )
    OutboxMessage.objects.exclude(pk=buyer_message.pk).update(status=SENT)

    queued = outbox_resend(message_ids=[buyer_message.pk])

    assert queued == 1
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts, buyer_message.last_error) == (
        PENDING,
        0,
        "",
    )

    done = outbox_dispatch()

    assert done.sent == 1
    assert [m.to for m in mail.outbox] == [[customer.email]]
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts) == (SENT, 1)


def test_resend_leaves_a_sent_message_alone(buyer_message):
    outbox_dispatch()

    assert outbox_resend(message_ids=[buyer_message.pk]) == 0

    buyer_message.refresh_from_db()
    assert buyer_message.status == SENT
    assert outbox_dispatch().sent == 0
    assert len(mail.outbox) == 2


def test_a_leased_message_is_not_claimed_by_a_second_dispatcher(buyer_message):
    batch = dispatch._claim(10)  # a dispatcher that then dies mid-send

    assert len(batch) == 2
    done = outbox_dispatch()

    assert (done.sent, done.retried, done.dead, done.skipped) == (0, 0, 0, 0)
    assert mail.outbox == []
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts) == (PENDING, 1)


def test_a_message_whose_lease_ran_out_is_sent_by_the_next_run_once(buyer_message, customer):
    dispatch._claim(10)  # a dispatcher that then dies mid-send
    make_all_due()

    done = outbox_dispatch()

    assert done.sent == 2
    assert sorted(m.extra_headers["X-Souk-Message-Key"] for m in mail.outbox) == sorted(
        str(key) for key in OutboxMessage.objects.values_list("key", flat=True)
    )
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts) == (SENT, 2)
    assert outbox_dispatch().sent == 0
    assert len(mail.outbox) == 2


def test_a_message_claimed_too_often_without_an_outcome_goes_dead_unsent(buyer_message):
    for _ in range(settings.OUTBOX_MAX_ATTEMPTS):
        assert len(dispatch._claim(10)) == 2  # each sender died before an outcome
        make_all_due()

    done = outbox_dispatch()

    assert (done.sent, done.dead) == (0, 2)
    assert mail.outbox == []
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts, buyer_message.last_error) == (
        DEAD,
        settings.OUTBOX_MAX_ATTEMPTS + 1,
        "no outcome after repeated attempts",
    )


def test_a_message_to_an_inactive_recipient_is_skipped(buyer_message, customer, artisan):
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    done = outbox_dispatch()

    assert (done.sent, done.skipped) == (1, 1)
    assert [m.to for m in mail.outbox] == [[artisan.email]]
    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.last_error, buyer_message.sent_at) == (
        SKIPPED,
        "the recipient was deactivated",
        None,
    )


def test_a_message_about_a_deleted_subject_is_skipped(artisan, alert, sms_outbox):
    artisan.phone = "+212600000001"
    artisan.save(update_fields=["phone"])
    message = low_stock_sms(artisan, alert)
    alert_id = alert.pk
    alert.delete()

    done = outbox_dispatch()

    assert (done.sent, done.skipped) == (0, 1)
    assert sms_outbox == []
    message.refresh_from_db()
    assert (message.status, message.last_error) == (SKIPPED, f"alerts [{alert_id}]")


def test_a_message_about_an_order_that_is_gone_is_skipped(customer):
    message = OutboxMessage.objects.create(
        channel=Channel.EMAIL,
        recipient=customer,
        kind=Kind.ORDER_PLACED,
        data={"order": 2_000_000_000, "event": "placed", "audience": "buyer"},
    )

    done = outbox_dispatch()

    assert (done.sent, done.skipped) == (0, 1)
    assert mail.outbox == []
    message.refresh_from_db()
    assert (message.status, message.last_error) == (SKIPPED, "order 2000000000")


def test_the_email_goes_to_one_recipient_with_its_key_and_both_bodies(
    buyer_message, customer, order
):
    outbox_dispatch()

    email = next(m for m in mail.outbox if m.to == [customer.email])
    assert (email.to, email.cc, email.bcc) == ([customer.email], [], [])
    sent = email.message()
    assert sent["Message-ID"] == f"<{buyer_message.key}@souk.localhost>"
    assert sent["X-Souk-Message-Key"] == str(buyer_message.key)
    assert [mimetype for _content, mimetype in email.alternatives] == ["text/html"]
    assert email.subject == f"We received your order {order.number}"
    html, _mimetype = email.alternatives[0]
    assert order.number in email.body
    assert order.number in str(html)


def test_the_sms_goes_through_the_sms_backend_with_the_message_key(
    artisan, shop, alert, sms_outbox
):
    artisan.phone = "+212600000001"
    artisan.save(update_fields=["phone"])
    message = low_stock_sms(artisan, alert)

    done = outbox_dispatch()

    assert done.sent == 1
    assert sms_outbox == [
        SentSms(
            to="+212600000001",
            body=f"Souk: stock is low for 1 product(s) in {shop.name}.",
            key=str(message.key),
        )
    ]
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == SENT


def test_an_sms_to_a_recipient_without_a_phone_is_skipped(artisan, alert, sms_outbox):
    message = low_stock_sms(artisan, alert)

    assert outbox_dispatch().skipped == 1

    assert sms_outbox == []
    message.refresh_from_db()
    assert (message.status, message.last_error) == (SKIPPED, "the recipient has no phone number")


def test_outbox_state_reports_pending_dead_and_the_oldest_pending_age(customer, order):
    now = db_clock()  # the age is read by the database's clock
    OutboxMessage.objects.all().delete()

    def row(status: str, age_seconds: int) -> OutboxMessage:
        return OutboxMessage(
            channel=Channel.EMAIL,
            recipient=customer,
            kind=Kind.ORDER_PLACED,
            data={"order": order.pk, "event": "placed", "audience": "buyer"},
            status=status,
            created_at=now - timedelta(seconds=age_seconds),
        )

    OutboxMessage.objects.bulk_create(
        [row(PENDING, 90), row(PENDING, 10), row(DEAD, 500), row(SENT, 900), row(SKIPPED, 800)]
    )

    state = outbox_state()

    assert (state.pending, state.dead, state.oldest_pending_seconds) == (2, 1, 90.0)


def test_outbox_state_of_an_empty_outbox(db):
    state = outbox_state()

    assert (state.pending, state.dead, state.oldest_pending_seconds) == (0, 0, 0.0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("threads")
def test_two_dispatchers_at_once_never_send_a_message_twice(artisan, alert, sms_outbox, settings):
    settings.OUTBOX_BATCH_SIZE = 7  # many small claims, so that the two interleave
    artisan.phone = "+212600000001"
    artisan.save(update_fields=["phone"])
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=Channel.SMS,
                recipient=artisan,
                kind=Kind.LOW_STOCK,
                data={"shop": alert.shop_id, "alerts": [alert.pk]},
            )
            for _ in range(300)
        ]
    )

    first, second = run_together([outbox_dispatch, outbox_dispatch])

    keys = [sms.key for sms in sms_outbox]
    assert len(keys) == 300
    assert sorted(keys) == sorted(
        str(key) for key in OutboxMessage.objects.values_list("key", flat=True)
    )
    assert first.sent + second.sent == 300
    assert (first.sent > 0, second.sent > 0) == (True, True)
    assert OutboxMessage.objects.filter(status=SENT, attempts=1).count() == 300


def test_each_message_is_marked_sent_before_the_next_send(artisan, alert, sms_outbox):
    """A worker killed during a send has marked every message the provider accepted before."""
    artisan.phone = "+212600000001"
    artisan.save(update_fields=["phone"])
    first, second = low_stock_sms(artisan, alert), low_stock_sms(artisan, alert)
    seen: list[dict[str, str]] = []

    def look_then_send(*, to: str, body: str, key: str | None = None) -> None:
        # what the database holds while the provider is being called
        seen.append({str(k): s for k, s in OutboxMessage.objects.values_list("key", "status")})
        sms_outbox.append(SentSms(to=to, body=body, key=key))

    with mock.patch.object(dispatch, "send_sms", side_effect=look_then_send):
        done = outbox_dispatch()

    assert done.sent == 2
    assert seen == [
        {str(first.key): PENDING, str(second.key): PENDING},
        {str(first.key): SENT, str(second.key): PENDING},
    ]
    assert [sms.key for sms in sms_outbox] == [str(first.key), str(second.key)]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(SENT, 1)}


def test_resend_leaves_a_pending_message_alone(buyer_message):
    batch = dispatch._claim(10)  # being sent right now
    leased = OutboxMessage.objects.get(pk=buyer_message.pk)

    assert outbox_resend(message_ids=[buyer_message.pk]) == 0

    buyer_message.refresh_from_db()
    assert (
        buyer_message.status,
        buyer_message.attempts,
        buyer_message.available_at,
        buyer_message.last_error,
    ) == (PENDING, 1, leased.available_at, "")

    # Its dispatcher hands the batch back untried: due at once, the attempt not counted.
    before = db_clock()
    dispatch._release(batch)

    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts) == (PENDING, 0)
    assert before <= buyer_message.available_at <= db_clock()
    assert outbox_dispatch().sent == 2
    assert len(mail.outbox) == 2


def test_a_stale_dispatcher_touches_no_message_claimed_again(buyer_message, customer):
    stale = dispatch._claim(10)  # its sender hangs until the lease runs out
    make_all_due()
    fresh = dispatch._claim(10)  # another dispatcher claims the messages again
    leased = OutboxMessage.objects.get(pk=buyer_message.pk)
    assert leased.attempts == 2
    late = next(m for m in stale if m.pk == buyer_message.pk)

    # The stale dispatcher's provider finally fails, then it gives up, skips, hands back.
    with mock.patch(LOCMEM_SEND, side_effect=OSError("timed out")):
        assert dispatch._deliver(stale) == Counter(retried=2)
    dispatch._mark_failed(late, "OSError: timed out", final=True)
    dispatch._mark_skipped(late, "the recipient was deactivated")
    dispatch._release(stale)
    dispatch._mark_sent(late)

    buyer_message.refresh_from_db()
    assert (
        buyer_message.status,
        buyer_message.attempts,
        buyer_message.available_at,
        buyer_message.last_error,
        buyer_message.sent_at,
    ) == (PENDING, 2, leased.available_at, "", None)
    assert mail.outbox == []

    assert dispatch._deliver(fresh) == Counter(sent=2)

    buyer_message.refresh_from_db()
    assert (buyer_message.status, buyer_message.attempts) == (SENT, 2)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [customer.email, OutboxMessage.objects.exclude(pk=buyer_message.pk).get().recipient.email]
    )
