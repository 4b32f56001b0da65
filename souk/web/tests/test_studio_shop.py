"""The studio's shop settings, opening a shop and staff (test client): owner-only rules as the
API has them, and bad input that changes nothing."""

from __future__ import annotations

import pytest

from souk.shops.models import Shop, ShopMember

pytestmark = pytest.mark.django_db


def _shop_post(**extra):
    data = {
        "name": "River Pottery",
        "description": "Bowls and mugs.",
        "address": "2 Quay Lane, Bristol",
        "phone": "",
        "email": "hello@river.example",
        "lat": "51.4545",
        "lng": "-2.5879",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("path", ["/studio/shop/", "/studio/staff/"], ids=["shop", "staff"])
def test_non_member_gets_404(client, customer, path):
    client.force_login(customer)
    assert client.get(path).status_code == 404


def test_owner_updates_the_shop_and_its_location(client, artisan, shop):
    client.force_login(artisan)
    assert client.get("/studio/shop/").status_code == 200

    response = client.post("/studio/shop/", _shop_post())

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.name == "River Pottery"
    assert (round(shop.location.y, 4), round(shop.location.x, 4)) == (51.4545, -2.5879)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"lat": "123"}, "s-lat-err"), ({"name": ""}, "s-name-err"), ({"lng": ""}, "s-lng-err")],
    ids=["latitude-out-of-range", "blank-name", "no-longitude"],
)
def test_bad_shop_settings_change_nothing(client, artisan, shop, change, field):
    client.force_login(artisan)
    before = (shop.name, shop.location.coords)

    response = client.post("/studio/shop/", _shop_post(**change))

    assert response.status_code == 400
    assert f'id="{field}"' in response.content.decode()
    shop.refresh_from_db()
    assert (shop.name, shop.location.coords) == before


def test_staff_see_the_settings_but_cannot_change_them(client, staff, shop):
    client.force_login(staff)
    page = client.get("/studio/shop/")
    assert page.status_code == 200
    assert "Only the shop" in page.content.decode()

    client.post("/studio/shop/", _shop_post())

    shop.refresh_from_db()
    assert shop.name != "River Pottery"


def test_an_artisan_opens_a_shop(client, user_factory):
    artisan = user_factory(role="artisan")
    client.force_login(artisan)
    assert client.get("/studio/shop/new/").status_code == 200

    response = client.post("/studio/shop/new/", _shop_post())

    assert response.status_code == 302
    shop = Shop.objects.get(owner=artisan)
    assert ShopMember.objects.get(shop=shop).role == "owner"
    assert client.get("/studio/shop/").context["values"]["name"] == "River Pottery"


def test_a_customer_cannot_open_a_shop(client, customer):
    client.force_login(customer)
    page = client.get("/studio/shop/new/")
    assert "artisan accounts" in page.content.decode()

    client.post("/studio/shop/new/", _shop_post())

    assert not Shop.objects.exists()


def test_owner_adds_and_removes_staff(client, artisan, shop, user_factory):
    helper = user_factory(role="artisan", email="helper@example.com")
    client.force_login(artisan)

    response = client.post("/studio/staff/", {"email": "helper@example.com"})

    assert response.status_code == 302
    assert ShopMember.objects.filter(shop=shop, user=helper, role="staff").exists()
    assert "helper@example.com" in client.get("/studio/staff/").content.decode()

    client.post(f"/studio/staff/{helper.pk}/remove/")

    assert not ShopMember.objects.filter(shop=shop, user=helper).exists()


@pytest.mark.parametrize(
    ("email", "message"),
    [("nobody@example.com", "No active account"), ("", "Enter the person"), ("x@", "valid email")],
    ids=["unknown", "blank", "malformed"],
)
def test_adding_staff_with_a_bad_email_changes_nothing(client, artisan, shop, email, message):
    client.force_login(artisan)

    response = client.post("/studio/staff/", {"email": email})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ShopMember.objects.filter(shop=shop).count() == 1


def test_the_owner_cannot_be_removed(client, artisan, shop):
    client.force_login(artisan)

    response = client.post(f"/studio/staff/{artisan.pk}/remove/", follow=True)

    assert "owner cannot be removed" in response.content.decode()
    assert ShopMember.objects.filter(shop=shop, user=artisan).exists()


def test_staff_cannot_manage_staff(client, staff, shop, artisan):
    client.force_login(staff)
    assert client.get("/studio/staff/").status_code == 403
    assert client.post("/studio/staff/", {"email": artisan.email}).status_code == 403
    assert client.post(f"/studio/staff/{staff.pk}/remove/").status_code == 403
    assert ShopMember.objects.filter(shop=shop, user=staff).exists()
