from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "souk.core"
    label = "core"
    verbose_name = "Core"
