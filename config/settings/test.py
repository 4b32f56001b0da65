"""Settings for the test suite: real PostgreSQL/PostGIS and Redis, fast hashing, in-memory mail."""

import os
import tempfile
import zlib

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, env

# Test runs may overlap (parallel runs, two checkouts): each pytest-xdist worker, or else each
# process, gets its own Redis key prefix and test database, so cleaning up between tests never
# touches another run.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
_slot = _worker or f"p{os.getpid()}"
# Checkouts testing side by side use databases of their own (DATABASE_URL); their Redis keys
# and broker queues are kept apart by the database's name.
_run = f"{DATABASES['default']['NAME']}-{_slot}"
_redis_db = 1 + zlib.crc32(_run.encode()) % 15
_redis_base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
TEST_REDIS_URL = f"{_redis_base}/{_redis_db}"
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": TEST_REDIS_URL,
        "KEY_PREFIX": f"souk-test-{_run}",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}
RATELIMIT_KEY_PREFIX = f"souk-test-{_run}:rl"
CELERY_BEAT_LOCK_KEY = f"souk-test-{_run}:beat"  # a beat of the tests never waits for make run's
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {
    "TEMPLATE": env.str(
        "DATABASE_TEST_TEMPLATE", default=f"{DATABASES['default']['NAME']}_template"
    )
}
if not _worker:  # xdist workers get a suffix of their own
    DATABASES["default"]["TEST"]["NAME"] = f"test_{DATABASES['default']['NAME']}_{_slot}"

# The `replica` alias reads the test database (TEST MIRROR: no database of its own is created):
# on DATABASE_REPLICA_URL's server when set (a streaming replica of the primary, see
# scripts/replica-check.sh), else over a second connection to the primary. Routing stays off
# (DATABASE_REPLICA_ALIAS None); the router's tests turn it on.
DATABASES["replica"] = {
    **DATABASES["default"],
    **(env.db_url("DATABASE_REPLICA_URL") if env.str("DATABASE_REPLICA_URL", default="") else {}),
    "ENGINE": DATABASES["default"]["ENGINE"],
    "OPTIONS": {**DATABASES["default"]["OPTIONS"], "connect_timeout": 2},
    "TEST": {"MIRROR": "default"},
}
DATABASE_REPLICA_ALIAS = None

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "souk.accounts.sms.LocmemSmsBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = tempfile.mkdtemp(prefix="souk-test-media-")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
}

INSTALLED_APPS = [*INSTALLED_APPS, "souk.core.tests.testapp"]  # noqa: F405
