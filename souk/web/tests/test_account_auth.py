"""Signing in and out of the pages: password, one-time code, sign-up, log out."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from souk.accounts.models import OtpCode, User
from souk.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
OTP = "/login/code/"
SIGNUP = "/signup/"
LOGOUT = "/logout/"


def signed_in(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def test_login_page_renders(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert b'name="identifier"' in response.content
    assert b'for="id_identifier"' in response.content


@pytest.mark.parametrize("how", ["email", "phone"], ids=["by-email", "by-phone"])
def test_login_with_password_starts_a_session(client, user_factory, how):
    user = user_factory(phone="+14155550123")
    identifier = user.email.upper() if how == "email" else "+1 415-555-0123"

    response = client.post(LOGIN, {"identifier": identifier, "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in(client) == user.pk


def test_wrong_password_is_a_form_error(client, customer):
    response = client.post(LOGIN, {"identifier": customer.email, "password": "wrong"})

    assert response.status_code == 200
    assert b"is not right" in response.content
    assert signed_in(client) is None


def test_unknown_user_gets_the_same_error(client):
    response = client.post(LOGIN, {"identifier": "nobody@example.com", "password": "x"})

    assert response.status_code == 200
    assert b"is not right" in response.content
    assert signed_in(client) is None


def test_empty_login_shows_field_errors(client):
    response = client.post(LOGIN, {"identifier": "", "password": ""})

    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.content
    assert signed_in(client) is None


def test_login_is_throttled_like_the_api(client, customer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "2/min",
        },
    }
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        for _ in range(2):
            client.post(LOGIN, {"identifier": customer.email, "password": "wrong"})
        response = client.post(LOGIN, {"identifier": customer.email, "password": PASSWORD})
    finally:
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert signed_in(client) is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/addresses/", "/addresses/"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/", "/"),
    ],
    ids=["same-site", "other-host", "scheme-relative"],
)
def test_next_is_followed_only_on_this_site(client, customer, next_url, expected):
    response = client.post(
        f"{LOGIN}?next={next_url}",
        {"identifier": customer.email, "password": PASSWORD, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == expected


def test_login_post_needs_csrf(customer):
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN, {"identifier": customer.email, "password": PASSWORD})

    assert response.status_code == 403
    assert signed_in(client) is None


def test_login_with_csrf_token_works(customer):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = client.post(
        LOGIN, {"identifier": customer.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert signed_in(client) == customer.pk


def _ask_code(client, target, capture):
    with capture(execute=True):
        return client.post(OTP, {"action": "request", "target": target})


def _code(body: str) -> str:
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def test_login_with_an_emailed_code(
    client, customer, mailoutbox, django_capture_on_commit_callbacks
):
    response = _ask_code(client, customer.email, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert b'name="code"' in response.content
    code = _code(mailoutbox[0].body)
    response = client.post(OTP, {"action": "verify", "target": customer.email, "code": code})
    assert response.status_code == 302
    assert signed_in(client) == customer.pk


def test_code_for_unknown_target_answers_the_same(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = _ask_code(client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert b'name="code"' in response.content
    assert mailoutbox == []


def test_a_wrong_code_is_refused_and_counted(
    client, customer, mailoutbox, django_capture_on_commit_callbacks
):
    _ask_code(client, customer.email, django_capture_on_commit_callbacks)
    code = _code(mailoutbox[0].body)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post(OTP, {"action": "verify", "target": customer.email, "code": wrong})

    assert response.status_code == 200
    assert b"wrong, expired or already used" in response.content
    assert signed_in(client) is None
    assert OtpCode.objects.get().attempts == 1


def test_a_malformed_code_is_a_field_error(client, customer):
    response = client.post(OTP, {"action": "verify", "target": customer.email, "code": "12ab"})

    assert response.status_code == 200
    assert b"Enter the 6-digit code." in response.content
    assert signed_in(client) is None


def test_asking_again_too_soon_is_refused(
    client, customer, mailoutbox, django_capture_on_commit_callbacks
):
    _ask_code(client, customer.email, django_capture_on_commit_callbacks)

    response = _ask_code(client, customer.email, django_capture_on_commit_callbacks)

    assert response.status_code == 429
    assert len(mailoutbox) == 1


def test_signup_creates_a_customer_and_signs_in(client):
    response = client.post(
        SIGNUP,
        {"email": "new@example.com", "password": "Quiet-Harbour-42", "first_name": "Ana"},
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.role == "customer"
    assert signed_in(client) == user.pk


def test_signup_as_artisan_leads_to_the_studio(client):
    response = client.post(
        SIGNUP, {"email": "maker@example.com", "password": "Quiet-Harbour-42", "artisan": "1"}
    )

    assert response.status_code == 302
    assert User.objects.get(email="maker@example.com").role == "artisan"


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"email": "not-an-email", "password": "Quiet-Harbour-42"}, b"valid email"),
        ({"email": "a@example.com", "password": "123"}, b"too short"),
        ({"email": "a@example.com", "password": "Quiet-Harbour-42", "phone": "12"}, b"phone"),
    ],
    ids=["bad-email", "weak-password", "bad-phone"],
)
def test_signup_errors_are_form_errors(client, data, field_error):
    response = client.post(SIGNUP, data)

    assert response.status_code == 200
    assert field_error in response.content
    assert not User.objects.exists()
    assert signed_in(client) is None


def test_signup_with_a_taken_email_changes_nothing(client, customer):
    response = client.post(SIGNUP, {"email": customer.email, "password": "Quiet-Harbour-42"})

    assert response.status_code == 200
    assert b"already exists" in response.content
    assert User.objects.count() == 1


def test_a_customer_becomes_an_artisan(client, customer):
    client.force_login(customer)

    response = client.post("/become-artisan/")

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.role == "artisan"


def test_become_artisan_needs_sign_in(client):
    response = client.post("/become-artisan/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logout_is_post_only(client, customer):
    client.force_login(customer)

    assert client.get(LOGOUT).status_code == 405
    assert signed_in(client) == customer.pk
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert signed_in(client) is None


def test_logout_needs_csrf(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post(LOGOUT)

    assert response.status_code == 403
    assert signed_in(client) == customer.pk


def test_signup_page_offers_a_signed_in_customer_to_become_an_artisan(client, customer):
    client.force_login(customer)

    response = client.get(SIGNUP)

    assert response.status_code == 200
    assert b'action="/become-artisan/"' in response.content


def test_signup_page_for_an_artisan_offers_nothing_more(client, artisan):
    client.force_login(artisan)

    response = client.get(SIGNUP)

    assert response.status_code == 200
    assert b"/become-artisan/" not in response.content
    assert b"Your account can sell on Souk." in response.content


def test_an_admin_cannot_become_an_artisan(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/become-artisan/", follow=True)

    assert response.status_code == 200
    assert b"Only customer accounts can become artisans." in response.content
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_the_code_page_tells_how_long_the_code_lives(client, customer, settings):
    settings.OTP_TTL_SECONDS = 600

    response = client.post(OTP, {"action": "request", "target": customer.email})

    assert b"It works once, for 10 minutes." in response.content
