"""The notification bell and the inbox page: each user sees and changes only their own."""

from __future__ import annotations

import pytest
from django.test import Client

from souk.notifications.models import Kind, Notification
from souk.notifications.services.inbox import unread_count, unread_forget

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"
BELL = "/notifications/bell/"
READ_ALL = "/notifications/read-all/"


def notify(user, title="Your order was paid", *, read=False):
    from django.utils import timezone

    notification = Notification.objects.create(
        recipient=user,
        kind=Kind.ORDER_PAID,
        title=title,
        body="Order S-1 is paid.",
        data={"order": 1},
        read_at=timezone.now() if read else None,
    )
    unread_forget([user.pk])
    return notification


@pytest.mark.parametrize("path", [INBOX], ids=["inbox"])
def test_anonymous_is_sent_to_log_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_anonymous_bell_stops_polling(client):
    response = client.get(BELL)

    assert response.status_code == 286
    assert response.content == b""


def test_the_bell_shows_the_unread_count(client, customer, other_customer):
    notify(customer)
    notify(customer)
    notify(customer, read=True)
    notify(other_customer)
    client.force_login(customer)

    response = client.get(BELL)

    assert response.status_code == 200
    assert b'data-unread="2"' in response.content


def test_every_page_carries_the_bell(client, customer):
    notify(customer)
    client.force_login(customer)

    page = client.get("/addresses/").content.decode()

    assert 'id="bell"' in page
    assert 'hx-get="/notifications/bell/"' in page
    assert 'data-unread="1"' in page


def test_the_inbox_lists_only_my_notifications(client, customer, other_customer):
    notify(customer, "Mine")
    notify(other_customer, "Theirs")
    client.force_login(customer)

    response = client.get(INBOX)

    assert response.status_code == 200
    assert b"Mine" in response.content
    assert b"Theirs" not in response.content


def test_the_empty_inbox_says_so(client, customer):
    client.force_login(customer)

    response = client.get(INBOX)

    assert b"No notifications yet" in response.content


def test_the_unread_filter(client, customer):
    notify(customer, "Fresh")
    notify(customer, "Old news", read=True)
    client.force_login(customer)

    response = client.get(INBOX, {"unread": "1"})

    assert b"Fresh" in response.content
    assert b"Old news" not in response.content


def test_mark_one_read_with_htmx(client, customer):
    notification = notify(customer)
    client.force_login(customer)

    response = client.post(f"/notifications/{notification.pk}/read/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert f'id="notification-{notification.pk}"'.encode() in response.content
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread_count(user=customer) == 0


def test_mark_one_read_without_htmx_redirects(client, customer):
    notification = notify(customer)
    client.force_login(customer)

    response = client.post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_404_and_unchanged(client, customer, other_customer):
    theirs = notify(other_customer)
    client.force_login(customer)

    response = client.post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_is_post_only(client, customer):
    notification = notify(customer)
    client.force_login(customer)

    assert client.get(f"/notifications/{notification.pk}/read/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read(client, customer, other_customer):
    notify(customer)
    notify(customer)
    theirs = notify(other_customer)
    client.force_login(customer)

    response = client.post(READ_ALL, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert b"2 marked as read" in response.content
    assert unread_count(user=customer) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_needs_csrf(customer):
    notify(customer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post(READ_ALL)

    assert response.status_code == 403
    assert unread_count(user=customer) == 1


def test_the_inbox_query_count_holds_as_it_grows(client, customer, django_assert_max_num_queries):
    for index in range(25):
        notify(customer, f"N{index}")
    client.force_login(customer)

    with django_assert_max_num_queries(12):
        response = client.get(INBOX)

    assert response.status_code == 200


def test_times_read_in_words(client, customer):
    from datetime import timedelta

    from django.utils import timezone

    notify(customer, "Fresh")
    old = notify(customer, "Old")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    client.force_login(customer)

    page = client.get(INBOX).content.decode()

    assert "just now" in page
    assert "3\xa0hours ago" in page
