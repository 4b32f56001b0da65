"""Outbox benchmark: how many messages per second ONE real Celery worker process (concurrency 1)
delivers from a backlog of pending order emails.

    .venv/bin/python bench/outbox.py                        # 20,000 messages
    .venv/bin/python bench/outbox.py --messages 50000

Each run recreates its own database (`<name>_bench_outbox`, from the test template), migrates
it, seeds a small catalog with `manage.py seed_data`, and places `--orders` real orders through
`order_place` (buyers with a default address, 1-3 lines each); the messages those placements
wrote are deleted. Then `--messages` pending email messages of order kinds (placed, paid,
shipped, cancelled; to the buyer or the shop's owner, cycling over the orders) are inserted in
one `INSERT ... SELECT generate_series`.

One Celery worker (`celery -A config worker --concurrency 1`, prefork, its own Redis database
13) runs the real `outbox_dispatch` task with the production settings (OUTBOX_BATCH_SIZE,
OUTBOX_DISPATCH_SECONDS: a run that spends its budget queues its successor). Email goes
through Django's email API to Django's no-op backend (django.core.mail.backends.dummy, via
EMAIL_URL=dummymail://): every message is loaded, rendered (text and HTML templates) and built
as an EmailMultiAlternatives, but nothing is serialised to MIME or sent over a network, so the
figure is the dispatcher's own ceiling, not a mail provider's. A warm-up backlog
(`--warmup` messages) is drained first (worker start, connections, template caches); then the
measured backlog is inserted, one task is queued, and the clock runs until no message is
pending (the database is polled every 0.1 s).

Fails (exit 1) when a message is not sent (dead, skipped or still pending) or was tried more
than once. Results: bench/results/outbox.json and bench/results/outbox.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from celery import Celery
from common import (
    DEFAULT_URL,
    PYTHON,
    RESULTS,
    ROOT,
    connect,
    create_database,
    django_snippet,
    manage,
)

REDIS_URL = "redis://127.0.0.1:6379/13"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
TASK = "souk.notifications.tasks.outbox_dispatch"

# Run inside `manage.py shell` against the benchmark database: buyers with a default address,
# `orders` orders placed through order_place (1-3 lines of one shop), the messages they wrote
# removed.
DJANGO_SNIPPET = r"""
import json, os, random
from collections import defaultdict
from django.contrib.auth.hashers import make_password
from django.db import transaction
from souk.accounts.models import Address, User
from souk.catalog.models import Variant
from souk.notifications.models import OutboxMessage
from souk.orders.services.placement import order_place

params = json.loads(os.environ["BENCH_PARAMS"])
rng = random.Random(params["seed"])
password = make_password(None)
with transaction.atomic():
    buyers = User.objects.bulk_create([
        User(email=f"buyer{i}@bench.souk.test", first_name="Bench", last_name=f"Buyer {i}",
             password=password, is_email_verified=True)
        for i in range(params["buyers"])
    ])
    Address.objects.bulk_create([
        Address(user=user, label="Home", recipient=user.full_name, phone="+212600000000",
                line1=f"{i + 1} Market Street", city="Fes", postal_code="30000",
                country="MA", is_default=True)
        for i, user in enumerate(buyers)
    ])
by_shop = defaultdict(list)
for variant in (Variant.objects.filter(deleted_at__isnull=True, product__deleted_at__isnull=True,
                                       quantity__gte=10).select_related("shop").order_by("id")):
    by_shop[variant.shop_id].append(variant)
shops = sorted(shop for shop, variants in by_shop.items() if len(variants) >= 3)
for i in range(params["orders"]):
    variants = by_shop[shops[i % len(shops)]]
    lines = rng.sample(variants, k=rng.randint(1, 3))
    order_place(user=buyers[i % len(buyers)], shop=lines[0].shop,
                items=[(variant.pk, 1) for variant in lines])
OutboxMessage.objects.all().delete()
with open(os.environ["BENCH_OUT"], "w") as handle:
    json.dump({"orders": params["orders"], "shops": len(shops)}, handle)
"""

# (kind, event, audience) of the inserted messages, cycled over.
EVENTS = [
    ("order_placed", "placed", "buyer"),
    ("order_placed", "placed", "member"),
    ("order_paid", "paid", "buyer"),
    ("order_paid", "paid", "member"),
    ("order_shipped", "shipped", "buyer"),
    ("order_cancelled", "cancelled", "buyer"),
    ("order_cancelled", "cancelled", "member"),
]

INSERT_SQL = """
WITH o AS (
  SELECT array_agg(o.id ORDER BY o.id) AS ids, array_agg(o.customer_id ORDER BY o.id) AS buyers,
         array_agg(s.owner_id ORDER BY o.id) AS owners, count(*) AS n
    FROM orders_order o JOIN shops_shop s ON s.id = o.shop_id),
