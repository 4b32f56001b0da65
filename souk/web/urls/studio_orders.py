from django.urls import URLPattern, path

from souk.web.views import studio_orders as views

urlpatterns: list[URLPattern] = [
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/advance/", views.order_advance, name="order-advance"),
]
