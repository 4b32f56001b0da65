from django.urls import URLPattern, path

from souk.web.views import studio_dashboard as views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard-csv"),
]