e AS (
  SELECT array_agg(kind ORDER BY i) AS kinds, array_agg(event ORDER BY i) AS events,
         array_agg(audience ORDER BY i) AS audiences, count(*) AS n
    FROM jsonb_to_recordset(%(events)s::jsonb) AS v (i int, kind text, event text, audience text))
INSERT INTO notifications_outboxmessage (key, channel, recipient_id, kind, data, status,
                                         attempts, available_at, created_at, last_error)
SELECT gen_random_uuid(), 'email',
       CASE WHEN e.audiences[1 + g.i %% e.n] = 'buyer' THEN o.buyers[1 + g.i %% o.n]
            ELSE o.owners[1 + g.i %% o.n] END,
       e.kinds[1 + g.i %% e.n],
       jsonb_build_object('order', o.ids[1 + g.i %% o.n], 'event', e.events[1 + g.i %% e.n],
                          'audience', e.audiences[1 + g.i %% e.n]),
       'pending', 0, now(), now(), ''
  FROM generate_series(0, %(count)s - 1) AS g (i), o, e
"""


def app_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "EMAIL_URL": "dummymail://",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }


def prepare(url: str, args: argparse.Namespace) -> dict[str, Any]:
    params = {"buyers": args.buyers, "orders": args.orders, "seed": args.seed}
    result: dict[str, Any] = django_snippet(DJANGO_SNIPPET, app_env(url), params)
    return result


def insert_messages(url: str, count: int) -> None:
    events = [
        {"i": i, "kind": kind, "event": event, "audience": audience}
        for i, (kind, event, audience) in enumerate(EVENTS)
    ]
    with connect(url) as conn:
        conn.execute(INSERT_SQL, {"events": json.dumps(events), "count": count})
        conn.execute("VACUUM ANALYZE notifications_outboxmessage")


def redis_forget(url: str) -> None:
    """Delete the Celery queue and bookkeeping keys in the benchmark's Redis database."""
    client = redis.Redis.from_url(url)
    keys = [
        *client.scan_iter(match="_kombu.*", count=1000),
        *client.scan_iter(match="celery*", count=1000),
        *client.scan_iter(match="unacked*", count=1000),
        *client.scan_iter(match="souk:*", count=1000),
    ]
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def statuses(url: str) -> dict[str, int]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM notifications_outboxmessage GROUP BY status"
        ).fetchall()
    return {str(status): int(n) for status, n in rows}


def drain(url: str, kicker: Celery, timeout: float) -> float:
    """Queue one dispatcher task; seconds until no message is pending."""
    started = time.perf_counter()
    kicker.send_task(TASK)
    with connect(url) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM notifications_outboxmessage WHERE status = 'pending'"
            ).fetchone()
            if row is not None and row[0] == 0:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{row[0] if row else '?'} messages still pending")
            time.sleep(0.1)


