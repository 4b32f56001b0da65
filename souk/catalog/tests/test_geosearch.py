"""GET /api/products/geosearch/: radius search by product location, nearest first, with every
list filter, pagination and validation of the point."""

from __future__ import annotations

import importlib
import math

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Product
from souk.catalog.tests.factories import make_category
from souk.core.testing import assert_problem
from souk.shops.models import Shop

GEO = "/api/products/geosearch/"
LIST = "/api/products/"
pytestmark = pytest.mark.django_db

EARTH_RADIUS_KM = 6371.0088
LONDON = (51.5074, -0.1278)  # lat, lng
PARIS = (48.8566, 2.3522)


def haversine_km(a, b):
    (lat1, lng1), (lat2, lng2) = ((math.radians(x) for x in p) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def destination(origin, km, bearing_degrees):
    """The point `km` away from `origin` in the given direction (0 = north, 90 = east)."""
    lat1, lng1 = (math.radians(x) for x in origin)
    bearing, angle = math.radians(bearing_degrees), km / EARTH_RADIUS_KM
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing)
    )
    lng2 = lng1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    return math.degrees(lat2), math.degrees(lng2)


def point(lat_lng):
    lat, lng = lat_lng
    return Point(lng, lat, srid=4326)


def near(lat_lng=LONDON, **params):
    return {"lat": lat_lng[0], "lng": lat_lng[1], **params}


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response):
    return [row["id"] for row in rows(response)]


@pytest.fixture
def place(product_factory, shop, category):
    """place(km, bearing, **product fields) -> a product that far from central London."""

    def make(km, bearing=0, **kwargs):
        spot = destination(LONDON, km, bearing)
        kwargs.setdefault("shop", shop)
        kwargs.setdefault("category", category)
        product = product_factory(location=point(spot), **kwargs)
        product.spot = spot
        return product

    return make


@pytest.fixture
def ring(place):
    """Products 2 km north, 5 km east and 15 km south of central London."""
    return {
        "north": place(2, 0, name="North Mug"),
        "east": place(5, 90, name="East Vase"),
        "south": place(15, 180, name="South Mug"),
    }


def assert_distance(row, spot):
    expected = haversine_km(LONDON, spot)
    assert row["distance_km"] == pytest.approx(expected, rel=0.01)


# --- radius and order --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("radius", "expected"),
    [
        ("20", ["north", "east", "south"]),
        ("15.5", ["north", "east", "south"]),
        ("14.5", ["north", "east"]),
        ("10", ["north", "east"]),
        ("3", ["north"]),
        ("1", []),
        ("0.5", []),
    ],
)
def test_only_products_within_the_radius_nearest_first(api_client, ring, radius, expected):
    found = rows(api_client.get(GEO, near(radius=radius)))

    assert [row["id"] for row in found] == [ring[key].pk for key in expected]
    for row, key in zip(found, expected, strict=True):
        assert_distance(row, ring[key].spot)


def test_distance_km_is_within_one_percent(api_client, ring):
    north, east, south = rows(api_client.get(GEO, near(radius=50)))

    assert north["distance_km"] == pytest.approx(2.0, rel=0.01)
    assert east["distance_km"] == pytest.approx(5.0, rel=0.01)
    assert south["distance_km"] == pytest.approx(15.0, rel=0.01)


def test_distance_is_measured_from_the_given_point(api_client, ring):
    origin = ring["south"].spot  # 15 km south: east is ~15.8 km away, north 17 km

    found = rows(api_client.get(GEO, near(origin, radius=50)))

    assert [row["id"] for row in found] == [ring[k].pk for k in ("south", "east", "north")]
    assert found[0]["distance_km"] == pytest.approx(0, abs=0.001)
    for row, key in zip(found[1:], ("east", "north"), strict=True):
        assert row["distance_km"] == pytest.approx(haversine_km(origin, ring[key].spot), rel=0.01)


def test_nearest_first_agrees_with_the_reported_distance(api_client, place):
    # Almost equally far in different directions: the list order and `distance_km` must
    # use the same measure, or "nearest first" shows a farther product before a nearer one.
    pairs = [place(5.01, 90), place(5.02, 0), place(10.0, 90), place(10.03, 0)]

    found = rows(api_client.get(GEO, near(radius=20)))

    distances = [row["distance_km"] for row in found]
    assert sorted(row["id"] for row in found) == sorted(p.pk for p in pairs)
    assert distances == sorted(distances)


def test_default_radius_is_10_km(api_client, place):
    inside = place(9.5, 270)
    place(10.5, 270)

    found = rows(api_client.get(GEO, near()))

    assert [row["id"] for row in found] == [inside.pk]
    assert_distance(found[0], inside.spot)


