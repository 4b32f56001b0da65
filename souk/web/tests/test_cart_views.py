"""The cart and checkout pages (Django's test client): each view's answer, who may use it,
and that refused input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from souk.accounts.models import Address
from souk.catalog.models import Variant
from souk.orders.models import CartItem, Checkout, Order
from souk.orders.services.cart import cart_item_add
from souk.orders.tests.factories import ensure_address, make_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shops(product_factory, shop, shop_factory, category) -> list[Variant]:
    mug = product_factory(shop=shop, category=category, name="Mug", price="20.00", quantity=5)
    rug = product_factory(
        shop=shop_factory(), category=category, name="Rug", price="55.50", quantity=3
    )
    return [mug.variants.get(), rug.variants.get()]


def _stock(variant: Variant) -> int:
    return Variant.objects.get(pk=variant.pk).quantity


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "shop:cart", []),
        ("post", "shop:cart-add", []),
        ("post", "shop:cart-item", [1]),
        ("post", "shop:cart-coupon", []),
        ("get", "shop:checkout", []),
    ],
    ids=["cart", "cart-add", "cart-item", "cart-coupon", "checkout"],
)
def test_anonymous_is_sent_to_log_in(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_empty_cart_shows_the_empty_state(signed_in):
    response = signed_in.get(reverse("shop:cart"))

    assert response.status_code == 200
    assert "Your cart is empty" in response.content.decode()


def test_add_redirects_back_with_a_message(signed_in, customer, two_shops):
    mug = two_shops[0]

    response = signed_in.post(
        reverse("shop:cart-add"),
        {"variant": mug.pk, "quantity": 2, "next": "/products/1/"},
        follow=False,
    )

    assert response.status_code == 302
    assert response["Location"] == "/products/1/"
    assert list(
        CartItem.objects.filter(cart__user=customer).values_list("quantity", flat=True)
    ) == [2]


def test_add_by_htmx_answers_the_nav_count(signed_in, two_shops):
    response = signed_in.post(
        reverse("shop:cart-add"),
        {"variant": two_shops[1].pk, "quantity": 3},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="nav-cart"' in body
    assert 'hx-swap-oob="true"' in body
    assert '<span aria-hidden="true">3</span>' in body


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"variant": "x", "quantity": 1}, "valid integer"),
        ({"variant": 999999, "quantity": 1}, "No such variant."),
        ({"quantity": 1}, "Give either variant or product."),
    ],
    ids=["not-a-number", "unknown-variant", "nothing-named"],
)
def test_add_refuses_bad_input_and_changes_nothing(signed_in, customer, data, expected):
    response = signed_in.post(reverse("shop:cart-add"), data, follow=True)

    assert expected in response.content.decode()
    assert not CartItem.objects.filter(cart__user=customer).exists()


def test_add_more_than_the_stock_is_refused(signed_in, customer, two_shops):
    response = signed_in.post(
        reverse("shop:cart-add"), {"variant": two_shops[1].pk, "quantity": 4}, follow=True
    )

    assert "Not enough stock for that quantity: 3 available." in response.content.decode()
    assert not CartItem.objects.filter(cart__user=customer).exists()


def test_cart_groups_lines_by_shop_with_totals(signed_in, customer, two_shops):
    mug, rug = two_shops
    cart_item_add(user=customer, variant=mug, quantity=2)
    cart_item_add(user=customer, variant=rug, quantity=1)

    body = signed_in.get(reverse("shop:cart")).content.decode()

    assert body.index(mug.shop.name) < body.index(rug.shop.name)
    assert "95.50 USD" in body  # 2 x 20.00 + 55.50


def test_a_line_names_the_chosen_variant(signed_in, customer, product_factory, shop, category):
    tagine = product_factory(
        shop=shop,
        category=category,
        name="Tagine",
        variants=[
            {"price": "30.00", "quantity": 4, "attributes": {"size": "Small"}},
            {"price": "45.00", "quantity": 6, "attributes": {"size": "Large", "glaze": "Blue"}},
        ],
    )
    cart_item_add(user=customer, variant=tagine.variants.get(position=1), quantity=1)

    body = signed_in.get(reverse("shop:cart")).content.decode()

    assert '<span class="variant-options">Large, Blue</span>' in body
    assert "Small" not in body


def test_quantity_update_by_htmx_answers_the_cart(signed_in, customer, two_shops):
    item = cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    response = signed_in.post(
        reverse("shop:cart-item", args=[item.pk]),
        {"action": "update", "quantity": 4},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="cart-body"' in body
    assert "Quantity updated." in body
    assert CartItem.objects.get(pk=item.pk).quantity == 4


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("6", "Not enough stock of Mug: only 5 available"),
        ("0", "greater than or equal to 1"),
        ("", "valid integer"),
    ],
    ids=["over-stock", "zero", "blank"],
)
def test_quantity_update_refused_keeps_the_line(signed_in, customer, two_shops, quantity, expected):
    item = cart_item_add(user=customer, variant=two_shops[0], quantity=2)

    response = signed_in.post(
        reverse("shop:cart-item", args=[item.pk]),
        {"action": "update", "quantity": quantity},
        HTTP_HX_REQUEST="true",
    )

    assert expected in response.content.decode()
    assert CartItem.objects.get(pk=item.pk).quantity == 2


def test_remove_a_line(signed_in, customer, two_shops):
    item = cart_item_add(user=customer, variant=two_shops[0], quantity=2)

    response = signed_in.post(reverse("shop:cart-item", args=[item.pk]), {"action": "remove"})

    assert response.status_code == 302
    assert not CartItem.objects.filter(pk=item.pk).exists()


def test_another_shoppers_line_is_not_found_and_kept(signed_in, other_customer, two_shops):
    item = cart_item_add(user=other_customer, variant=two_shops[0], quantity=2)

    response = signed_in.post(reverse("shop:cart-item", args=[item.pk]), {"action": "remove"})

    assert response.status_code == 302
    assert CartItem.objects.filter(pk=item.pk).exists()
    assert "No such cart line." in signed_in.get(reverse("shop:cart")).content.decode()


def test_coupon_apply_and_remove(signed_in, customer, two_shops):
    make_coupon(code="SAVE10")
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    applied = signed_in.post(reverse("shop:cart-coupon"), {"code": "save10"}, follow=True)
    assert "Coupon SAVE10 applied." in applied.content.decode()
    assert "18.00 USD" in applied.content.decode()

    removed = signed_in.post(reverse("shop:cart-coupon"), {"action": "remove"}, follow=True)
    assert "The coupon was removed." in removed.content.decode()
    assert "20.00 USD" in removed.content.decode()


def test_unknown_coupon_is_refused(signed_in, customer, two_shops):
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    response = signed_in.post(reverse("shop:cart-coupon"), {"code": "NOPE"}, HTTP_HX_REQUEST="true")

    assert 'role="alert"' in response.content.decode()
    assert customer.cart.coupon_id is None


def test_checkout_with_a_saved_address_places_one_order_per_shop(signed_in, customer, two_shops):
    mug, rug = two_shops
    address = ensure_address(customer)
    cart_item_add(user=customer, variant=mug, quantity=2)
    cart_item_add(user=customer, variant=rug, quantity=1)

    response = signed_in.post(
        reverse("shop:checkout"), {"method": "delivery", "address_choice": address.pk}
    )

    checkout = Checkout.objects.get(user=customer)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('shop:pay')}?checkout={checkout.pk}"
    assert Order.objects.filter(checkout=checkout).count() == 2
    assert (_stock(mug), _stock(rug)) == (3, 2)
    assert not CartItem.objects.filter(cart__user=customer).exists()


def test_checkout_with_a_new_address_saves_it(signed_in, customer, two_shops):
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)
    address = {
        "recipient": "Amal",
        "line1": "3 Derb",
        "city": "Fes",
        "country": "ma",
    }

    response = signed_in.post(
        reverse("shop:checkout"), {"method": "delivery", "address_choice": "new", **address}
    )

    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    assert order.shipping_address["city"] == "Fes"
    assert Address.objects.get(user=customer).country == "MA"


def test_checkout_new_address_errors_show_inline_and_change_nothing(signed_in, customer, two_shops):
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    response = signed_in.post(
        reverse("shop:checkout"),
        {"method": "delivery", "address_choice": "new", "recipient": "Amal", "country": "ZZ"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="err_line1"' in body
    assert 'id="err_city"' in body
    assert not Order.objects.exists()
    assert not Address.objects.exists()
    assert _stock(two_shops[0]) == 5


def test_checkout_bad_country_saves_no_address(signed_in, customer, two_shops):
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)
    address = {"recipient": "Amal", "line1": "3 Derb", "city": "Fes", "country": "ZZ"}

    response = signed_in.post(
        reverse("shop:checkout"), {"method": "delivery", "address_choice": "new", **address}
    )

    assert response.status_code == 200
    assert "ISO 3166-1 alpha-2" in response.content.decode()
    assert not Order.objects.exists()
    assert not Address.objects.exists()


def test_checkout_short_of_stock_names_the_lines_and_changes_nothing(
    signed_in, customer, two_shops
):
    mug, rug = two_shops
    cart_item_add(user=customer, variant=mug, quantity=2)
    cart_item_add(user=customer, variant=rug, quantity=3)
    Variant.objects.filter(pk=rug.pk).update(quantity=1)  # sold elsewhere meanwhile

    response = signed_in.post(reverse("shop:checkout"), {"method": "pickup"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Not enough stock: Rug" in body
    assert "1 left, 3 wanted" in body
    assert not Order.objects.exists()
    assert (_stock(mug), _stock(rug)) == (5, 1)
    assert CartItem.objects.filter(cart__user=customer).count() == 2


def test_checkout_a_new_address_is_not_saved_when_stock_is_short(signed_in, customer, two_shops):
    cart_item_add(user=customer, variant=two_shops[1], quantity=3)
    Variant.objects.filter(pk=two_shops[1].pk).update(quantity=0)
    address = {"recipient": "Amal", "line1": "3 Derb", "city": "Fes", "country": "MA"}

    response = signed_in.post(
        reverse("shop:checkout"), {"method": "delivery", "address_choice": "new", **address}
    )

    assert response.status_code == 200
    assert not Address.objects.exists()


def test_checkout_someone_elses_address_is_refused(signed_in, other_customer, two_shops, customer):
    theirs = ensure_address(other_customer)
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    response = signed_in.post(
        reverse("shop:checkout"), {"method": "delivery", "address_choice": theirs.pk}
    )

    assert response.status_code == 200
    assert "Choose one of your addresses." in response.content.decode()
    assert not Order.objects.exists()


def test_checkout_of_an_empty_cart(signed_in):
    page = signed_in.get(reverse("shop:checkout"))
    assert "Nothing to check out" in page.content.decode()

    response = signed_in.post(reverse("shop:checkout"), {"method": "pickup"})

    assert response.status_code == 200
    assert not Order.objects.exists()


def test_checkout_page_lists_saved_addresses(signed_in, customer, two_shops):
    address = ensure_address(customer)
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    body = signed_in.get(reverse("shop:checkout")).content.decode()

    assert f'value="{address.pk}"' in body
    assert "1 Market Street" in body


def test_posts_without_the_csrf_token_are_refused(customer, two_shops):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    added = client.post(reverse("shop:cart-add"), {"variant": two_shops[0].pk, "quantity": 1})
    placed = client.post(reverse("shop:checkout"), {"method": "pickup"})

    assert (added.status_code, placed.status_code) == (403, 403)
    assert not CartItem.objects.exists()


def test_anonymous_htmx_request_is_told_to_load_the_login_page(client, two_shops):
    response = client.post(
        reverse("shop:cart-add"),
        {"variant": two_shops[0].pk, "quantity": 1},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="/products/7/",
    )

    assert response.status_code == 204
    assert "next=/products/7/" in response["HX-Redirect"]
    assert not CartItem.objects.exists()


def test_cart_page_query_count_holds_as_the_cart_grows(
    signed_in, customer, product_factory, shop_factory, category, django_assert_max_num_queries
):
    def add_from_a_new_shop() -> None:
        product = product_factory(shop=shop_factory(), category=category, quantity=9)
        cart_item_add(user=customer, variant=product.variants.get(), quantity=1)

    add_from_a_new_shop()
    with django_assert_max_num_queries(20) as few:
        signed_in.get(reverse("shop:cart"))
    for _ in range(3):
        add_from_a_new_shop()

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = signed_in.get(reverse("shop:cart"))
    assert response.content.decode().count('class="card cart-shop"') == 4


def test_checkout_for_pickup_needs_no_address(signed_in, customer, two_shops):
    cart_item_add(user=customer, variant=two_shops[0], quantity=1)

    response = signed_in.post(
        reverse("shop:checkout"), {"method": "pickup", "address_choice": "new"}
    )

    assert response.status_code == 302
    order = Order.objects.select_related("delivery").get(customer=customer)
    assert order.delivery.method == "pickup"
    assert order.shipping_address is None
    assert not Address.objects.exists()
