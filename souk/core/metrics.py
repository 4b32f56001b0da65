"""Prometheus metrics (prometheus_client) and the `/metrics` endpoint.

Two kinds of figure:

- counters and histograms kept by the processes as things happen (HTTP requests here; orders
  placed in `souk.orders.metrics`, payments in `souk.payments.metrics`). Under gunicorn each
  worker process writes its own in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up
  (prometheus_client's multiprocess mode); without that variable (runserver, tests) they live
  in this process's default registry.
- figures read when Prometheus scrapes (outbox lag, Celery queue depth, database
  connections): functions in SCRAPE_COLLECTORS, filled by the apps that own them in their
  AppConfig.ready. Each reports `souk_scrape_collector_up{collector}`: one that fails (its
  broker or database is down) is 0, logged, and never fails the scrape.

Who may read `/metrics` (settings METRICS_TOKEN, METRICS_ALLOW_CIDRS): with neither set
nobody (404, as if there were no such route); with a token, callers sending
`Authorization: Bearer <token>`; with networks, callers whose address (as the throttles see it,
NUM_PROXIES) is in one of them; with both, callers that pass both."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from souk.core.exceptions import problem_response, read_only_refusal

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "souk_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "souk_http_request_duration_seconds",
    "Time from the request reaching the application to its response, by route template.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Methods outside this set are counted as "other" (the label's values stay few).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The route of a request that matched no URL pattern (404s, and answers given before routing).
UNMATCHED_ROUTE = "<unmatched>"


# The labelled children already looked up, by label values: a dict read instead of labels()'s
# checks and lock on every request. Routes, methods and statuses are few, so this stays small.
_request_children: dict[tuple[str, str, int], Any] = {}
_duration_children: dict[tuple[str, str], Any] = {}


def http_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "other"
    counter = _request_children.get((route, method, status))
    if counter is None:
        counter = HTTP_REQUESTS.labels(route, method, str(status))
        _request_children[(route, method, status)] = counter
    histogram = _duration_children.get((route, method))
    if histogram is None:
        histogram = HTTP_DURATION.labels(route, method)
        _duration_children[(route, method)] = histogram
    counter.inc()
    histogram.observe(seconds)


# --- Figures read at scrape time --------------------------------------------------------------

ScrapeFunction = Callable[[], Iterable[Metric]]
SCRAPE_COLLECTORS: dict[str, ScrapeFunction] = {}


class ScrapeCollector:
    """Runs every function of SCRAPE_COLLECTORS; a failing one is reported, never raised."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "souk_scrape_collector_up",
            "1 when the figures of this collector could be read at this scrape, else 0.",
            labels=["collector"],
        )
        seconds = GaugeMetricFamily(
            "souk_scrape_collector_duration_seconds",
            "Time this collector took at this scrape.",
            labels=["collector"],
        )
        for name, function in SCRAPE_COLLECTORS.items():
            started = time.perf_counter()
            try:
                families = list(function())
            except Exception as exc:
                logger.warning("metrics collector %s failed: %s", name, exc)
                up.add_metric([name], 0)
            else:
                yield from families
                up.add_metric([name], 1)
            seconds.add_metric([name], time.perf_counter() - started)
        yield up
        yield seconds


class _Scrape:
    """What one scrape reads: the kept figures and the scrape-time ones."""

    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def metrics_text(accept: str = "") -> tuple[bytes, str]:
    """The exposition (Prometheus text, or OpenMetrics when `accept` asks for it) and its
    content type."""
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    kept: Any = MultiProcessCollector(None, path=multiproc_dir) if multiproc_dir else REGISTRY
    encoder, content_type = choose_encoder(accept)
    return encoder(_Scrape(kept, ScrapeCollector())), content_type


# --- Access -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


def _client_in(request: HttpRequest, cidrs: tuple[str, ...]) -> bool:
    """Whether the peer that connected (REMOTE_ADDR) is in one of the networks. Forwarded
    addresses are not believed here, even behind NUM_PROXIES: whoever reaches the app without
    the proxy could claim any of them, and a scraper connects to the app, not to the proxy."""
    try:
        address = ipaddress.ip_address(str(request.META.get("REMOTE_ADDR") or "").strip())
    except ValueError:
        return False
    return any(address in network for network in _networks(cidrs))


