"""Settings of the processes that test_telemetry.py and test_gunicorn.py start: the test
settings, on the database of the test run that started them (SOUK_PROCESS_TEST_DATABASE), with
a route that fails, and the logging of the base settings (JSON lines on stderr)."""

import os

from config.settings.base import LOGGING as BASE_LOGGING
from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["SOUK_PROCESS_TEST_DATABASE"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
LOGGING = BASE_LOGGING
ROOT_URLCONF = "souk.core.tests.process_urls"
