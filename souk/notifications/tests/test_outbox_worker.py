"""The outbox with real processes (DESIGN.md 8): a private redis-server as the broker, Celery
workers with an embedded beat as subprocesses, orders placed over HTTP in this process, and
mail written to files by the workers.

1. orders placed while the broker is down all commit and answer 201; once it is back, the
   sweep delivers every message exactly once;
2. a worker killed with SIGKILL in the middle of its second send loses nothing and repeats
   nothing: the first message, which the provider accepted, is already marked sent; after the
   lease runs out, another worker sends the second once;
3. an order whose kick never left the web process is delivered by the sweep alone.

OUTBOX_OUTAGE_SECONDS sets how long the broker stays down in 1 (default 8)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import redis
from celery import Celery
from django.db import connection

from config.celery import app as celery_app
from souk.notifications.models import OutboxMessage
from souk.notifications.services import dispatch
from souk.orders.models import Order
from souk.orders.tests.factories import ensure_address

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("outbox_worker"),
    pytest.mark.slow,
]

ORDERS = "/api/orders/"
ROOT = Path(__file__).resolve().parents[3]
SENT = OutboxMessage.Status.SENT
BURST_ORDERS = 30
OUTAGE_SECONDS = float(os.environ.get("OUTBOX_OUTAGE_SECONDS", "8"))
KEY_HEADER = re.compile(r"^X-Souk-Message-Key: (\S+)$", re.MULTILINE)
MESSAGE_ID_HEADER = re.compile(r"^Message-ID: <([^@>]+)@", re.MULTILINE)


def wait_until(predicate: Callable[[], bool], *, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"no {what} within {seconds} s; worker log:\n{tail}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Broker:
    """A redis-server of this test alone, stopped and started again on the same port."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            assert self.process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def broker(settings) -> Iterator[Broker]:
    """A private broker, up; this process kicks dispatchers through it (eager mode off)."""
    private = Broker(port=free_port())
    private.start()
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = private.url
    celery_app.conf.update(task_always_eager=False, broker_url=private.url)
    try:
        yield private
    finally:
        celery_app.conf.update(task_always_eager=saved[0], broker_url=saved[1])
        private.stop()


@dataclass
class Workers:
    """Celery workers (solo pool; by default with an embedded beat) started for one test, each
    in a process group of its own: the worker and its beat are stopped together. The RabbitMQ
    tests start theirs without beat, on their virtual host."""

    broker_url: str
    base: Path
    mail_dir: Path
    prefix: str = "outbox-test"
    beat: bool = True
    env: dict[str, str] = field(default_factory=dict)
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.base / "worker.log"

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        index = len(self.started)
        name = f"{self.prefix}-{index}@%h"
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "souk.notifications.tests.worker_settings",
            "SOUK_WORKER_TEST_DATABASE": connection.settings_dict["NAME"],
            "SOUK_WORKER_TEST_BROKER": self.broker_url,
            "SOUK_WORKER_TEST_MAIL_DIR": str(self.mail_dir),
            "OUTBOX_SWEEP_SECONDS": "1",
            **self.env,
            **env,
        }
        beat = ["-B", "-s", str(self.base / f"beat-{index}")] if self.beat else []
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
                + ["-n", name, "--without-mingle", "--without-gossip", *beat],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        self._wait_ready(process, name.replace("%h", socket.gethostname()))
        return process

    def _wait_ready(self, process: subprocess.Popen[bytes], name: str) -> None:
        # An app of its own: the project app caches a producer pool bound to the broker URL of
        # the first test that used it, and a ping through it would wait for that dead broker.
        probe = Celery("probe", broker=self.broker_url, set_as_current=False)
        probe.conf.broker_transport_options = {"max_retries": 0}

        def answers() -> bool:
            assert process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            return bool(probe.control.ping([name], timeout=0.5))

        try:
            wait_until(answers, seconds=30, what=f"answer from worker {name}", log=self.log)
        finally:
            probe.close()

    @staticmethod
    def kill(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process, signal.SIGTERM)
            with contextlib.suppress(ProcessLookupError):  # a beat outliving its worker
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def workers(broker, tmp_path, transactional_db) -> Iterator[Workers]:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    started = Workers(broker_url=broker.url, base=tmp_path, mail_dir=mail_dir)
    try:
        yield started
    finally:
        started.stop_all()


def delivered(mail_dir: Path) -> Counter[str]:
    """Message key -> how many times it reached the sink; the Message-ID carries the same key."""
    text = "".join(path.read_text() for path in sorted(mail_dir.iterdir()))
    keys = Counter(KEY_HEADER.findall(text))
    assert Counter(MESSAGE_ID_HEADER.findall(text)) == keys
    return keys


