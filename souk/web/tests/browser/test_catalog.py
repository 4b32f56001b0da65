"""The catalog pages in Chromium: suggestions as you type (keyboard), search filters updated
by htmx, the near-me map (geolocation denied, then a city), a product's variants, a shop."""

from __future__ import annotations

import re

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from souk.catalog.seed.vocabulary import CITIES
from souk.catalog.tests.factories import make_category, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def at(city: str, north_km: float = 0.0) -> Point:
    lat, lng = CITIES[city]
    return Point(lng, lat + north_km / 111.32, srid=4326)


@pytest.fixture
def catalog(shop_factory, artisan):
    pottery = make_category("Pottery")
    textiles = make_category("Textiles")
    thames = shop_factory(
        owner=artisan, name="Thames Pottery", location=at("London", 1), address="1 Potters Lane"
    )
    camden = shop_factory(
        owner=artisan, name="Camden Weavers", location=at("London", 4), address="9 Weavers Row"
    )
    mug = make_product(
        shop=thames,
        category=pottery,
        name="Blue Stoneware Mug",
        description="Wheel-thrown, glazed in two colours.",
        variants=[
            {"price": "18.00", "quantity": 0, "attributes": {"colour": "Indigo"}},
            {"price": "22.50", "quantity": 2, "attributes": {"colour": "Saffron"}},
            {"price": "24.00", "quantity": 9, "attributes": {"colour": "Olive"}},
        ],
    )
    bowl = make_product(shop=thames, category=pottery, name="Serving Bowl", price="45.00")
    make_product(shop=camden, category=textiles, name="Wool Rug", price="120.00")
    make_product(shop=camden, category=textiles, name="Linen Scarf", price="30.00")
    return {"mug": mug, "bowl": bowl, "pottery": pottery, "textiles": textiles, "thames": thames}


