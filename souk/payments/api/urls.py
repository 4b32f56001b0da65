from django.urls import path

from souk.payments.api import views

app_name = "payments"

urlpatterns = [
    path("payments/", views.PaymentListView.as_view(), name="payment-list"),
    path("payments/start/", views.PaymentStartView.as_view(), name="payment-start"),
    path("payments/verify/", views.PaymentVerifyView.as_view(), name="payment-verify"),
    path(
        "payments/webhooks/paystack/",
        views.PaystackWebhookView.as_view(),
        name="paystack-webhook",
    ),
    path("payments/<int:pk>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/sandbox/<str:reference>/", views.SandboxPageView.as_view(), name="sandbox"),
]
