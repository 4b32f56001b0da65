"""Beat sends the schedule from one process at a time (souk.core.beat): real `celery beat`
processes sharing one lock. A second beat stands by while the first runs; it takes over
within a tick when the first stops cleanly and within the lock's time to live when the first
is killed. And, in this process, a beat that lost its lock or cannot reach Redis sends
nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
import redis
from celery import Celery
from django.conf import settings

from souk.core.beat import SingleBeatScheduler

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("beat_lock")]

ROOT = Path(__file__).resolve().parents[3]
LOCK_SECONDS = 3.0
TICK = LOCK_SECONDS / 3
SLACK = 1.5  # process scheduling and the half-second schedule


@dataclass
class Beats:
    base: Path
    key: str = field(default_factory=lambda: f"souk-test-beat-{uuid.uuid4().hex}")
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sent_file(self) -> Path:
        return self.base / "sent"

    @property
    def log(self) -> Path:
        return self.base / "beat.log"

    def start(self) -> subprocess.Popen[bytes]:
        number = len(self.started)
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "souk.core.tests.beat_settings",
            "SOUK_BEAT_TEST_BROKER": settings.TEST_REDIS_URL,
            "SOUK_BEAT_TEST_PREFIX": f"{self.key}:",
            "SOUK_BEAT_TEST_LOCK_KEY": self.key,
            "SOUK_BEAT_TEST_LOCK_SECONDS": str(LOCK_SECONDS),
            "SOUK_BEAT_TEST_SENT": str(self.sent_file),
        }
        with self.log.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - a fixed command line
                [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "warning"]
                + ["-s", str(self.base / f"schedule-{number}")],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def senders(self, since: float = 0.0) -> dict[int, list[float]]:
        """pid -> times of its publishes (after `since`)."""
        found: dict[int, list[float]] = {}
        if self.sent_file.exists():
            for line in self.sent_file.read_text().splitlines():
                pid, at = line.split()
                if float(at) >= since:
                    found.setdefault(int(pid), []).append(float(at))
        return found

    def wait_for(self, what: str, predicate: Callable[[], bool], seconds: float) -> float:
        started = time.time()
        while not predicate():
            for process in self.started:
                if process.returncode is None and process.poll() is not None:
                    pytest.fail(f"a beat exited: {self.log.read_text(errors='replace')[-3000:]}")
            if time.time() - started > seconds:
                pytest.fail(f"no {what} within {seconds} s; log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        return time.time() - started

    def stop(self, process: subprocess.Popen[bytes], sig: int) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        process.wait(timeout=15)


@pytest.fixture
def beats(tmp_path: Path) -> Iterator[Beats]:
    started = Beats(base=tmp_path)
    try:
        yield started
    finally:
        for process in started.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        client = redis.Redis.from_url(settings.TEST_REDIS_URL)
        stale = [started.key, *client.scan_iter(f"{started.key}:*")]
        client.delete(*stale)


def test_one_beat_sends_and_a_standby_takes_over_when_it_stops_or_dies(beats, record_property):
    first = beats.start()
    beats.wait_for("send by the first beat", lambda: first.pid in beats.senders(), 30)
    second = beats.start()
    third = beats.start()
    # both standbys are up (Django and Celery loaded) and have tried the lock a few times
    time.sleep(8)

    assert set(beats.senders()) == {first.pid}
    assert second.poll() is None
    assert third.poll() is None
    assert len(beats.senders(since=time.time() - 2)[first.pid]) >= 2

    # stopped cleanly, the first releases the lock: a standby takes over at its next tick
    beats.stop(first, signal.SIGTERM)
    stopped_at = time.time()
    clean = beats.wait_for(
        "takeover after a clean stop", lambda: beats.senders(since=stopped_at) != {}, 30
    )
    (successor,) = beats.senders(since=stopped_at)
    standby = third if successor == second.pid else second
    assert successor in {second.pid, third.pid}

    # killed, the holder leaves the lock to run out: the last standby takes over within its
    # time to live (plus a tick)
    holder = second if successor == second.pid else third
    beats.stop(holder, signal.SIGKILL)
    killed_at = time.time()
    killed = beats.wait_for(
        "takeover after a kill", lambda: standby.pid in beats.senders(since=killed_at), 30
    )
    time.sleep(2)

    assert clean <= TICK + SLACK
    assert killed <= LOCK_SECONDS + TICK + SLACK
    assert set(beats.senders(since=killed_at + killed)) == {standby.pid}
    assert first.pid not in beats.senders(since=stopped_at)
    record_property("takeover_after_clean_stop_seconds", round(clean, 2))
    record_property("takeover_after_kill_seconds", round(killed, 2))


def scheduler(path: Path, key: str) -> SingleBeatScheduler:
    """A beat scheduler of its own app (an in-memory broker), one entry due every 10 ms."""
    app = Celery("beat-probe", broker="memory://", set_as_current=False)
    app.conf.update(
        beat_lock_key=key,
        beat_lock_seconds=30.0,
        beat_schedule={"probe": {"task": "souk.core.tasks.idempotency_prune", "schedule": 0.01}},
    )
    return SingleBeatScheduler(app=app, schedule_filename=str(path))


def test_a_beat_sends_only_while_it_holds_the_lock(tmp_path):
    key = f"souk-test-beat-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    first = scheduler(tmp_path / "first", key)
    second = scheduler(tmp_path / "second", key)
    try:
        with mock.patch.object(SingleBeatScheduler, "apply_entry", autospec=True) as apply:
            time.sleep(0.05)
            first_tick = first.tick()
            second.tick()
            sent_while_holding = [call.args[0] for call in apply.call_args_list]
            apply.reset_mock()

            # the first stalled past the time to live and another beat took the lock
            client.set(key, "another-beat", ex=30)
            first.tick()
            lost = (first.holding, apply.call_count)
            client.delete(key)
            time.sleep(0.05)
            second.tick()
            taken_over = [call.args[0] for call in apply.call_args_list]
    finally:
        first.close()
        second.close()
    left = client.get(key)
    client.delete(key)

    assert sent_while_holding == [first]
    assert first_tick <= 10.0  # renewed at least every third of the time to live
    assert lost == (False, 0)
    assert taken_over == [second]
    assert left is None  # released on close


def test_a_beat_that_cannot_reach_redis_sends_nothing(tmp_path, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    beat = scheduler(tmp_path / "beat", f"souk-test-beat-{uuid.uuid4().hex}")
    try:
        with mock.patch.object(SingleBeatScheduler, "apply_entry", autospec=True) as apply:
            time.sleep(0.05)
            interval = beat.tick()
    finally:
        beat.close()

    assert apply.call_count == 0
    assert beat.holding is False
    assert interval == 10.0
