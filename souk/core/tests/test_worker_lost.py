"""A pool process killed mid-task on RabbitMQ: a prefork worker (one pool process) consumes
the `payments` quorum queue; the pool process running the task is killed with SIGKILL after
the task's effect and before its acknowledgement. The worker rejects the message back to the
queue (task_acks_late + task_reject_on_worker_lost), a new pool process runs it again as a
redelivery, the effect is not made twice, and the message is acknowledged in the end. The
worker, though it consumes one queue, declares all four (souk.core.queues)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings

from souk.core.tests.rabbitmq import VirtualHost, virtual_host

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("worker_lost")]

ROOT = Path(__file__).resolve().parents[3]
TASK = "souk.core.tests.worker_tasks.effect_once"


def wait_until(predicate: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds} s; log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


@pytest.fixture
def vhost() -> Iterator[VirtualHost]:
    with virtual_host() as created:
        yield created


@pytest.fixture
def redis_key() -> Iterator[str]:
    key = f"souk-test-worker-lost-{uuid.uuid4().hex}"
    yield key
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.delete(f"{key}:runs", f"{key}:effect", f"{key}:effects")


def test_a_pool_process_killed_mid_task_has_its_message_rejected_back_and_run_once_more(
    vhost, redis_key, tmp_path
):
    log = tmp_path / "worker.log"
    name = f"worker-lost-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "souk.core.tests.worker_lost_settings",
        "SOUK_WORKER_LOST_BROKER": vhost.url,
    }
    with log.open("ab") as output:
        worker = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork"]
            + ["--concurrency", "1", "-Q", "payments", "-n", name, "-l", "info"]
            + ["--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    probe = Celery("probe", broker=vhost.url, set_as_current=False)
    probe.config_from_object("django.conf:settings", namespace="CELERY")
    probe.conf.update(broker_url=vhost.url, task_always_eager=False)
    client = redis.Redis.from_url(settings.TEST_REDIS_URL, decode_responses=True)
    try:
        wait_until(lambda: bool(probe.control.ping([name], timeout=0.5)), 30, "worker", log)
        probe.send_task(TASK, args=[redis_key, settings.TEST_REDIS_URL], queue="payments")
        wait_until(lambda: client.llen(f"{redis_key}:runs") == 1, 20, "first run", log)
        first_pid = int(client.lindex(f"{redis_key}:runs", 0).split()[0])
        os.kill(first_pid, signal.SIGKILL)
        wait_until(lambda: client.llen(f"{redis_key}:runs") == 2, 30, "second run", log)
        time.sleep(1)  # the second run returned at once; its acknowledgement follows
        worker_survived = worker.poll() is None
    finally:
        probe.close()
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    runs = [line.split() for line in client.lrange(f"{redis_key}:runs", 0, -1)]

    assert worker_survived
    assert runs[0] == [str(first_pid), "0"]
    assert runs[1][1] == "1"  # a redelivery
    assert runs[1][0] != str(first_pid)  # by a new pool process
    assert client.get(f"{redis_key}:effects") == "1"
    assert "WorkerLostError" in log.read_text()
    # consuming one queue, it declared and bound the other three for delayed delivery too
    assert "Failed to bind" not in log.read_text()
    assert set(vhost.queue_types()) >= {"default", "slow", "payments", "notifications"}
    # acknowledged: with the worker gone, nothing came back to the queue
    assert vhost.queue_state("payments") == (0, 0)
