from django.urls import path

from souk.analytics.api import views

app_name = "analytics"

urlpatterns = [
    path("shops/<int:pk>/dashboard/", views.ShopDashboardView.as_view(), name="shop-dashboard"),
    path("dashboard/", views.MarketplaceDashboardView.as_view(), name="dashboard"),
]
