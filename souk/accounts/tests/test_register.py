from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from souk.accounts.models import User
from souk.accounts.tests.factories import PASSWORD

URL = "/api/register/"
pytestmark = pytest.mark.django_db


def payload(**overrides):
    data = {"email": "new@example.com", "password": PASSWORD, "role": "customer"}
    data.update(overrides)
    return data


def test_register_customer_returns_user_and_tokens(api_client):
    response = api_client.post(
        URL, payload(first_name="Nia", last_name="Okoro", phone="+1 415 555 0123"), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["role"] == "customer"
    assert body["user"]["phone"] == "+14155550123"
    assert body["user"]["first_name"] == "Nia"
    assert body["user"]["is_email_verified"] is False
    assert set(body["user"]) == {
        "id",
        "email",
        "phone",
        "first_name",
        "last_name",
        "role",
        "is_email_verified",
        "is_phone_verified",
        "date_joined",
    }
    assert AccessToken(body["access"])["user_id"] == str(body["user"]["id"])
    assert body["refresh"]
    user = User.objects.get(email="new@example.com")
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser


def test_register_artisan(api_client):
    response = api_client.post(URL, payload(role="artisan"), format="json")

    assert response.status_code == 201
    assert response.json()["user"]["role"] == "artisan"


def test_register_normalises_email_case(api_client):
    response = api_client.post(URL, payload(email="  Mixed.Case@Example.COM "), format="json")

    assert response.status_code == 201
    assert response.json()["user"]["email"] == "mixed.case@example.com"


@pytest.mark.parametrize("role", ["admin", "staff", "superuser", "", None, 1])
def test_register_rejects_any_other_role(api_client, role):
    response = api_client.post(URL, payload(role=role), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "role" in body["errors"]
    assert User.objects.count() == 0


def test_register_requires_role(api_client):
    data = payload()
    del data["role"]

    response = api_client.post(URL, data, format="json")

    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_privilege_fields_in_body_never_raise_privileges(api_client):
    response = api_client.post(
        URL,
        payload(
            is_staff=True,
            is_superuser=True,
            is_active=True,
            is_email_verified=True,
            token_generation=9,
            id=999,
        ),
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(email="new@example.com")
    assert (user.is_staff, user.is_superuser, user.role) == (False, False, "customer")
    assert user.is_email_verified is False
    assert user.token_generation == 0


def test_register_taken_email_is_400_whatever_the_case(api_client, user_factory):
    user_factory(email="taken@example.com")

    response = api_client.post(URL, payload(email="TAKEN@example.com"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["email"] == ["A user with this email already exists."]
    assert User.objects.count() == 1


def test_register_taken_phone_is_400(api_client, user_factory):
    user_factory(phone="+14155550123")

    response = api_client.post(URL, payload(phone="+1 (415) 555-0123"), format="json")

    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    assert User.objects.count() == 1


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+999999999999999"])
def test_register_invalid_phone_is_400(api_client, phone):
    response = api_client.post(URL, payload(phone=phone), format="json")

    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    assert User.objects.count() == 0


@pytest.mark.parametrize("password", ["short1!", "password123", "12345678901", "new@example.com"])
def test_register_weak_password_is_400(api_client, password):
    response = api_client.post(URL, payload(password=password), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "password" in response.json()["errors"]
    assert User.objects.count() == 0


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@b.com"])
def test_register_invalid_email_is_400(api_client, email):
    response = api_client.post(URL, payload(email=email), format="json")

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_register_missing_everything_lists_each_field(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password", "role"}


def test_register_is_throttled_per_address(api_client, settings):
    for n in range(20):
        assert (
            api_client.post(URL, payload(email=f"u{n}@example.com"), format="json").status_code
            == 201
        )

    response = api_client.post(URL, payload(email="one-more@example.com"), format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(email="one-more@example.com").exists()
