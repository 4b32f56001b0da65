from django.urls import path

from souk.shops.api import views

app_name = "shops"

urlpatterns = [
    path("shops/", views.ShopListView.as_view(), name="shop-list"),
    path("shops/<int:pk>/", views.ShopDetailView.as_view(), name="shop-detail"),
    path("shops/<int:pk>/restore/", views.ShopRestoreView.as_view(), name="shop-restore"),
    path("shops/<int:pk>/staff/", views.ShopStaffView.as_view(), name="shop-staff"),
    path(
        "shops/<int:pk>/staff/<int:user_id>/",
        views.ShopStaffMemberView.as_view(),
        name="shop-staff-member",
    ),
    path(
        "shops/<int:pk>/staff/<int:user_id>/restore/",
        views.ShopStaffRestoreView.as_view(),
        name="shop-staff-restore",
    ),
]