def statuses() -> Counter[str]:
    return Counter(OutboxMessage.objects.values_list("status", flat=True))


def all_sent() -> bool:
    return not OutboxMessage.objects.exclude(status=SENT).exists()


def keys() -> set[str]:
    return {str(key) for key in OutboxMessage.objects.values_list("key", flat=True)}


@pytest.fixture
def place(client_for, user_factory, product_factory, shop, category) -> Callable[[], Any]:
    """place() -> the response to one order of one unit, by a new buyer, over HTTP."""
    variant = product_factory(shop=shop, category=category, quantity=1000).variants.get()
    body = {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 1}]}

    def order() -> Any:
        buyer = user_factory(role="customer")
        ensure_address(buyer)
        return client_for(buyer).post(ORDERS, body, format="json")

    return order


def test_orders_placed_while_the_broker_is_down_are_delivered_once_it_is_back(
    broker, workers, place, record_property
):
    workers.start()
    broker.stop()
    down_at = time.monotonic()

    answers, slowest = [], 0.0
    for _ in range(BURST_ORDERS):
        started = time.monotonic()
        answers.append(place().status_code)
        slowest = max(slowest, time.monotonic() - started)
    assert Order.objects.count() == BURST_ORDERS
    time.sleep(max(OUTAGE_SECONDS - (time.monotonic() - down_at), 0))  # the outage goes on
    broker.start()
    back_at = time.monotonic()
    wait_until(all_sent, seconds=60, what="delivery of the whole outbox", log=workers.log)
    drained = time.monotonic() - back_at

    sink = delivered(workers.mail_dir)
    expected = keys()
    figures = {
        "outage_seconds": OUTAGE_SECONDS,
        "orders_placed": len(answers),
        "non_2xx_answers": sum(1 for code in answers if not 200 <= code < 300),
        "slowest_answer_seconds": round(slowest, 2),
        "messages": len(expected),
        "delivered": sum(sink.values()),
        "lost": len(expected - set(sink)),
        "duplicated": sum(count - 1 for count in sink.values() if count > 1),
        "drained_seconds_after_broker_back": round(drained, 1),
    }
    for name, value in figures.items():
        record_property(name, value)
    assert answers == [201] * BURST_ORDERS
    assert len(expected) == 2 * BURST_ORDERS  # to the buyer and to the shop's owner
    assert sink == Counter(dict.fromkeys(expected, 1))
    assert statuses() == {SENT: 2 * BURST_ORDERS}
    assert slowest < 3.0  # a failed kick does not hold the request (it took 6 s)


def test_a_worker_killed_mid_send_loses_nothing_and_the_next_one_sends_once(
    workers, place, tmp_path
):
    marker = tmp_path / "stalled"
    stalling = {
        "SOUK_WORKER_TEST_EMAIL_BACKEND": (
            "souk.notifications.tests.backends.StallOnSecondEmailBackend"
        ),
        "SOUK_WORKER_TEST_STALL_MARKER": str(marker),
        "OUTBOX_LEASE_SECONDS": "3",
    }
    first = workers.start(**stalling)

    assert place().status_code == 201
    wait_until(marker.exists, seconds=20, what="stalled second send", log=workers.log)
    workers.kill(first)

    # The provider accepted the first message before the second send hung: it is marked.
    assert first.returncode == -signal.SIGKILL
    assert statuses() == {SENT: 1, OutboxMessage.Status.PENDING: 1}
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1]
    accepted = {str(OutboxMessage.objects.get(status=SENT).key)}
    assert delivered(workers.mail_dir) == Counter(dict.fromkeys(accepted, 1))

    workers.start(**stalling)
    wait_until(all_sent, seconds=30, what="delivery after the lease ran out", log=workers.log)

    assert statuses() == {SENT: 2}
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 2]
    assert OutboxMessage.objects.get(key__in=accepted).attempts == 1
    assert delivered(workers.mail_dir) == Counter(dict.fromkeys(keys(), 1))


def test_an_order_whose_kick_was_lost_is_delivered_by_the_sweep(workers, place):
    workers.start()

    with mock.patch.object(dispatch._kicks, "ask") as kick:  # the web process died after commit
        response = place()
    wait_until(all_sent, seconds=20, what="delivery by the sweep", log=workers.log)

    assert response.status_code == 201
    kick.assert_called_once_with()
    assert statuses() == {SENT: 2}
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1]
    assert delivered(workers.mail_dir) == Counter(dict.fromkeys(keys(), 1))