def test_radius_up_to_500_km(api_client, place, product_factory, shop, category):
    in_paris = product_factory(shop=shop, category=category, location=point(PARIS))
    close = place(1)

    wide = rows(api_client.get(GEO, near(radius=500)))
    narrow = rows(api_client.get(GEO, near(radius=300)))

    assert [row["id"] for row in wide] == [close.pk, in_paris.pk]
    assert wide[1]["distance_km"] == pytest.approx(haversine_km(LONDON, PARIS), rel=0.01)
    assert [row["id"] for row in narrow] == [close.pk]


@pytest.mark.parametrize("radius", ["501", "500.01", "0", "-5", "abc", "nan", "inf", "-inf"])
def test_bad_radius_is_400(api_client, ring, radius):
    body = assert_problem(api_client.get(GEO, near(radius=radius)), 400, "validation_error")

    assert "radius" in body["errors"]


def test_product_location_counts_not_the_shop_location(api_client, shop_factory, place):
    far_shop = shop_factory(location=point(destination(LONDON, 15, 180)))
    central_shop = shop_factory(location=point(LONDON))
    near_product = place(2, 0, shop=far_shop)
    place(15, 0, shop=central_shop)

    found = rows(api_client.get(GEO, near()))

    assert [row["id"] for row in found] == [near_product.pk]
    assert_distance(found[0], near_product.spot)


def test_product_created_without_location_uses_the_shop_location(
    client_for, api_client, artisan, shop_factory, category
):
    spot = destination(LONDON, 3, 45)
    shop = shop_factory(owner=artisan, location=point(spot))
    created = client_for(artisan).post(
        LIST,
        {"shop": shop.pk, "category": category.pk, "name": "Tile", "price": "4.00", "quantity": 1},
        format="json",
    )
    assert created.status_code == 201

    found = rows(api_client.get(GEO, near()))

    assert [row["id"] for row in found] == [created.json()["id"]]
    assert_distance(found[0], spot)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "missing"),
    [
        ({"lng": LONDON[1]}, {"lat"}),
        ({"lat": LONDON[0]}, {"lng"}),
        ({}, {"lat", "lng"}),
        ({"radius": 5}, {"lat", "lng"}),
    ],
)
def test_missing_lat_or_lng_is_400(api_client, ring, params, missing):
    body = assert_problem(api_client.get(GEO, params), 400, "validation_error")

    assert missing <= set(body["errors"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lat", "91"),
        ("lat", "-90.0001"),
        ("lng", "181"),
        ("lng", "-180.5"),
        ("lat", "north"),
        ("lng", "abc"),
        ("lat", "nan"),
        ("lng", "NaN"),
        ("lat", "inf"),
        ("lng", "-inf"),
        ("lat", "Infinity"),
        ("lat", ""),
        ("lng", "1,5"),
    ],
)
def test_bad_lat_or_lng_is_400_naming_the_field(api_client, ring, field, value):
    params = near()
    params[field] = value

    body = assert_problem(api_client.get(GEO, params), 400, "validation_error")

    assert field in body["errors"]


@pytest.mark.parametrize(("lat", "lng"), [(90, 180), (-90, -180), (0, 0), (-33.86, 151.2)])
def test_extreme_but_valid_points_are_accepted(api_client, ring, lat, lng):
    response = api_client.get(GEO, {"lat": lat, "lng": lng, "radius": 500})

    assert response.status_code == 200
    assert response.json()["results"] == []


# --- filters -----------------------------------------------------------------------------------


