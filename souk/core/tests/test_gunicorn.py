"""The web server as deployed (deploy/gunicorn.conf.py, two worker processes): request ids and
JSON log lines, and /metrics adding up the figures of every worker, one that died included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "gunicorn-metrics-token"  # noqa: S105


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.metrics_dir = base / "prometheus"
        self.metrics_dir.mkdir()
        self.log = base / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))},
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "souk.core.tests.process_settings",
            "SOUK_PROCESS_TEST_DATABASE": connection.settings_dict["NAME"],
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "METRICS_TOKEN": TOKEN,
            "LOG_FORMAT": "json",
            "WEB_CONCURRENCY": "2",
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application"]
                + ["--config", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"http://127.0.0.1:{self.port}{path}", headers={"Connection": "close", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def worker_pids(self) -> set[int]:
        return {int(path.stem.rsplit("_", 1)[1]) for path in self.metrics_dir.glob("counter_*.db")}

    def lines(self) -> list[dict]:
        text = self.log.read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def healthz_total(server: Server) -> float:
    status, headers, body = server.get("/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200, body
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "souk_http_requests_total" and sample.labels == {
                "route": "/healthz",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


def test_every_worker_is_counted_and_logs_json_lines(server):
    for number in range(10):
        status, headers, _ = server.get("/healthz", **{"X-Request-ID": f"gunicorn-{number}"})
        assert status == 200
        assert headers["X-Request-ID"] == f"gunicorn-{number}"
    first = server.worker_pids()
    assert first  # a worker wrote its counters
    # One worker ends (as after max_requests or a crash): gunicorn starts another; what the
    # ended one counted stays counted.
    gone = min(first)
    os.kill(gone, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while (server.worker_pids() - first) == set() and time.monotonic() < deadline:
        server.get("/healthz")
        time.sleep(0.05)
    added = server.worker_pids() - first
    assert added, "no other worker answered after one ended"
    # every /healthz answered (the start-up probe included), each logged by its worker
    served = sum(1 for line in server.lines() if line.get("route") == "/healthz")

    assert served > 10
    assert healthz_total(server) == served
    assert len(server.worker_pids()) >= 2
    lines = server.lines()
    access = [line for line in lines if line.get("logger") == "souk.access"]
    tagged = [line for line in access if line.get("request_id", "").startswith("gunicorn-")]
    assert sorted(line["request_id"] for line in tagged) == sorted(
        f"gunicorn-{n}" for n in range(10)
    )
    assert {(line["method"], line["route"], line["status"]) for line in tagged} == {
        ("GET", "/healthz", 200)
    }
    # gunicorn's own lines are JSON too, and it writes no access log of its own
    booted = [line for line in lines if line.get("logger") == "gunicorn.error"]
    assert any("Booting worker" in line["message"] for line in booted)
    raw = [line for line in server.log.read_text().splitlines() if not line.startswith("{")]
    assert not [line for line in raw if "GET /healthz" in line], raw
