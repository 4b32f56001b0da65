"""The project's routes and one that fails unexpectedly (for test_telemetry.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an unexpected failure for the error reporter")


urlpatterns = [*urlpatterns, path("test/boom", boom)]
