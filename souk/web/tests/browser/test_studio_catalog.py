"""The studio's catalog pages in Chromium: open a shop by picking its place on the map, create a
product with two variants, add photos (file input and drag and drop), record a purchase,
dismiss a low-stock alert, and manage staff; screenshots of each page."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from souk.catalog.models import Product, ProductImage
from souk.catalog.tests.factories import make_category
from souk.inventory.models import InventoryAlert, Purchase
from souk.shops.models import Shop, ShopMember

# the basemap: country outlines drawn as vector paths (no tile images)
OUTLINES_DRAWN = "document.querySelectorAll('#shop-map .leaflet-overlay-pane path').length > 100"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(buffer, "PNG")
    return buffer.getvalue()


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_an_artisan_runs_their_shop_from_the_studio(
    page, live_server, shot, user_factory, tmp_path
):
    artisan = user_factory(role="artisan")
    helper = user_factory(role="artisan", email="helper@example.com")
    make_category("Ceramics")
    sign_in(page, live_server, artisan)

    # Open a shop, its place picked on the map (country outlines drawn from our own file).
    page.goto(f"{live_server.url}/studio/shop/new/")
    page.wait_for_function(OUTLINES_DRAWN)
    assert page.locator("#shop-map img.leaflet-tile").count() == 0
    page.locator("#shop-map").click(position={"x": 420, "y": 160})
    assert page.locator("#s-lat").input_value() != ""
    page.fill("#s-lat", "51.4545")
    page.fill("#s-lng", "-2.5879")
    page.dispatch_event("#s-lng", "change")
    page.fill("#s-name", "River Pottery")
    page.fill("#s-address", "2 Quay Lane, Bristol")
    page.get_by_role("button", name="Open the shop").click()
    page.wait_for_url("**/studio/products/")
    shop = Shop.objects.get(owner=artisan)
    assert round(shop.location.y, 4) == 51.4545
    assert page.get_by_text("No products yet").is_visible()

    # A product with two variants: the second row added with Alpine.
    page.get_by_role("link", name="Create a product").click()
    page.fill("#f-name", "Tea Bowl")
    page.select_option("#f-category", label="Ceramics")
    page.fill("#f-attributes", "material: stoneware")
    page.fill("#v-sku-1", "BOWL-S")
    page.fill("#v-price-1", "18.00")
    page.fill("#v-qty-1", "6")
    page.get_by_role("button", name="Add a variant").click()
    assert page.evaluate("document.activeElement.id") == "v-sku-2"
    page.fill("#v-sku-2", "BOWL-L")
    page.fill("#v-price-2", "26.00")
    page.fill("#v-qty-2", "2")
    page.fill("#v-attr-2", "size: L")
    page.get_by_role("button", name="Create product").click()
    page.wait_for_selector("text=Product created")
    product = Product.objects.get(shop=shop)
    assert sorted(product.variants.values_list("sku", flat=True)) == ["BOWL-L", "BOWL-S"]

    # Photos: one chosen with the file input, one dropped on the drop zone.
    first = tmp_path / "bowl.png"
    first.write_bytes(png((170, 80, 40)))
    page.set_input_files("#image-file", str(first))
    page.wait_for_selector("#gallery .sc-thumbs img")
    dropped = page.evaluate_handle(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "side.png", { type: "image/png" }));
            return transfer;
        }""",
        base64.b64encode(png((40, 90, 150))).decode(),
    )
    page.dispatch_event("[data-dropzone]", "dragover", {"dataTransfer": dropped})
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": dropped})
    page.wait_for_function("document.querySelectorAll('#gallery .sc-thumbs img').length === 2")
    assert ProductImage.objects.filter(product=product).count() == 2
    shot(page, "studio-catalog-product-editor")

    page.goto(f"{live_server.url}/studio/products/")
    assert page.locator(".sc-product img").count() == 1
    shot(page, "studio-catalog-products")

    # A purchase raises the stock of the large bowl.
    page.goto(f"{live_server.url}/studio/purchases/")
    page.fill("#p-supplier", "Clay Co")
    page.select_option("#p-var-1", label="Tea Bowl · BOWL-L")
    page.fill("#p-qty-1", "5")
    page.fill("#p-cost-1", "7.25")
    page.get_by_role("button", name="Record purchase").click()
    page.wait_for_selector("text=Purchase recorded")
    large = product.variants.get(sku="BOWL-L")
    assert large.quantity == 7
    assert Purchase.objects.get(shop=shop).items.get().unit_cost == Decimal("7.25")
    # ...and an adjustment takes the small bowl low, which raises an alert.
    page.select_option("#a-variant", value=str(product.variants.get(sku="BOWL-S").pk))
    page.fill("#a-delta", "-4")
    page.fill("#a-note", "Two cracked in the kiln")
    page.get_by_role("button", name="Adjust").click()
    page.wait_for_selector("text=Stock adjusted.")
    assert page.locator("td", has_text="Two cracked in the kiln").count() == 1
    shot(page, "studio-catalog-purchases")

    # The inventory highlights the low variant; its alert is dismissed in place (htmx).
    page.goto(f"{live_server.url}/studio/inventory/")
    assert page.locator('tr.low[data-sku="BOWL-S"]').count() == 1
    assert page.locator(".sc-alert").count() == 1
    shot(page, "studio-catalog-inventory")
    page.get_by_role("button", name="Dismiss alert for BOWL-S").click()
    page.wait_for_selector("text=Alert dismissed")
    assert page.locator(".sc-alert").count() == 0
    assert page.evaluate("document.activeElement.id") == "alerts-title"
    assert InventoryAlert.objects.get(variant__sku="BOWL-S").dismissed_at is not None

    # Shop settings: the marker is where the shop is; a click moves it and the inputs follow.
    page.goto(f"{live_server.url}/studio/shop/")
    page.wait_for_selector("#shop-map .leaflet-marker-icon")
    page.wait_for_function(OUTLINES_DRAWN)
    page.locator("#shop-map").click(position={"x": 200, "y": 120})
    clicked = page.locator("#s-lat").input_value()
    assert clicked != "51.454500"
    # dragging the marker moves the shop too
    box = page.locator("#shop-map .leaflet-marker-icon").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 4)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 90, steps=8)
    page.mouse.up()
    page.wait_for_function(f"document.getElementById('s-lat').value !== '{clicked}'")
    page.fill("#s-description", "Bowls and mugs from the harbour.")
    shot(page, "studio-catalog-shop-settings")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Shop settings saved.")
    shop.refresh_from_db()
    assert shop.description == "Bowls and mugs from the harbour."
    assert round(shop.location.y, 4) != 51.4545

    # Staff: add a helper by email.
    page.goto(f"{live_server.url}/studio/staff/")
    page.fill("#st-email", "helper@example.com")
    page.get_by_role("button", name="Add to staff").click()
    page.wait_for_selector("text=joined the shop as staff")
    assert ShopMember.objects.filter(shop=shop, user=helper, role="staff").exists()
    shot(page, "studio-catalog-staff")
