"""Traces (OpenTelemetry) and error reports (Sentry): nothing is set up unless configured;
configured, a real process sends them over HTTP to a receiver on 127.0.0.1 that stands in for
the collector or Sentry."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from django.db import connection
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider

from souk.core import telemetry

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


class Receiver(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that keeps every POST (path, headers, body)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler) -> None:  # noqa: N805
                body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in handler.headers.items()}
                self.received.append((handler.path, headers, body))
                handler.send_response(200)
                handler.send_header("Content-Length", "2")
                handler.end_headers()
                handler.wfile.write(b"{}")

            def log_message(handler, *args: Any) -> None:  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))},
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "souk.core.tests.process_settings",
        "SOUK_PROCESS_TEST_DATABASE": connection.settings_dict["NAME"],
        **env,
    }
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


# --- Unset: nothing ---------------------------------------------------------------------------


def test_nothing_is_set_up_when_unset(settings):
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = ""
    settings.SENTRY_DSN = ""

    assert telemetry.tracing_init() is False
    assert telemetry.sentry_init() is False
    assert telemetry._tracing == {}
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert not sentry_sdk.get_client().is_active()


UNSET = """
import django
django.setup()
import sys
import sentry_sdk
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from django.test import Client
from souk.core import telemetry
INSTRUMENTS = (
    "opentelemetry.exporter",
    "opentelemetry.instrumentation.django",
    "opentelemetry.instrumentation.celery",
    "opentelemetry.instrumentation.psycopg",
    "sentry_sdk.integrations.django",
)
assert telemetry.tracing_init() is False
assert Client().get("/healthz").status_code == 200
print(
    type(trace.get_tracer_provider()).__name__,
    sentry_sdk.get_client().is_active(),
    sorted(m for m in sys.modules if m.startswith(INSTRUMENTS)),
)
"""


def test_a_process_started_without_them_loads_neither():
    done = run(UNSET)

    assert done.stdout.split(None, 2) == ["ProxyTracerProvider", "False", "[]\n"]


# --- Traces -----------------------------------------------------------------------------------

TRACED = """
from souk.core.telemetry import tracing_flush, tracing_init
assert tracing_init()  # as gunicorn's post_fork does, before the application is loaded
assert tracing_init()  # a second call changes nothing
import django
django.setup()
from django.db import connection
from django.test import Client
from souk.core.tasks import idempotency_prune_task
assert Client().get("/healthz").status_code == 200
with connection.cursor() as cursor:
    cursor.execute("SELECT 1 AS traced_probe")
idempotency_prune_task.apply()  # the signals a worker sends around a task
tracing_flush()
"""


def spans_of(receiver: Receiver) -> list[dict[str, Any]]:
    spans = []
    for path, headers, body in receiver.received:
        assert path == "/v1/traces"
        assert headers["content-type"] == "application/x-protobuf"
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {a.key: a.value.string_value for a in span.attributes}
                    spans.append(
                        {
                            "name": span.name,
                            "service": resource.get("service.name"),
                            "scope": scope_spans.scope.name,
                            "attributes": attributes,
                        }
                    )
    return spans


def test_traces_of_a_request_a_query_and_a_task_reach_the_collector(receiver):
    run(TRACED, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_SERVICE_NAME="souk-test")

    spans = spans_of(receiver)
    assert {span["service"] for span in spans} == {"souk-test"}
    names = [span["name"] for span in spans]
    assert "GET healthz" in names, names
    assert "run/souk.core.tasks.idempotency_prune" in names, names
    queries = [s for s in spans if s["scope"] == "opentelemetry.instrumentation.psycopg"]
    statements = [
        s["attributes"].get("db.statement") or s["attributes"].get("db.query.text", "")
        for s in queries
    ]
    assert any("traced_probe" in statement for statement in statements), statements
    assert any("DELETE" in statement for statement in statements), statements  # the task's


# --- Errors -----------------------------------------------------------------------------------

REPORTED = """
import django
django.setup()  # CoreConfig.ready sets Sentry up
import sentry_sdk
from django.test import Client
assert sentry_sdk.get_client().is_active()
response = Client(raise_request_exception=False).get(
    "/test/boom", HTTP_COOKIE="sessionid=secret-cookie", REMOTE_ADDR="203.0.113.9"
)
assert response.status_code == 500
assert response["Content-Type"] == "application/problem+json"
sentry_sdk.flush(10)
"""


def envelope_items(body: bytes, headers: dict[str, str]) -> list[tuple[dict, Any]]:
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    lines = body.split(b"\n")
    items = []
    index = 1  # line 0 is the envelope's header
    while index < len(lines) and lines[index]:
        header = json.loads(lines[index])
        payload = lines[index + 1]
        items.append((header, json.loads(payload) if payload.startswith(b"{") else payload))
        index += 2
    return items


def test_an_unhandled_error_is_reported_to_sentry_without_personal_data(receiver):
    port = receiver.server_address[1]
    run(
        REPORTED,
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/42",
        SENTRY_ENVIRONMENT="test-env",
    )

    events = [
        payload
        for path, headers, body in receiver.received
        if path == "/api/42/envelope/"
        for header, payload in envelope_items(body, headers)
        if header.get("type") == "event"
    ]
    assert len(events) == 1
    event = events[0]
    [error] = event["exception"]["values"]
    assert error["type"] == "RuntimeError"
    assert error["value"] == "an unexpected failure for the error reporter"
    assert event["environment"] == "test-env"
    assert error["mechanism"] == {"type": "django", "handled": False}
    assert "secret-cookie" not in json.dumps(event)
    assert "203.0.113.9" not in json.dumps(event)