def test_pick_a_suggestion_with_the_keyboard(page, live_server, shot, catalog):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("handmade goods")
    shot(page, "catalog-home")

    box = page.get_by_role("combobox", name="Search handmade goods")
    box.press_sequentially("stonewar", delay=30)
    option = page.get_by_role("option", name="Blue Stoneware Mug")
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "site-search-option-1")
    box.press("Enter")

    expect(page).to_have_url(re.compile(rf"/products/{catalog['mug'].pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Blue Stoneware Mug")


def test_filter_by_category_and_price(page, live_server, shot, catalog):
    page.goto(f"{live_server.url}/search/")
    results = page.locator("#search-results")
    expect(results.locator(".product-name")).to_have_count(4)

    page.get_by_label("Category").select_option(label="Textiles")
    expect(results.locator(".product-name")).to_have_text(
        ["Linen Scarf", "Wool Rug"], use_inner_text=True
    )
    expect(page).to_have_url(re.compile(rf"category={catalog['textiles'].pk}"))

    page.get_by_label("Max").fill("50")
    page.get_by_label("Max").press("Enter")
    expect(results.locator(".product-name")).to_have_text(["Linen Scarf"])

    page.get_by_label("Min").fill("60")
    page.get_by_label("Min").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Maximum price: Must be at least min_price.")

    page.get_by_label("Min").fill("")
    page.get_by_label("Max").fill("10")
    page.get_by_label("Max").press("Enter")
    expect(results).to_contain_text("No goods match")
    page.get_by_label("Max").fill("")
    page.get_by_label("Sort by").select_option(label="Price: high to low")
    expect(results.locator(".product-name")).to_have_text(["Wool Rug", "Linen Scarf"])
    shot(page, "catalog-search")


def test_near_me_with_geolocation_denied_then_a_city(page, live_server, shot, catalog):
    page.goto(f"{live_server.url}/near/")
    expect(page.locator("#map .leaflet-overlay-pane path").first).to_be_attached()

    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#location-status")).to_have_text(
        "We could not get your location. Choose a city instead."
    )
    page.get_by_label("City").select_option("London")

    results = page.locator("#near-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("Within 10 km of London")
    shops = results.locator("ol[data-kind=shops] > li")
    expect(shops).to_have_count(2)
    expect(shops.locator("a")).to_have_text(["Thames Pottery", "Camden Weavers"])
    distances = [float(text.split()[0]) for text in shops.locator(".distance").all_inner_texts()]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(1.0, abs=0.1)
    goods = results.locator("ol[data-kind=products] .distance").all_inner_texts()
    assert [float(text.split()[0]) for text in goods] == sorted(
        float(text.split()[0]) for text in goods
    )
    # Two shops and four goods drawn as vector markers over the country outlines.
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(6)
    expect(page).to_have_url(re.compile(r"/near/\?.*city=London"))
    shot(page, "catalog-map")

    shops.locator("a", has_text="Thames Pottery").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thames Pottery")
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(1)
    expect(page.locator(".product-name")).to_have_count(2)
    shot(page, "catalog-shop")


def test_choose_a_variant(page, live_server, shot, catalog):
    mug = catalog["mug"]
    indigo, saffron, olive = mug.variants.order_by("position")
    page.goto(f"{live_server.url}/products/{mug.pk}/")

    expect(page.locator(f"#variant-{indigo.pk}")).to_be_disabled()
    expect(page.locator(f"#variant-{saffron.pk}")).to_be_checked()
    chosen = page.locator("p.chosen:visible")
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text("22.50 USD")
    expect(chosen).to_contain_text("Only 2 left")

    page.get_by_label(re.compile("Olive")).check()
    expect(chosen).to_contain_text("24.00 USD")
    expect(chosen).to_contain_text("In stock (9)")

    page.locator(f"#variant-{olive.pk}").press("ArrowUp")
    expect(page.locator(f"#variant-{saffron.pk}")).to_be_checked()
    expect(chosen).to_contain_text("22.50 USD")
    page.locator(f"#variant-{saffron.pk}").press("ArrowUp")  # past the sold-out one
    expect(page.locator(f"#variant-{olive.pk}")).to_be_checked()
    expect(page.locator(f"#variant-{indigo.pk}")).not_to_be_checked()
    expect(page.get_by_text("No reviews yet. Customers who received")).to_be_visible()
    shot(page, "catalog-product")


def test_near_me_with_the_browsers_location(page, live_server, catalog):
    lat, lng = CITIES["London"]
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": lat + 3.5 / 111.32, "longitude": lng})
    page.goto(f"{live_server.url}/near/")

    page.get_by_role("button", name="Use my location").click()

    results = page.locator("#near-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("Within 10 km of your location")
    expect(results.locator("ol[data-kind=shops] > li a")).to_have_text(
        ["Camden Weavers", "Thames Pottery"]
    )
    expect(page.get_by_label("City")).to_have_value("")


def test_a_customer_who_received_it_writes_a_review(page, live_server, shot, catalog, customer):
    from django.test import Client

    from souk.catalog.tests.test_reviews import order_in

    order_in("delivered", user=customer, product=catalog["bowl"], actor=catalog["thames"].owner)
    browser_session = Client()
    browser_session.force_login(customer)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": browser_session.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/products/{catalog['bowl'].pk}/")

    form = page.locator("form.review-form")
    form.get_by_label("Title").fill("Lovely glaze")
    form.get_by_role("button", name="Publish review").click()
    expect(page.locator("form.review-form .errorlist")).to_have_text("This field is required.")
    expect(page.locator("form.review-form").get_by_label("Title")).to_have_value("Lovely glaze")

    page.locator("form.review-form").get_by_label("5 stars").check()
    page.locator("form.review-form").get_by_role("button", name="Publish review").click()

    expect(page.get_by_role("status")).to_contain_text("Your review is published")
    expect(page.locator(".review-list .review")).to_have_count(1)
    expect(page.locator(".review-list")).to_contain_text("Lovely glaze")
    expect(page.locator("form.review-form")).to_have_count(0)
    shot(page, "catalog-product-reviewed")


def test_a_name_with_markup_is_shown_as_text_on_the_map(page, live_server, shop_factory, artisan):
    """Shop and product names are the artisans' text: a marker's tooltip shows them as text,
    never as markup the page would run."""
    shop = shop_factory(
        owner=artisan,
        name='<img id="injected" src="x" onerror="window.injected = 1">',
        location=at("London", 1),
        address="1 Potters Lane",
    )

    page.goto(f"{live_server.url}/shops/{shop.pk}/")
    marker = page.locator("path.leaflet-interactive").first
    marker.hover()

    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text('<img id="injected"')
    assert page.locator("#injected").count() == 0
    assert page.evaluate("window.injected === undefined")
