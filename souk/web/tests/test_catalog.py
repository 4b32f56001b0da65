"""The shopper's catalog pages through Django's test client: home (HTML for browsers, JSON for
API clients), search with its filters and suggestions, near me, product (variants, reviews)
and shop pages. Bad input shows the serializers' messages and never an error page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse

from souk.catalog.models import Product, Review
from souk.catalog.seed.vocabulary import CITIES
from souk.catalog.tests.factories import make_category
from souk.catalog.tests.test_reviews import order_in

pytestmark = pytest.mark.django_db
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def at(city: str, north_km: float = 0.0) -> Point:
    lat, lng = CITIES[city]
    return Point(lng, lat + north_km / 111.32, srid=4326)


@pytest.fixture
def catalog(shop_factory, artisan, product_factory):
    """Two shops in London (one 3 km north) and one in Paris, with a few products."""
    pottery = make_category("Pottery")
    mugs = make_category("Mugs", parent=pottery)
    textiles = make_category("Textiles")
    near = shop_factory(owner=artisan, name="Thames Pottery", location=at("London"))
    north = shop_factory(owner=artisan, name="Camden Weavers", location=at("London", 3))
    paris = shop_factory(owner=artisan, name="Atelier Paris", location=at("Paris"))
    products = {
        "mug": product_factory(
            shop=near,
            category=mugs,
            name="Blue Stoneware Mug",
            variants=[
                {"price": "18.00", "quantity": 0, "attributes": {"colour": "Indigo"}},
                {"price": "22.50", "quantity": 4, "attributes": {"colour": "Saffron"}},
            ],
        ),
        "bowl": product_factory(shop=near, category=pottery, name="Serving Bowl", price="45.00"),
        "rug": product_factory(shop=north, category=textiles, name="Wool Rug", price="120.00"),
        "vase": product_factory(shop=paris, category=pottery, name="Tall Vase", price="60.00"),
    }
    return {"shops": {"near": near, "north": north, "paris": paris}, **products}


def names(response) -> list[str]:
    return [product["name"] for product in response.context["page"]["products"]]


# --- home ---------------------------------------------------------------------------------


def test_home_is_the_shoppers_page_for_browsers(client, catalog):
    response = client.get("/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="combobox"' in page
    assert 'aria-controls="site-search-options"' in page
    assert f'href="{reverse("shop:search")}?category=' in page
    assert "Blue Stoneware Mug" in page
    assert [row["name"] for row in response.context["categories"]] == ["Pottery", "Textiles"]


def test_home_shows_goods_near_the_place_chosen_on_the_map(client, catalog):
    client.get(reverse("shop:map"), {"city": "Paris", "radius": "10"})

    response = client.get("/", HTTP_ACCEPT=BROWSER)

    assert [product["name"] for product in response.context["products"]] == ["Tall Vase"]
    assert "Near Paris" in response.content.decode()


def test_home_with_nothing_listed_says_so(client):
    response = client.get("/", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    assert "No goods are listed yet" in response.content.decode()


# --- suggestions --------------------------------------------------------------------------


def test_suggest_lists_matching_names_as_listbox_options(client, catalog):
    response = client.get(reverse("shop:suggest"), {"q": "stonewar"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="option"' in page
    assert "Blue Stoneware Mug" in page
    assert reverse("shop:product", args=[catalog["mug"].pk]) in page


def test_suggest_is_throttled_like_the_api(client, catalog, monkeypatch):
    from souk.catalog.api.views.discovery import SuggestThrottle

    rates = {**SuggestThrottle.THROTTLE_RATES, "suggest": "2/min"}
    monkeypatch.setattr(SuggestThrottle, "THROTTLE_RATES", rates)

    answers = [client.get(reverse("shop:suggest"), {"q": "mug"}) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert ["Blue Stoneware Mug" in answer.content.decode() for answer in answers] == [
        True,
        True,
        False,
    ]


@pytest.mark.parametrize("q", ["", "a", "x" * 101], ids=["empty", "one-letter", "too-long"])
def test_suggest_for_too_little_or_too_much_is_empty(client, catalog, q):
    response = client.get(reverse("shop:suggest"), {"q": q})

    assert response.status_code == 200
    assert 'role="option"' not in response.content.decode()


# --- search -------------------------------------------------------------------------------


def test_search_finds_by_words(client, catalog):
    response = client.get(reverse("shop:search"), {"q": "mug"})

    assert response.status_code == 200
    assert names(response) == ["Blue Stoneware Mug"]


def test_search_category_includes_sub_categories(client, catalog):
    pottery = catalog["bowl"].category_id

    response = client.get(reverse("shop:search"), {"category": pottery, "ordering": "name"})

    assert names(response) == ["Blue Stoneware Mug", "Serving Bowl", "Tall Vase"]
    assert "<h1>Pottery</h1>" in response.content.decode()


def test_search_price_range_and_sort(client, catalog):
    response = client.get(
        reverse("shop:search"),
        {"min_price": "20", "max_price": "100", "ordering": "-price", "category": ""},
    )

    assert names(response) == ["Tall Vase", "Serving Bowl"]


def test_search_in_stock_only(client, catalog, product_factory):
    product_factory(
        shop=catalog["shops"]["near"],
        category=catalog["bowl"].category,
        name="Sold Out Jug",
        quantity=0,
    )

    response = client.get(reverse("shop:search"), {"q": "jug", "in_stock": "true"})

    assert names(response) == []
    assert "No goods match" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_price": "abc"}, "Minimum price: A valid number is required."),
        ({"min_price": "50", "max_price": "10"}, "Maximum price: Must be at least min_price."),
        ({"category": "pots"}, "Category: A valid integer is required."),
        ({"ordering": "cheapest"}, "Sort: &quot;cheapest&quot; is not a valid choice."),
        ({"q": "x" * 201}, "Search: Ensure this field has no more than 200 characters."),
    ],
    ids=["price-not-a-number", "min-above-max", "category-not-an-id", "unknown-sort", "long-q"],
)
def test_search_bad_filters_show_a_message_not_an_error(client, catalog, params, message):
    response = client.get(reverse("shop:search"), params)

    assert response.status_code == 200
    assert response.context["page"] is None
    assert message in response.content.decode()


def test_search_pages(client, catalog, product_factory):
    for number in range(21):
        product_factory(
            shop=catalog["shops"]["near"],
            category=catalog["bowl"].category,
            name=f"Bead {number:02d}",
        )

    first = client.get(reverse("shop:search"), {"q": "bead", "ordering": "name"})
    second = client.get(reverse("shop:search"), {"q": "bead", "ordering": "name", "page": "2"})
    deep = client.get(reverse("shop:search"), {"q": "bead", "page": "999999"})

    assert len(names(first)) == 20
    assert first.context["page"]["next_url"] == "?q=bead&ordering=name&page=2"
    assert names(second) == ["Bead 20"]
    assert second.context["page"]["previous_url"] == "?q=bead&ordering=name&page=1"
    assert deep.status_code == 200
    assert deep.context["page"]["too_deep"] is True


def test_search_from_htmx_answers_the_results_only(client, catalog):
    response = client.get(
        reverse("shop:search"),
        {"q": "vase"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="search-results",
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="search-results"')
    assert "<html" not in page
    assert "Tall Vase" in page


# --- near me ------------------------------------------------------------------------------


def test_near_me_without_a_place_asks_for_one(client, catalog):
    response = client.get(reverse("shop:map"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a city or use your location" in page
    assert 'data-basemap="/static/vendor/countries-50m.json"' in page
    assert "tile" not in page.lower()


def test_near_a_city_lists_shops_and_goods_nearest_first(client, catalog):
    response = client.get(reverse("shop:map"), {"city": "London", "radius": "10"})

    assert response.status_code == 200
    shops = response.context["shops"]
    assert [shop["name"] for shop in shops] == ["Thames Pottery", "Camden Weavers"]
    assert shops[0]["distance_km"] == 0.0
    assert 2.9 < shops[1]["distance_km"] < 3.1
    products = [product["name"] for product in response.context["products"]]
    assert products[-1] == "Wool Rug"
    assert set(products) == {"Blue Stoneware Mug", "Serving Bowl", "Wool Rug"}
    assert "Tall Vase" not in response.content.decode()
    kinds = [point["kind"] for point in response.context["points"]]
    assert kinds == ["shop", "shop", "product", "product", "product"]


def test_near_coordinates_from_the_browser(client, catalog):
    lat, lng = CITIES["Paris"]

    response = client.get(reverse("shop:map"), {"lat": lat, "lng": lng, "radius": "25"})

    assert [product["name"] for product in response.context["products"]] == ["Tall Vase"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"city": "Atlantis"}, "Choose a city from the list."),
        ({"lat": "91", "lng": "0"}, "Latitude: Ensure this value is less than or equal to 90."),
        ({"lat": "10"}, "Longitude: This field is required."),
        ({"lat": "nan", "lng": "0"}, "Latitude: A valid number is required."),
        ({"city": "London", "radius": "9000"}, "Distance: Ensure this value is less than"),
    ],
    ids=["unknown-city", "lat-out-of-range", "lat-alone", "not-a-number", "radius-too-big"],
)
def test_near_bad_places_show_a_message(client, catalog, params, message):
    response = client.get(reverse("shop:map"), params)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "near" not in client.session


def test_near_from_htmx_answers_the_results_only(client, catalog):
    response = client.get(
        reverse("shop:map"),
        {"city": "Paris"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="near-results",
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="near-results"')
    assert 'id="map-points"' in page
    assert "Atelier Paris" in page


# --- product ------------------------------------------------------------------------------


def test_product_page_shows_variants_price_stock_and_reviews(client, catalog):
    mug = catalog["mug"]
    indigo, saffron = mug.variants.order_by("position")

    response = client.get(reverse("shop:product", args=[mug.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["chosen"]["id"] == saffron.pk  # the first one in stock
    assert f'id="variant-{indigo.pk}" value="{indigo.pk}"' in page
    assert "disabled" in page.split(f'id="variant-{indigo.pk}"')[1].split(">")[0]
    assert "22.50 USD" in page
    assert "No reviews yet" in page
    assert f'action="{reverse("shop:cart-add")}"' in page  # add to cart, the chosen variant
    assert "Write a review" not in page


@pytest.mark.urls("souk.web.tests.urls_with_cart")
def test_product_page_shows_the_cart_form_when_the_cart_route_exists(client, catalog):
    response = client.get(reverse("shop:product", args=[catalog["mug"].pk]))

    page = response.content.decode()
    form = page.split('id="add-to-cart"')[1].split("</form>")[0]
    assert f'action="{reverse("shop:cart-add")}"' in form
    assert 'name="quantity"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert page.count('form="add-to-cart" name="variant"') == 2


@pytest.mark.urls("souk.web.tests.urls_with_cart")
def test_a_single_variant_product_needs_no_choice(client, catalog):
    bowl = catalog["bowl"]
    variant = bowl.variants.get()

    response = client.get(reverse("shop:product", args=[bowl.pk]))

    page = response.content.decode()
    assert "Choose an option" not in page
    assert f'form="add-to-cart" name="variant" value="{variant.pk}"' in page
    assert "45.00 USD" in page


@pytest.mark.urls("souk.web.tests.urls_with_cart")
def test_a_sold_out_product_offers_no_cart_form(client, catalog, product_factory):
    jug = product_factory(
        shop=catalog["shops"]["near"], category=catalog["bowl"].category, name="Jug", quantity=0
    )

    response = client.get(reverse("shop:product", args=[jug.pk]))

    page = response.content.decode()
    assert 'id="add-to-cart"' not in page
    assert "Sold out for now" in page


@pytest.mark.parametrize("pk", [999_999, 2**63], ids=["unknown", "past-bigint"])
def test_unknown_product_is_404(client, pk):
    response = client.get(f"/products/{pk}/")

    assert response.status_code == 404


def test_deleted_product_is_404(client, catalog):
    catalog["vase"].soft_delete()

    response = client.get(reverse("shop:product", args=[catalog["vase"].pk]))

    assert response.status_code == 404


# --- reviews ------------------------------------------------------------------------------


@pytest.fixture
def received(catalog, customer, artisan):
    """`customer` received the bowl (a delivered order)."""
    order_in("delivered", user=customer, product=catalog["bowl"], actor=artisan)
    return catalog["bowl"]


def test_a_customer_who_received_the_product_sees_the_review_form(client, customer, received):
    client.force_login(customer)

    response = client.get(reverse("shop:product", args=[received.pk]))

    assert "Write a review" in response.content.decode()


def test_a_customer_who_did_not_receive_it_sees_no_form(client, customer, catalog):
    client.force_login(customer)

    response = client.get(reverse("shop:product", args=[catalog["vase"].pk]))

    assert "Write a review" not in response.content.decode()


def test_review_add_publishes_the_review(client, customer, received):
    client.force_login(customer)

    response = client.post(
        reverse("shop:review-add", args=[received.pk]),
        {"rating": "4", "title": "Lovely", "body": "Sturdy and pretty."},
        follow=True,
    )

    assert response.status_code == 200
    review = Review.objects.get(product=received)
    assert (review.customer_id, review.rating, review.title) == (customer.pk, 4, "Lovely")
    page = response.content.decode()
    assert "Your review is published" in page
    assert "Sturdy and pretty." in page
    assert "Write a review" not in page
    assert Product.objects.get(pk=received.pk).rating == Decimal("4.00")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rating": "6"}, "rating"),
        ({"rating": "0"}, "rating"),
        ({"rating": ""}, "rating"),
        ({"rating": "5", "title": "t" * 121}, "title"),
    ],
    ids=["six", "zero", "missing", "long-title"],
)
def test_review_add_bad_input_shows_errors_and_changes_nothing(
    client, customer, received, data, field
):
    client.force_login(customer)

    response = client.post(reverse("shop:review-add", args=[received.pk]), data)

    assert response.status_code == 200
    assert field in response.context["form_errors"]
    assert 'class="errorlist"' in response.content.decode()
    assert not Review.objects.exists()


def test_review_add_by_a_customer_who_did_not_receive_it_is_refused(client, customer, catalog):
    client.force_login(customer)

    response = client.post(
        reverse("shop:review-add", args=[catalog["vase"].pk]), {"rating": "5"}, follow=True
    )

    assert "Only customers who received this product may review it." in (response.content.decode())
    assert not Review.objects.exists()


def test_a_second_review_is_refused(client, customer, received):
    client.force_login(customer)
    url = reverse("shop:review-add", args=[received.pk])
    client.post(url, {"rating": "5"})

    response = client.post(url, {"rating": "1"}, follow=True)

    assert "You have already reviewed this product." in response.content.decode()
    assert list(Review.objects.values_list("rating", flat=True)) == [5]


def test_review_add_anonymous_goes_to_login(client, received, settings):
    settings.LOGIN_URL = "/login/"

    response = client.post(reverse("shop:review-add", args=[received.pk]), {"rating": "5"})

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/products/{received.pk}/"
    assert not Review.objects.exists()


def test_review_add_needs_post(client, customer, received):
    client.force_login(customer)

    response = client.get(reverse("shop:review-add", args=[received.pk]))

    assert response.status_code == 405


def test_review_add_for_an_unknown_product_is_404(client, customer):
    client.force_login(customer)

    response = client.post(reverse("shop:review-add", args=[999_999]), {"rating": "5"})

    assert response.status_code == 404


# --- shop ---------------------------------------------------------------------------------


def test_shop_page_lists_its_products_and_location(client, catalog):
    shop = catalog["shops"]["near"]

    response = client.get(reverse("shop:shop", args=[shop.pk]))

    assert response.status_code == 200
    assert sorted(names(response)) == ["Blue Stoneware Mug", "Serving Bowl"]
    page = response.content.decode()
    assert shop.address in page
    lat, lng = CITIES["London"]
    assert response.context["points"][0]["lat"] == round(lat, 6)


@pytest.mark.parametrize("pk", [999_999, 2**63], ids=["unknown", "past-bigint"])
def test_unknown_shop_is_404(client, pk):
    response = client.get(f"/shops/{pk}/")

    assert response.status_code == 404


def test_a_shop_with_no_products_says_so(client, shop):
    response = client.get(reverse("shop:shop", args=[shop.pk]))

    assert "no products listed" in response.content.decode()


# --- query counts -------------------------------------------------------------------------


def queries_for(client, url: str, params: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("shop:search", {"ordering": "name"}),
        ("shop:search", {"q": "bead"}),
        ("shop:map", {"city": "London", "radius": "25"}),
    ],
    ids=["search-list", "search-words", "near-me"],
)
def test_list_pages_read_a_fixed_number_of_queries(client, catalog, product_factory, name, params):
    def add(count: int) -> None:
        for number in range(count):
            product_factory(
                shop=catalog["shops"]["near"],
                category=catalog["bowl"].category,
                name=f"Bead {number}",
                variants=[{"price": "5.00", "quantity": 1}, {"price": "6.00", "quantity": 2}],
            )

    add(2)
    client.get(reverse(name), params)  # warm the category cache and the session
    few = queries_for(client, reverse(name), params)
    add(15)
    many = queries_for(client, reverse(name), params)

    assert many == few


def test_shop_page_reads_a_fixed_number_of_queries(client, catalog, product_factory):
    shop = catalog["shops"]["north"]
    url = reverse("shop:shop", args=[shop.pk])
    client.get(url)
    few = queries_for(client, url, {})
    for number in range(12):
        product_factory(shop=shop, category=catalog["rug"].category, name=f"Rug {number}")

    assert queries_for(client, url, {}) == few
