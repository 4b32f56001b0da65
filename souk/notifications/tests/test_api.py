"""The inbox API: each caller sees and changes only their own notifications (administrators
list everyone's with `?all=1`), newest first, filtered by `unread` and `kind`; the unread count
is cached and forgotten by every change; preferences are `{kind: {in_app, email, sms}}`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.accounts.models import User
from souk.core.testing import assert_problem
from souk.notifications.models import DEFAULT_CHANNELS, Kind, Notification, Preference
from souk.notifications.services.record import review_record

pytestmark = pytest.mark.django_db

LIST = "/api/notifications/"
COUNT = "/api/notifications/unread-count/"
READ_ALL = "/api/notifications/read-all/"
PREFERENCES = "/api/notifications/preferences/"

ROLES = ["customer", "artisan", "admin_user"]


def notify(user: User, kind: str = Kind.ORDER_PAID, *, read: bool = False) -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind=kind,
        title=f"{kind} for {user.pk}",
        body="Body",
        data={"order": 7, "shop": 3},
        read_at=timezone.now() - timedelta(minutes=1) if read else None,
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def read_state() -> dict[int, bool]:
    return {n.pk: n.read_at is not None for n in Notification.objects.all()}


@pytest.fixture
def everyone(customer, artisan, admin_user):
    """Two notifications of each of the customer, the artisan and the admin."""
    return {
        user.pk: [notify(user), notify(user, Kind.LOW_STOCK)]
        for user in (customer, artisan, admin_user)
    }


# The route x role matrix


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST),
        ("get", COUNT),
        ("post", READ_ALL),
        ("get", PREFERENCES),
        ("put", PREFERENCES),
        ("post", "/api/notifications/{id}/read/"),
        ("delete", "/api/notifications/{id}/"),
    ],
)
def test_anonymous_is_401_and_changes_nothing(api_client, customer, method, path):
    mine = notify(customer)

    response = getattr(api_client, method)(path.format(id=mine.pk), format="json")

    assert_problem(response, 401, "not_authenticated")
    assert read_state() == {mine.pk: False}
    assert not Preference.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_only_its_own(request, client_for, everyone, role):
    user = request.getfixturevalue(role)

    response = client_for(user).get(LIST)

    mine = everyone[user.pk]
    assert ids(response) == [mine[1].pk, mine[0].pk]
    assert response.json()["count"] == 2
    assert response.json()["results"][0] == {
        "id": mine[1].pk,
        "kind": "low_stock",
        "title": mine[1].title,
        "body": "Body",
        "data": {"order": 7, "shop": 3},
        "read_at": None,
        "created_at": mine[1].created_at.isoformat().replace("+00:00", "Z"),
    }


def test_admin_lists_everyones_with_all(client_for, everyone, admin_user):
    response = client_for(admin_user).get(LIST, {"all": "1"})

    assert ids(response) == sorted((n.pk for rows in everyone.values() for n in rows), reverse=True)


@pytest.mark.parametrize("role", ["customer", "artisan", "staff"])
def test_non_admin_asking_for_all_is_403(request, client_for, everyone, role):
    response = client_for(request.getfixturevalue(role)).get(LIST, {"all": "1"})

    assert_problem(response, 403, "permission_denied")


@pytest.mark.parametrize("role", ROLES)
def test_someone_elses_notification_is_404_to_read(request, client_for, everyone, customer, role):
    user = request.getfixturevalue(role)
    other = notify(User.objects.exclude(pk=user.pk).order_by("pk").first())
    before = read_state()

    response = client_for(user).post(f"/api/notifications/{other.pk}/read/")

    assert_problem(response, 404, "not_found")
    assert read_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_someone_elses_notification_is_404_to_delete(request, client_for, everyone, role):
    user = request.getfixturevalue(role)
    other = notify(User.objects.exclude(pk=user.pk).order_by("pk").first())
    before = read_state()

    response = client_for(user).delete(f"/api/notifications/{other.pk}/")

    assert_problem(response, 404, "not_found")
    assert read_state() == before


def test_a_missing_notification_is_404(client_for, customer):
    mine = notify(customer)

    assert_problem(client_for(customer).post("/api/notifications/999999/read/"), 404, "not_found")
    assert_problem(client_for(customer).delete("/api/notifications/999999/"), 404, "not_found")
    assert read_state() == {mine.pk: False}


# Filters and order


def test_unread_true_lists_only_unread(client_for, customer):
    unread = notify(customer)
    notify(customer, read=True)
    newer = notify(customer, Kind.LOW_STOCK)

    assert ids(client_for(customer).get(LIST, {"unread": "true"})) == [newer.pk, unread.pk]


def test_kind_filter(client_for, customer, artisan):
    paid = notify(customer, Kind.ORDER_PAID)
    notify(customer, Kind.ORDER_PLACED)
    paid_read = notify(customer, Kind.ORDER_PAID, read=True)
    notify(artisan, Kind.ORDER_PAID)

    assert ids(client_for(customer).get(LIST, {"kind": "order_paid"})) == [paid_read.pk, paid.pk]


def test_unread_and_kind_combine(client_for, customer):
    paid = notify(customer, Kind.ORDER_PAID)
    notify(customer, Kind.ORDER_PAID, read=True)
    notify(customer, Kind.LOW_STOCK)

    response = client_for(customer).get(LIST, {"kind": "order_paid", "unread": "true"})

    assert ids(response) == [paid.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "order_lost"}, "kind"),
        ({"unread": "perhaps"}, "unread"),
        ({"all": "sometimes"}, "all"),
    ],
)
def test_invalid_filters_are_400(client_for, customer, params, field):
    notify(customer)

    body = assert_problem(client_for(customer).get(LIST, params), 400, "validation_error")

    assert list(body["errors"]) == [field]


def test_newest_first(client_for, customer):
    made = [notify(customer, kind) for kind in (Kind.ORDER_PAID, Kind.LOW_STOCK, Kind.ORDER_PAID)]

    assert ids(client_for(customer).get(LIST)) == [n.pk for n in reversed(made)]


def test_list_pages_newest_first(client_for, customer):
    made = [notify(customer) for _ in range(5)]

    response = client_for(customer).get(LIST, {"page": 2, "page_size": 2})

    assert ids(response) == [made[2].pk, made[1].pk]
    assert response.json()["count"] == 5


# The unread count


def test_unread_count_counts_only_the_callers_unread(client_for, customer, artisan):
    notify(customer)
    notify(customer)
    notify(customer, read=True)
    notify(artisan)

    response = client_for(customer).get(COUNT)

    assert response.status_code == 200
    assert response.json() == {"unread": 2}


def test_unread_count_is_cached(client_for, customer):
    notify(customer)
    client = client_for(customer)
    assert client.get(COUNT).json() == {"unread": 1}
    # Written behind the service's back: the cached answer stands.
    notify(customer)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(COUNT)

    assert response.json() == {"unread": 1}
    # Nothing is read: not the notifications, and (with the cached auth state) not the user.
    assert captured.captured_queries == []


def test_a_recorded_notification_makes_the_next_count_fresh(
    client_for, artisan, shop, product, customer, django_capture_on_commit_callbacks
):
    from souk.catalog.models import Review

    client = client_for(artisan)
    assert client.get(COUNT).json() == {"unread": 0}
    review = Review.objects.create(product=product, customer=customer, rating=5, title="Lovely")

    with django_capture_on_commit_callbacks(execute=True):
        review_record(review=review)

    assert client.get(COUNT).json() == {"unread": 1}


def test_read_makes_the_next_count_fresh(client_for, customer, django_capture_on_commit_callbacks):
    first, second = notify(customer), notify(customer)
    client = client_for(customer)
    assert client.get(COUNT).json() == {"unread": 2}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/notifications/{first.pk}/read/")

    assert response.status_code == 204
    assert response.content == b""
    assert read_state() == {first.pk: True, second.pk: False}
    assert client.get(COUNT).json() == {"unread": 1}


def test_read_again_is_harmless(client_for, customer, django_capture_on_commit_callbacks):
    done = notify(customer, read=True)
    read_at = done.read_at

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(customer).post(f"/api/notifications/{done.pk}/read/")

    assert response.status_code == 204
    done.refresh_from_db()
    assert done.read_at == read_at


def test_read_all_marks_only_the_callers_and_makes_the_count_fresh(
    client_for, customer, artisan, django_capture_on_commit_callbacks
):
    mine = [notify(customer), notify(customer, Kind.LOW_STOCK)]
    already = notify(customer, read=True)
    theirs = notify(artisan)
    client = client_for(customer)
    assert client.get(COUNT).json() == {"unread": 2}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(READ_ALL)

    assert response.status_code == 204
    assert response.content == b""
    assert read_state() == {mine[0].pk: True, mine[1].pk: True, already.pk: True, theirs.pk: False}
    assert client.get(COUNT).json() == {"unread": 0}
    assert client_for(artisan).get(COUNT).json() == {"unread": 1}


def test_delete_removes_only_that_one_and_makes_the_count_fresh(
    client_for, customer, django_capture_on_commit_callbacks
):
    gone, kept = notify(customer), notify(customer)
    client = client_for(customer)
    assert client.get(COUNT).json() == {"unread": 2}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/notifications/{gone.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    assert read_state() == {kept.pk: False}
    assert client.get(COUNT).json() == {"unread": 1}


# Preferences

DEFAULTS = {"in_app": True, "email": True, "sms": False}
assert {str(k): v for k, v in DEFAULT_CHANNELS.items()} == DEFAULTS


def test_preferences_default_for_every_kind(client_for, customer):
    response = client_for(customer).get(PREFERENCES)

    assert response.status_code == 200
    assert response.json() == {kind.value: DEFAULTS for kind in Kind}
    assert not Preference.objects.exists()


def test_put_changes_what_it_names_and_keeps_the_rest(client_for, customer):
    client = client_for(customer)
    first = client.put(PREFERENCES, {"low_stock": {"email": False}}, format="json")
    assert first.status_code == 200, first.content

    response = client.put(
        PREFERENCES, {"order_paid": {"sms": True}, "low_stock": {"sms": True}}, format="json"
    )

    expected = {kind.value: DEFAULTS for kind in Kind}
    expected["order_paid"] = {"in_app": True, "email": True, "sms": True}
    expected["low_stock"] = {"in_app": True, "email": False, "sms": True}
    assert response.status_code == 200, response.content
    assert response.json() == expected
    assert client.get(PREFERENCES).json() == expected


def test_in_app_stays_on_for_order_kinds(client_for, customer):
    client = client_for(customer)
    client.put(PREFERENCES, {"order_placed": {"email": False}}, format="json")

    response = client.put(
        PREFERENCES, {"order_placed": {"in_app": False, "sms": True}}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "order_placed" in body["errors"]
    expected = {kind.value: DEFAULTS for kind in Kind}
    expected["order_placed"] = {"in_app": True, "email": False, "sms": False}
    assert client.get(PREFERENCES).json() == expected
    assert Preference.objects.get(user=customer).choices == {"order_placed": {"email": False}}


def test_in_app_can_be_turned_off_for_low_stock(client_for, artisan):
    response = client_for(artisan).put(PREFERENCES, {"low_stock": {"in_app": False}}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["low_stock"] == {"in_app": False, "email": True, "sms": False}
    assert response.json()["review_received"] == DEFAULTS


@pytest.mark.parametrize(
    "body",
    [
        {"order_lost": {"email": False}},
        {"low_stock": {"pigeon": True}},
        {"low_stock": {"email": "perhaps"}},
        {"low_stock": {"email": None}},
        {"low_stock": {"email": 2}},
        {"low_stock": False},
        {"low_stock": {"email": False}, "review_received": {"fax": False}},
    ],
)
def test_invalid_preferences_are_400_and_change_nothing(client_for, customer, body):
    client = client_for(customer)
    client.put(PREFERENCES, {"review_received": {"email": False}}, format="json")
    before = client.get(PREFERENCES).json()

    response = client.put(PREFERENCES, body, format="json")

    assert_problem(response, 400, "validation_error")
    assert client.get(PREFERENCES).json() == before
    assert Preference.objects.get(user=customer).choices == {"review_received": {"email": False}}


# Queries


def test_the_list_costs_the_same_queries_for_a_bigger_page(client_for, customer, admin_user):
    client = client_for(customer)

    def count(expected_rows: int, **params: str) -> int:
        client.get(LIST, params)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, params)
        assert len(ids(response)) == expected_rows
        return len(captured)

    for _ in range(2):
        notify(customer)
    small = count(2)
    for _ in range(18):
        notify(customer, Kind.LOW_STOCK)
    large = count(20)

    assert small == large
    assert count(18, unread="true", kind="low_stock") == count(2, kind="order_paid")
    admin = client_for(admin_user)
    admin.get(LIST, {"all": "1"})
    with CaptureQueriesContext(connection) as captured:
        assert len(ids(admin.get(LIST, {"all": "1"}))) == 20
    assert len(captured) == large
