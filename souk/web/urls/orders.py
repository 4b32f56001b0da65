"""The shopper's orders and payment pages."""

from django.urls import URLPattern, path

from souk.web.views import orders

urlpatterns: list[URLPattern] = [
    path("pay/", orders.pay, name="pay"),
    path("pay/return/", orders.payment_return, name="payment-return"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<int:pk>/", orders.order, name="order"),
    path("orders/<int:pk>/cancel/", orders.order_cancel_view, name="order-cancel"),
]
