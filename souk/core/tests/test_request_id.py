"""The request id (souk.core.requestid): taken from X-Request-ID or made up, answered back, in
every JSON log line of the request, and carried into the tasks the request queued, whether
they run eagerly, in a worker (through the message header), or are kicked by the outbox's
thread."""

from __future__ import annotations

import copy
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.utils.module_loading import import_string

from config.celery import app as project_app
from config.settings import base as base_settings
from souk.core.logs import ContextFilter
from souk.core.requestid import REQUEST_ID_MAX_LENGTH, TASK_HEADER, request_id_var, task_var
from souk.core.tasks import enqueue_on_commit

pytestmark = pytest.mark.django_db


def json_handler(stream: io.StringIO) -> logging.Handler:
    """A handler made as settings.LOGGING (base, LOG_FORMAT=json) makes its console handler."""
    config = copy.deepcopy(base_settings.LOGGING["formatters"]["json"])
    formatter = import_string(config.pop("()"))(**config)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    return handler


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """log_lines() -> the JSON lines written through the root logger so far (at INFO)."""
    stream = io.StringIO()
    handler = json_handler(stream)
    root, access = logging.getLogger(), logging.getLogger("souk.access")
    saved = root.level, access.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    access.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        access.setLevel(saved[1])


def test_an_incoming_request_id_is_answered_back_and_logged(client, log_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42:x")

    lines = [line for line in log_lines() if line["logger"] == "souk.access"]
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a.42:x"
    assert len(lines) == 1
    line = lines[0]
    assert set(line) == {
        "level",
        "logger",
        "message",
        "method",
        "route",
        "status",
        "duration_ms",
        "user_id",
        "request_id",
        "timestamp",
    }
    assert line["level"] == "INFO"
    assert line["logger"] == "souk.access"
    assert line["message"] == "GET /healthz 200"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/healthz", 200)
    assert line["request_id"] == "lb-7f3a.42:x"
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert request_id_var.get() is None  # nothing leaks out of the request


@pytest.mark.parametrize(
    "sent",
    [None, "", "has space", "semi;colon", "x" * (REQUEST_ID_MAX_LENGTH + 1), "ünïcode", "a\nb"],
)
def test_a_missing_or_unacceptable_request_id_is_replaced(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}

    response = client.get("/healthz", **headers)

    assert response.status_code == 200
    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32
    int(response["X-Request-ID"], 16)


def test_the_longest_acceptable_request_id_is_kept(client):
    sent = "a" * REQUEST_ID_MAX_LENGTH

    assert client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent


def test_error_answers_carry_the_request_id_too(client):
    response = client.get("/no/such/route", HTTP_X_REQUEST_ID="req-404")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response["X-Request-ID"] == "req-404"


def test_the_access_line_names_the_route_template_and_the_user(client_for, customer, log_lines):
    client = client_for(customer)

    response = client.get("/api/orders/987654/", HTTP_X_REQUEST_ID="req-user")

    assert response.status_code == 404
    access = [line for line in log_lines() if line["logger"] == "souk.access"]
    assert len(access) == 1
    assert access[0]["route"] == "/api/orders/<int:pk>/"
    assert access[0]["status"] == 404
    assert access[0]["user_id"] == customer.pk
    assert access[0]["request_id"] == "req-user"


def test_text_lines_show_the_request_id_or_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    text = logging.Formatter(base_settings.LOGGING["formatters"]["text"]["format"])
    dash = ContextFilter(default="-")

    dash.filter(record)
    assert text.format(record).endswith("INFO x [-] hello")
    token = request_id_var.set("req-t")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        dash.filter(record)
        assert text.format(record).endswith("INFO x [req-t] hello")
    finally:
        request_id_var.reset(token)


# --- Tasks ------------------------------------------------------------------------------------

seen: list[dict[str, Any]] = []


def _record(name: str) -> None:
    seen.append({"request_id": request_id_var.get(), "task": task_var.get(), "name": name})
    logging.getLogger("souk.tests.probe").warning("inside %s", name)


eager_app = Celery("eager-probe", set_as_current=False)
eager_app.conf.update(task_always_eager=True, task_eager_propagates=True)


@eager_app.task(name="probe.eager_record")
def eager_record(name: str) -> None:
    _record(name)


def test_a_task_queued_after_commit_logs_the_request_id(
    log_lines, django_capture_on_commit_callbacks
):
    seen.clear()
    token = request_id_var.set("req-commit")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(eager_record, "after-commit")
        after = request_id_var.get()
    finally:
        request_id_var.reset(token)

    assert seen == [
        {
            "request_id": "req-commit",
            "task": ("probe.eager_record", seen[0]["task"][1]),
            "name": "after-commit",
        }
    ]
    assert after == "req-commit"  # the eager run gave the request its id back
    inside = [line for line in log_lines() if line["logger"] == "souk.tests.probe"]
    assert len(inside) == 1
    assert inside[0]["request_id"] == "req-commit"
    assert inside[0]["task_name"] == "probe.eager_record"
    assert task_var.get() is None


def test_a_task_run_by_a_worker_logs_the_id_of_the_request_that_queued_it(log_lines):
    """A real worker (solo pool, in-memory broker): the id travels in the message header."""
    seen.clear()
    # No Django fix-up: this process's Django is set up already (the fix-up would set it up
    # again, and with it the test settings' logging).
    app = Celery("worker-probe", broker="memory://", set_as_current=False, fixups=[])
    app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False)
    published: list[dict[str, Any]] = []

    @app.task(name="probe.worker_record")
    def worker_record(name: str) -> None:
        published.append({"header": getattr(worker_record.request, TASK_HEADER, None)})
        _record(name)

    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            token = request_id_var.set("req-worker")
            try:
                worker_record.delay("queued")
            finally:
                request_id_var.reset(token)
            worker_record.delay("queued-outside-a-request")
            deadline = time.monotonic() + 10
            while len(seen) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:  # the embedded worker made its app the current one
        project_app.set_current()
        project_app.set_default()

    assert [(s["name"], s["request_id"]) for s in seen] == [
        ("queued", "req-worker"),
        ("queued-outside-a-request", None),
    ]
    assert published[0] == {"header": "req-worker"}
    assert seen[0]["task"][0] == "probe.worker_record"
    inside = [line for line in log_lines() if line["logger"] == "souk.tests.probe"]
    assert [line.get("request_id") for line in inside] == ["req-worker", None]
    assert inside[0]["task_name"] == "probe.worker_record"


def test_an_outbox_kick_goes_out_with_the_id_of_the_request_that_asked(monkeypatch):
    """The outbox's kicks are published by a thread of the process: the kick carries the
    context of the request that asked for it."""
    from souk.notifications.services import dispatch

    kicked: list[str | None] = []
    done = threading.Event()

    def kick() -> None:
        kicked.append(request_id_var.get())
        done.set()

    monkeypatch.setattr(dispatch, "_kick", kick)
    conf = dispatch.outbox_dispatch_task.app.conf
    kicker = dispatch._Kicker()
    token = request_id_var.set("req-kick")
    conf.task_always_eager = False  # the kick goes through the thread, as in production
    try:
        kicker.ask()
    finally:
        conf.task_always_eager = True
        request_id_var.reset(token)

    assert done.wait(5)
    assert kicked == ["req-kick"]
