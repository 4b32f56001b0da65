from django.urls import path

from souk.inventory.api import views

app_name = "inventory"

urlpatterns = [
    path("shops/<int:pk>/inventory/", views.ShopInventoryView.as_view(), name="shop-inventory"),
    path("inventory-alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("inventory-alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert-detail"),
    path("inventory/movements/", views.MovementListView.as_view(), name="movement-list"),
    path("inventory/adjustments/", views.AdjustmentView.as_view(), name="adjustment"),
    path("purchases/", views.PurchaseListView.as_view(), name="purchase-list"),
    path("purchases/<int:pk>/", views.PurchaseDetailView.as_view(), name="purchase-detail"),
]