@pytest.fixture
def mixed(place, shop_factory):
    pottery, textiles = make_category("Pottery"), make_category("Textiles")
    other = shop_factory()
    return {
        "mug": place(1, 0, name="Blue Mug", category=pottery, price="12.00"),
        "empty_mug": place(2, 0, name="Green Mug", category=pottery, price="14.00", quantity=0),
        "scarf": place(3, 0, name="Wool Scarf", category=textiles, price="30.00"),
        "dear_mug": place(4, 0, name="Gold Mug", category=pottery, price="90.00"),
        "other_mug": place(5, 0, name="Tin Mug", category=pottery, price="9.00", shop=other),
        "far_mug": place(25, 0, name="Far Mug", category=pottery, price="12.00"),
        "pottery": pottery,
        "textiles": textiles,
        "other": other,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "mug"}, ["mug", "empty_mug", "dear_mug", "other_mug"]),
        ({"q": "mug"}, ["mug", "empty_mug", "dear_mug", "other_mug"]),
        ({"search": "mug", "radius": 30}, ["mug", "empty_mug", "dear_mug", "other_mug", "far_mug"]),
        ({"search": "wool"}, ["scarf"]),
        ({"category": "textiles"}, ["scarf"]),
        ({"category": "pottery"}, ["mug", "empty_mug", "dear_mug", "other_mug"]),
        ({"in_stock": "true"}, ["mug", "scarf", "dear_mug", "other_mug"]),
        ({"in_stock": "false"}, ["empty_mug"]),
        ({"min_price": "13", "max_price": "50"}, ["empty_mug", "scarf"]),
        ({"max_price": "12"}, ["mug", "other_mug"]),
        ({"shop": "other"}, ["other_mug"]),
        (
            {"search": "mug", "in_stock": "true", "max_price": "20", "category": "pottery"},
            ["mug", "other_mug"],
        ),
    ],
)
def test_geosearch_combines_with_every_filter(api_client, mixed, params, expected):
    resolved = {
        key: mixed[value].pk if key in ("category", "shop") else value
        for key, value in params.items()
    }

    found = ids(api_client.get(GEO, near(**resolved)))

    assert found == [mixed[key].pk for key in expected]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["other_mug", "mug", "empty_mug", "scarf", "dear_mug"]),
        ("-price", ["dear_mug", "scarf", "empty_mug", "mug", "other_mug"]),
        ("name", ["mug", "dear_mug", "empty_mug", "other_mug", "scarf"]),
        ("-created_at", ["other_mug", "dear_mug", "scarf", "empty_mug", "mug"]),
    ],
)
def test_explicit_ordering_overrides_nearest_first(api_client, mixed, ordering, expected):
    found = rows(api_client.get(GEO, near(ordering=ordering)))

    assert [row["id"] for row in found] == [mixed[key].pk for key in expected]
    assert all(row["distance_km"] is not None for row in found)


def test_bad_ordering_is_400(api_client, mixed):
    body = assert_problem(api_client.get(GEO, near(ordering="distance")), 400, "validation_error")

    assert "ordering" in body["errors"]


def test_min_price_above_max_price_is_400(api_client, mixed):
    response = api_client.get(GEO, near(min_price="50", max_price="10"))

    body = assert_problem(response, 400, "validation_error")
    assert "max_price" in body["errors"]


def test_unknown_category_is_an_empty_list(api_client, mixed):
    response = api_client.get(GEO, near(category=999_999, search="mug"))

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])


def test_soft_deleted_products_are_not_found(api_client, client_for, artisan, ring):
    assert client_for(artisan).delete(f"{LIST}{ring['north'].pk}/").status_code == 204
    ring["east"].soft_delete()

    found = ids(api_client.get(GEO, near(radius=20)))

    assert found == [ring["south"].pk]


# --- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 2, 3, 5])
def test_pages_continue_without_repeats(api_client, place, page_size):
    products = [
        place(km, bearing) for km, bearing in ((4, 10), (1, 200), (3, 90), (2, 300), (5, 0))
    ]
    nearest_first = [p.pk for p in sorted(products, key=lambda p: haversine_km(LONDON, p.spot))]

    walked, page = [], 1
    while True:
        body = api_client.get(GEO, near(page=page, page_size=page_size)).json()
        walked += [row["id"] for row in body["results"]]
        if body["next"] is None:
            break
        assert body["count_exact"] is False
        assert body["count"] >= page * page_size + 1
        page += 1

    assert walked == nearest_first
    assert (body["count"], body["count_exact"]) == (5, True)
    beyond = api_client.get(GEO, near(page=page + 1, page_size=page_size))
    assert_problem(beyond, 404, "not_found")


def test_products_at_the_same_spot_page_without_repeats(api_client, place):
    same = [place(3, 45) for _ in range(4)]
    nearer = place(1, 0)

    walked = []
    for page in (1, 2, 3, 4, 5):
        walked += ids(api_client.get(GEO, near(page=page, page_size=1)))

    assert walked[0] == nearer.pk
    assert sorted(walked[1:]) == sorted(p.pk for p in same)
    assert len(set(walked)) == 5


def test_page_two_continues_page_one(api_client, place):
    products = [place(km) for km in (1, 2, 3, 4, 5)]

    first = api_client.get(GEO, near(page_size=2)).json()
    second = api_client.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [p.pk for p in products[:2]]
    assert [row["id"] for row in second["results"]] == [p.pk for p in products[2:4]]
    assert second["results"][0]["distance_km"] >= first["results"][-1]["distance_km"]


def test_query_count_does_not_grow_with_the_page(api_client, place, shop_factory):
    def add(count):
        for n in range(count):
            place(1 + n / 10, n * 7, shop=shop_factory())

    def queries():
        api_client.get(
            GEO, near(page_size=50, search="mug")
        )  # warm: word estimates are cached after the first request
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(GEO, near(page_size=50, search="mug"))
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    add(3)
    small = queries()
    add(27)
    large = queries()

    assert (small[1], large[1]) == (3, 30)
    assert small[0] == large[0]


