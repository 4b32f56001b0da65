"""`/metrics` (souk.core.metrics): who may read it, what it shows after requests, the figures read
at scrape time (and what happens when their source is down), and figures kept by several
processes added up."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from kombu import Connection, Exchange, Queue
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app as project_app
from souk.core import metrics
from souk.core.metrics import SCRAPE_COLLECTORS, celery_queue_depths, celery_queue_names

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"  # noqa: S105
ROOT = Path(__file__).resolve().parents[3]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    parsed = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            parsed[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return parsed


def value(parsed: dict, name: str, **labels: str) -> float | None:
    return parsed.get((name, frozenset(labels.items())))


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return samples(response.content.decode())

    return read


# --- Access -----------------------------------------------------------------------------------


def test_with_neither_a_token_nor_networks_there_is_no_such_route(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_CIDRS = []

    for method in ("get", "post"):
        response = getattr(client, method)("/metrics", HTTP_AUTHORIZATION="Bearer x")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        (None, 401, "not_authenticated"),
        ("Basic " + TOKEN, 401, "not_authenticated"),
        ("Bearer ", 401, "not_authenticated"),
        ("Bearer wrong-token", 401, "authentication_failed"),
        (f"Bearer {TOKEN}x", 401, "authentication_failed"),
        (f"Bearer {TOKEN[:-1]}", 401, "authentication_failed"),
    ],
)
def test_a_missing_or_wrong_token_is_refused(client, settings, header, status, code):
    settings.METRICS_TOKEN = TOKEN
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}

    response = client.get("/metrics", **headers)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"].startswith('Bearer realm="metrics"')
    assert b"souk_http_requests_total" not in response.content


def test_the_right_token_reads_the_metrics(client, settings):
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}")

    assert response.status_code == 200
    assert b"# TYPE souk_http_requests_total counter" in response.content
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    openmetrics = client.get(
        "/metrics",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_ACCEPT="application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
    )
    assert openmetrics["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.content.endswith(b"# EOF\n")


def test_only_get_and_head_read_them(client, settings):
    settings.METRICS_TOKEN = TOKEN

    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert client.head("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.parametrize(
    ("cidrs", "remote", "status"),
    [
        (["127.0.0.0/8"], "127.0.0.1", 200),
        (["10.0.0.0/8", "::1/128"], "::1", 200),
        (["10.0.0.0/8"], "127.0.0.1", 403),
        (["10.0.0.0/8"], "not-an-address", 403),
    ],
)
def test_networks_decide_by_the_client_address(client, settings, cidrs, remote, status):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_CIDRS = cidrs

    response = client.get("/metrics", REMOTE_ADDR=remote)

    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("proxies", [0, 1, 2], ids=["no-proxy", "one-proxy", "two-proxies"])
def test_only_the_connecting_address_counts_never_a_forwarded_one(client, settings, proxies):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_CIDRS = ["10.0.0.0/8"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    spoofed = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.1.2.3, 10.4.5.6"}
    inside = {"REMOTE_ADDR": "10.9.9.9", "HTTP_X_FORWARDED_FOR": "192.0.2.7"}

    assert client.get("/metrics", **spoofed).status_code == 403
    assert client.get("/metrics", **inside).status_code == 200


def test_with_both_set_a_caller_needs_both(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOW_CIDRS = ["127.0.0.0/8"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", **bearer).status_code == 403
    assert client.get("/metrics", **bearer).status_code == 200


def test_metrics_are_not_part_of_the_api_schema(client):
    schema = client.get("/api/schema/?format=json").json()

    assert not [path for path in schema["paths"] if "metrics" in path]


# --- Content ----------------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_method_and_status(client, scrape):
    before = scrape()
    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/products/98765432/")
    client.get("/api/products/98765433/")
    client.get("/no/such/route/")
    client.get("/", HTTP_ACCEPT="application/json")
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    health = {"route": "/healthz", "method": "GET"}
    product = {"route": "/api/products/<int:pk>/", "method": "GET"}
    assert delta("souk_http_requests_total", **health, status="200") == 2
    assert delta("souk_http_requests_total", **product, status="404") == 2
    assert delta("souk_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert delta("souk_http_requests_total", route="/", method="GET", status="200") == 1
    assert delta("souk_http_request_duration_seconds_count", **health) == 2
    assert delta("souk_http_request_duration_seconds_bucket", **health, le="+Inf") == 2
    assert delta("souk_http_request_duration_seconds_sum", **health) > 0
    # the scrape before this one is counted too
    assert delta("souk_http_requests_total", route="/metrics", method="GET", status="200") == 1


def test_unknown_methods_share_one_label(client, scrape):
    before = scrape()
    client.generic("BREW", "/healthz")
    after = scrape()

    labels = {"route": "/healthz", "method": "other", "status": "405"}
    assert (value(after, "souk_http_requests_total", **labels) or 0) - (
        value(before, "souk_http_requests_total", **labels) or 0
    ) == 1


def test_scrape_time_figures_are_there(scrape):
    parsed = scrape()

    for collector in ("celery_queues", "database", "outbox"):
        assert value(parsed, "souk_scrape_collector_up", collector=collector) == 1
    assert value(parsed, "souk_outbox_pending_messages") == 0
    assert value(parsed, "souk_outbox_oldest_pending_age_seconds") == 0
    assert value(parsed, "souk_outbox_dead_messages") == 0
    # this very scrape runs on a connection of the application's role
    assert value(parsed, "souk_db_connections", state="active") >= 1
    assert (
        value(parsed, "souk_celery_queue_messages", queue=settings.CELERY_QUEUE_DEFAULT) is not None
    )


def test_a_down_broker_or_database_does_not_fail_the_scrape(scrape, monkeypatch):
    down = Celery("down", broker="redis://127.0.0.1:1/0", set_as_current=False)
    monkeypatch.setattr(metrics, "_celery_app", lambda: down)

    def database_down():
        raise RuntimeError("connection refused")

    monkeypatch.setitem(SCRAPE_COLLECTORS, "database", database_down)

    parsed = scrape()

    assert value(parsed, "souk_scrape_collector_up", collector="celery_queues") == 0
    assert value(parsed, "souk_scrape_collector_up", collector="database") == 0
    assert value(parsed, "souk_scrape_collector_up", collector="outbox") == 1
    assert not [key for key in parsed if key[0] == "souk_celery_queue_messages"]
    assert value(parsed, "souk_scrape_collector_duration_seconds", collector="celery_queues") < 1.5


# --- Celery queues ----------------------------------------------------------------------------


def test_queue_names_come_from_the_celery_configuration():
    app = Celery("names", set_as_current=False)
    app.conf.update(
        task_queues=[Queue("default"), Queue("slow"), Queue("payments")],
        task_default_queue="default",
        task_routes={"souk.notifications.tasks.*": {"queue": "notifications"}},
    )

    assert celery_queue_names(app) == ["default", "slow", "payments", "notifications"]
    assert celery_queue_names(Celery("plain", set_as_current=False)) == ["celery"]
    assert celery_queue_names(project_app) == [queue.name for queue in settings.CELERY_TASK_QUEUES]


def _publish(url: str, queue: str, count: int) -> None:
    with Connection(url) as connection:
        producer = connection.Producer()
        target = Queue(queue, Exchange(queue), routing_key=queue)
        for number in range(count):
            producer.publish(
                {"n": number}, exchange=target.exchange, routing_key=queue, declare=[target]
            )


def test_queue_depth_on_a_redis_broker(settings):
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    app = Celery("redis-depth", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    app.conf.update(task_queues=[Queue(queue), Queue(f"{queue}-empty")], task_default_queue=queue)
    _publish(settings.CELERY_BROKER_URL, queue, 3)
    try:
        assert celery_queue_depths(app) == {queue: 3, f"{queue}-empty": 0}
    finally:
        with Connection(settings.CELERY_BROKER_URL) as connection:
            Queue(queue, Exchange(queue), routing_key=queue)(connection.channel()).delete()


def test_queue_depth_on_an_amqp_broker():
    """Against the RabbitMQ of this machine (amqp://guest:guest@127.0.0.1:5672//)."""
    url = os.environ.get("SOUK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    app = Celery("amqp-depth", broker=url, set_as_current=False)
    app.conf.update(task_queues=[Queue(queue), Queue(f"{queue}-missing")], task_default_queue=queue)
    _publish(url, queue, 4)
    try:
        assert celery_queue_depths(app) == {queue: 4, f"{queue}-missing": 0}
    finally:
        with Connection(url) as connection:
            Queue(queue, Exchange(queue), routing_key=queue)(connection.channel()).delete()


# --- Several processes ------------------------------------------------------------------------

WRITER = """
import os, sys
import django
django.setup()
from souk.core.metrics import http_observe
from souk.orders.metrics import ORDERS_PLACED
for _ in range(int(sys.argv[1])):
    http_observe(route="/healthz", method="GET", status=200, seconds=0.002)
ORDERS_PLACED.labels("direct").inc(int(sys.argv[1]))
print(os.getpid())
"""


def test_figures_of_several_processes_are_added_up(tmp_path, monkeypatch, scrape):
    """Two processes (as two gunicorn workers) write into one PROMETHEUS_MULTIPROC_DIR; a scrape
    in a third adds their figures up."""
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONPATH": str(ROOT),
    }
    pids = set()
    for count in (3, 4):
        done = subprocess.run(  # noqa: S603 - a fixed command line
            [sys.executable, "-c", WRITER, str(count)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        pids.add(int(done.stdout.split()[-1]))
    assert len(pids) == 2
    assert {path.name for path in tmp_path.iterdir()} >= {f"counter_{pid}.db" for pid in pids}

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    parsed = scrape()

    labels = {"route": "/healthz", "method": "GET"}
    assert value(parsed, "souk_http_requests_total", **labels, status="200") == 7
    assert value(parsed, "souk_http_request_duration_seconds_count", **labels) == 7
    assert value(parsed, "souk_http_request_duration_seconds_bucket", **labels, le="0.005") == 7
    assert value(parsed, "souk_orders_placed_total", flow="direct") == 7
    # the scrape-time figures are read by the scraping process as before
    assert value(parsed, "souk_scrape_collector_up", collector="database") == 1
