"""The local RabbitMQ for the broker tests: a virtual host of each test's own (created and
deleted with rabbitmqctl, which needs root or the rabbitmq user), so that test runs side by
side never consume each other's messages.

RABBITMQ_TEST_URL (default amqp://guest:guest@127.0.0.1:5672) names the broker. It runs on
every machine the suite runs on: a broker that cannot be reached fails the test, it does not
skip it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from kombu import Connection

RABBITMQ_URL = os.environ.get("RABBITMQ_TEST_URL", "amqp://guest:guest@127.0.0.1:5672").rstrip("/")
START_HINT = "start it with `rabbitmq-server -detached` (or scripts/rabbitmq-check.sh)"


def rabbitmqctl(*args: str) -> str:
    """rabbitmqctl's output; fails the test with its message if it fails."""
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is not installed (Debian package rabbitmq-server)")
    done = subprocess.run(  # noqa: S603 - fixed arguments
        ["rabbitmqctl", "--quiet", *args],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"rabbitmqctl {' '.join(args)} failed ({done.returncode}); the broker tests need "
            f"root (or the rabbitmq user) and a running RabbitMQ ({START_HINT}):\n"
            f"{done.stdout}{done.stderr}"
        )
    return done.stdout


def require_broker() -> None:
    """Fail, with a clear message, when RabbitMQ does not answer."""
    try:
        with Connection(f"{RABBITMQ_URL}/", connect_timeout=3) as probe:
            probe.ensure_connection(max_retries=1)
    except Exception as exc:
        where = Connection(RABBITMQ_URL).as_uri()  # the password masked
        pytest.fail(f"RabbitMQ is not reachable at {where} ({exc!r}); {START_HINT}")


@dataclass(frozen=True)
class VirtualHost:
    name: str

    @property
    def url(self) -> str:
        return f"{RABBITMQ_URL}/{quote(self.name, safe='')}"

    def queue_types(self) -> dict[str, str]:
        """name -> type (classic, quorum) of every queue; rabbitmqctl's other columns
        (messages, consumers) are statistics a few seconds old, see `queue_state`."""
        columns = ["name", "type"]
        listing = rabbitmqctl("list_queues", "-p", self.name, "--no-table-headers", *columns)
        found = {}
        for line in listing.splitlines():
            values = line.split("\t")
            if len(values) == len(columns):
                found[values[0]] = values[1]
        return found

    def queue_state(self, name: str) -> tuple[int, int]:
        """(messages ready, consumers) of a queue, from the queue itself (a passive declare)."""
        with Connection(self.url) as connection:
            channel: Any = connection.default_channel  # an amqp.Channel
            _, ready, consumers = channel.queue_declare(name, passive=True)
        return int(ready), int(consumers)


@contextlib.contextmanager
def virtual_host() -> Iterator[VirtualHost]:
    """A new, empty virtual host that the test URL's user may use; deleted afterwards with
    everything in it."""
    require_broker()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    vhost = VirtualHost(f"souk-test-{worker}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    rabbitmqctl("add_vhost", vhost.name)
    try:
        user = Connection(RABBITMQ_URL).userid or "guest"
        rabbitmqctl("set_permissions", "-p", vhost.name, user, ".*", ".*", ".*")
        yield vhost
    finally:
        rabbitmqctl("delete_vhost", vhost.name)
