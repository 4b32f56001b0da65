"""Celery beat that sends the schedule from one node at a time, however many beats run.

Every beat takes the same Redis lock (a redis-py `Lock` with a time to live). The holder sends
due tasks and renews the lock on every tick, and it ticks at least every third of the time to
live. Any other beat stands by: it sends nothing, and tries to take the lock on each of its
ticks. A beat that stops cleanly releases the lock, so a standby takes over at its next try; a
beat that dies holding it (killed, its machine gone) stops renewing, and a standby takes over
at the latest one time to live later. A beat that finds it lost the lock (it stalled for longer
than the time to live) stands by at once. While Redis cannot be reached no beat sends.

Settings (app.conf): beat_lock_key (the Redis key) and beat_lock_seconds (the time to live);
the lock lives in REDIS_URL's database."""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery.beat import PersistentScheduler
from django.conf import settings
from redis.exceptions import LockError, RedisError

logger = logging.getLogger("souk.beat")


class SingleBeatScheduler(PersistentScheduler):
    """The default (file-backed) scheduler, sending only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock_seconds = 30.0
        self.lock: Any = None
        self.holding = False
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        conf = self.app.conf
        self.lock_seconds = float(conf.get("beat_lock_seconds") or 30.0)
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        self.lock = client.lock(
            conf.get("beat_lock_key") or "souk:beat:lock",
            timeout=self.lock_seconds,
            blocking=False,
            # renewed and released by this beat's own thread only; the token is kept on the
            # instance so that a tick on another thread (none today) would still see it
            thread_local=False,
        )
        super().setup_schedule()

    @property
    def check_interval(self) -> float:
        """The longest a holder may wait between renewals: a third of the time to live."""
        return self.lock_seconds / 3

    def _hold(self) -> bool:
        """True while this beat holds the lock: renew it if held, else try to take it."""
        try:
            if self.holding:
                self.lock.reacquire()
            else:
                self.holding = bool(self.lock.acquire(blocking=False))
                if self.holding:
                    logger.warning("beat: took the beat lock; sending the schedule from here")
        except LockError:
            logger.error("beat: lost the beat lock (stalled past its time to live); standing by")
            self.holding = False
        except RedisError:
            if self.holding:
                logger.error("beat: Redis cannot be reached; sending nothing until it can")
            self.holding = False
        return self.holding

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._hold():
            return self.check_interval
        return min(super().tick(*args, **kwargs), self.check_interval)

    def close(self) -> None:
        if self.holding:
            self.holding = False
            try:
                self.lock.release()
            except (LockError, RedisError):
                logger.warning("beat: could not release the beat lock", exc_info=True)
        super().close()
