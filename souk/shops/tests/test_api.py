"""Shops over HTTP: opening, listing (search, mine, nearby), editing, closing and staff."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.catalog.models import Product
from souk.core.testing import assert_problem
from souk.shops.models import Shop, ShopMember
from souk.shops.tests.factories import add_staff

LIST = "/api/shops/"
PRODUCTS = "/api/products/"
pytestmark = pytest.mark.django_db

DETAIL_FIELDS = {
    "id",
    "name",
    "slug",
    "description",
    "location",
    "address",
    "phone",
    "email",
    "owner",
    "rating",
    "review_count",
    "product_count",
    "created_at",
    "distance_km",
}
MISSING = object()

# Paris, and where shops sit due north of it. One degree of latitude here is ~111.207 km on the
# WGS 84 spheroid that geography distances use.
CENTER_LAT, CENTER_LNG = 48.8566, 2.3522
KM_PER_DEGREE_LAT = 111.207


def detail(pk):
    return f"{LIST}{pk}/"


def staff_url(pk):
    return f"{LIST}{pk}/staff/"


def staff_member_url(pk, user_id):
    return f"{LIST}{pk}/staff/{user_id}/"


def product_url(pk):
    return f"{PRODUCTS}{pk}/"


def shop_body(**overrides):
    body = {
        "name": "Blue Heron Pottery",
        "description": "Wheel-thrown stoneware from the coast.",
        "location": {"lat": 33.573101, "lng": -7.589843},
        "address": "12 Rue des Potiers, Casablanca",
        "phone": "+1 415 555 0123",
        "email": "Hello@BlueHeron.example.com",
    }
    for key, value in overrides.items():
        if value is MISSING:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def north_of_center(degrees):
    return Point(CENTER_LNG, CENTER_LAT + degrees, srid=4326)


def db_state():
    """Everything a shops request could write: shops (deleted or not), memberships, products."""
    shops = list(
        Shop.all_objects.order_by("id").values_list(
            "id",
            "owner_id",
            "name",
            "slug",
            "description",
            "location",
            "address",
            "phone",
            "email",
            "product_count",
            "deleted_at",
            "updated_at",
        )
    )
    members = list(
        ShopMember.all_objects.order_by("id").values_list(
            "id", "shop_id", "user_id", "role", "deleted_at"
        )
    )
    products = list(Product.all_objects.order_by("id").values_list("id", "name", "deleted_at"))
    return shops, members, products


def ids(response):
    return [row["id"] for row in response.json()["results"]]


# --- POST /api/shops/ ---------------------------------------------------------------------------


def test_artisan_opens_a_shop_and_becomes_its_owner(client_for, artisan):
    response = client_for(artisan).post(LIST, shop_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    shop = Shop.objects.get()
    assert body["id"] == shop.pk
    assert body["name"] == "Blue Heron Pottery"
    assert body["slug"] == "blue-heron-pottery"
    assert body["description"] == "Wheel-thrown stoneware from the coast."
    assert body["location"] == {"lat": 33.573101, "lng": -7.589843}
    assert body["address"] == "12 Rue des Potiers, Casablanca"
    assert body["phone"] == "+14155550123"
    assert body["email"] == "hello@blueheron.example.com"
    assert body["owner"] == {"id": artisan.pk, "name": artisan.full_name}
    assert body["rating"] == "0.00"
    assert body["review_count"] == 0
    assert body["product_count"] == 0
    assert body["distance_km"] is None
    assert shop.owner == artisan
    assert list(ShopMember.objects.values_list("shop_id", "user_id", "role")) == [
        (shop.pk, artisan.pk, "owner")
    ]


def test_location_round_trips_through_detail(client_for, artisan, api_client):
    created = client_for(artisan).post(
        LIST, shop_body(location={"lat": -33.868820, "lng": 151.209296}), format="json"
    )

    response = api_client.get(detail(created.json()["id"]))

    assert response.json()["location"] == {"lat": -33.86882, "lng": 151.209296}
    point = Shop.objects.get().location
    assert (round(point.y, 6), round(point.x, 6)) == (-33.86882, 151.209296)


def test_phone_and_email_are_optional(client_for, artisan):
    response = client_for(artisan).post(
        LIST, shop_body(phone=MISSING, email=MISSING, description=MISSING), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["phone"], body["email"], body["description"]) == ("", "", "")


def test_two_shops_with_the_same_name_get_distinct_slugs(client_for, artisan, other_artisan):
    first = client_for(artisan).post(LIST, shop_body(name="Clay & Co"), format="json")
    second = client_for(other_artisan).post(LIST, shop_body(name="Clay & Co"), format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["slug"] == "clay-co"
    assert second.json()["slug"] == "clay-co-2"
    assert Shop.objects.filter(name="Clay & Co").count() == 2


def test_slug_of_a_closed_shop_is_not_reused(client_for, artisan, shop_factory):
    shop_factory(name="Clay & Co", slug="clay-co", deleted_at=timezone.now())

    response = client_for(artisan).post(LIST, shop_body(name="Clay & Co"), format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "clay-co-2"


def test_read_only_fields_in_the_body_are_ignored(client_for, artisan, other_customer):
    response = client_for(artisan).post(
        LIST,
        shop_body(
            id=987654,
            owner=other_customer.pk,
            role="staff",
            slug="chosen-slug",
            rating="5.00",
            review_count=40,
            product_count=12,
            deleted_at="2020-01-01T00:00:00Z",
        ),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    shop = Shop.objects.get()
    assert body["id"] == shop.pk != 987654
    assert body["owner"]["id"] == artisan.pk
    assert body["slug"] == "blue-heron-pottery"
    assert (body["rating"], body["review_count"], body["product_count"]) == ("0.00", 0, 0)
    assert shop.owner == artisan
    assert shop.deleted_at is None
    assert list(ShopMember.objects.values_list("user_id", "role")) == [(artisan.pk, "owner")]


@pytest.mark.parametrize("who", ["customer", "admin_user"])
def test_only_artisans_open_shops(request, client_for, who):
    caller = request.getfixturevalue(who)
    before = db_state()

    response = client_for(caller).post(LIST, shop_body(), format="json")

    assert_problem(response, 403, "permission_denied")
    assert db_state() == before
    assert not Shop.all_objects.exists()


def test_opening_a_shop_needs_credentials(api_client):
    response = api_client.post(LIST, shop_body(), format="json")

    assert_problem(response, 401, "not_authenticated")
    assert not Shop.all_objects.exists()
    assert not ShopMember.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", MISSING),
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 121),
        ("address", MISSING),
        ("address", ""),
        ("location", MISSING),
        ("location", None),
        ("location", "here"),
        ("location", [33.5, -7.5]),
        ("location", "33.5,-7.5"),
        ("location", {"lat": 91, "lng": 0}),
        ("location", {"lat": -90.5, "lng": 0}),
        ("location", {"lat": 0, "lng": 181}),
        ("location", {"lat": 10}),
        ("location", {"lng": 10}),
        ("location", {"lat": "NaN", "lng": 1}),
        ("location", {"lat": 1, "lng": "nan"}),
        ("location", {"lat": "Infinity", "lng": 1}),
        ("location", {"lat": 1, "lng": "-inf"}),
        ("location", {"lat": "north", "lng": 1}),
        ("phone", "call me"),
        ("phone", "+1 555"),
        ("phone", "1" * 33),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("description", "d" * 5001),
    ],
)
def test_invalid_shop_is_400_and_writes_nothing(client_for, artisan, field, value):
    before = db_state()

    response = client_for(artisan).post(LIST, shop_body(**{field: value}), format="json")

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]
    assert db_state() == before
    assert not Shop.all_objects.exists()


# Passes Django's and DRF's email validators but is longer than the 254-character column.
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".com"


def test_email_longer_than_the_column_is_400(client_for, artisan):
    before = db_state()

    response = client_for(artisan).post(LIST, shop_body(email=LONG_EMAIL), format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert db_state() == before


def test_body_that_is_not_json_is_400_parse_error(client_for, artisan):
    response = client_for(artisan).post(
        LIST, data='{"name": "Broken', content_type="application/json"
    )

    assert_problem(response, 400, "parse_error")
    assert not Shop.all_objects.exists()


# --- GET /api/shops/ ----------------------------------------------------------------------------


def test_list_is_paginated(api_client, shop_factory):
    shops = [shop_factory() for _ in range(3)]

    first = api_client.get(LIST, {"page_size": 2})
    second = api_client.get(LIST, {"page_size": 2, "page": 2})

    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["previous"] is None
    assert "page=2" in body["next"]
    assert len(body["results"]) == 2
    assert set(body["results"][0]) == DETAIL_FIELDS
    page_two = second.json()
    assert page_two["count"] == 3
    assert page_two["next"] is None
    assert page_two["previous"] is not None
    assert set(ids(first) + ids(second)) == {s.pk for s in shops}
    assert ids(first) == [shops[2].pk, shops[1].pk]


def test_list_without_location_has_no_distance(api_client, shop):
    response = api_client.get(LIST)

    assert response.json()["results"][0]["distance_km"] is None


@pytest.mark.parametrize("word", ["heron", "Heron", "pottery", "potteries", "stoneware", "coast"])
def test_search_matches_words_of_name_or_description(api_client, shop_factory, word):
    heron = shop_factory(name="Blue Heron Pottery", description="Stoneware from the coast.")
    shop_factory(name="Iron Forge", description="Knives and garden tools.")

    response = api_client.get(LIST, {"search": word})

    assert response.status_code == 200
    assert ids(response) == [heron.pk]
    assert response.json()["count"] == 1


def test_search_with_an_unrelated_word_finds_nothing(api_client, shop_factory):
    shop_factory(name="Blue Heron Pottery", description="Stoneware from the coast.")
    shop_factory(name="Iron Forge", description="Knives and garden tools.")

    response = api_client.get(LIST, {"search": "violin"})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


def test_search_ranks_name_matches_above_description_matches(api_client, shop_factory):
    in_name = shop_factory(name="Linen House", description="Tablecloths.")
    in_description = shop_factory(name="Weaver Studio", description="Linen and wool.")

    response = api_client.get(LIST, {"search": "linen"})

    assert ids(response) == [in_name.pk, in_description.pk]


@pytest.mark.parametrize(
    "text", ['"unterminated', "-", "or or", "&|!():*", "<->", "'; drop table", "héron pottery"]
)
def test_search_with_odd_syntax_is_not_an_error(api_client, shop_factory, text):
    shop_factory(name="Blue Heron Pottery")

    response = api_client.get(LIST, {"search": text})

    assert response.status_code == 200
    assert response.json()["count"] in (0, 1)


def test_search_longer_than_200_characters_is_400(api_client, shop):
    response = api_client.get(LIST, {"search": "a" * 201})

    body = assert_problem(response, 400, "validation_error")
    assert "search" in body["errors"]


def test_page_size_is_clamped_to_100(api_client, shop_factory):
    shop_factory.create_batch(101)

    response = api_client.get(LIST, {"page_size": 1000})

    body = response.json()
    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert body["next"] is not None


@pytest.mark.parametrize("param", ["owner", "member"])
def test_mine_filters_need_credentials(api_client, shop, param):
    response = api_client.get(LIST, {param: "me"})

    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize("param", ["owner", "member"])
def test_mine_filters_accept_only_me(client_for, artisan, shop, param):
    response = client_for(artisan).get(LIST, {param: "you"})

    body = assert_problem(response, 400, "validation_error")
    assert param in body["errors"]


def test_owner_me_lists_only_shops_i_own(client_for, artisan, shop, other_artisan, shop_factory):
    mine_too = shop_factory(owner=artisan)
    other_shop = Shop.objects.get(owner=other_artisan)
    add_staff(other_shop, artisan)
    shop_factory()

    response = client_for(artisan).get(LIST, {"owner": "me"})

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert set(ids(response)) == {shop.pk, mine_too.pk}


def test_owner_me_is_empty_for_staff_and_customers(client_for, staff, customer, shop):
    for user in (staff, customer):
        response = client_for(user).get(LIST, {"owner": "me"})

        assert response.status_code == 200
        assert response.json()["count"] == 0


def test_member_me_lists_shops_i_own_or_staff(
    client_for, artisan, shop, other_artisan, shop_factory
):
    other_shop = Shop.objects.get(owner=other_artisan)
    add_staff(other_shop, artisan)
    shop_factory()

    response = client_for(artisan).get(LIST, {"member": "me"})

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert set(ids(response)) == {shop.pk, other_shop.pk}


def test_member_me_for_a_staff_member(client_for, staff, shop, other_artisan):
    response = client_for(staff).get(LIST, {"member": "me"})

    assert ids(response) == [shop.pk]


@pytest.fixture
def shops_near_paris(shop_factory):
    """Due north of CENTER at ~1.1 km, ~5.6 km and ~13.3 km, plus one in London (~344 km)."""
    return {
        "far": shop_factory(name="Far", location=north_of_center(0.12)),
        "near": shop_factory(name="Near", location=north_of_center(0.01)),
        "middle": shop_factory(name="Middle", location=north_of_center(0.05)),
        "london": shop_factory(name="London", location=Point(-0.1278, 51.5074, srid=4326)),
    }


def test_nearby_defaults_to_10_km_nearest_first(api_client, shops_near_paris):
    response = api_client.get(LIST, {"lat": CENTER_LAT, "lng": CENTER_LNG})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert ids(response) == [shops_near_paris["near"].pk, shops_near_paris["middle"].pk]
    distances = [row["distance_km"] for row in body["results"]]
    assert distances[0] == pytest.approx(0.01 * KM_PER_DEGREE_LAT, rel=0.005)
    assert distances[1] == pytest.approx(0.05 * KM_PER_DEGREE_LAT, rel=0.005)


def test_nearby_with_a_radius(api_client, shops_near_paris):
    response = api_client.get(LIST, {"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 20})

    body = response.json()
    assert ids(response) == [
        shops_near_paris["near"].pk,
        shops_near_paris["middle"].pk,
        shops_near_paris["far"].pk,
    ]
    assert body["results"][2]["distance_km"] == pytest.approx(0.12 * KM_PER_DEGREE_LAT, rel=0.005)
    assert [row["name"] for row in body["results"]] == ["Near", "Middle", "Far"]


def test_nearby_with_the_largest_radius_reaches_london(api_client, shops_near_paris):
    response = api_client.get(LIST, {"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 500})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["Near", "Middle", "Far", "London"]
    assert rows[3]["distance_km"] == pytest.approx(344, abs=3)


def test_nearby_with_a_small_radius(api_client, shops_near_paris):
    response = api_client.get(LIST, {"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 2})

    assert ids(response) == [shops_near_paris["near"].pk]


def test_nearby_combines_with_search(api_client, shops_near_paris, shop_factory):
    pottery = shop_factory(
        name="Heron Pottery", location=north_of_center(0.03), description="Bowls."
    )

    response = api_client.get(
        LIST, {"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 20, "search": "pottery"}
    )

    assert ids(response) == [pottery.pk]
    assert response.json()["results"][0]["distance_km"] == pytest.approx(
        0.03 * KM_PER_DEGREE_LAT, rel=0.005
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": CENTER_LAT}, "lng"),
        ({"lng": CENTER_LNG}, "lat"),
        ({"radius": 5}, "radius"),
        ({"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 500.5}, "radius"),
        ({"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 501}, "radius"),
        ({"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": 0}, "radius"),
        ({"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": -3}, "radius"),
        ({"lat": CENTER_LAT, "lng": CENTER_LNG, "radius": "NaN"}, "radius"),
        ({"lat": 91, "lng": CENTER_LNG}, "lat"),
        ({"lat": CENTER_LAT, "lng": -181}, "lng"),
        ({"lat": "NaN", "lng": CENTER_LNG}, "lat"),
        ({"lat": CENTER_LAT, "lng": "inf"}, "lng"),
        ({"lat": "north", "lng": CENTER_LNG}, "lat"),
        ({"lat": "1e400", "lng": CENTER_LNG}, "lat"),
        ({"lat": "", "lng": CENTER_LNG}, "lat"),
    ],
)
def test_bad_nearby_parameters_are_400(api_client, shops_near_paris, params, field):
    response = api_client.get(LIST, params)

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"search": "workshop"},
        {"owner": "me"},
        {"member": "me"},
        {"lat": 51.5074, "lng": -0.1278},
    ],
)
def test_soft_deleted_shops_are_never_listed(client_for, artisan, shop_factory, params):
    live = shop_factory(owner=artisan, name="Workshop Live")
    closed = shop_factory(owner=artisan, name="Workshop Closed")
    Shop.all_objects.filter(pk=closed.pk).update(deleted_at=timezone.now())

    response = client_for(artisan).get(LIST, params)

    assert response.status_code == 200
    assert ids(response) == [live.pk]
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"search": "handmade"},
        {"owner": "me"},
        {"member": "me"},
        {"lat": 51.5074, "lng": -0.1278, "radius": 5},
    ],
)
def test_shop_list_query_count_does_not_grow(client_for, artisan, shop_factory, params):
    client = client_for(artisan)
    for _ in range(2):
        shop_factory(owner=artisan)
    # Warm-up: the first distance query of a process reads spatial_ref_sys once, then caches it.
    client.get(LIST, params)
    with CaptureQueriesContext(connection) as small:
        small_response = client.get(LIST, params)
    for _ in range(13):
        shop_factory(owner=artisan)
    with CaptureQueriesContext(connection) as large:
        response = client.get(LIST, params)

    assert small_response.json()["count"] == 2
    assert response.json()["count"] == 15
    assert len(response.json()["results"]) == 15
    assert len(large) == len(small), [q["sql"][:200] for q in large.captured_queries]


# --- GET /api/shops/{id}/ -----------------------------------------------------------------------


def test_detail_has_exactly_the_contract_fields(api_client, shop, artisan, category, product):
    shop.refresh_from_db()

    response = api_client.get(detail(shop.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert body["id"] == shop.pk
    assert body["name"] == shop.name
    assert body["slug"] == shop.slug
    assert body["description"] == "Handmade goods."
    assert body["location"] == {"lat": 51.5074, "lng": -0.1278}
    assert body["address"] == "1 Market Street, London"
    assert (body["phone"], body["email"]) == ("", "")
    assert body["owner"] == {"id": artisan.pk, "name": artisan.full_name}
    assert set(body["owner"]) == {"id", "name"}
    assert body["rating"] == "0.00"
    assert body["review_count"] == 0
    assert body["product_count"] == 1
    assert body["created_at"].endswith("Z")
    assert body["distance_km"] is None


def test_missing_shop_is_404(api_client, shop):
    response = api_client.get(detail(shop.pk + 1000))

    assert_problem(response, 404, "not_found")


def test_soft_deleted_shop_is_404(api_client, shop):
    Shop.all_objects.filter(pk=shop.pk).update(deleted_at=timezone.now())

    response = api_client.get(detail(shop.pk))

    assert_problem(response, 404, "not_found")


# --- PATCH and PUT /api/shops/{id}/ -------------------------------------------------------------


def test_owner_patches_the_shop(client_for, artisan, shop):
    response = client_for(artisan).patch(
        detail(shop.pk),
        {
            "name": "Renamed Works",
            "location": {"lat": 40.416775, "lng": -3.70379},
            "phone": "+44 20 7946 0958",
            "email": "Shop@Example.COM",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Renamed Works"
    assert body["location"] == {"lat": 40.416775, "lng": -3.70379}
    assert body["phone"] == "+442079460958"
    assert body["email"] == "shop@example.com"
    assert body["description"] == "Handmade goods."
    assert body["address"] == "1 Market Street, London"
    shop.refresh_from_db()
    assert shop.name == "Renamed Works"
    assert (round(shop.location.y, 6), round(shop.location.x, 6)) == (40.416775, -3.70379)
    assert shop.phone == "+442079460958"
    assert shop.owner == artisan


def test_patch_cannot_change_owner_or_slug_or_counters(client_for, artisan, shop, customer):
    slug = shop.slug

    response = client_for(artisan).patch(
        detail(shop.pk),
        {"owner": customer.pk, "slug": "stolen", "rating": "4.90", "product_count": 99},
        format="json",
    )

    assert response.status_code == 200
    shop.refresh_from_db()
    assert (shop.owner_id, shop.slug, shop.rating, shop.product_count) == (artisan.pk, slug, 0, 0)
    assert ShopMember.objects.get(shop=shop, role="owner").user == artisan


def test_owner_puts_the_whole_shop(client_for, artisan, shop):
    response = client_for(artisan).put(
        detail(shop.pk),
        shop_body(name="Put Works", description="All new.", phone="", email=""),
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Put Works"
    assert body["description"] == "All new."
    assert body["location"] == {"lat": 33.573101, "lng": -7.589843}
    assert body["address"] == "12 Rue des Potiers, Casablanca"
    shop.refresh_from_db()
    assert (shop.name, shop.address, shop.phone, shop.email) == (
        "Put Works",
        "12 Rue des Potiers, Casablanca",
        "",
        "",
    )


@pytest.mark.parametrize("field", ["name", "location", "address"])
def test_put_without_a_required_field_is_400(client_for, artisan, shop, field):
    before = db_state()

    response = client_for(artisan).put(
        detail(shop.pk), shop_body(**{field: MISSING}), format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]
    assert db_state() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", None),
        ("location", {"lat": 91, "lng": 0}),
        ("location", {"lat": "NaN", "lng": 0}),
        ("location", "here"),
        ("address", ""),
        ("phone", "call me"),
        ("email", "not-an-email"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(client_for, artisan, shop, field, value):
    before = db_state()

    response = client_for(artisan).patch(detail(shop.pk), {field: value}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]
    assert db_state() == before


def test_patch_with_an_email_longer_than_the_column_is_400(client_for, artisan, shop):
    before = db_state()

    response = client_for(artisan).patch(detail(shop.pk), {"email": LONG_EMAIL}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert db_state() == before


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("who", ["staff", "other_artisan", "customer", "admin_user"])
def test_only_the_owner_edits_the_shop(request, client_for, shop, method, who):
    caller = request.getfixturevalue(who)
    before = db_state()

    response = getattr(client_for(caller), method)(
        detail(shop.pk), shop_body(name="Hijacked"), format="json"
    )

    assert_problem(response, 403, "permission_denied")
    assert db_state() == before
    shop.refresh_from_db()
    assert shop.name != "Hijacked"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_editing_needs_credentials(api_client, shop, method):
    before = db_state()

    response = getattr(api_client, method)(
        detail(shop.pk), shop_body(name="Hijacked"), format="json"
    )

    assert_problem(response, 401, "not_authenticated")
    assert db_state() == before


@pytest.mark.parametrize("method", ["patch", "put"])
def test_editing_a_missing_or_closed_shop_is_404(client_for, artisan, shop, method):
    Shop.all_objects.filter(pk=shop.pk).update(deleted_at=timezone.now())
    before = db_state()

    for pk in (shop.pk, shop.pk + 1000):
        response = getattr(client_for(artisan), method)(
            detail(pk), shop_body(name="Back"), format="json"
        )

        assert_problem(response, 404, "not_found")
    assert db_state() == before


# --- DELETE /api/shops/{id}/ --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["artisan", "admin_user"])
def test_owner_or_admin_closes_the_shop_and_its_products_disappear(
    request, client_for, api_client, shop, shop_factory, category, product_factory, who
):
    caller = request.getfixturevalue(who)
    mug = product_factory(shop=shop, category=category, name="Closed Mug")
    bowl = product_factory(shop=shop, category=category, name="Closed Bowl")
    elsewhere = product_factory(shop=shop_factory(), category=category, name="Open Vase")
    assert {row["id"] for row in api_client.get(PRODUCTS).json()["results"]} == {
        mug.pk,
        bowl.pk,
        elsewhere.pk,
    }

    response = client_for(caller).delete(detail(shop.pk))

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(api_client.get(detail(shop.pk)), 404, "not_found")
    assert shop.pk not in ids(api_client.get(LIST))
    listed = api_client.get(PRODUCTS).json()
    assert [row["id"] for row in listed["results"]] == [elsewhere.pk]
    assert api_client.get(PRODUCTS, {"shop": shop.pk}).json()["results"] == []
    assert_problem(api_client.get(product_url(mug.pk)), 404, "not_found")
    assert_problem(api_client.get(product_url(bowl.pk)), 404, "not_found")
    assert api_client.get(product_url(elsewhere.pk)).status_code == 200
    closed = Shop.all_objects.get(pk=shop.pk)
    assert closed.deleted_at is not None
    assert not Shop.objects.filter(pk=shop.pk).exists()
    assert set(
        Product.all_objects.filter(pk__in=[mug.pk, bowl.pk]).values_list("deleted_at", flat=True)
    ) == {closed.deleted_at}
    assert Product.objects.filter(pk=elsewhere.pk).exists()


def test_closed_shop_leaves_the_owners_list(client_for, artisan, shop):
    client_for(artisan).delete(detail(shop.pk))

    response = client_for(artisan).get(LIST, {"owner": "me"})

    assert response.json()["count"] == 0


def test_closing_twice_is_404(client_for, artisan, shop):
    client = client_for(artisan)
    assert client.delete(detail(shop.pk)).status_code == 204
    before = db_state()

    response = client.delete(detail(shop.pk))

    assert_problem(response, 404, "not_found")
    assert db_state() == before


@pytest.mark.parametrize("who", ["staff", "other_artisan", "customer"])
def test_others_cannot_close_the_shop(
    request, client_for, api_client, shop, category, product_factory, who
):
    caller = request.getfixturevalue(who)
    mug = product_factory(shop=shop, category=category)
    before = db_state()

    response = client_for(caller).delete(detail(shop.pk))

    assert_problem(response, 403, "permission_denied")
    assert db_state() == before
    assert api_client.get(detail(shop.pk)).status_code == 200
    assert api_client.get(product_url(mug.pk)).status_code == 200


def test_closing_needs_credentials(api_client, shop, category, product_factory):
    product_factory(shop=shop, category=category)
    before = db_state()

    response = api_client.delete(detail(shop.pk))

    assert_problem(response, 401, "not_authenticated")
    assert db_state() == before


# --- staff --------------------------------------------------------------------------------------


def test_owner_lists_the_owner_and_staff(client_for, artisan, shop, staff):
    response = client_for(artisan).get(staff_url(shop.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    rows = body["results"]
    assert [(row["user"], row["role"]) for row in rows] == [
        ({"id": artisan.pk, "email": artisan.email, "name": artisan.full_name}, "owner"),
        ({"id": staff.pk, "email": staff.email, "name": staff.full_name}, "staff"),
    ]
    assert set(rows[0]) == {"user", "role", "created_at"}


def test_owner_adds_staff_by_email(client_for, artisan, shop, user_factory):
    newcomer = user_factory(role="artisan", email="potter@example.com")

    response = client_for(artisan).post(
        staff_url(shop.pk), {"email": "potter@example.com"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["user"] == {
        "id": newcomer.pk,
        "email": "potter@example.com",
        "name": newcomer.full_name,
    }
    assert body["role"] == "staff"
    assert ShopMember.objects.get(shop=shop, user=newcomer).role == "staff"
    listed = client_for(artisan).get(staff_url(shop.pk)).json()
    assert [row["user"]["id"] for row in listed["results"]] == [artisan.pk, newcomer.pk]


def test_staff_email_is_case_insensitive(client_for, artisan, shop, user_factory):
    newcomer = user_factory(email="potter@example.com")

    response = client_for(artisan).post(
        staff_url(shop.pk), {"email": "  Potter@EXAMPLE.com "}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["user"]["id"] == newcomer.pk
    assert ShopMember.objects.filter(shop=shop, user=newcomer, role="staff").exists()


def test_new_staff_member_can_edit_the_catalog(client_for, artisan, shop, product, user_factory):
    newcomer = user_factory(role="artisan")
    client_for(artisan).post(staff_url(shop.pk), {"email": newcomer.email}, format="json")

    response = client_for(newcomer).patch(
        product_url(product.pk), {"name": "Staff Mug"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Staff Mug"


@pytest.mark.parametrize(
    "email",
    ["nobody@example.com", "not-an-email", "", None],
)
def test_adding_an_unknown_or_invalid_email_is_400(client_for, artisan, shop, email):
    before = db_state()

    response = client_for(artisan).post(staff_url(shop.pk), {"email": email}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert db_state() == before


def test_adding_without_an_email_is_400(client_for, artisan, shop):
    before = db_state()

    response = client_for(artisan).post(staff_url(shop.pk), {}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert db_state() == before


def test_adding_an_inactive_user_is_400(client_for, artisan, shop, user_factory):
    gone = user_factory(email="gone@example.com", is_active=False)
    before = db_state()

    response = client_for(artisan).post(staff_url(shop.pk), {"email": gone.email}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert db_state() == before


@pytest.mark.parametrize("who", ["staff", "artisan"])
def test_adding_an_existing_member_is_400(request, client_for, artisan, shop, staff, who):
    member = request.getfixturevalue(who)
    before = db_state()

    response = client_for(artisan).post(
        staff_url(shop.pk), {"email": member.email.upper()}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert db_state() == before
    assert ShopMember.objects.get(shop=shop, user=artisan).role == "owner"


def test_owner_removes_staff_who_then_loses_the_catalog(client_for, artisan, shop, staff, product):
    staff_client = client_for(staff)
    assert (
        staff_client.patch(product_url(product.pk), {"name": "Before"}, format="json").status_code
        == 200
    )

    response = client_for(artisan).delete(staff_member_url(shop.pk, staff.pk))

    assert response.status_code == 204
    assert not ShopMember.objects.filter(shop=shop, user=staff).exists()
    assert ShopMember.objects.filter(shop=shop, user=artisan, role="owner").exists()
    before = db_state()
    denied = staff_client.patch(product_url(product.pk), {"name": "After"}, format="json")
    assert_problem(denied, 403, "permission_denied")
    assert db_state() == before
    product.refresh_from_db()
    assert product.name == "Before"
    assert client_for(staff).get(LIST, {"member": "me"}).json()["count"] == 0


def test_removing_the_owner_is_409(client_for, artisan, shop, staff):
    before = db_state()

    response = client_for(artisan).delete(staff_member_url(shop.pk, artisan.pk))

    assert_problem(response, 409, "conflict")
    assert db_state() == before


def test_removing_a_non_member_is_404(client_for, artisan, shop, staff, customer, other_artisan):
    other_shop = Shop.objects.get(owner=other_artisan)
    before = db_state()

    for user_id in (customer.pk, other_artisan.pk, 10**9):
        response = client_for(artisan).delete(staff_member_url(shop.pk, user_id))

        assert_problem(response, 404, "not_found")
    assert db_state() == before
    assert ShopMember.objects.filter(shop=other_shop, user=other_artisan).exists()


def test_removing_staff_of_another_shop_through_my_shop_is_404(
    client_for, artisan, shop, other_artisan, user_factory
):
    other_shop = Shop.objects.get(owner=other_artisan)
    theirs = user_factory(role="artisan")
    add_staff(other_shop, theirs)
    before = db_state()

    response = client_for(artisan).delete(staff_member_url(shop.pk, theirs.pk))

    assert_problem(response, 404, "not_found")
    assert db_state() == before


def staff_requests(shop, staff, user_factory):
    newcomer = user_factory(email="newcomer@example.com")
    return [
        ("get", staff_url(shop.pk), None),
        ("post", staff_url(shop.pk), {"email": newcomer.email}),
        ("delete", staff_member_url(shop.pk, staff.pk), None),
    ]


@pytest.mark.parametrize("who", ["staff", "other_artisan", "customer", "admin_user"])
def test_only_the_owner_manages_staff(request, client_for, shop, staff, user_factory, who):
    caller = request.getfixturevalue(who)
    client = client_for(caller)

    for method, url, body in staff_requests(shop, staff, user_factory):
        before = db_state()

        response = getattr(client, method)(url, body, format="json")

        assert_problem(response, 403, "permission_denied")
        assert db_state() == before


def test_staff_routes_need_credentials(api_client, shop, staff, user_factory):
    for method, url, body in staff_requests(shop, staff, user_factory):
        before = db_state()

        response = getattr(api_client, method)(url, body, format="json")

        assert_problem(response, 401, "not_authenticated")
        assert db_state() == before


def test_staff_routes_of_a_closed_shop_are_404(client_for, artisan, shop, staff, user_factory):
    Shop.all_objects.filter(pk=shop.pk).update(deleted_at=timezone.now())
    client = client_for(artisan)

    for method, url, body in staff_requests(shop, staff, user_factory):
        before = db_state()

        response = getattr(client, method)(url, body, format="json")

        assert_problem(response, 404, "not_found")
        assert db_state() == before


def test_staff_list_query_count_does_not_grow(client_for, artisan, shop, user_factory):
    client = client_for(artisan)
    add_staff(shop, user_factory(role="artisan"))
    client.get(staff_url(shop.pk))  # the first request of a user fills the cached auth state
    with CaptureQueriesContext(connection) as small:
        small_response = client.get(staff_url(shop.pk))
    for _ in range(13):
        add_staff(shop, user_factory(role="artisan"))
    with CaptureQueriesContext(connection) as large:
        response = client.get(staff_url(shop.pk))

    assert small_response.json()["count"] == 2
    assert response.json()["count"] == 15
    assert len(large) == len(small)
