from __future__ import annotations

import pytest

from souk.accounts.models import Address

LIST = "/api/accounts/addresses/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def many_addresses(customer):
    Address.objects.bulk_create(
        [
            Address(
                user=customer,
                recipient="R",
                line1=f"{n} Road",
                city="C",
                country="US",
                is_default=n == 0,
            )
            for n in range(130)
        ]
    )


def test_default_page_is_20(client_for, customer, many_addresses):
    body = client_for(customer).get(LIST).json()

    assert body["count"] == 130
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_page_size_is_honoured(client_for, customer, many_addresses):
    body = client_for(customer).get(LIST, {"page": 2, "page_size": 50}).json()

    assert len(body["results"]) == 50
    assert "page=3" in body["next"]


@pytest.mark.parametrize("size", [101, 1000, 10**9])
def test_page_size_is_clamped_to_100(client_for, customer, many_addresses, size):
    body = client_for(customer).get(LIST, {"page_size": size}).json()

    assert len(body["results"]) == 100


@pytest.mark.parametrize("size", ["abc", "-1", "0"])
def test_nonsense_page_size_falls_back_to_default(client_for, customer, many_addresses, size):
    body = client_for(customer).get(LIST, {"page_size": size}).json()

    assert len(body["results"]) == 20


@pytest.mark.parametrize("page", ["999", "abc", "0"])
def test_out_of_range_page_is_404_problem(client_for, customer, many_addresses, page):
    response = client_for(customer).get(LIST, {"page": page})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
