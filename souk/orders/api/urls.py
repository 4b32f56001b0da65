from django.urls import path

from souk.orders.api.views import cart, checkout, coupons, delivery, orders

app_name = "orders"

urlpatterns = [
    path("cart/", cart.CartView.as_view(), name="cart"),
    path("cart/items/", cart.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<int:pk>/", cart.CartItemDetailView.as_view(), name="cart-item"),
    path("cart/coupon/", cart.CartCouponView.as_view(), name="cart-coupon"),
    path("checkout/", checkout.CheckoutView.as_view(), name="checkout"),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", orders.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/restore/", orders.OrderRestoreView.as_view(), name="order-restore"),
    path("orders/<int:pk>/cancel/", orders.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<int:pk>/status/", orders.OrderStatusView.as_view(), name="order-status"),
    path("orders/<int:pk>/delivery/", delivery.OrderDeliveryView.as_view(), name="order-delivery"),
    path("shops/<int:pk>/orders/", orders.ShopOrdersView.as_view(), name="shop-orders"),
    path("coupons/", coupons.CouponListView.as_view(), name="coupon-list"),
    path("coupons/<int:pk>/", coupons.CouponDetailView.as_view(), name="coupon-detail"),
    path("coupons/<int:pk>/restore/", coupons.CouponRestoreView.as_view(), name="coupon-restore"),
]
