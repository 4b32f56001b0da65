from django.urls import path

from souk.orders.api import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<int:pk>/", views.CartItemDetailView.as_view(), name="cart-item"),
    path("cart/coupon/", views.CartCouponView.as_view(), name="cart-coupon"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/restore/", views.OrderRestoreView.as_view(), name="order-restore"),
    path("orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<int:pk>/status/", views.OrderStatusView.as_view(), name="order-status"),
    path("orders/<int:pk>/delivery/", views.OrderDeliveryView.as_view(), name="order-delivery"),
    path("shops/<int:pk>/orders/", views.ShopOrdersView.as_view(), name="shop-orders"),
    path("coupons/", views.CouponListView.as_view(), name="coupon-list"),
    path("coupons/<int:pk>/", views.CouponDetailView.as_view(), name="coupon-detail"),
    path("coupons/<int:pk>/restore/", views.CouponRestoreView.as_view(), name="coupon-restore"),
]
