"""The address book page: list, add, edit, make default, delete; only one's own."""

from __future__ import annotations

import pytest
from django.test import Client

from souk.accounts.models import Address

pytestmark = pytest.mark.django_db

BOOK = "/addresses/"
VALID = {
    "label": "Home",
    "recipient": "Ana Lima",
    "line1": "1 Clay Street",
    "city": "Porto",
    "country": "pt",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", BOOK), ("post", BOOK), ("get", "/addresses/1/"), ("post", "/addresses/1/delete/")],
    ids=["list", "add", "edit", "delete"],
)
def test_anonymous_is_sent_to_log_in(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_the_empty_book_invites_an_address(client, customer):
    client.force_login(customer)

    response = client.get(BOOK)

    assert response.status_code == 200
    assert b"No addresses yet" in response.content


def test_add_an_address_the_first_is_the_default(client, customer):
    client.force_login(customer)

    response = client.post(BOOK, VALID)

    assert response.status_code == 302
    address = Address.objects.get(user=customer)
    assert (address.country, address.is_default) == ("PT", True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"country": "Portugal"}, b"country"),
        ({"recipient": ""}, b"This field may not be blank."),
        ({"phone": "12"}, b"phone"),
    ],
    ids=["bad-country", "no-recipient", "bad-phone"],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(client, customer, change, message):
    client.force_login(customer)

    response = client.post(BOOK, {**VALID, **change})

    assert response.status_code == 200
    assert message in response.content
    assert b'aria-invalid="true"' in response.content
    assert not Address.objects.exists()


def test_edit_my_address(client, customer, address_factory):
    address = address_factory(user=customer, is_default=True)
    client.force_login(customer)

    assert client.get(f"/addresses/{address.pk}/").status_code == 200
    response = client.post(f"/addresses/{address.pk}/", {**VALID, "city": "Braga"})

    assert response.status_code == 302
    address.refresh_from_db()
    assert address.city == "Braga"


def test_a_bad_edit_changes_nothing(client, customer, address_factory):
    address = address_factory(user=customer, city="Porto")
    client.force_login(customer)

    response = client.post(f"/addresses/{address.pk}/", {**VALID, "city": "", "country": "xx1"})

    assert response.status_code == 200
    address.refresh_from_db()
    assert address.city == "Porto"


def test_make_another_address_the_default(client, customer, address_factory):
    first = address_factory(user=customer, is_default=True)
    second = address_factory(user=customer, is_default=False)
    client.force_login(customer)

    response = client.post(f"/addresses/{second.pk}/default/")

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_delete_the_default_hands_it_on(client, customer, address_factory):
    first = address_factory(user=customer, is_default=True)
    second = address_factory(user=customer, is_default=False)
    client.force_login(customer)

    response = client.post(f"/addresses/{first.pk}/delete/")

    assert response.status_code == 302
    assert list(Address.objects.filter(user=customer)) == [second]
    second.refresh_from_db()
    assert second.is_default


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("post", ""), ("post", "default/"), ("post", "delete/")],
    ids=["view", "edit", "default", "delete"],
)
def test_someone_elses_address_is_404_and_unchanged(
    client, customer, other_customer, address_factory, method, suffix
):
    theirs = address_factory(user=other_customer, is_default=True, city="Faro")
    client.force_login(customer)

    response = getattr(client, method)(f"/addresses/{theirs.pk}/{suffix}", {**VALID})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.city, theirs.is_default) == ("Faro", True)


def test_delete_is_post_only_and_needs_csrf(customer, address_factory):
    address = address_factory(user=customer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    assert client.get(f"/addresses/{address.pk}/delete/").status_code == 405
    assert client.post(f"/addresses/{address.pk}/delete/").status_code == 403
    assert Address.objects.filter(pk=address.pk).exists()


def test_the_book_query_count_holds_as_it_grows(
    client, customer, address_factory, django_assert_max_num_queries
):
    address_factory(user=customer, is_default=True)
    address_factory.create_batch(15, user=customer)
    client.force_login(customer)

    with django_assert_max_num_queries(10):
        response = client.get(BOOK)

    assert response.status_code == 200
    assert response.content.count(b'class="card address-card') == 16
