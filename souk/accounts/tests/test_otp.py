"""One-time codes: request limits, verification, brute-force budget, password reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from souk.accounts.models import OtpCode
from souk.accounts.tests.factories import PASSWORD

REQUEST = "/api/accounts/otp/request/"
VERIFY = "/api/accounts/otp/verify/"
RESET = "/api/accounts/password-reset/"
ME = "/api/accounts/me/"
LOGIN = "/api/accounts/login/"
REFRESH = "/api/accounts/token/refresh/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_code(api_client, django_capture_on_commit_callbacks):
    """Ask for a code and return the response (sending runs as it would after commit)."""

    def ask(target, purpose="login", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(
                REQUEST, {"target": target, "purpose": purpose}, format="json", **extra
            )

    return ask


def code_in(message_body: str) -> str:
    match = re.search(r"\b(\d{6})\b", message_body)
    assert match, message_body
    return match.group(1)


def verify(client, target, code, purpose="login"):
    return client.post(VERIFY, {"target": target, "code": code, "purpose": purpose}, format="json")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_request_for_existing_email_sends_a_hashed_six_digit_code(
    request_code, customer, mailoutbox
):
    response = request_code(customer.email)

    assert response.status_code == 202
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [customer.email]
    code = code_in(mailoutbox[0].body)
    otp = OtpCode.objects.get()
    assert otp.target == customer.email
    assert otp.purpose == "login"
    assert code not in otp.code_hash
    assert len(otp.code_hash) == 64
    assert otp.sent_at is not None
    assert otp.expires_at - otp.created_at == timedelta(minutes=5)


def test_request_for_phone_sends_sms(request_code, user_factory, sms_outbox, mailoutbox):
    user = user_factory(phone="+14155550123")

    response = request_code("+1 415-555-0123", purpose="verify")

    assert response.status_code == 202
    assert [sms.to for sms in sms_outbox] == ["+14155550123"]
    assert mailoutbox == []
    assert OtpCode.objects.get().user == user


def test_request_for_unknown_target_answers_the_same_and_sends_nothing(
    request_code, customer, mailoutbox
):
    known = request_code(customer.email)
    unknown = request_code("nobody@example.com")

    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert [m.to for m in mailoutbox] == [[customer.email]]
    assert OtpCode.objects.filter(target="nobody@example.com").count() == 0


@pytest.mark.parametrize("target_kind", ["known", "unknown"])
def test_second_request_within_60s_is_429_whether_or_not_account_exists(
    request_code, customer, target_kind
):
    target = customer.email if target_kind == "known" else "ghost@example.com"
    assert request_code(target).status_code == 202

    response = request_code(target, purpose="verify")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 55 <= int(response["Retry-After"]) <= 60


def test_sixth_request_within_an_hour_is_429(request_code, customer, mailoutbox):
    start = timezone.now()
    for n in range(5):
        with time_machine.travel(start + timedelta(seconds=61 * n), tick=False):
            assert request_code(customer.email).status_code == 202

    with time_machine.travel(start + timedelta(seconds=61 * 5), tick=False):
        response = request_code(customer.email)

    assert response.status_code == 429
    assert int(response["Retry-After"]) == 3600 - 61 * 5
    assert len(mailoutbox) == 5
    with time_machine.travel(start + timedelta(seconds=3601), tick=False):
        assert request_code(customer.email).status_code == 202


def test_sixth_request_for_unknown_target_is_429_too(request_code):
    start = timezone.now()
    for n in range(5):
        with time_machine.travel(start + timedelta(seconds=61 * n), tick=False):
            assert request_code("ghost@example.com").status_code == 202
    with time_machine.travel(start + timedelta(seconds=61 * 5), tick=False):
        assert request_code("ghost@example.com").status_code == 429


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"target": "x@example.com"},
        {"target": "x@example.com", "purpose": "hack"},
        {"target": "not an address", "purpose": "login"},
    ],
)
def test_request_validation(api_client, body):
    response = api_client.post(REQUEST, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_login_with_code_returns_tokens_and_verifies_email(
    request_code, api_client, customer, mailoutbox
):
    request_code(customer.email)
    code = code_in(mailoutbox[0].body)

    response = verify(api_client, customer.email.upper(), code)

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == customer.id
    assert body["user"]["is_email_verified"] is True
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(ME).status_code == 200


def test_verify_purpose_marks_phone_verified(request_code, api_client, user_factory, sms_outbox):
    user = user_factory(phone="+14155550123")
    request_code(user.phone, purpose="verify")

    response = verify(api_client, user.phone, code_in(sms_outbox[0].body), purpose="verify")

    assert response.status_code == 200
    assert set(response.json()) == {"user"}
    assert response.json()["user"]["is_phone_verified"] is True


def test_code_works_once(request_code, api_client, customer, mailoutbox):
    request_code(customer.email)
    code = code_in(mailoutbox[0].body)
    assert verify(api_client, customer.email, code).status_code == 200

    again = verify(api_client, customer.email, code)

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_otp"


def test_code_expires_after_five_minutes(request_code, api_client, customer, mailoutbox):
    request_code(customer.email)
    code = code_in(mailoutbox[0].body)

    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        response = verify(api_client, customer.email, code)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_otp"


def test_code_is_bound_to_its_purpose(request_code, api_client, customer, mailoutbox):
    request_code(customer.email, purpose="verify")
    code = code_in(mailoutbox[0].body)

    assert verify(api_client, customer.email, code, purpose="login").status_code == 400
    assert verify(api_client, customer.email, code, purpose="verify").status_code == 200


def test_five_wrong_tries_burn_the_code_and_the_sixth_fails_even_when_right(
    request_code, api_client, customer, mailoutbox
):
    request_code(customer.email)
    code = code_in(mailoutbox[0].body)
    for _ in range(5):
        response = verify(api_client, customer.email, wrong(code))
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_otp"
    assert OtpCode.objects.get().attempts == 5

    sixth = verify(api_client, customer.email, code)

    assert sixth.status_code == 400
    assert sixth.json()["code"] == "invalid_otp"
    assert "access" not in sixth.json()


def test_fourth_wrong_try_still_leaves_the_right_code_usable(
    request_code, api_client, customer, mailoutbox
):
    request_code(customer.email)
    code = code_in(mailoutbox[0].body)
    for _ in range(4):
        verify(api_client, customer.email, wrong(code))

    assert verify(api_client, customer.email, code).status_code == 200


def test_new_code_replaces_the_old_one(request_code, api_client, customer, mailoutbox):
    request_code(customer.email)
    first = code_in(mailoutbox[0].body)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        request_code(customer.email)
        second = code_in(mailoutbox[1].body)
        if first == second:  # one chance in a million
            pytest.fail("two equal codes in a row")
        assert verify(api_client, customer.email, first).status_code == 400
        assert verify(api_client, customer.email, second).status_code == 200


def test_verify_for_unknown_target_is_invalid_otp(api_client):
    response = verify(api_client, "ghost@example.com", "123456")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_otp"


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "", None])
def test_verify_rejects_malformed_codes(api_client, customer, code):
    response = verify(api_client, customer.email, code)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_reset_password_codes_are_not_redeemed_by_verify(api_client, customer):
    response = verify(api_client, customer.email, "123456", purpose="reset_password")

    assert response.status_code == 400
    assert "purpose" in response.json()["errors"]


def test_password_reset_sets_password_and_signs_out_everywhere(
    request_code, api_client, customer, mailoutbox
):
    old = api_client.post(
        LOGIN, {"identifier": customer.email, "password": PASSWORD}, format="json"
    ).json()
    request_code(customer.email, purpose="reset_password")
    code = code_in(mailoutbox[0].body)

    response = api_client.post(
        RESET,
        {"target": customer.email, "code": code, "new_password": "A-brand-new-passw0rd"},
        format="json",
    )

    assert response.status_code == 204
    customer.refresh_from_db()
    assert customer.check_password("A-brand-new-passw0rd")
    assert api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert api_client.get(ME).status_code == 401
    api_client.credentials()
    again = api_client.post(
        RESET,
        {"target": customer.email, "code": code, "new_password": "Another-passw0rd-9"},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_otp"


def test_password_reset_with_weak_password_keeps_code_and_password(
    request_code, api_client, customer, mailoutbox
):
    request_code(customer.email, purpose="reset_password")
    code = code_in(mailoutbox[0].body)

    weak = api_client.post(
        RESET, {"target": customer.email, "code": code, "new_password": "password"}, format="json"
    )

    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    good = api_client.post(
        RESET,
        {"target": customer.email, "code": code, "new_password": "Str0nger-passphrase"},
        format="json",
    )
    assert good.status_code == 204


def test_password_reset_with_wrong_code_counts_a_try(
    request_code, api_client, customer, mailoutbox
):
    request_code(customer.email, purpose="reset_password")
    code = code_in(mailoutbox[0].body)

    response = api_client.post(
        RESET,
        {"target": customer.email, "code": wrong(code), "new_password": "Str0nger-passphrase"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_otp"
    assert OtpCode.objects.get().attempts == 1
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_login_code_cannot_reset_the_password(request_code, api_client, customer, mailoutbox):
    request_code(customer.email, purpose="login")
    code = code_in(mailoutbox[0].body)

    response = api_client.post(
        RESET,
        {"target": customer.email, "code": code, "new_password": "Str0nger-passphrase"},
        format="json",
    )

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_expired_codes_are_pruned(request_code, customer):
    from souk.accounts.tasks import otp_codes_prune_task

    request_code(customer.email)
    assert otp_codes_prune_task() == 0

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert otp_codes_prune_task() == 1

    assert OtpCode.objects.count() == 0


def test_sending_task_is_idempotent(request_code, customer, mailoutbox):
    from souk.accounts.tasks import otp_send_task

    request_code(customer.email)
    otp = OtpCode.objects.get()

    assert otp_send_task(otp.pk, "000000") is False
    assert len(mailoutbox) == 1


def test_code_generation_uses_the_csprng(monkeypatch, request_code, customer, mailoutbox):
    import secrets

    calls = []
    real = secrets.randbelow

    def spy(n):
        calls.append(n)
        return real(n)

    monkeypatch.setattr(secrets, "randbelow", spy)

    request_code(customer.email)

    assert calls == [1_000_000]
    assert re.fullmatch(r"\d{6}", code_in(mailoutbox[0].body))
