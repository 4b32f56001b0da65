"""A task only the worker of test_worker_lost.py registers (through its settings)."""

from __future__ import annotations

import os
import time

import redis
from celery import Task, shared_task

# Long enough for the test to kill the pool process running the first attempt.
HANG_SECONDS = 60


@shared_task(name="souk.core.tests.worker_tasks.effect_once", bind=True)
def effect_once(self: Task, key: str, redis_url: str) -> None:
    """Record each run ("<pid> <redelivered>") in `<key>:runs`; make the effect (`<key>:effect`,
    taken with SET NX, counted in `<key>:effects`) unless a run made it already; then the first
    run hangs, after its effect and before the acknowledgement."""
    client = redis.Redis.from_url(redis_url)
    redelivered = int(bool((self.request.delivery_info or {}).get("redelivered")))
    runs = client.rpush(f"{key}:runs", f"{os.getpid()} {redelivered}")
    if client.set(f"{key}:effect", os.getpid(), nx=True):
        client.incr(f"{key}:effects")
    if runs == 1:
        time.sleep(HANG_SECONDS)
