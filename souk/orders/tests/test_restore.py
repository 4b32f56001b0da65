"""Administrators restore soft-deleted orders and coupons over the API."""

from __future__ import annotations

import pytest

from souk.core.testing import assert_problem
from souk.orders.models import Coupon, Order
from souk.orders.services.lifecycle import order_soft_delete
from souk.orders.tests.factories import make_coupon, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def deleted_order(customer, product):
    order = place_order(user=customer, lines=[(product.variants.get(), 2)])
    order_soft_delete(order_id=order.pk)
    return order


def test_an_admin_restores_a_deleted_order(admin, client_for, customer, deleted_order):
    response = admin.post(f"/api/orders/{deleted_order.pk}/restore/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["number"], body["status"]) == (
        deleted_order.pk,
        deleted_order.number,
        "pending_payment",
    )
    assert Order.objects.get(pk=deleted_order.pk).deleted_at is None
    listed = client_for(customer).get("/api/orders/").json()["results"]
    assert [row["id"] for row in listed] == [deleted_order.pk]


def test_restoring_a_live_order_changes_nothing(admin, customer, product):
    order = place_order(user=customer, lines=[(product.variants.get(), 1)])
    before = Order.objects.filter(pk=order.pk).values().get()

    response = admin.post(f"/api/orders/{order.pk}/restore/")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == order.pk
    assert Order.objects.filter(pk=order.pk).values().get() == before


def test_restoring_an_unknown_order_is_404(admin):
    assert_problem(admin.post("/api/orders/99999999/restore/"), 404, "not_found")


@pytest.fixture
def deleted_coupon(shop):
    coupon = make_coupon(code="SPRING", shop=shop)
    coupon.soft_delete()
    return coupon


def test_an_admin_restores_a_deleted_coupon_and_its_code_works_again(
    admin, client_for, customer, product, deleted_coupon
):
    response = admin.post(f"/api/coupons/{deleted_coupon.pk}/restore/")

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["code"]) == (deleted_coupon.pk, "SPRING")
    assert Coupon.objects.get(pk=deleted_coupon.pk).deleted_at is None
    buyer = client_for(customer)
    buyer.post("/api/cart/items/", {"variant": product.variants.get().pk, "quantity": 1})
    applied = buyer.post("/api/cart/coupon/", {"code": "spring"}, format="json")
    assert applied.status_code == 200, applied.content
    assert applied.json()["coupon"]["code"] == "SPRING"


def test_restoring_a_coupon_whose_code_was_taken_is_409_and_changes_nothing(
    admin, shop, deleted_coupon
):
    newer = make_coupon(code="SPRING", shop=shop, kind="fixed", value="2.00")

    body = assert_problem(admin.post(f"/api/coupons/{deleted_coupon.pk}/restore/"), 409, "conflict")

    assert "SPRING" in body["detail"]
    assert Coupon.all_objects.get(pk=deleted_coupon.pk).deleted_at is not None
    assert list(Coupon.objects.values_list("pk", flat=True)) == [newer.pk]


def test_restoring_a_live_coupon_changes_nothing(admin, shop):
    coupon = make_coupon(code="LIVE", shop=shop)
    before = Coupon.objects.filter(pk=coupon.pk).values().get()

    response = admin.post(f"/api/coupons/{coupon.pk}/restore/")

    assert response.status_code == 200, response.content
    assert Coupon.objects.filter(pk=coupon.pk).values().get() == before


def test_restoring_an_unknown_coupon_is_404(admin):
    assert_problem(admin.post("/api/coupons/99999999/restore/"), 404, "not_found")


def test_the_schema_lists_both_restore_operations(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert "post" in paths["/api/orders/{id}/restore/"]
    assert "post" in paths["/api/coupons/{id}/restore/"]
