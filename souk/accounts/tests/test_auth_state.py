"""Authenticating with an access token reads the cached auth state, not the user row; every
change of that state is seen by the very next request."""

from __future__ import annotations

import logging
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from souk.accounts.models import User
from souk.accounts.services import auth_state
from souk.accounts.services.auth_state import GONE, auth_state_key, auth_user_get
from souk.accounts.services.tokens import tokens_revoke_all
from souk.accounts.tests.factories import PASSWORD
from souk.core.testing import assert_problem

ME = "/api/accounts/me/"
ADDRESSES = "/api/accounts/addresses/"
CHANGE = "/api/accounts/change-password/"
BECOME = "/api/accounts/become-artisan/"
SHOPS = "/api/shops/"

pytestmark = pytest.mark.django_db


def user_queries(captured):
    return [q["sql"] for q in captured if "accounts_user" in q["sql"]]


def cached(user):
    return cache.get(auth_state_key(user.pk))


def assert_refused(response, detail):
    body = assert_problem(response, 401, "authentication_failed")
    assert detail in body["detail"]


# --- No query on the hot path ------------------------------------------------------------------


def test_authenticated_request_reads_no_user_row(client_for, customer, address_factory):
    address_factory(user=customer)
    client = client_for(customer)
    client.get(ADDRESSES)  # fills the cache

    with CaptureQueriesContext(connection) as captured:
        response = client.get(ADDRESSES)

    assert response.status_code == 200
    assert user_queries(captured) == []
    assert len(captured) == 2  # the address count and page, nothing else


def test_first_request_reads_the_row_once_and_fills_the_cache(client_for, customer):
    client = client_for(customer)
    assert cached(customer) is None

    with CaptureQueriesContext(connection) as captured:
        response = client.get(ADDRESSES)

    assert response.status_code == 200
    assert len(user_queries(captured)) == 1
    assert cached(customer) == {
        "id": customer.pk,
        "is_superuser": False,
        "role": "customer",
        "is_active": True,
        "is_staff": False,
        "token_generation": 0,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
    }


def test_profile_fields_load_in_one_query(client_for, customer):
    client = client_for(customer)
    client.get(ADDRESSES)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    assert response.json()["first_name"] == customer.first_name
    assert len(captured) == 1  # every deferred field at once, on first access


# --- Changes are seen by the next request -----------------------------------------------------


def test_password_change_revokes_the_access_token_at_once(
    client_for, customer, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    assert client.get(ME).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGE, {"old_password": PASSWORD, "new_password": "Completely-new-1"}, format="json"
        )

    assert response.status_code == 204
    assert cached(customer)["token_generation"] == 1
    assert_refused(client.get(ME), "This token has been revoked.")


def test_revocation_before_the_commit_is_seen_by_the_same_transaction(client_for, customer):
    client = client_for(customer)
    client.get(ME)

    tokens_revoke_all(user=customer)  # the test's transaction never commits

    assert cached(customer) is None
    assert_refused(client.get(ME), "This token has been revoked.")