def worker(url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(Path(PYTHON).parent / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=app_env(url),
        stdout=subprocess.DEVNULL,
    )


def settings_of(url: str) -> dict[str, Any]:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k)"
        " for k in ('EMAIL_BACKEND', 'OUTBOX_BATCH_SIZE', 'OUTBOX_LEASE_SECONDS',"
        " 'OUTBOX_DISPATCH_SECONDS', 'OUTBOX_MAX_ATTEMPTS')}))"
    )
    output = subprocess.run(
        [PYTHON, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=app_env(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def server_version(url: str) -> str:
    with connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000, help="measured backlog")
    parser.add_argument("--warmup", type=int, default=1_000, help="warm-up backlog")
    parser.add_argument("--orders", type=int, default=100, help="orders the messages are about")
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--products", type=int, default=200, help="seeded catalog size")
    parser.add_argument("--shops", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for a drain")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    started = time.monotonic()
    print("== database, catalog and orders", flush=True)
    url = create_database(args.database_url, "bench_outbox")
    manage(url, "migrate", "--noinput", "--verbosity", "0")
    manage(url, "seed_data", "--shops", str(args.shops), "--products", str(args.products))
    redis_forget(REDIS_URL)
    seeded = prepare(url, args)
    configured = settings_of(url)
    if configured["EMAIL_BACKEND"] != EMAIL_BACKEND:
        raise SystemExit(f"expected {EMAIL_BACKEND}, got {configured['EMAIL_BACKEND']}")
    redis_forget(REDIS_URL)  # the kicks of the placements above
    setup_seconds = time.monotonic() - started
    print(f"   {setup_seconds:.1f} s; {seeded['orders']} orders in {seeded['shops']} shops")
    print(f"   email backend: {EMAIL_BACKEND} (no-op: rendered and built, never sent)")

    kicker = Celery(broker=REDIS_URL)
    process = worker(url)
    try:
        print(f"== warm-up: {args.warmup} messages", flush=True)
        insert_messages(url, args.warmup)
        warmup_seconds = drain(url, kicker, args.timeout)
        print(f"   {warmup_seconds:.1f} s (worker start included)", flush=True)

        print(f"== measured: {args.messages} messages, one worker, concurrency 1", flush=True)
        with connect(url) as conn:
            conn.execute("DELETE FROM notifications_outboxmessage")
        insert_messages(url, args.messages)
        load_before = os.getloadavg()[0]
        seconds = drain(url, kicker, args.timeout)
        load_after = os.getloadavg()[0]
    finally:
        process.terminate()
        process.wait(timeout=60)
        redis_forget(REDIS_URL)

    counts = statuses(url)
    with connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE attempts <> 1) FROM notifications_outboxmessage"
        ).fetchone()
    retried = int(row[0]) if row else -1
    rate = args.messages / seconds
    print(f"   {seconds:.2f} s: {rate:.0f} messages/s; statuses {counts}", flush=True)
    failures = {
        "not_sent": args.messages - counts.get("sent", 0),
        "tried_more_than_once": retried,
    }
    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgres": server_version(url),
            # 1-minute load average before and at the end of the measured drain.
            "load_average": [round(load_before, 2), round(load_after, 2)],
        },
        "settings": {
            "messages": args.messages,
            "warmup": args.warmup,
            "orders": seeded["orders"],
            "kinds": sorted({kind for kind, _event, _audience in EVENTS}),
            "worker": "celery -A config worker --concurrency 1 --pool prefork",
            **{key.lower(): value for key, value in configured.items()},
        },
        "database": urlsplit(url).path.lstrip("/"),
        "setup_seconds": round(setup_seconds, 1),
        "warmup_seconds": round(warmup_seconds, 2),
        "seconds": round(seconds, 2),
        "messages_per_s": round(rate, 1),
        "statuses": counts,
        "failures": failures,
        "passed": not any(failures.values()),
    }
    write(data)
    if not data["passed"]:
        print(f"FAILED: {json.dumps(failures)}", file=sys.stderr)
        return 1
    return 0


def write(data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "outbox.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "outbox.md").write_text(markdown(data))
    print(f"wrote {RESULTS / 'outbox.json'} and {RESULTS / 'outbox.md'}")


def markdown(data: dict[str, Any]) -> str:
    s, f = data["settings"], data["failures"]
    lines = [
        "# Outbox benchmark",
        "",
        f"Run {data['when']} on {data['machine']['cpus']} CPUs (PostgreSQL "
        f"{data['machine']['postgres']}): one Celery worker process ({s['worker']}) drains a "
        f"backlog of {s['messages']} pending email messages of order kinds "
        f"({', '.join(s['kinds'])}) about {s['orders']} orders, after a warm-up of "
        f"{s['warmup']}. Email goes through Django's email API to the no-op backend "
        f"`{s['email_backend']}`: each message is loaded, rendered (text and HTML) and built, "
        f"but not serialised to MIME or sent. Batch {s['outbox_batch_size']}, run budget "
        f"{s['outbox_dispatch_seconds']} s. 1-minute load average before the drain (other "
        f"work on the machine): {data['machine']['load_average'][0]}; at its end: "
        f"{data['machine']['load_average'][1]}.",
        "",
        "| messages | seconds | messages/s |",
        "|---|---|---|",
        f"| {s['messages']} | {data['seconds']} | **{data['messages_per_s']}** |",
        "",
        f"Statuses afterwards: {data['statuses']}. Not sent: {f['not_sent']}; tried more than "
        f"once: {f['tried_more_than_once']}.",
        "",
        f"Result: **{'passed' if data['passed'] else 'FAILED'}**.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
