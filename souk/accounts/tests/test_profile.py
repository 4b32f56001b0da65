"""me, change-password, become-artisan."""

from __future__ import annotations

import pytest

from souk.accounts.tests.factories import PASSWORD

ME = "/api/accounts/me/"
CHANGE = "/api/accounts/change-password/"
BECOME = "/api/accounts/become-artisan/"
LOGIN = "/api/accounts/login/"
REFRESH = "/api/accounts/token/refresh/"

pytestmark = pytest.mark.django_db


def test_me_returns_the_callers_profile(client_for, customer):
    response = client_for(customer).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": customer.id,
        "email": customer.email,
        "phone": None,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "role": "customer",
        "is_email_verified": False,
        "is_phone_verified": False,
        "date_joined": customer.date_joined.isoformat().replace("+00:00", "Z"),
    }


def test_me_requires_authentication(api_client):
    assert api_client.get(ME).status_code == 401
    assert api_client.patch(ME, {"first_name": "x"}, format="json").status_code == 401


def test_patch_me_updates_names(client_for, customer):
    response = client_for(customer).patch(
        ME, {"first_name": "Zara", "last_name": "Q"}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Zara", "Q")


def test_patch_me_cannot_change_role_or_flags(client_for, customer):
    response = client_for(customer).patch(
        ME,
        {
            "role": "admin",
            "is_staff": True,
            "is_superuser": True,
            "is_email_verified": True,
            "id": 1234,
            "date_joined": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.role == "customer"
    assert not customer.is_staff
    assert not customer.is_superuser
    assert not customer.is_email_verified
    assert response.json()["id"] == customer.id


def test_changing_email_unverifies_it(client_for, user_factory):
    user = user_factory(is_email_verified=True)

    response = client_for(user).patch(ME, {"email": "Fresh@Example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == "fresh@example.com"
    assert response.json()["is_email_verified"] is False


def test_changing_phone_unverifies_it_and_blank_clears_it(client_for, user_factory):
    user = user_factory(phone="+14155550123", is_phone_verified=True)
    client = client_for(user)

    changed = client.patch(ME, {"phone": "+14155550124"}, format="json")
    cleared = client.patch(ME, {"phone": ""}, format="json")

    assert changed.json()["phone"] == "+14155550124"
    assert changed.json()["is_phone_verified"] is False
    assert cleared.json()["phone"] is None


def test_patch_me_to_a_taken_email_or_phone_is_400(client_for, customer, user_factory):
    user_factory(email="taken@example.com", phone="+14155550123")
    client = client_for(customer)

    by_email = client.patch(ME, {"email": "taken@example.com"}, format="json")
    by_phone = client.patch(ME, {"phone": "+14155550123"}, format="json")

    assert by_email.status_code == 400
    assert "email" in by_email.json()["errors"]
    assert by_phone.status_code == 400
    assert "phone" in by_phone.json()["errors"]
    customer.refresh_from_db()
    assert customer.phone is None


def test_put_me_is_405(client_for, customer):
    response = client_for(customer).put(ME, {"first_name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_change_password_signs_out_every_session(api_client, client_for, customer):
    session = api_client.post(
        LOGIN, {"identifier": customer.email, "password": PASSWORD}, format="json"
    ).json()
    client = client_for(customer)

    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password": "Completely-new-1"}, format="json"
    )

    assert response.status_code == 204
    customer.refresh_from_db()
    assert customer.check_password("Completely-new-1")
    assert client.get(ME).status_code == 401
    assert (
        api_client.post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 401
    )
    fresh = api_client.post(
        LOGIN, {"identifier": customer.email, "password": "Completely-new-1"}, format="json"
    ).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api_client.get(ME).status_code == 200


def test_change_password_with_wrong_old_password_is_400(client_for, customer):
    response = client_for(customer).post(
        CHANGE, {"old_password": "not-it", "new_password": "Completely-new-1"}, format="json"
    )

    assert response.status_code == 400
    assert "old_password" in response.json()["errors"]
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_change_password_to_a_weak_one_is_400(client_for, customer):
    response = client_for(customer).post(
        CHANGE, {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert "new_password" in response.json()["errors"]
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_change_password_requires_authentication(api_client):
    response = api_client.post(CHANGE, {"old_password": "a", "new_password": "b"}, format="json")

    assert response.status_code == 401


def test_customer_becomes_artisan(client_for, customer):
    response = client_for(customer).post(BECOME)

    assert response.status_code == 200
    assert response.json()["user"]["role"] == "artisan"
    customer.refresh_from_db()
    assert customer.role == "artisan"


def test_become_artisan_again_changes_nothing(client_for, artisan):
    response = client_for(artisan).post(BECOME)

    assert response.status_code == 200
    assert response.json()["user"]["role"] == "artisan"


def test_admin_cannot_become_artisan(client_for, admin_user):
    response = client_for(admin_user).post(BECOME)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_become_artisan_requires_authentication(api_client):
    assert api_client.post(BECOME).status_code == 401
