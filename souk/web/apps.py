from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "souk.web"
    label = "web"
    verbose_name = "Web pages"
