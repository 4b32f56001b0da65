"""Address book: owner-only access and exactly one default."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.accounts.models import Address

LIST = "/api/accounts/addresses/"
pytestmark = pytest.mark.django_db


def detail(pk):
    return f"{LIST}{pk}/"


def address_body(**overrides):
    body = {
        "label": "Home",
        "recipient": "Nia Okoro",
        "phone": "+1 415 555 0123",
        "line1": "1 Market St",
        "line2": "Apt 4",
        "city": "San Francisco",
        "region": "CA",
        "postal_code": "94105",
        "country": "us",
        "location": {"lat": 37.7936, "lng": -122.3958},
    }
    body.update(overrides)
    return body


def test_first_address_becomes_default(client_for, customer):
    response = client_for(customer).post(LIST, address_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["is_default"] is True
    assert body["country"] == "US"
    assert body["phone"] == "+14155550123"
    assert body["location"] == {"lat": 37.7936, "lng": -122.3958}
    assert Address.objects.get().user == customer


def test_new_default_moves_the_flag(client_for, customer):
    client = client_for(customer)
    first = client.post(LIST, address_body(), format="json").json()

    second = client.post(LIST, address_body(label="Work", is_default=True), format="json").json()

    assert second["is_default"] is True
    assert Address.objects.get(pk=first["id"]).is_default is False
    assert Address.objects.filter(user=customer, is_default=True).count() == 1


def test_non_default_second_address(client_for, customer):
    client = client_for(customer)
    client.post(LIST, address_body(), format="json")

    second = client.post(LIST, address_body(label="Work"), format="json").json()

    assert second["is_default"] is False


def test_patch_makes_default(client_for, customer, address_factory):
    first = address_factory(user=customer, is_default=True)
    second = address_factory(user=customer)

    response = client_for(customer).patch(detail(second.pk), {"is_default": True}, format="json")

    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_unsetting_the_only_default_is_400(client_for, customer, address_factory):
    address = address_factory(user=customer, is_default=True)

    response = client_for(customer).patch(detail(address.pk), {"is_default": False}, format="json")

    assert response.status_code == 400
    assert "is_default" in response.json()["errors"]
    address.refresh_from_db()
    assert address.is_default is True


def test_deleting_the_default_promotes_the_newest_other(client_for, customer, address_factory):
    default = address_factory(user=customer, is_default=True)
    older = address_factory(user=customer)
    newer = address_factory(user=customer)

    response = client_for(customer).delete(detail(default.pk))

    assert response.status_code == 204
    assert not Address.objects.filter(pk=default.pk).exists()
    assert list(Address.objects.filter(is_default=True).values_list("pk", flat=True)) == [newer.pk]
    assert older.pk != newer.pk


def test_list_shows_only_my_addresses_default_first(
    client_for, customer, other_customer, address_factory
):
    mine = [address_factory(user=customer) for _ in range(2)]
    default = address_factory(user=customer, is_default=True)
    address_factory(user=other_customer, is_default=True)

    response = client_for(customer).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    ids = [row["id"] for row in body["results"]]
    assert ids[0] == default.pk
    assert set(ids) == {default.pk, *(a.pk for a in mine)}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_someone_elses_address_is_404(
    client_for, customer, other_customer, address_factory, method
):
    theirs = address_factory(user=other_customer, is_default=True, city="Theirs")

    response = getattr(client_for(customer), method)(
        detail(theirs.pk), {"city": "Mine"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.city == "Theirs"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("country", "USA"),
        ("location", {"lat": 91, "lng": 0}),
        ("location", {"lat": 10}),
        ("location", "here"),
        ("location", {"lat": "NaN", "lng": 1}),
        ("recipient", ""),
        ("line1", ""),
        ("phone", "call me"),
    ],
)
def test_invalid_address_is_400_and_writes_nothing(client_for, customer, field, value):
    response = client_for(customer).post(LIST, address_body(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Address.objects.count() == 0


def test_addresses_require_authentication(api_client, address_factory):
    address = address_factory()

    assert api_client.get(LIST).status_code == 401
    assert api_client.get(detail(address.pk)).status_code == 401


def test_put_is_not_allowed(client_for, customer, address_factory):
    address = address_factory(user=customer, is_default=True)

    assert (
        client_for(customer).put(detail(address.pk), address_body(), format="json").status_code
        == 405
    )


def test_address_list_query_count_does_not_grow(client_for, customer, address_factory):
    client = client_for(customer)
    address_factory(user=customer, is_default=True)
    client.get(LIST)  # the first request of a user fills the cached auth state
    with CaptureQueriesContext(connection) as small:
        client.get(LIST)
    for _ in range(15):
        address_factory(user=customer)
    with CaptureQueriesContext(connection) as large:
        response = client.get(LIST)

    assert response.json()["count"] == 16
    assert len(large) == len(small)


def test_user_cannot_set_another_users_id_on_create(client_for, customer, other_customer):
    response = client_for(customer).post(LIST, address_body(user=other_customer.pk), format="json")

    assert response.status_code == 201
    assert Address.objects.get().user == customer


def test_first_address_is_default_even_when_sent_as_not_default(client_for, customer):
    response = client_for(customer).post(LIST, address_body(is_default=False), format="json")

    assert response.status_code == 201
    assert response.json()["is_default"] is True
    assert Address.objects.get().is_default is True


def test_an_address_book_without_a_default_gets_one_with_the_next_address(
    client_for, customer, address_factory
):
    stray = address_factory(user=customer, is_default=False)  # e.g. added in the Django admin

    response = client_for(customer).post(LIST, address_body(), format="json")

    assert response.status_code == 201
    assert response.json()["is_default"] is True
    stray.refresh_from_db()
    assert stray.is_default is False


def test_deleting_another_address_keeps_the_default(client_for, customer, address_factory):
    default = address_factory(user=customer, is_default=True)
    other = address_factory(user=customer)

    response = client_for(customer).delete(detail(other.pk))

    assert response.status_code == 204
    assert list(Address.objects.values_list("pk", "is_default")) == [(default.pk, True)]


def test_deleting_the_only_address_leaves_an_empty_book(client_for, customer, address_factory):
    only = address_factory(user=customer, is_default=True)

    response = client_for(customer).delete(detail(only.pk))

    assert response.status_code == 204
    assert Address.objects.filter(user=customer).count() == 0


def test_schema_documents_the_default_address_rules(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/accounts/addresses/"]
    detail_operations = schema["paths"]["/api/accounts/addresses/{id}/"]

    assert "first address becomes the default" in operations["post"]["description"]
    assert "most recently added" in detail_operations["delete"]["description"]
