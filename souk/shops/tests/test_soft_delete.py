"""Removing staff is a soft delete (the row stays, grants nothing, the person can be added
again); platform administrators restore closed shops and removed staff through the API and the
Django admin."""

from __future__ import annotations

import pytest
from django.test import Client

from souk.shops.models import Shop, ShopMember

PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


def staff_url(shop: Shop, user_id: int) -> str:
    return f"/api/shops/{shop.pk}/staff/{user_id}/"


def test_removed_staff_keep_their_row_and_lose_every_power(
    client_for, artisan, shop, staff, product
):
    removed = client_for(artisan).delete(staff_url(shop, staff.pk))

    assert removed.status_code == 204
    row = ShopMember.all_objects.get(shop=shop, user=staff)
    assert (row.role, row.deleted_at is not None) == ("staff", True)
    assert shop.member_role(staff) is None
    denied = client_for(staff).patch(f"/api/products/{product.pk}/", {"name": "X"}, format="json")
    assert denied.status_code == 403
    assert client_for(staff).get("/api/shops/", {"member": "me"}).json()["count"] == 0
    listed = client_for(artisan).get(f"/api/shops/{shop.pk}/staff/").json()["results"]
    assert [member["user"]["id"] for member in listed] == [artisan.pk]


def test_removed_staff_can_be_added_again(client_for, artisan, shop, staff, product):
    owner = client_for(artisan)
    owner.delete(staff_url(shop, staff.pk))

    response = owner.post(f"/api/shops/{shop.pk}/staff/", {"email": staff.email}, format="json")

    assert response.status_code == 201, response.content
    assert ShopMember.all_objects.filter(shop=shop, user=staff).count() == 2
    assert shop.member_role(staff) == "staff"
    edited = client_for(staff).patch(
        f"/api/products/{product.pk}/", {"name": "Back"}, format="json"
    )
    assert edited.status_code == 200


def test_removing_removed_staff_again_is_404(client_for, artisan, shop, staff):
    owner = client_for(artisan)
    owner.delete(staff_url(shop, staff.pk))

    response = owner.delete(staff_url(shop, staff.pk))

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_an_admin_restores_removed_staff(client_for, admin_user, artisan, shop, staff, product):
    client_for(artisan).delete(staff_url(shop, staff.pk))

    response = client_for(admin_user).post(f"{staff_url(shop, staff.pk)}restore/")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "staff"
    assert response.json()["user"]["id"] == staff.pk
    assert ShopMember.objects.get(shop=shop, user=staff).deleted_at is None
    edited = client_for(staff).patch(
        f"/api/products/{product.pk}/", {"name": "Back"}, format="json"
    )
    assert edited.status_code == 200


def test_restoring_staff_who_were_added_again_answers_the_live_membership(
    client_for, admin_user, artisan, shop, staff
):
    owner = client_for(artisan)
    owner.delete(staff_url(shop, staff.pk))
    owner.post(f"/api/shops/{shop.pk}/staff/", {"email": staff.email}, format="json")
    live = ShopMember.objects.get(shop=shop, user=staff)
    before = list(ShopMember.all_objects.order_by("pk").values_list("pk", "deleted_at"))

    response = client_for(admin_user).post(f"{staff_url(shop, staff.pk)}restore/")

    assert response.status_code == 200
    assert (response.json()["user"]["id"], response.json()["role"]) == (staff.pk, "staff")
    assert ShopMember.objects.get(shop=shop, user=staff).pk == live.pk
    assert list(ShopMember.all_objects.order_by("pk").values_list("pk", "deleted_at")) == before


def test_restoring_someone_who_never_was_staff_is_404(client_for, admin_user, shop, customer):
    response = client_for(admin_user).post(f"{staff_url(shop, customer.pk)}restore/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_owner_cannot_reopen_their_closed_shop(client_for, artisan, shop):
    client_for(artisan).delete(f"/api/shops/{shop.pk}/")

    response = client_for(artisan).post(f"/api/shops/{shop.pk}/restore/")

    assert response.status_code == 404
    assert Shop.all_objects.get(pk=shop.pk).deleted_at is not None


def test_the_django_admin_removes_staff_softly_and_restores_them(admin_user, shop, staff):
    site = Client()
    site.force_login(admin_user)
    member = ShopMember.objects.get(shop=shop, user=staff)

    deleted = site.post(f"/admin/shops/shopmember/{member.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert ShopMember.all_objects.get(pk=member.pk).deleted_at is not None

    restored = site.post(
        "/admin/shops/shopmember/",
        {"action": "restore_selected", "_selected_action": [member.pk]},
    )
    assert restored.status_code == 302
    assert ShopMember.objects.get(pk=member.pk).deleted_at is None


def test_the_django_admin_keeps_the_owner(admin_user, artisan, shop):
    site = Client()
    site.force_login(admin_user)
    owner = ShopMember.objects.get(shop=shop, user=artisan)

    site.post(f"/admin/shops/shopmember/{owner.pk}/delete/", {"post": "yes"})

    assert ShopMember.objects.get(pk=owner.pk).deleted_at is None


def test_deleting_an_old_removed_membership_in_the_django_admin_keeps_the_current_one(
    client_for, admin_user, artisan, shop, staff
):
    """The admin lists removed rows too; deleting one again changes nothing, and never the
    person's current membership."""
    from django.test import Client

    owner = client_for(artisan)
    owner.delete(staff_url(shop, staff.pk))
    owner.post(f"/api/shops/{shop.pk}/staff/", {"email": staff.email}, format="json")
    old = ShopMember.all_objects.get(shop=shop, user=staff, deleted_at__isnull=False)
    site = Client()
    site.force_login(admin_user)

    response = site.post(f"/admin/shops/shopmember/{old.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert shop.member_role(staff) == "staff"
    assert ShopMember.objects.filter(shop=shop, user=staff).count() == 1


@pytest.mark.parametrize("caller", ["customer", "staff", "other_artisan"])
def test_restoring_staff_tells_outsiders_nothing_about_who_is_on_the_staff(
    request, client_for, artisan, shop, staff, customer, caller
):
    """Only the owner reads the staff list: for anyone else, a current member and a
    stranger answer the same 404."""
    client = client_for(request.getfixturevalue(caller))

    current = client.post(f"{staff_url(shop, staff.pk)}restore/")
    stranger = client.post(f"{staff_url(shop, customer.pk)}restore/")

    assert (current.status_code, stranger.status_code) == (404, 404)
    assert current.json() == stranger.json()


@pytest.mark.parametrize("model", ["shop", "product"])
def test_a_location_saved_in_the_django_admin_is_stored_on_the_grid(
    rf, admin_user, shop, product, model
):
    from django.contrib import admin
    from django.contrib.gis.geos import Point

    obj = {"shop": shop, "product": product}[model]
    obj.location = Point(1e-15, 0.0, srid=4326)
    request = rf.post("/admin/")
    request.user = admin_user

    admin.site._registry[type(obj)].save_model(request, obj, None, True)

    obj.refresh_from_db()
    assert (obj.location.x, obj.location.y) == (0.0, 0.0)
