"""Discovery benchmark: geosearch, search, suggest and the filtered product list through the
real HTTP API (gunicorn), on a 10,000-product and a 1,000,000-product catalog.

    .venv/bin/python bench/discovery.py                  # both sizes (seeds what is missing)
    .venv/bin/python bench/discovery.py --sizes 10000    # one size
    .venv/bin/python bench/discovery.py --reseed         # rebuild the catalogs first

Each size gets its own database (`<name>_bench_<size>`, created from the test template, seeded
once with `manage.py seed_data` and reused by later runs). The same fixed set of requests runs
against each: for every kind, after a warm-up, `--requests` requests from `--concurrency`
client threads. Results: bench/results/discovery.json and bench/results/discovery.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg
import requests
from common import (
    DEFAULT_URL,
    RESULTS,
    connect,
    database_url,
    manage,
    percentile,
    redis_flush,
    server,
    summarize,
)

CITIES = {
    "London": (51.5074, -0.1278),
    "Paris": (48.8566, 2.3522),
    "Marrakesh": (31.6295, -7.9811),
    "Istanbul": (41.0082, 28.9784),
    "Lagos": (6.5244, 3.3792),
    "Nairobi": (-1.2921, 36.8219),
    "Cairo": (30.0444, 31.2357),
    "Tehran": (35.6892, 51.3890),
    "Mexico City": (19.4326, -99.1332),
    "New York": (40.7128, -74.0060),
    "San Francisco": (37.7749, -122.4194),
    "Mumbai": (19.0760, 72.8777),
}
# What people type: single broad words, two and three words, phrases and exclusions.
SEARCHES = [
    "mug",
    "scarf",
    "wool",
    "ceramic",
    "leather",
    "basket",
    "candle",
    "necklace",
    "rug",
    "ceramic mug",
    "wool scarf",
    "leather wallet",
    "silver ring",
    "olive wood spoon",
    "linen apron",
    "brass lamp",
    "stoneware bowl",
    "soy wax candle",
    "walnut cutting board",
    "indigo cotton scarf",
    "hand-thrown stoneware mug",
    '"tea towel"',
    "rug -wool",
    "terracotta planter",
    "beeswax candle",
    "alpaca throw",
    "copper lantern",
    "silk scarf",
]
SUGGESTS = [
    "ce",
    "cer",
    "ceram",
    "ceramc",
    "ceramic m",
    "wool sc",
    "wol",
    "lether",
    "leather wal",
    "sil",
    "silver ri",
    "brass la",
    "candl",
    "beeswx",
    "ind",
    "indigo",
    "rug",
    "kil",
    "throw",
    "ola",
    "olive wo",
    "stonew",
    "porcelian",
    "basket",
    "rattan l",
    "terracota",
    "neckl",
]


KINDS = ["geosearch", "search", "suggest", "list", "search+price"]


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int


@dataclass
class SizeResult:
    products: int
    database: str
    seed_seconds: float | None
    table_mb: dict[str, float]
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def product_count(url: str) -> int:
    try:
        with connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM catalog_product WHERE deleted_at IS NULL"
            ).fetchone()
    except psycopg.Error:
        return -1
    return int(row[0]) if row else -1


def ensure_catalog(base_url: str, size: int, reseed: bool) -> tuple[str, float | None]:
    """A database holding exactly `size` products (seeded when missing)."""
    base_name = urlsplit(base_url).path.lstrip("/")
    name = f"{base_name}_bench_{size}"
    url = database_url(base_url, name)
    if not reseed and product_count(url) == size:
        manage(url, "migrate", "--noinput", "--verbosity", "0")  # indexes may have changed
        manage(url, "rebuild_discovery_maps")
        with connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
        return url, None
    with connect(database_url(base_url, "postgres")) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base_name}_template"')
    manage(url, "migrate", "--noinput", "--verbosity", "0")
    started = time.monotonic()
    shops = max(20, size // 200)
    manage(url, "seed_data", "--shops", str(shops), "--products", str(size), "--seed", "7")
    seconds = time.monotonic() - started
    with connect(url) as conn:
        conn.execute("VACUUM ANALYZE")
    return url, seconds


def table_sizes(url: str) -> dict[str, float]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT relname, pg_total_relation_size(oid) / 1048576.0 FROM pg_class "
            "WHERE relname IN ('catalog_product', 'catalog_variant', 'catalog_searchterm', "
            "'shops_shop')"
        ).fetchall()
    return {name: round(float(mb), 1) for name, mb in rows}


def category_ids(url: str) -> list[int]:
    with connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM catalog_category ORDER BY path")]


def request_plan(seed: int, per_kind: int, categories: list[int]) -> list[tuple[str, str]]:
    """(kind, path?query) pairs: the same list for every catalog size."""
    rng = random.Random(seed)
    plan: list[tuple[str, str]] = []
    for _ in range(per_kind):
        city = rng.choice(list(CITIES.values()))
        lat = round(city[0] + rng.gauss(0, 0.05), 5)
        lng = round(city[1] + rng.gauss(0, 0.05), 5)
        geo: dict[str, Any] = {"lat": lat, "lng": lng, "radius": rng.choice([2, 5, 10, 25])}
        if rng.random() < 0.3:
            geo["min_price"] = rng.choice([10, 25, 50])
        if rng.random() < 0.3:
            geo["in_stock"] = "true"
        if rng.random() < 0.2:
            geo["search"] = rng.choice(SEARCHES[:9])
        plan.append(("geosearch", "/api/products/geosearch/?" + urlencode(geo)))

        search: dict[str, Any] = {"search": rng.choice(SEARCHES)}
        if rng.random() < 0.25:
            search["in_stock"] = "true"
        plan.append(("search", "/api/products/?" + urlencode(search)))

        priced = {"search": rng.choice(SEARCHES), "max_price": rng.choice([30, 60, 120])}
        if rng.random() < 0.25:
            priced["in_stock"] = "true"
        plan.append(("search+price", "/api/products/?" + urlencode(priced)))

        plan.append(("suggest", "/api/products/suggest/?" + urlencode({"q": rng.choice(SUGGESTS)})))

        listing: dict[str, Any] = {
            "category": rng.choice(categories),
            "ordering": rng.choice(["-created_at", "price", "-price", "name", "-rating"]),
        }
        if rng.random() < 0.5:
            listing["min_price"] = rng.choice([10, 20, 40])
            listing["max_price"] = listing["min_price"] + rng.choice([20, 60, 200])
        if rng.random() < 0.5:
            listing["in_stock"] = "true"
        plan.append(("list", "/api/products/?" + urlencode(listing)))
    return plan


def run(base: str, plan: list[tuple[str, str]], concurrency: int) -> list[Sample]:
    local = threading.local()

    def one(item: tuple[str, str]) -> Sample:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        kind, path = item
        started = time.perf_counter()
        response = session.get(base + path, timeout=30)
        elapsed = time.perf_counter() - started
        return Sample(kind, elapsed, response.status_code)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, plan))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per kind")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up requests per kind")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    sizes = [int(size) for size in args.sizes.split(",")]
    results: list[SizeResult] = []
    for size in sizes:
        print(f"== {size:,} products", flush=True)
        url, seeded = ensure_catalog(args.database_url, size, args.reseed)
        result = SizeResult(size, urlsplit(url).path.lstrip("/"), seeded, table_sizes(url))
        categories = category_ids(url)
        # A Redis database of its own per catalog (cached planner estimates are per database).
        redis_url = f"redis://127.0.0.1:6379/{10 + sizes.index(size)}"
        redis_flush(redis_url)
        lifted = {"THROTTLE_SUGGEST": "1000000/min"}
        with server(url, args.workers, args.threads, redis_url, lifted) as base:
            run(base, request_plan(11, args.warmup, categories), args.concurrency)
            plan = request_plan(42, args.requests, categories)
            samples = []
            for kind in KINDS:  # one kind at a time: a slow kind cannot queue up the others
                samples += run(base, [item for item in plan if item[0] == kind], args.concurrency)
        for sample in samples:
            result.latencies.setdefault(sample.kind, []).append(sample.seconds)
            if sample.status != 200:
                result.errors[sample.kind] = result.errors.get(sample.kind, 0) + 1
        for kind, values in result.latencies.items():
            print(f"   {kind:<10} {summarize(values)}", flush=True)
        results.append(result)
    write(results, args)
    return 0


def write(results: list[SizeResult], args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    kinds = KINDS
    data: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "requests_per_kind": args.requests,
            "warmup_per_kind": args.warmup,
            "client_concurrency": args.concurrency,
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
        },
        "sizes": {},
    }
    for result in results:
        data["sizes"][str(result.products)] = {
            "database": result.database,
            "seed_seconds": None if result.seed_seconds is None else round(result.seed_seconds, 1),
            "table_mb": result.table_mb,
            "errors": result.errors,
            "latency": {kind: summarize(result.latencies.get(kind, [])) for kind in kinds},
        }
    if len(results) >= 2:
        small, large = results[0], results[-1]
        data["growth_p95"] = {
            kind: round(
                percentile(large.latencies[kind], 0.95) / percentile(small.latencies[kind], 0.95), 2
            )
            for kind in kinds
        }
    (RESULTS / "discovery.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "discovery.md").write_text(markdown(data, results, kinds))
    print(f"wrote {RESULTS / 'discovery.json'} and {RESULTS / 'discovery.md'}")


def markdown(data: dict[str, Any], results: list[SizeResult], kinds: list[str]) -> str:
    lines = [
        "# Discovery benchmark",
        "",
        f"Run {data['when']} on {data['machine']['cpus']} CPUs; "
        f"{data['settings']['requests_per_kind']} requests per kind after "
        f"{data['settings']['warmup_per_kind']} warm-up, {data['settings']['client_concurrency']} "
        f"client threads, gunicorn {data['settings']['gunicorn_workers']} workers x "
        f"{data['settings']['gunicorn_threads']} threads. Latency is measured by the client "
        "(full HTTP round trip).",
        "",
        "| kind | "
        + " | ".join(f"{r.products:,} p50 / p95 ms" for r in results)
        + (" | p95 growth |" if "growth_p95" in data else " |"),
        "|---|" + "---|" * len(results) + ("---|" if "growth_p95" in data else ""),
    ]
    for kind in kinds:
        cells = []
        for result in results:
            stats = data["sizes"][str(result.products)]["latency"][kind]
            cells.append(f"{stats['p50_ms']} / {stats['p95_ms']}")
        growth = f" {data['growth_p95'][kind]}x |" if "growth_p95" in data else ""
        lines.append(f"| {kind} | " + " | ".join(cells) + " |" + growth)
    lines += [
        "",
        "`search` is text queries (sometimes with `in_stock`); `search+price` is text queries "
        "with a `max_price` bound, reported apart: a bound that cuts across the matches can make "
        "the fallback read every product in that price range (see docs/discovery.md).",
    ]
    lines += [
        "",
        "Errors (non-200 responses): "
        + ", ".join(f"{r.products:,}: {sum(r.errors.values())}" for r in results),
        "",
    ]
    for result in results:
        lines.append(f"- {result.products:,} products: tables (MB) {result.table_mb}")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
