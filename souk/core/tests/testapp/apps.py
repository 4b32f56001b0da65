from django.apps import AppConfig


class CoreTestAppConfig(AppConfig):
    """Models that exist only in the test database, to exercise core's abstract models."""

    name = "souk.core.tests.testapp"
    label = "core_testapp"