def test_role_upgrade_is_seen_by_the_next_request(
    client_for, customer, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    assert client.post(SHOPS, {}, format="json").status_code == 403  # customers open no shop

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(BECOME).status_code == 200

    assert cached(customer)["role"] == "artisan"
    assert client.post(SHOPS, {}, format="json").status_code == 400  # allowed, empty body


def test_deactivation_is_401_on_the_next_request(
    client_for, customer, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    assert client.get(ME).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        customer.is_active = False
        customer.save()

    assert cached(customer)["is_active"] is False
    assert_refused(client.get(ME), "User is inactive")


def test_deleted_user_is_401_on_the_next_request(
    client_for, customer, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    assert client.get(ME).status_code == 200
    user_id = customer.pk

    with django_capture_on_commit_callbacks(execute=True):
        customer.delete()

    assert cache.get(auth_state_key(user_id)) == GONE
    assert_refused(client.get(ME), "User not found")


def test_saving_fields_outside_the_state_keeps_it_cached(client_for, customer):
    client = client_for(customer)
    client.get(ME)

    customer.is_phone_verified = True
    customer.save(update_fields=["is_phone_verified"])

    assert cached(customer) is not None


@pytest.mark.django_db(transaction=True)
def test_password_change_that_commits_sets_the_new_state(client_for, user_factory):
    user = user_factory()
    client = client_for(user)
    assert client.get(ME).status_code == 200

    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password": "Completely-new-1"}, format="json"
    )

    assert response.status_code == 204
    assert cached(user)["token_generation"] == 1
    with CaptureQueriesContext(connection) as captured:
        assert_refused(client.get(ME), "This token has been revoked.")
    assert user_queries(captured) == []


# --- Fill versus change -----------------------------------------------------------------------


def test_a_fill_from_before_a_change_cannot_overwrite_it(
    customer, monkeypatch, django_capture_on_commit_callbacks
):
    """A request reads the old row; the change commits and sets the new state; the request
    then stores what it read: `add` refuses, the new state stays."""
    real_read = auth_state._state_read
    calls = []

    def read_then_change(user_id):
        calls.append(user_id)
        row = real_read(user_id)
        if len(calls) == 1:  # the reader, before it stores its row
            with django_capture_on_commit_callbacks(execute=True):
                tokens_revoke_all(user=customer)
        return row

    monkeypatch.setattr(auth_state, "_state_read", read_then_change)

    stale = auth_user_get(user_id=customer.pk)

    assert len(calls) == 2  # the reader's read and the change's fresh read
    assert stale is not None
    assert stale.token_generation == 0
    assert cached(customer)["token_generation"] == 1
    fresh = auth_user_get(user_id=customer.pk)
    assert fresh is not None
    assert fresh.token_generation == 1


def test_a_change_overwrites_a_fill_stored_before_it(customer, django_capture_on_commit_callbacks):
    """A request stores the old row while the change is still uncommitted: the change's `set`
    after commit replaces it."""
    old = auth_state._state_read(customer.pk)

    with django_capture_on_commit_callbacks(execute=True):
        User.objects.filter(pk=customer.pk).update(is_active=False)
        auth_state.auth_state_changed(user_ids=[customer.pk])
        assert cache.add(auth_state_key(customer.pk), old) is True  # the stale fill

    assert cached(customer)["is_active"] is False


@pytest.mark.django_db(transaction=True)
def test_two_changes_close_together_leave_the_latest_state(user_factory, monkeypatch):
    """Change A has read the row after its commit; change B commits and stores before A has
    stored: the lock makes B wait, so A's older read cannot land last."""
    user = user_factory()
    real_read = auth_state._state_read
    b_started = []

    def change_b() -> None:
        try:
            User.objects.filter(pk=user.pk).update(is_active=False)
            auth_state.auth_state_changed(user_ids=[user.pk])  # no transaction: stores now
        finally:
            connection.close()

    b = threading.Thread(target=change_b)

    def read(user_id):
        row = real_read(user_id)
        if not b_started:  # change A, holding what it read
            b_started.append(True)
            b.start()
            b.join(timeout=0.5)
        return row

    monkeypatch.setattr(auth_state, "_state_read", read)

    tokens_revoke_all(user=user)  # change A
    b.join()

    assert cached(user)["token_generation"] == 1
    assert cached(user)["is_active"] is False


# --- Redis down -------------------------------------------------------------------------------


class DownCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RedisConnectionError("connection refused")

        return fail


def test_redis_down_authenticates_from_the_database(client_for, customer, monkeypatch, caplog):
    client = client_for(customer)
    monkeypatch.setattr(auth_state, "cache", DownCache())

    with (
        caplog.at_level(logging.WARNING, logger="souk.accounts.services.auth_state"),
        CaptureQueriesContext(connection) as captured,
    ):
        response = client.get(ADDRESSES)

    assert response.status_code == 200
    assert len(user_queries(captured)) == 1
    assert "auth state cache unavailable" in caplog.text


def test_redis_down_still_refuses_a_revoked_token(
    client_for, customer, monkeypatch, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    monkeypatch.setattr(auth_state, "cache", DownCache())

    with django_capture_on_commit_callbacks(execute=True):
        tokens_revoke_all(user=customer)  # the cache cannot be told: no error either

    assert_refused(client.get(ME), "This token has been revoked.")


# --- The user built from the state ------------------------------------------------------------


def test_state_user_loads_deferred_fields_lazily_in_one_query(customer):
    user = auth_user_get(user_id=customer.pk)
    assert user is not None
    assert {"phone", "date_joined", "password"} <= user.get_deferred_fields()
    assert "email" not in user.get_deferred_fields()  # a placed order shows it

    with CaptureQueriesContext(connection) as captured:
        profile = (user.phone, user.date_joined, user.is_phone_verified)

    assert profile == (None, customer.date_joined, customer.is_phone_verified)
    assert len(captured) == 1
    assert user.get_deferred_fields() == set()
    assert user.check_password(PASSWORD)


def test_saving_a_state_user_writes_only_its_loaded_fields(customer):
    user = auth_user_get(user_id=customer.pk)
    assert user is not None

    user.role = User.Role.ARTISAN
    with CaptureQueriesContext(connection) as captured:
        user.save()

    [update] = [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]
    assert '"role"' in update
    assert '"phone"' not in update
    assert '"date_joined"' not in update
    assert '"password"' not in update
    row = User.objects.get(pk=customer.pk)
    assert row.role == "artisan"
    assert (row.email, row.first_name, row.last_name) == (
        customer.email,
        customer.first_name,
        customer.last_name,
    )
    assert row.check_password(PASSWORD)
    assert cached(customer) is None  # the save changed the state: dropped, set after commit
