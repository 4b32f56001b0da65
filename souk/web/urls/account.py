"""The account pages: signing in and out, the notification bell and inbox, the address book."""

from django.urls import URLPattern, path

from souk.web.views import account, account_addresses, account_inbox, account_reset

urlpatterns: list[URLPattern] = [
    path("login/", account.login_view, name="login"),
    path("login/code/", account.otp_view, name="otp"),
    path("login/reset/", account_reset.password_reset_view, name="password-reset"),
    path("signup/", account.signup_view, name="signup"),
    path("logout/", account.logout_view, name="logout"),
    path("become-artisan/", account.become_artisan_view, name="become-artisan"),
    path("notifications/", account_inbox.notifications_view, name="notifications"),
    path("notifications/bell/", account_inbox.bell_view, name="notifications-bell"),
    path(
        "notifications/read-all/",
        account_inbox.notifications_read_all_view,
        name="notifications-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        account_inbox.notification_read_view,
        name="notification-read",
    ),
    path("addresses/", account_addresses.addresses_view, name="addresses"),
    path("addresses/<int:pk>/", account_addresses.address_edit_view, name="address-edit"),
    path(
        "addresses/<int:pk>/default/",
        account_addresses.address_default_view,
        name="address-default",
    ),
    path(
        "addresses/<int:pk>/delete/",
        account_addresses.address_delete_view,
        name="address-delete",
    ),
]
