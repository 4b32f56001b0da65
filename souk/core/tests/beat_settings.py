"""Settings of the Celery beats that test_beat_lock.py runs as real processes: the test
settings, a schedule of one entry sent every half second to a Redis broker (under a key prefix
of the test's own), the beat lock key and time to live of the test, and every publish recorded
as a line "<pid> <time>" in $SOUK_BEAT_TEST_SENT, so the test sees which beat sent."""

import os
import time
from typing import Any

from celery.signals import before_task_publish

from config.settings.test import *  # noqa: F403
from config.settings.test import CELERY_BROKER_TRANSPORT_OPTIONS as _TRANSPORT_OPTIONS

CELERY_BROKER_URL = os.environ["SOUK_BEAT_TEST_BROKER"]
_transport_options: dict[str, object] = {
    **_TRANSPORT_OPTIONS,
    "global_keyprefix": os.environ["SOUK_BEAT_TEST_PREFIX"],
}
CELERY_BROKER_TRANSPORT_OPTIONS = _transport_options  # type: ignore[assignment]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BEAT_SCHEDULE = {
    "probe": {"task": "souk.core.tasks.idempotency_prune", "schedule": 0.5},
}
CELERY_BEAT_LOCK_KEY = os.environ["SOUK_BEAT_TEST_LOCK_KEY"]
CELERY_BEAT_LOCK_SECONDS = float(os.environ["SOUK_BEAT_TEST_LOCK_SECONDS"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}


@before_task_publish.connect(weak=False)
def _record_send(**_: Any) -> None:
    with open(os.environ["SOUK_BEAT_TEST_SENT"], "a") as sent:
        sent.write(f"{os.getpid()} {time.time()}\n")
