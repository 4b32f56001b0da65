"""A forgotten password: a code, then a new password; a wrong code or weak password changes
nothing."""

from __future__ import annotations

import re

import pytest

from souk.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

RESET = "/login/reset/"
NEW = "Velvet-Lantern-93"


@pytest.fixture
def code_for(client, mailoutbox, django_capture_on_commit_callbacks):
    def ask(email: str) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(RESET, {"action": "request", "target": email})
        assert response.status_code == 200
        assert b'name="new_password"' in response.content
        match = re.search(r"\b(\d{6})\b", mailoutbox[-1].body)
        assert match
        return match.group(1)

    return ask


def test_the_page_renders(client):
    response = client.get(RESET)

    assert response.status_code == 200
    assert b'name="target"' in response.content


def test_reset_with_the_code_sets_the_new_password(client, customer, code_for):
    code = code_for(customer.email)

    response = client.post(
        RESET, {"action": "reset", "target": customer.email, "code": code, "new_password": NEW}
    )

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    customer.refresh_from_db()
    assert customer.check_password(NEW)


def test_a_wrong_code_changes_nothing(client, customer, code_for):
    code = code_for(customer.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post(
        RESET, {"action": "reset", "target": customer.email, "code": wrong, "new_password": NEW}
    )

    assert response.status_code == 200
    assert b"wrong, expired or already used" in response.content
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_a_weak_password_is_a_field_error_and_the_code_still_works(client, customer, code_for):
    code = code_for(customer.email)
    data = {"action": "reset", "target": customer.email, "code": code}

    response = client.post(RESET, {**data, "new_password": "123"})

    assert response.status_code == 200
    assert b"too short" in response.content
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    assert client.post(RESET, {**data, "new_password": NEW}).status_code == 302


def test_unknown_target_answers_the_same(client, mailoutbox):
    response = client.post(RESET, {"action": "request", "target": "nobody@example.com"})

    assert response.status_code == 200
    assert b'name="new_password"' in response.content
    assert mailoutbox == []
