"""Settings of the processes that test_telemetry.py starts: the test settings, on the database
of the test run that started them (SOUK_PROCESS_TEST_DATABASE), with a route that fails."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["SOUK_PROCESS_TEST_DATABASE"]
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "souk.core.tests.process_urls"
