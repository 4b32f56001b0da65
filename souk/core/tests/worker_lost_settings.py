"""Settings of the Celery worker that test_worker_lost.py runs as a real process: the test
settings, the broker the test names ($SOUK_WORKER_LOST_BROKER, a RabbitMQ virtual host of its
own) and the test-only task."""

import os

from config.settings.test import *  # noqa: F403

CELERY_BROKER_URL = os.environ["SOUK_WORKER_LOST_BROKER"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_IMPORTS = ["souk.core.tests.worker_tasks"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
