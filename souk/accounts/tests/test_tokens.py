"""Login, refresh rotation, logout, and revocation on password change."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from souk.accounts.tests.factories import PASSWORD

LOGIN = "/api/accounts/login/"
REFRESH = "/api/accounts/token/refresh/"
LOGOUT = "/api/accounts/logout/"
ME = "/api/accounts/me/"

pytestmark = pytest.mark.django_db


def login(client, identifier, password=PASSWORD):
    return client.post(LOGIN, {"identifier": identifier, "password": password}, format="json")


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_login_by_email_any_case(api_client, customer):
    response = login(api_client, customer.email.upper())

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == customer.id
    assert {"access", "refresh", "user"} == set(body)
    assert bearer(api_client, body["access"]).get(ME).json()["email"] == customer.email


def test_login_by_phone_in_any_format(api_client, user_factory):
    user = user_factory(phone="+14155550123")

    response = login(api_client, "+1 (415) 555-0123")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id


def test_login_records_last_login(api_client, customer):
    assert customer.last_login is None

    login(api_client, customer.email)

    customer.refresh_from_db()
    assert customer.last_login is not None


@pytest.mark.parametrize(
    ("identifier", "password"),
    [
        ("user-does-not-exist@example.com", PASSWORD),
        (None, "wrong-password"),
        ("+14155550199", PASSWORD),
    ],
)
def test_login_wrong_credentials_are_401(api_client, customer, identifier, password):
    response = login(api_client, identifier or customer.email, password)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "authentication_failed"


def test_login_inactive_user_is_401(api_client, user_factory):
    user = user_factory(is_active=False)

    assert login(api_client, user.email).status_code == 401


def test_login_missing_fields_is_400(api_client):
    response = api_client.post(LOGIN, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"identifier", "password"}


def test_login_ignores_a_stale_bearer_token(api_client, customer):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert login(api_client, customer.email).status_code == 200


def test_login_throttled_per_address(api_client, user_factory):
    users = [user_factory() for _ in range(10)]
    for user in users:
        assert login(api_client, user.email, "wrong").status_code == 401

    response = login(api_client, users[0].email)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_login_throttled_per_account_across_addresses(api_client, customer):
    for n in range(20):
        response = api_client.post(
            LOGIN,
            {"identifier": customer.email, "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.0.{n}.1",
        )
        assert response.status_code == 401

    response = api_client.post(
        LOGIN,
        {"identifier": customer.email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.9.9.9",
    )

    assert response.status_code == 429


PHONE_SPELLINGS = [
    "+4915112345678",
    "+49 151 12345678",
    "+49 (151) 1234-5678",
    "+49.151.12345678",
    "\uff0b\uff14\uff19\uff11\uff15\uff11\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
    " +49151 1234 5678 ",
]


def test_login_throttle_counts_every_spelling_of_a_phone_number(api_client, user_factory):
    user = user_factory(phone="+4915112345678")
    for n in range(20):
        response = api_client.post(
            LOGIN,
            {"identifier": PHONE_SPELLINGS[n % len(PHONE_SPELLINGS)], "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.1.{n}.1",
        )
        assert response.status_code == 401, (n, response.content)

    for n, spelling in enumerate(PHONE_SPELLINGS):
        response = api_client.post(
            LOGIN,
            {"identifier": spelling, "password": PASSWORD},
            format="json",
            REMOTE_ADDR=f"10.2.{n}.1",
        )
        assert response.status_code == 429, (spelling, response.content)
        assert response.json()["code"] == "throttled"
    user.refresh_from_db()
    assert user.last_login is None


def test_login_throttle_counts_every_spelling_of_an_email_address(api_client, user_factory):
    user = user_factory(email="nia@example.com")
    spellings = [
        "nia@example.com",
        "NIA@Example.COM",
        "  Nia@example.com ",
        "\uff4e\uff49\uff41\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e"
        "\uff43\uff4f\uff4d",
    ]
    for n in range(20):
        response = api_client.post(
            LOGIN,
            {"identifier": spellings[n % len(spellings)], "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.3.{n}.1",
        )
        assert response.status_code == 401, (n, response.content)

    response = api_client.post(
        LOGIN,
        {"identifier": "Nia@EXAMPLE.com", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.4.0.1",
    )

    assert response.status_code == 429
    user.refresh_from_db()
    assert user.last_login is None


def test_login_throttle_folds_identifiers_that_are_neither_email_nor_phone(api_client):
    spellings = ["Not A Number", "not-a-number", "NOT.A.NUMBER", "notanumber"]
    for n in range(20):
        response = api_client.post(
            LOGIN,
            {"identifier": spellings[n % len(spellings)], "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.5.{n}.1",
        )
        assert response.status_code == 401, (n, response.content)

    response = api_client.post(
        LOGIN,
        {"identifier": "Not.A-Number", "password": "x"},
        format="json",
        REMOTE_ADDR="10.6.0.1",
    )

    assert response.status_code == 429


def test_login_throttle_keeps_different_accounts_apart(api_client, user_factory):
    first = user_factory(phone="+4915112345678")
    second = user_factory(phone="+4915112345679")
    for n in range(20):
        api_client.post(
            LOGIN,
            {"identifier": first.phone, "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.7.{n}.1",
        )

    response = api_client.post(
        LOGIN,
        {"identifier": "+49 151 12345679", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.8.0.1",
    )

    assert response.status_code == 200
    assert response.json()["user"]["id"] == second.id


def test_forwarded_for_header_is_not_trusted_without_proxies(api_client, user_factory):
    users = [user_factory() for _ in range(10)]
    for n, user in enumerate(users):
        login_response = api_client.post(
            LOGIN,
            {"identifier": user.email, "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        assert login_response.status_code == 401

    response = api_client.post(
        LOGIN,
        {"identifier": users[0].email, "password": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert response.status_code == 429


def test_refresh_rotates_and_old_refresh_stops_working(api_client, customer):
    first = login(api_client, customer.email).json()

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    pair = rotated.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != first["refresh"]
    reused = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.json()["code"] == "authentication_failed"
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_refresh_with_bad_token(api_client, token):
    response = api_client.post(REFRESH, {"refresh": token}, format="json")

    assert response.status_code in (400, 401)
    assert response.json()["code"] in ("validation_error", "authentication_failed")


def test_refresh_with_access_token_is_401(api_client, customer):
    tokens = login(api_client, customer.email).json()

    response = api_client.post(REFRESH, {"refresh": tokens["access"]}, format="json")

    assert response.status_code == 401


def test_refresh_for_deactivated_user_is_401(api_client, customer):
    tokens = login(api_client, customer.email).json()
    customer.is_active = False
    customer.save()

    assert (
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    )


def test_refresh_for_deleted_user_is_401(api_client, customer):
    tokens = login(api_client, customer.email).json()
    customer.delete()

    assert (
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_use_of_one_refresh_token_succeeds_once(customer):
    from rest_framework.test import APIClient

    refresh = login(APIClient(), customer.email).json()["refresh"]
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def use() -> None:
        try:
            barrier.wait()
            statuses.append(
                APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401]


def test_logout_blacklists_refresh(api_client, customer):
    tokens = login(api_client, customer.email).json()
    bearer(api_client, tokens["access"])

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert (
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    )


def test_logout_requires_authentication(api_client, customer):
    tokens = login(api_client, customer.email).json()

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert (
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    )


def test_logout_cannot_revoke_someone_elses_refresh(api_client, customer, other_customer):
    victim = login(api_client, other_customer.email).json()
    mine = login(api_client, customer.email).json()
    bearer(api_client, mine["access"])

    response = api_client.post(LOGOUT, {"refresh": victim["refresh"]}, format="json")

    assert response.status_code == 401
    api_client.credentials()
    assert (
        api_client.post(REFRESH, {"refresh": victim["refresh"]}, format="json").status_code == 200
    )


def test_bad_bearer_token_is_401_authentication_failed(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_401_not_authenticated(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
