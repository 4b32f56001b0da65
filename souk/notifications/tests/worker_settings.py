"""Settings of the Celery workers that test_outbox_worker.py runs as real processes: the test
settings, with a real broker (the test's own redis-server), the database of the test run that
started them, only the outbox sweep in the beat schedule, and mail written to files.

The test passes the rest through the environment: OUTBOX_SWEEP_SECONDS and
OUTBOX_LEASE_SECONDS (read by the base settings) and the SOUK_WORKER_TEST_* variables below."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import CELERY_BEAT_SCHEDULE, DATABASES

DATABASES["default"]["NAME"] = os.environ["SOUK_WORKER_TEST_DATABASE"]
CELERY_BROKER_URL = os.environ["SOUK_WORKER_TEST_BROKER"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()
    if name == "notifications.dispatch-outbox"
}
# Each worker's embedded beat sweeps on its own: a worker started after one was killed must not
# wait for the killed beat's lock to run out (souk.core.beat).
CELERY_BEAT_LOCK_KEY = f"souk-test-outbox-worker-beat-{os.getpid()}"
EMAIL_BACKEND = os.environ.get(
    "SOUK_WORKER_TEST_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = os.environ["SOUK_WORKER_TEST_MAIL_DIR"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    # The workers log as configured here (Celery leaves logging to Django): tests that read
    # what a worker logged at INFO pass LOG_LEVEL=INFO.
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
