"""Each process checks an access token's signature and claims once, then keeps it until it
expires: later requests with the same token skip the check, an expired token is refused all the
same, and revocation (a password change) still applies on the very next request."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from souk.accounts.authentication import VerifiedTokens, verified_tokens
from souk.core.testing import assert_problem

ME = "/api/accounts/me/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty():
    verified_tokens.clear()
    yield
    verified_tokens.clear()


def test_a_token_is_checked_once_then_kept(client_for, customer):
    client = client_for(customer)

    with mock.patch.object(
        AccessToken, "verify", autospec=True, side_effect=AccessToken.verify
    ) as check:
        responses = [client.get(ME) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert check.call_count == 1


def test_a_kept_token_is_refused_once_it_expires(client_for, customer):
    client = client_for(customer)
    assert client.get(ME).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = client.get(ME)

    assert_problem(response, 401, "authentication_failed")


def test_a_kept_token_is_refused_after_a_password_change(client_for, customer):
    client = client_for(customer)
    assert client.get(ME).status_code == 200
    from souk.accounts.services.tokens import tokens_revoke_all

    tokens_revoke_all(user=customer)

    body = assert_problem(client.get(ME), 401, "authentication_failed")
    assert "revoked" in body["detail"]


def test_a_different_signature_is_never_taken_from_the_kept_tokens(client_for, customer):
    client = client_for(customer)
    assert client.get(ME).status_code == 200
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_the_oldest_tokens_are_forgotten_beyond_the_size():
    kept = VerifiedTokens(size=2)
    future = {"exp": 4_000_000_000}
    for raw in (b"a", b"b", b"c"):
        kept.add(raw, mock.Mock(payload=future))

    assert kept.get(b"a") is None
    assert kept.get(b"b") is not None
    assert kept.get(b"c") is not None