# --- Coordinates a rounding error apart ---------------------------------------------------------
# PostGIS 3.3's nearest-neighbour index scan on geography fails ("index returned tuples in wrong
# order") once two points lie 1e-15 degrees apart on the equator or the prime meridian. Stored
# and searched coordinates are rounded to 7 places, so such a pair becomes one point.


def plant(client, shop, category, name, lat, lng):
    response = client.post(
        LIST,
        {
            "shop": shop.pk,
            "category": category.pk,
            "name": name,
            "price": "5.00",
            "location": {"lat": lat, "lng": lng},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param((0, 1e-15), (0, 0), id="equator"),
        pytest.param((1e-15, 0), (0, 0), id="prime-meridian"),
        pytest.param((0, -1e-15), (0, 1e-15), id="either-side-of-zero"),
    ],
)
def test_points_a_rounding_error_apart_are_searched_nearest_first(
    api_client, client_for, artisan, shop, category, first, second
):
    owner = client_for(artisan)
    near_one = plant(owner, shop, category, "Near one", *first)
    near_two = plant(owner, shop, category, "Near two", *second)
    far = plant(owner, shop, category, "Far", 0.05, 0.05)

    response = api_client.get(GEO, {"lat": 0, "lng": 0, "radius": 50})

    found = rows(response)
    assert [r["id"] for r in found][2:] == [far]
    assert sorted(r["id"] for r in found[:2]) == [near_one, near_two]
    assert [r["distance_km"] for r in found[:2]] == [0.0, 0.0]
    assert {(r["location"]["lat"], r["location"]["lng"]) for r in found[:2]} == {(0.0, 0.0)}


def test_a_query_point_a_rounding_error_off_zero_is_searched(
    api_client, client_for, artisan, shop, category
):
    owner = client_for(artisan)
    here = plant(owner, shop, category, "Here", 0, 0)
    there = plant(owner, shop, category, "There", 0, 0.01)

    response = api_client.get(GEO, {"lat": 1e-15, "lng": -1e-15, "radius": 50})

    assert [r["id"] for r in rows(response)] == [here, there]


def test_a_moved_product_is_stored_on_the_grid(client_for, artisan, shop, category):
    owner = client_for(artisan)
    product_id = plant(owner, shop, category, "Mover", 10, 10)

    owner.patch(f"{LIST}{product_id}/", {"location": {"lat": 1e-15, "lng": 0}}, format="json")

    stored = Product.objects.get(pk=product_id).location
    assert (stored.x, stored.y) == (0.0, 0.0)


def test_a_shop_is_stored_on_the_grid_and_found_near_zero(client_for, api_client, artisan):
    owner = client_for(artisan)
    for lat, lng in ((0, 1e-15), (0, 0)):
        response = owner.post(
            "/api/shops/",
            {"name": f"Zero {lng}", "location": {"lat": lat, "lng": lng}, "address": "Null Island"},
            format="json",
        )
        assert response.status_code == 201, response.content

    found = api_client.get("/api/shops/", {"lat": 1e-15, "lng": 0, "radius": 5})

    assert found.status_code == 200, found.content
    assert [(s["location"], s["distance_km"]) for s in found.json()["results"]] == [
        ({"lat": 0.0, "lng": 0.0}, 0.0),
        ({"lat": 0.0, "lng": 0.0}, 0.0),
    ]


def test_the_data_migration_puts_existing_locations_on_the_grid(
    api_client, shop, category, product_factory
):
    """Rows written before rounding (the planted pair included) are rounded in place."""
    planted = [
        product_factory(shop=shop, category=category, location=Point(lng, lat, srid=4326))
        for lat, lng in ((0, 1e-15), (0, -1e-15), (0, 0), (51.50740001234, -0.12780004999))
    ]
    Shop.objects.filter(pk=shop.pk).update(location=Point(1e-15, -1e-15, srid=4326))

    for module in (
        "souk.catalog.migrations.0008_round_product_locations",
        "souk.shops.migrations.0005_round_shop_locations",
    ):
        with connection.cursor() as cursor:
            cursor.execute(importlib.import_module(module).ROUND)

    stored = [Product.objects.get(pk=p.pk).location for p in planted]
    assert [(p.x, p.y) for p in stored] == [
        (0.0, 0.0),
        (0.0, 0.0),
        (0.0, 0.0),
        (-0.1278, 51.5074),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(location::geometry)::text, ST_Y(location::geometry)::text "
            "FROM shops_shop WHERE id = %s",
            [shop.pk],
        )
        assert cursor.fetchone() == ("0", "0")
    response = api_client.get(GEO, {"lat": 0, "lng": 0, "radius": 1})
    assert sorted(r["id"] for r in rows(response)) == sorted(p.pk for p in planted[:3])
