from django.urls import path

from souk.accounts.api import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/request/", views.OtpRequestView.as_view(), name="otp-request"),
    path("accounts/otp/verify/", views.OtpVerifyView.as_view(), name="otp-verify"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("accounts/me/", views.MeView.as_view(), name="me"),
    path("accounts/change-password/", views.ChangePasswordView.as_view(), name="change-password"),
    path("accounts/become-artisan/", views.BecomeArtisanView.as_view(), name="become-artisan"),
    path("accounts/addresses/", views.AddressListView.as_view(), name="address-list"),
    path("accounts/addresses/<int:pk>/", views.AddressDetailView.as_view(), name="address-detail"),
]