def _refusal(request: HttpRequest) -> HttpResponse | None:
    token: str = settings.METRICS_TOKEN
    cidrs = tuple(settings.METRICS_ALLOW_CIDRS)
    if not token and not cidrs:
        return problem_response(
            404, "not_found", f"No resource at {request.path}.", title="Not found"
        )
    if cidrs and not _client_in(request, cidrs):
        return problem_response(
            403,
            "permission_denied",
            "Metrics may not be read from this address.",
            title="Permission denied",
        )
    if token:
        scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            response = problem_response(
                401,
                "not_authenticated",
                "Send the metrics token as `Authorization: Bearer <token>`.",
                title="Not authenticated",
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            response = problem_response(
                401,
                "authentication_failed",
                "The metrics token is wrong.",
                title="Authentication failed",
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics", error="invalid_token"'
            return response
    return None


@csrf_exempt  # it only reads; refusals and 405 come before any body is looked at
def metrics_view(request: HttpRequest) -> HttpResponse:
    """`/metrics` in Prometheus's text format, for the callers METRICS_TOKEN and
    METRICS_ALLOW_CIDRS let in."""
    refused = _refusal(request)
    if refused is not None:
        return refused
    refused = read_only_refusal(request)
    if refused is not None:
        return refused
    body, content_type = metrics_text(request.META.get("HTTP_ACCEPT", ""))
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


# --- Scrape-time figures core can read itself -------------------------------------------------


def _celery_app() -> Any:
    from celery import current_app

    return current_app


def celery_queue_names(app: Any) -> list[str]:
    """The queues of the Celery app's configuration: task_queues (or the default queue) and
    any queue named in task_routes."""
    names: list[str] = list(app.amqp.queues.keys())
    default = app.conf.task_default_queue
    if default and default not in names:
        names.append(default)
    routes = app.conf.task_routes
    entries: Iterable[Any] = []
    if isinstance(routes, dict):
        entries = routes.values()
    elif isinstance(routes, list | tuple):
        entries = [v for item in routes if isinstance(item, dict) for v in item.values()]
    for entry in entries:
        queue = entry.get("queue") if isinstance(entry, dict) else None
        name = getattr(queue, "name", queue)
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


# A broker that does not answer this fast counts as down for this scrape.
BROKER_TIMEOUT_SECONDS = 1.0


def celery_queue_depths(app: Any) -> dict[str, int]:
    """Messages waiting in each queue: a passive declare of each (AMQP: the broker's count;
    Redis: LLEN of the queue's lists). A queue that does not exist yet holds none."""
    from kombu.exceptions import ChannelError

    depths: dict[str, int] = {}
    with app.connection_for_read(
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "max_retries": 0,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        },
    ) as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        for name in celery_queue_names(app):
            channel = broker.channel()  # a refused passive declare closes an AMQP channel
            try:
                depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
            except ChannelError:
                depths[name] = 0
            finally:
                try:
                    channel.close()
                except Exception:
                    logger.debug("closing a metrics channel failed", exc_info=True)
    return depths


def _celery_queues() -> Iterator[Metric]:
    app = _celery_app()
    family = GaugeMetricFamily(
        "souk_celery_queue_messages",
        "Messages waiting in each Celery queue, read from the broker at scrape time.",
        labels=["queue"],
    )
    for name, depth in celery_queue_depths(app).items():
        family.add_metric([name], depth)
    yield family


_CONNECTIONS_SQL = """
SELECT coalesce(state, 'unknown'), count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND usename = current_user
GROUP BY 1
"""


def _database_connections() -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "souk_db_connections",
        "Server connections of this application's role to its database, by state "
        "(pg_stat_activity at scrape time).",
        labels=["state"],
    )
    with connection.cursor() as cursor:
        cursor.execute(_CONNECTIONS_SQL)
        rows = cursor.fetchall()
    for state, count in rows:
        family.add_metric([state], count)
    yield family


SCRAPE_COLLECTORS["celery_queues"] = _celery_queues
SCRAPE_COLLECTORS["database"] = _database_connections
