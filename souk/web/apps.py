from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "souk.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from souk.core.views import PAGE_NAMESPACES

        # Errors on the pages are HTML pages for browsers (souk/web/templates/web/errors/).
        PAGE_NAMESPACES.update({"shop", "studio"})
