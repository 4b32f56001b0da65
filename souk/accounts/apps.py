from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "souk.accounts"
    label = "accounts"
    verbose_name = "Accounts"
