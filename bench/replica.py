"""Read-replica benchmark: the same search and list requests through gunicorn, first with the
primary alone, then with DATABASE_REPLICA_URL set, showing where the reading moves.

    DATABASE_REPLICA_URL=postgis://souk:souk@127.0.0.1:5433/souk \\
        .venv/bin/python bench/replica.py [--products 20000] [--requests 200] [--rounds 2]

scripts/replica-check.sh starts a streaming replica and runs this. The catalog database
(discovery.py's `<name>_bench_<size>`: from the test template, seeded with `manage.py
seed_data`, reused while it holds `--products`) is written on the primary and reaches the
replica by streaming.
For each run: transactions committed and tuples read (`pg_stat_database` of that database on
each server, read before gunicorn starts and after it stops, so that every backend has
reported), and requests per second. Results: bench/results/replica.json and replica.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from common import DEFAULT_URL, RESULTS, connect, database_url, gunicorn, summarize
from discovery import KINDS, category_ids, ensure_catalog, request_plan, run

STATS = ("xact_commit", "tup_returned", "tup_fetched", "blks_hit", "blks_read")


def bench_database(base_url: str, products: int, reseed: bool) -> str:
    """The seeded catalog: discovery.py's `<name>_bench_<size>` database (kept for later
    runs)."""
    url, _ = ensure_catalog(base_url, products, reseed)
    return url


def wait_for_replay(primary: str, replica: str, timeout: float = 300.0) -> float:
    """Seconds until the replica has replayed all the primary has written."""
    started = time.monotonic()
    with connect(primary) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    while time.monotonic() - started < timeout:
        try:
            with connect(replica) as conn:
                done = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [row[0]]
                ).fetchone()
            if done and done[0]:
                return time.monotonic() - started
        except psycopg.OperationalError:
            pass  # the database has not reached the replica yet
        time.sleep(0.2)
    raise RuntimeError("the replica did not catch up")


def stats(url: str) -> dict[str, int]:
    name = urlsplit(url).path.lstrip("/")
    with connect(database_url(url, "postgres")) as conn:
        row = conn.execute(
            f"SELECT {', '.join(STATS)} FROM pg_stat_database WHERE datname = %s",  # noqa: S608
            [name],
        ).fetchone()
    assert row is not None
    return dict(zip(STATS, (int(value) for value in row), strict=True))


def forget_cache(redis_url: str) -> None:
    """Drop the app's cache keys (`souk:` prefix), leaving test runs' keys alone."""
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter("souk:*", count=1000))
    if keys:
        client.delete(*keys)


def measure(
    label: str,
    urls: dict[str, str],
    plan: list[tuple[str, str]],
    args: argparse.Namespace,
    extra_env: dict[str, str],
) -> dict[str, Any]:
    forget_cache(args.redis_url)
    load_before = os.getloadavg()[0]
    before = {server: stats(url) for server, url in urls.items()}
    env = {"THROTTLE_SUGGEST": "1000000/min", **extra_env}
    with gunicorn(urls["primary"], args.workers, args.threads, args.redis_url, env) as running:
        run(running.base, plan[: len(KINDS) * 20], args.concurrency)  # warm-up
        started = time.perf_counter()
        samples = run(running.base, plan, args.concurrency)
        seconds = time.perf_counter() - started
    time.sleep(1.0)  # the backends report their counters as they exit
    after = {server: stats(url) for server, url in urls.items()}
    errors = sum(1 for sample in samples if sample.status != 200)
    result = {
        "label": label,
        "requests": len(samples),
        "errors": errors,
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(samples) / seconds, 1),
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "latency_ms": summarize([sample.seconds for sample in samples]),
        "servers": {
            server: {key: after[server][key] - before[server][key] for key in STATS}
            for server in urls
        },
    }
    print(
        f"  {label:<16} {result['requests_per_second']:>7} req/s  errors {errors}  "
        + "  ".join(
            f"{server}: {counts['xact_commit']} xacts, {counts['tup_returned']} tuples returned"
            for server, counts in result["servers"].items()
        ),
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=200, help="requests per kind")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--rounds", type=int, default=2, help="alternated pairs of runs")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--replica-url", default=os.environ.get("DATABASE_REPLICA_URL", ""))
    args = parser.parse_args()
    if not args.replica_url:
        parser.error("--replica-url or DATABASE_REPLICA_URL is required")

    primary = bench_database(args.database_url, args.products, args.reseed)
    name = urlsplit(primary).path.lstrip("/")
    replica = database_url(args.replica_url, name)
    caught_up = wait_for_replay(primary, replica)
    print(f"== {args.products:,} products in {name}; replica caught up in {caught_up:.1f} s")
    urls = {"primary": primary, "replica": replica}
    plan = request_plan(42, args.requests, category_ids(primary))
    runs = []
    for round_ in range(1, args.rounds + 1):  # alternated, so that drift hits both alike
        runs.append(
            measure(f"primary only #{round_}", urls, plan, args, {"DATABASE_REPLICA_URL": ""})
        )
        runs.append(
            measure(f"with replica #{round_}", urls, plan, args, {"DATABASE_REPLICA_URL": replica})
        )
    write(runs, args, name)
    failed = [r["label"] for r in runs if r["errors"]]
    if failed:
        print(f"errors in: {', '.join(failed)}")
        return 1
    for moved in runs[1::2]:
        servers = moved["servers"]
        if servers["replica"]["tup_returned"] <= servers["primary"]["tup_returned"]:
            print(f"{moved['label']}: the replica did not take the reads")
            return 1
    return 0


def write(runs: list[dict[str, Any]], args: argparse.Namespace, name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": name,
        "products": args.products,
        "kinds": list(KINDS),
        "concurrency": args.concurrency,
        "workers": args.workers,
        "threads": args.threads,
        "runs": runs,
    }
    (RESULTS / "replica.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        "# Read replica",
        "",
        f"{data['when']}; {args.products:,} products; {runs[0]['requests']} measured requests "
        f"({', '.join(KINDS)}) after {len(KINDS) * 20} warm-up ones (the server counters cover "
        f"both) from {args.concurrency} client threads; gunicorn "
        f"{args.workers} workers x {args.threads} threads; primary and replica on one "
        f"{os.cpu_count()}-CPU machine.",
        "",
        "| run | req/s | p50 ms | p95 ms | primary xacts | primary tuples returned "
        "| replica xacts | replica tuples returned | load before / after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        p, s = r["servers"]["primary"], r["servers"]["replica"]
        lines.append(
            f"| {r['label']} | {r['requests_per_second']} | {r['latency_ms']['p50_ms']} | "
            f"{r['latency_ms']['p95_ms']} | {p['xact_commit']} | {p['tup_returned']} | "
            f"{s['xact_commit']} | {s['tup_returned']} | "
            f"{r['load_average_1min'][0]} / {r['load_average_1min'][1]} |"
        )
    (RESULTS / "replica.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
