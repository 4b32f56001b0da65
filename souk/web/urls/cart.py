"""The cart and checkout pages."""

from django.urls import URLPattern, path

from souk.web.views import cart

urlpatterns: list[URLPattern] = [
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.cart_add, name="cart-add"),
    path("cart/items/<int:pk>/", cart.cart_item, name="cart-item"),
    path("cart/coupon/", cart.cart_coupon, name="cart-coupon"),
    path("checkout/", cart.checkout, name="checkout"),
]
