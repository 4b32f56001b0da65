"""Settings for every environment, read from the process environment (and `.env` if present).

`config.settings.test` and `config.settings.production` build on this module; nothing else
reads the environment.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# A development key; `config.settings.production` refuses to start with it.
INSECURE_DEV_SECRET_KEY = "django-insecure-souk-development-key-change-me"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Browser clients served from these origins (scheme://host[:port]) may call the API.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api/|healthz|readyz)"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-requested-with",
)
CORS_EXPOSE_HEADERS = ["Retry-After", "Location"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "treebeard",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "souk.core",
    "souk.accounts",
    "souk.shops",
    "souk.catalog",
    "souk.inventory",
    "souk.orders",
    "souk.payments",
    "souk.notifications",
    "souk.analytics",
    "django_htmx",
    "souk.web",
]

MIDDLEWARE = [
    "souk.core.middleware.RequestIdMiddleware",  # request id, access log, HTTP metrics
    "corsheaders.middleware.CorsMiddleware",
    "souk.core.middleware.ProblemDetailsMiddleware",
    "souk.core.db_router.ReplicaRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # the browsers' middleware; souk.web's are skipped for API requests with an access token
    "souk.web.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "souk.web.middleware.AuthenticationMiddleware",
    "souk.web.middleware.MessageMiddleware",
    "souk.web.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Longer URLs (path and query string) are refused with 414 problem+json; gunicorn lets
# request lines of up to 8190 bytes through (deploy/gunicorn.conf.py).
MAX_URL_BYTES = env.int("MAX_URL_BYTES", default=4096)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
CSRF_FAILURE_VIEW = "souk.core.views.csrf_failure"
# The web pages sign in with Django's session (souk.web); the JSON API with its tokens.
LOGIN_URL = "shop:login"
LOGIN_REDIRECT_URL = "shop:home"
LOGOUT_REDIRECT_URL = "shop:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "souk.web.context.layout",
            ],
        },
    },
]

# --- Database: PostgreSQL + PostGIS everywhere -------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgis://souk:souk@127.0.0.1:5432/souk"),
}
# postgres:// and postgis:// URLs both end up on the PostGIS backend (with batches that fit
# PostgreSQL's parameter limit, souk.core.backend).
DATABASES["default"]["ENGINE"] = "souk.core.backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Short OLTP queries: JIT compilation only adds latency; index scans are cheap on SSDs.
# Row locks (souk.core.locks) wait at most this long; then the request answers 503.
DB_LOCK_TIMEOUT_MS = env.int("DB_LOCK_TIMEOUT_MS", default=5000)
# How PostgreSQL plans the prepared statements (below) of a transaction that locks rows (a lock
# plan, souk.core.locks, sets it for the transaction, in one statement with its lock settings).
# Empty (the default): `auto`, as for every other statement, and no statement to set it. Under
# `auto` PostgreSQL keeps a statement's generic plan once it costs what the plans made for each
# execution's values do; the hot locking statements (the variant lock, the stock update) take
# one parameter per row for that (souk.inventory.locks), since a plan made for an array
# parameter expects ten elements and lost to the custom plans every time. force_generic_plan
# plans every statement of a locking transaction once per connection.
DB_LOCKING_PLAN_CACHE_MODE = env.str("DB_LOCKING_PLAN_CACHE_MODE", default="")
if DB_LOCKING_PLAN_CACHE_MODE not in {"", "auto", "force_generic_plan", "force_custom_plan"}:
    raise ImproperlyConfigured(
        "DB_LOCKING_PLAN_CACHE_MODE: auto, force_generic_plan, force_custom_plan or empty, "
        f"not {DB_LOCKING_PLAN_CACHE_MODE!r}"
    )
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c jit=off -c max_parallel_workers_per_gather=0 "
    f"-c random_page_cost={env.float('DB_RANDOM_PAGE_COST', default=1.1)} "
    f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}ms"
)
# Parameters are sent apart from the statement (PostgreSQL's extended protocol) instead of
# being quoted into its text on the client, which cost a sixth of the purchase path's CPU.
# A statement run DB_PREPARE_THRESHOLD times on a connection is prepared on the server (parsed
# once, psycopg's own cache; a rollback keeps them, souk.core.backend). Behind a transaction
# pooler (below) nothing is prepared: any server connection may run any transaction's statements.
DATABASES["default"]["OPTIONS"]["server_side_binding"] = env.bool(
    "DB_SERVER_SIDE_BINDING", default=True
)
# DB_PREPARE_THRESHOLD empty: nothing is prepared.
_prepare_threshold = env.str("DB_PREPARE_THRESHOLD", default="2")
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
    int(_prepare_threshold) if _prepare_threshold.strip() else None
)
# The lock_timeout every connection opens with: a lock plan sets its own (SET LOCAL, once per
# transaction) only where DB_LOCK_TIMEOUT_MS differs from it. None (a pooler that does not pass
# connection options on) makes every locking transaction set it.
DB_SESSION_LOCK_TIMEOUT_MS: int | None = DB_LOCK_TIMEOUT_MS

# --- Transaction pooler (PgBouncer in pool_mode = transaction) ----------------------------------
# DB_TRANSACTION_POOLER=1 when DATABASE_URL points at a pooler that lends a server connection for
# one transaction at a time, so nothing may rely on a session: no server-side cursors (Django's
# iterator() declares WITH HOLD cursors outside transactions), no `options` startup parameter
# (PgBouncer refuses it: set jit, max_parallel_workers_per_gather and random_page_cost on the
# server side instead, e.g. PgBouncer's connect_query or ALTER ROLE ... SET; see
# docs/operations.md), and every locking transaction sets its own lock_timeout (SET LOCAL, see
# souk.core.locks). Nothing is prepared on the server either (below), and Souk sets
# no statement_timeout.
DB_TRANSACTION_POOLER = env.bool("DB_TRANSACTION_POOLER", default=False)
if DB_TRANSACTION_POOLER:
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _database.get("OPTIONS", {}).pop("options", None)
        _database.setdefault("OPTIONS", {})["prepare_threshold"] = None
    DB_SESSION_LOCK_TIMEOUT_MS = None
    DB_LOCKING_PLAN_CACHE_MODE = ""  # nothing is prepared, so there is no plan to keep

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replica (souk.core.db_router, docs/operations.md "Read replica") ----------------------
# With DATABASE_REPLICA_URL set, the heavy reads views mark (search, lists, geosearch, suggest,
# dashboards) go to that streaming replica; writes, transactions, reads after a write in the
# same request, and a client's reads for DATABASE_REPLICA_STICKY_SECONDS after it wrote stay
# on the primary. A replica that is unreachable or replays more than
# DATABASE_REPLICA_MAX_LAG_SECONDS behind (checked every DATABASE_REPLICA_CHECK_SECONDS per
# process) is left for the primary. Unset: no replica, everything reads the primary.
DATABASE_ROUTERS = ["souk.core.db_router.ReplicaRouter"]
DATABASE_REPLICA_ALIAS: str | None = None
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASE_REPLICA_ALIAS = "replica"
    _replica = env.db_url("DATABASE_REPLICA_URL")
    DATABASES["replica"] = {
        **DATABASES["default"],
        **_replica,
        "ENGINE": DATABASES["default"]["ENGINE"],
        # An unreachable replica costs a request at most this long per check interval.
        "OPTIONS": {
            **DATABASES["default"]["OPTIONS"],
            **_replica.get("OPTIONS", {}),
            "connect_timeout": env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2),
        },
    }
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=5.0)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=2.0)
DATABASE_REPLICA_STICKY_SECONDS = env.int(
    "DATABASE_REPLICA_STICKY_SECONDS", default=int(DATABASE_REPLICA_MAX_LAG_SECONDS) + 1
)

SILENCED_SYSTEM_CHECKS = [
    # GDAL < 3.9 cannot block file/network access while parsing spatial references. Souk never
    # parses client-supplied geometry or spatial-reference text: points are built from
    # validated lat/lng numbers (only staff edit geometry, in the admin).
    "gis.W001",
]

# --- Redis: cache, throttles, rate limits, Celery broker ---------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "souk",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The marketplace dashboard's default period is computed ahead this often (Analytics below).
DASHBOARD_REFRESH_SECONDS = env.float("DASHBOARD_REFRESH_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "accounts.prune-expired-otp-codes": {
        "task": "souk.accounts.tasks.otp_codes_prune",
        "schedule": crontab(minute=5),
    },
    "inventory.rescan-low-stock": {
        "task": "souk.inventory.tasks.alerts_rescan",
        "schedule": crontab(minute=35),
    },
    "orders.expire-unpaid": {
        "task": "souk.orders.tasks.orders_expire",
        "schedule": 60.0,
    },
    "core.prune-idempotency-records": {
        "task": "souk.core.tasks.idempotency_prune",
        "schedule": crontab(minute=45),
    },
    "payments.reconcile": {
        "task": "souk.payments.tasks.payments_reconcile",
        "schedule": 300.0,
    },
    "notifications.dispatch-outbox": {
        "task": "souk.notifications.tasks.outbox_dispatch",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=5.0),
    },
    "notifications.prune-outbox": {
        "task": "souk.notifications.tasks.outbox_prune",
        "schedule": crontab(hour=3, minute=15),
    },
    "analytics.refresh-marketplace-dashboard": {
        "task": "souk.analytics.tasks.marketplace_refresh",
        "schedule": DASHBOARD_REFRESH_SECONDS,
        # A refresh that could not run in time is replaced by the next one.
        "options": {"expires": DASHBOARD_REFRESH_SECONDS},
    },
    "analytics.reconcile-rollup": {
        "task": "souk.analytics.tasks.rollup_reconcile",
        "schedule": crontab(hour=2, minute=30),
    },
    "catalog.rebuild-discovery-maps": {
        "task": "souk.catalog.tasks.discovery_maps_rebuild",
        "schedule": crontab(minute=20),
    },
}

# --- Broker, queues and workers (docs/operations.md "Broker, queues and workers") --------------
# CELERY_BROKER_URL (above) is Redis by default, or RabbitMQ (amqp://user:pass@host:5672/vhost).
# Every task is routed to one of four queues, named here so that anything that reports on them
# reads these names: `payments` and `notifications` are RabbitMQ quorum queues (replicated,
# durable; a message is kept until a worker acknowledged it), `default` takes short work and
# `slow` the long jobs (reconciliations, rollups, rebuilds, prunes) that must not hold up the
# rest. On Redis the queue arguments are ignored and the routing is the same. A worker started
# without `-Q` consumes all four.
CELERY_QUEUE_DEFAULT = "default"
CELERY_QUEUE_SLOW = "slow"
CELERY_QUEUE_PAYMENTS = "payments"
CELERY_QUEUE_NOTIFICATIONS = "notifications"
# A topic exchange: RabbitMQ's native delayed delivery (task retries with a countdown on quorum
# queues) needs one.
_celery_exchange = Exchange("souk", type="topic", durable=True)
_quorum = {"x-queue-type": "quorum"}
CELERY_TASK_QUEUES = (
    Queue(CELERY_QUEUE_DEFAULT, _celery_exchange, routing_key=CELERY_QUEUE_DEFAULT),
    Queue(CELERY_QUEUE_SLOW, _celery_exchange, routing_key=CELERY_QUEUE_SLOW),
    Queue(
        CELERY_QUEUE_PAYMENTS,
        _celery_exchange,
        routing_key=CELERY_QUEUE_PAYMENTS,
        queue_arguments=_quorum,
    ),
    Queue(
        CELERY_QUEUE_NOTIFICATIONS,
        _celery_exchange,
        routing_key=CELERY_QUEUE_NOTIFICATIONS,
        queue_arguments=_quorum,
    ),
)
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_DEFAULT
CELERY_TASK_DEFAULT_EXCHANGE = _celery_exchange.name
CELERY_TASK_DEFAULT_EXCHANGE_TYPE = _celery_exchange.type
CELERY_TASK_DEFAULT_ROUTING_KEY = CELERY_QUEUE_DEFAULT
CELERY_TASK_ROUTES = {
    # must not be lost: quorum queues
    "souk.payments.tasks.refund_send": {"queue": CELERY_QUEUE_PAYMENTS},
    "souk.notifications.tasks.outbox_dispatch": {"queue": CELERY_QUEUE_NOTIFICATIONS},
    "souk.accounts.tasks.otp_send": {"queue": CELERY_QUEUE_NOTIFICATIONS},
    # short, frequent: default
    "souk.orders.tasks.orders_expire": {"queue": CELERY_QUEUE_DEFAULT},
    "souk.analytics.tasks.marketplace_refresh": {"queue": CELERY_QUEUE_DEFAULT},
    # long or heavy, and repeated by beat if one run is lost: slow
    "souk.payments.tasks.payments_reconcile": {"queue": CELERY_QUEUE_SLOW},
    "souk.analytics.tasks.rollup_reconcile": {"queue": CELERY_QUEUE_SLOW},
    "souk.catalog.tasks.discovery_maps_rebuild": {"queue": CELERY_QUEUE_SLOW},
    "souk.catalog.tasks.category_products_reindex": {"queue": CELERY_QUEUE_SLOW},
    "souk.inventory.tasks.alerts_rescan": {"queue": CELERY_QUEUE_SLOW},
    "souk.accounts.tasks.otp_codes_prune": {"queue": CELERY_QUEUE_SLOW},
    "souk.core.tasks.idempotency_prune": {"queue": CELERY_QUEUE_SLOW},
    "souk.notifications.tasks.outbox_prune": {"queue": CELERY_QUEUE_SLOW},
}
# RabbitMQ: a publish returns once the broker confirmed it (ignored by Redis).
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "confirm_publish": True}
# Quorum queues refuse global QoS: Celery sees the quorum queues and uses per-consumer prefetch.
CELERY_WORKER_DETECT_QUORUM_QUEUES = True
# With late acks a task still running when the broker connection drops is redelivered to
# another worker. It is left to finish here (Celery 5's default, set because Celery 6 changes it):
# every task is safe to run twice at once, while cancelling one could cut a gateway call short.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Beat runs the schedule on one node only: every beat takes a Redis lock (REDIS_URL) and only
# its holder sends; it renews the lock every third of CELERY_BEAT_LOCK_SECONDS, and a standby
# beat takes over at the latest that long after the holder died (souk.core.beat).
CELERY_BEAT_SCHEDULER = "souk.core.beat:SingleBeatScheduler"
# One lock per database by default: beats of one deployment share it, and two checkouts on
# one machine (each with its own database) do not stand by for each other.
CELERY_BEAT_LOCK_KEY = env.str(
    "CELERY_BEAT_LOCK_KEY", default=f"souk:beat:lock:{DATABASES['default']['NAME']}"
)
CELERY_BEAT_LOCK_SECONDS = env.float("CELERY_BEAT_LOCK_SECONDS", default=30.0)

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["souk.accounts.backends.EmailOrPhoneBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name", "phone")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# How long a user's auth state (id, token generation, active, role, staff flags) stays cached;
# every change of it is written through at once (souk.accounts.services.auth_state).
AUTH_STATE_CACHE_SECONDS = env.int("AUTH_STATE_CACHE_SECONDS", default=3600)

# One-time codes (OTP).
OTP_TTL_SECONDS = 300
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_COOLDOWN_SECONDS = 60
OTP_MAX_SENDS_PER_HOUR = 5
RATELIMIT_KEY_PREFIX = "souk:rl"
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="") or None

# --- Email and SMS ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Souk <no-reply@souk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env.str("SMS_BACKEND", default="souk.accounts.sms.LoggingSmsBackend")
# A stalled mail server fails a send instead of holding a dispatcher (seconds).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Notifications outbox (souk.notifications.services.dispatch) ------------------------------
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)  # messages claimed at once
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)  # a claim's lease
OUTBOX_DISPATCH_SECONDS = env.float("OUTBOX_DISPATCH_SECONDS", default=30.0)  # one run's budget
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)  # then the message is dead
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=30)  # sent and skipped, then deleted

# --- Analytics ---------------------------------------------------------------------------------
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)

# --- REST framework and API docs --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "souk.accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["souk.core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["souk.core.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "souk.core.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "souk.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "souk.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "souk.core.exceptions.problem_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "login_identifier": env.str("THROTTLE_LOGIN_IDENTIFIER", default="20/hour"),
        "otp": env.str("THROTTLE_OTP", default="20/min"),
        "register": env.str("THROTTLE_REGISTER", default="20/hour"),
        "suggest": env.str("THROTTLE_SUGGEST", default="120/min"),
        "payment_verify": env.str("THROTTLE_PAYMENT_VERIFY", default="60/min"),
    },
    # Trust X-Forwarded-For only as far as the configured number of proxies.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
    REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] += [
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ]

SPECTACULAR_SETTINGS = {
    "TITLE": "Souk API",
    "DESCRIPTION": (
        "Marketplace backend for local artisans. Errors are RFC 9457 problem details "
        "(`application/problem+json`) with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "souk.orders.models.Order.Status",
        "DeliveryStatusEnum": "souk.orders.models.DeliverySchedule.State",
        "CouponKindEnum": "souk.orders.models.Coupon.Kind",
        "PaymentStatusEnum": "souk.payments.models.Payment.Status",
        "GatewayEnum": "souk.payments.models.Gateway",
        "OrderPaymentStatusEnum": "souk.orders.models.Order.PaymentStatus",
        "RefundStatusEnum": "souk.payments.models.Refund.Status",
        "PaymentTransactionKindEnum": "souk.payments.models.PaymentTransaction.Kind",
    },
    "SCHEMA_PATH_PREFIX": r"/api/",
}

# --- i18n, static and media --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded media on S3-compatible storage (AWS S3, MinIO, R2, ...) instead of MEDIA_ROOT.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "custom_domain": env.str("S3_CUSTOM_DOMAIN", default="") or None,
            "location": env.str("S3_PREFIX", default="media"),
            "querystring_auth": env.bool("S3_SIGNED_URLS", default=False),
            "file_overwrite": False,
        },
    }
# Searches the planner expects to match at most this many products are ranked exactly by
# weighted full-text rank; broader ones by field tier and quality (see catalog.selectors).
SEARCH_EXACT_RANK_LIMIT = env.int("SEARCH_EXACT_RANK_LIMIT", default=300)
# Lists read a page by walking their ordering index at most this many entries before falling
# back to reading the (then few) matches through other indexes: plain filters, read from the
# index alone; a text test on the index (product names); a text test that reads the table.
# See souk.core.results.WalkResults.
DISCOVERY_INDEX_WALK = env.int("DISCOVERY_INDEX_WALK", default=20000)
SEARCH_INDEX_WALK = env.int("SEARCH_INDEX_WALK", default=20000)
SEARCH_HEAP_WALK = env.int("SEARCH_HEAP_WALK", default=10000)
GEOSEARCH_DEFAULT_RADIUS_KM = 10
# Radius searches with a search word expected to match at most this many products start from
# the word's index; others walk the location index nearest-first.
GEOSEARCH_TEXT_FIRST_LIMIT = env.int("GEOSEARCH_TEXT_FIRST_LIMIT", default=2000)
GEOSEARCH_MAX_RADIUS_KM = 500
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_SIDE = 8000
# Decoded pixels per upload: Pillow keeps most modes at 4 bytes a pixel, so 12.5 million is
# 50 MB, and an upload's work stays near 100 MB. Larger JPEG photos are decoded scaled down to
# fit; larger PNG and WebP images are refused.
IMAGE_MAX_PIXELS = 12_500_000
IMAGE_THUMBNAIL_SIDE = 400

# --- Business settings -----------------------------------------------------------------------
CURRENCY = env.str("CURRENCY", default="USD").upper()
LOW_STOCK_THRESHOLD = env.int("LOW_STOCK_THRESHOLD", default=3)
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
IDEMPOTENCY_TTL_HOURS = 24

# --- Payments --------------------------------------------------------------------------------
# Where this service is reached from outside: gateway callbacks and the sandbox page use it.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where gateways send the customer back (the verify endpoint, or a page of your front end that
# calls it with the same query string).
PAYMENT_CALLBACK_URL = env.str("PAYMENT_CALLBACK_URL", default=f"{PUBLIC_URL}/api/payments/verify/")
# Gateways customers may start payments with ("sandbox" is the offline test gateway).
PAYMENT_GATEWAYS = env.list("PAYMENT_GATEWAYS", default=["sandbox", "paystack", "zarinpal"])
PAYMENT_HTTP_TIMEOUT = env.float("PAYMENT_HTTP_TIMEOUT", default=10.0)
# The reconciliation job verifies payments left pending this long (a lost callback, a
# gateway timeout), and gives up on those still unfinished after PAYMENT_PENDING_MAX_HOURS.
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=5)
PAYMENT_PENDING_MAX_HOURS = env.int("PAYMENT_PENDING_MAX_HOURS", default=24)
PAYSTACK_SECRET_KEY = env.str("PAYSTACK_SECRET_KEY", default="")
PAYSTACK_BASE_URL = env.str("PAYSTACK_BASE_URL", default="https://api.paystack.co")
ZARINPAL_MERCHANT_ID = env.str("ZARINPAL_MERCHANT_ID", default="")
ZARINPAL_BASE_URL = env.str("ZARINPAL_BASE_URL", default="https://payment.zarinpal.com")
# Defaults to ZARINPAL_BASE_URL + /pg/StartPay (sandbox: https://sandbox.zarinpal.com/pg/StartPay).
ZARINPAL_STARTPAY_URL = env.str("ZARINPAL_STARTPAY_URL", default="")
# A request holding an idempotency key that has not finished after this long is taken as
# abandoned (its process died) and may be retried.
IDEMPOTENCY_STALE_SECONDS = 120

# --- Logs, metrics, traces (docs/operations.md, "Logs, metrics, traces") --------------------
# Log lines are JSON objects (python-json-logger) by default, `LOG_FORMAT=text` for plain
# lines. Every line of a request, and of the tasks it queued, carries its `request_id`
# (souk.core.requestid); `ACCESS_LOG=0` drops the one line per request (logger souk.access).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="json").lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
ACCESS_LOG = env.bool("ACCESS_LOG", default=True)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context_json": {"()": "souk.core.logs.ContextFilter"},
        "context_text": {"()": "souk.core.logs.ContextFilter", "default": "-"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": [f"context_{LOG_FORMAT}"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        "souk.access": {"level": "INFO" if ACCESS_LOG else "WARNING"},
    },
}
# Workers log through LOGGING too (JSON, with the request id of the request that queued the
# task) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Prometheus metrics at /metrics (souk.core.metrics). With neither a token nor networks set,
# /metrics answers 404. METRICS_TOKEN: callers must send `Authorization: Bearer <token>`.
# METRICS_ALLOW_CIDRS: comma-separated networks (10.0.0.0/8,127.0.0.1/32) the caller's address
# must be in (the address as NUM_PROXIES lets the throttles see it). Both set: both are
# required. Under gunicorn, PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself) names
# an empty directory the processes share; scripts/run.sh and the image set it.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOW_CIDRS = env.list("METRICS_ALLOW_CIDRS", default=[])
for _cidr in METRICS_ALLOW_CIDRS:  # a bad network stops the start-up
    try:
        ipaddress.ip_network(_cidr.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"METRICS_ALLOW_CIDRS: {_error}.") from None

# OpenTelemetry traces of requests, tasks and queries, exported over OTLP/HTTP, only when
# OTEL_EXPORTER_OTLP_ENDPOINT is set (e.g. http://collector:4318; the SDK reads the other
# OTEL_* variables, such as OTEL_EXPORTER_OTLP_HEADERS, itself). Set up once per process
# (souk.core.telemetry): gunicorn's post_fork, Celery's worker_process_init, runserver.
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="souk")

# Sentry error reports, only when SENTRY_DSN is set (no personal data is sent).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="") or None
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
