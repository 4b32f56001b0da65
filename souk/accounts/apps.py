from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "souk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from souk.accounts.models import User
        from souk.accounts.services.auth_state import user_deleted, user_saved

        # Keep the cached auth state of a user current (souk.accounts.services.auth_state).
        post_save.connect(user_saved, sender=User, dispatch_uid="accounts.auth_state.saved")
        post_delete.connect(user_deleted, sender=User, dispatch_uid="accounts.auth_state.deleted")
