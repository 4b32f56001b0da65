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


# Query strings that are digits to `str.isdigit` but not numbers to `int` (superscript two,
# circled one), and numbers no page can have.
UNICODE_DIGITS = ["²", "①"]
HUGE = ["99999999999999999999", "9" * 4000]  # within the URL length limit


@pytest.mark.parametrize("page", [*UNICODE_DIGITS, *HUGE])
def test_a_page_that_is_not_a_page_number_is_404(client_for, customer, many_addresses, page):
    response = client_for(customer).get(LIST, {"page": page})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["detail"]) == ("not_found", "Invalid page.")


@pytest.mark.parametrize("size", UNICODE_DIGITS)
def test_a_page_size_that_is_not_a_number_falls_back_to_default(
    client_for, customer, many_addresses, size
):
    body = client_for(customer).get(LIST, {"page_size": size}).json()

    assert len(body["results"]) == 20


@pytest.fixture
def inventory(shop, category, product_factory):
    for n in range(3):
        product_factory(shop=shop, category=category, name=f"Bowl {n}")
    return f"/api/shops/{shop.pk}/inventory/"


@pytest.mark.parametrize("page", ["²", "0", "abc", "4", *HUGE])
def test_shop_inventory_answers_404_for_a_page_it_does_not_have(
    client_for, artisan, inventory, page
):
    response = client_for(artisan).get(inventory, {"page": page, "page_size": 1})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Invalid page."


@pytest.mark.parametrize("size", [*UNICODE_DIGITS, "abc", "0"])
def test_shop_inventory_falls_back_to_the_default_page_size(client_for, artisan, inventory, size):
    response = client_for(artisan).get(inventory, {"page": "3", "page_size": size})

    assert response.status_code == 404  # 3 rows: one page of the default size
    body = client_for(artisan).get(inventory, {"page_size": size}).json()
    assert (body["count"], len(body["results"])) == (3, 3)


def test_shop_inventory_pages_as_asked(client_for, artisan, inventory):
    body = client_for(artisan).get(inventory, {"page": "3", "page_size": "1"}).json()

    assert (body["count"], len(body["results"]), body["next"]) == (3, 1, None)


@pytest.mark.parametrize("page", [*UNICODE_DIGITS, "0", *HUGE])
def test_product_list_answers_404_for_a_page_that_is_not_a_page_number(api_client, product, page):
    response = api_client.get("/api/products/", {"page": page})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("size", [*UNICODE_DIGITS, "abc", "9" * 4000])
def test_product_list_page_size_that_is_not_a_number(
    api_client, product_factory, shop, category, size
):
    for n in range(25):
        product_factory(shop=shop, category=category, name=f"Cup {n}")

    body = api_client.get("/api/products/", {"page_size": size}).json()

    assert len(body["results"]) == (25 if size.startswith("9") else 20)  # clamped to 100
