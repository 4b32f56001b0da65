"""Orders benchmark: concurrent clients placing orders through the real HTTP API (gunicorn) on a
mix of hot and cold variants, in two flows (a direct order, or cart lines then a checkout),
optionally against another commit as a baseline, and the same transaction in raw SQL driven
by pgbench as the ceiling; or, with --profile, the same requests in one Django process with
statement counts and cProfile.

    .venv/bin/python bench/orders.py                        # 2,000 orders per flow, 16 clients
    .venv/bin/python bench/orders.py --flows cart --orders 4000 --clients 32
    .venv/bin/python bench/orders.py --baseline main --rounds 2
    .venv/bin/python bench/orders.py --profile --baseline main

Each tree under test (the working tree, and with --baseline a `git worktree` of that commit in
a temporary directory, removed at the end) gets its own database (`<name>_bench_orders`,
`<name>_bench_orders_base`), recreated from the test template, migrated and seeded by that
tree's own `manage.py`, with buyers (a default address and an access token each). A few "hot"
variants of one shop get a small stock the clients fight over; "cold" variants of the other
shops have enough stock for every order the plan sends them. The plan (seeded; the same for
both trees when their catalogs are) runs once per flow from `--clients` threads against a fresh
gunicorn of the tree, the stock put back before each flow:

- direct: POST /api/orders/ with the order's shop and lines;
- cart: POST /api/cart/items/ for each line, then POST /api/checkout/ (the buyer's default
  address); after a refusal the client empties its cart (DELETE /api/cart/).

Both send an Idempotency-Key on the request that places the order (not with
--no-idempotency-key). A client never works on two orders of the same buyer at once (a buyer
has one cart). Each client thread keeps one keep-alive connection (bench/keepalive.py, lighter
than `requests`, so that the load generator takes less of the CPUs it shares with the server).
Reported per flow: orders/s (orders the 201s created per wall-clock second),
requests/s, latency per planned order (all of its requests) and per route, the server's CPU
time per order (gunicorn master and workers, from /proc), the load generator's own, and each
worker's RSS at the end.
--rounds N repeats the HTTP phase, the baseline first in even rounds (from 0) and the working
tree first in odd ones; reported with the ratios working tree / baseline per round and their
mean. pgbench runs once, on the working tree's database, against which the working tree's
orders/s is set.

Fails (exit 1) on any 5xx or transport error, deadlock, oversell, stock that disagrees with
the orders or the ledger, a refused cold order, or a cart left with lines, in any tree, round or
flow. Results: bench/results/orders.json and bench/results/orders.md; with --profile,
bench/results/orders_profile.json and bench/results/orders_profile.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from common import (
    DEFAULT_URL,
    RESULTS,
    ROOT,
    children,
    cpu_seconds,
    database_url,
    git_commit,
    git_worktree,
    gunicorn,
    rss_kib,
)
from keepalive import KeepAliveClient, TransportError
from orders_checks import (
    carts_left,
    deadlocks,
    last_order_id,
    ledger_mismatches,
    server_version,
    stock_check,
)
from orders_plan import (
    HTTP_PREFIX,
    JWT_MINUTES,
    REDIS_URL,
    PlannedOrder,
    Prepared,
    Tree,
    plan_key,
    redis_forget,
    restock,
    set_up,
)
from orders_report import comparison, failures_of, flow_summary, write

FLOWS = ("direct", "cart")


@dataclass
class Call:
    route: str  # "POST /api/orders/"
    status: int  # 0: no response (transport error)
    seconds: float


@dataclass
class Sample:
    """One planned order as the client saw it."""

    hot: bool
    seconds: float  # every request the client made for this order
    status: int  # the answer that decided it: 201, or the refusal; 0: transport error
    code: str
    orders: int = 0  # orders the 201 created
    calls: list[Call] = field(default_factory=list)


# --- HTTP clients ----------------------------------------------------------------------------


class Dispatcher:
    """Hands out the plan in order, skipping orders whose buyer has one in flight (a buyer has
    one cart, so two clients must not fill it at once)."""

    def __init__(self, plan: list[PlannedOrder]) -> None:
        self.pending = list(plan)
        self.busy: set[int] = set()
        self.changed = threading.Condition()

    def take(self) -> PlannedOrder | None:
        with self.changed:
            while self.pending:
                for index, order in enumerate(self.pending):
                    if order.customer not in self.busy:
                        del self.pending[index]
                        self.busy.add(order.customer)
                        return order
                self.changed.wait()
            return None

    def done(self, order: PlannedOrder) -> None:
        with self.changed:
            self.busy.discard(order.customer)
            self.changed.notify_all()


def send(
    session: KeepAliveClient,
    method: str,
    base: str,
    path: str,
    headers: dict[str, str],
    calls: list[Call],
    body: dict[str, Any] | None = None,
) -> tuple[int, str, Any]:
    """One request; its status, problem code (when not 2xx) and JSON body (or None)."""
    started = time.perf_counter()
    try:
        response = session.request(method, path, headers, body)
    except TransportError as exc:
        calls.append(Call(f"{method} {path}", 0, time.perf_counter() - started))
        return 0, str(exc), None
    calls.append(Call(f"{method} {path}", response.status, time.perf_counter() - started))
    try:
        data = response.json()
    except ValueError:
        data = None
    code = ""
    if response.status >= 300:
        code = (
            str(data.get("code", ""))
            if isinstance(data, dict)
            else response.content[:80].decode(errors="replace")
        )
    return response.status, code, data


def place_direct(
    session: KeepAliveClient, base: str, order: PlannedOrder, headers: dict[str, str]
) -> Sample:
    calls: list[Call] = []
    body = {"shop": order.shop, "items": [{"variant": v, "quantity": q} for v, q in order.lines]}
    status, code, _ = send(session, "POST", base, "/api/orders/", headers, calls, body)
    return Sample(order.hot, calls[0].seconds, status, code, int(status == 201), calls)


def place_cart(
    session: KeepAliveClient, base: str, order: PlannedOrder, headers: dict[str, str]
) -> Sample:
    """Add the lines, check out; after a refusal, empty the cart again."""
    calls: list[Call] = []
    auth = {"Authorization": headers["Authorization"]}
    added = 0
    status, code, data = 201, "", None
    for variant, quantity in order.lines:
        body = {"variant": variant, "quantity": quantity}
        status, code, _ = send(session, "POST", base, "/api/cart/items/", auth, calls, body)
        if status != 201:
            break
        added += 1
    if status == 201:
        status, code, data = send(session, "POST", base, "/api/checkout/", headers, calls, {})
    if status != 201 and added:
        send(session, "DELETE", base, "/api/cart/", auth, calls)
    created = len(data["orders"]) if status == 201 and isinstance(data, dict) else 0
    return Sample(order.hot, sum(c.seconds for c in calls), status, code, created, calls)


def run_flow(
    base: str, flow: str, plan: list[PlannedOrder], tokens: dict[int, str], args: Any, tag: str
) -> tuple[list[Sample], float]:
    place = place_direct if flow == "direct" else place_cart
    dispatcher = Dispatcher(plan)
    samples: dict[int, Sample] = {}

    def client() -> None:
        session = KeepAliveClient(base)
        while (order := dispatcher.take()) is not None:
            headers = {"Authorization": f"Bearer {tokens[order.customer]}"}
            if not args.no_idempotency_key:
                headers["Idempotency-Key"] = f"bench-{tag}-{order.id}"
            try:
                samples[order.id] = place(session, base, order, headers)
            finally:
                dispatcher.done(order)
        session.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return [samples[order.id] for order in plan if order.id in samples], wall


def warm_up(base: str, tokens: dict[int, str], clients: int, count: int) -> None:
    """Reads only (own order list and cart): start every worker thread and its database
    connection."""
    users = sorted(tokens)
    lock = threading.Lock()
    left = list(range(count))

    def client() -> None:
        session = KeepAliveClient(base)
        while True:
            with lock:
                if not left:
                    session.close()
                    return
                index = left.pop()
            headers = {"Authorization": f"Bearer {tokens[users[index % len(users)]]}"}
            path = "/api/orders/" if index % 2 else "/api/cart/"
            session.request("GET", path, headers)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def http_flow(prepared: Prepared, flow: str, args: argparse.Namespace, tag: str) -> dict[str, Any]:
    """One flow of the plan against a fresh gunicorn of the tree, from restocked variants;
    the client's figures, the server's CPU and memory, and the checks."""
    url, tree = prepared.url, prepared.tree
    restock(prepared)
    redis_forget(REDIS_URL)
    after_id = last_order_id(url)
    deadlocks_before = deadlocks(url)
    extra = {"JWT_ACCESS_MINUTES": JWT_MINUTES}
    served = url
    if args.pooler_url:  # the server goes through the pooler; set-up and checks do not
        served = database_url(args.pooler_url, urlsplit(url).path.lstrip("/"))
        extra["DB_TRANSACTION_POOLER"] = "1"
    load_before = os.getloadavg()[0]
    with gunicorn(served, args.workers, args.threads, REDIS_URL, extra, tree.root) as srv:
        warm_up(srv.base, prepared.catalog.tokens, args.clients, args.warmup)
        cpu_before = cpu_seconds(srv.pid)
        client_before = time.process_time()
        samples, wall = run_flow(
            srv.base, flow, prepared.plan, prepared.catalog.tokens, args, f"{flow}-{tag}"
        )
        cpu = cpu_seconds(srv.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        workers_rss = [rss_kib(pid) for pid in children(srv.pid)]
        master_rss = rss_kib(srv.pid)
        load_after = os.getloadavg()[0]
    time.sleep(0.5)  # the server's backends have exited and flushed their statistics
    result = flow_summary(samples, wall)
    result["server"] = {
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_order": round(1000 * cpu / result["created"], 2) if result["created"] else None,
        "worker_rss_mib": [round(kib / 1024, 1) for kib in workers_rss],
        "master_rss_mib": round(master_rss / 1024, 1),
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }
    result["client_cpu_ms_per_order"] = (
        round(1000 * client_cpu / result["created"], 2) if result["created"] else None
    )
    result["deadlocks"] = deadlocks(url) - deadlocks_before
    result["stock"] = stock_check(url, HTTP_PREFIX, prepared.start, after_id)
    ledger = ledger_mismatches(url)
    result["ledger_mismatches"] = len(ledger)
    result["ledger_mismatch_examples"] = ledger[:5]
    result["carts_left"] = carts_left(url)
    redis_forget(REDIS_URL)
    return result


def print_flow(label: str, flow: str, result: dict[str, Any]) -> None:
    latency = result["latency"]["all"]
    print(
        f"   {label:8} {flow:6} {result['orders_per_s']:7.1f} orders/s  "
        f"{result['requests_per_s']:7.1f} req/s  p50 {latency['p50_ms']:7.1f} ms  "
        f"p95 {latency['p95_ms']:7.1f} ms  created {result['created']}  "
        f"409 {result['refused_409']}  5xx {result['server_errors']}  "
        f"cpu {result['server']['cpu_ms_per_order']} ms/order "
        f"(client {result['client_cpu_ms_per_order']})",
        flush=True,
    )


# --- Main ------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders in the plan")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--flows", default="direct,cart", help="comma-separated: direct, cart (default: both)"
    )
    parser.add_argument(
        "--baseline", metavar="REF", help="also run a git worktree of REF and compare"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="HTTP rounds (the tree going first alternates)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="in-process profile instead of HTTP and pgbench"
    )
    parser.add_argument(
        "--profile-orders", type=int, default=200, help="orders per flow with --profile"
    )
    parser.add_argument(
        "--no-idempotency-key",
        action="store_true",
        help="place orders without an Idempotency-Key header",
    )
    parser.add_argument("--hot-share", type=float, default=0.3, help="share of hot orders")
    parser.add_argument("--hot-variants", type=int, default=5)
    parser.add_argument("--hot-stock", type=int, default=40, help="stock of each hot variant")
    parser.add_argument("--max-quantity", type=int, default=2, help="largest quantity per line")
    parser.add_argument("--customers", type=int, default=64)
    parser.add_argument("--products", type=int, default=5000, help="seeded catalog size")
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn worker processes (make run: 2)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up reads (not measured)")
    parser.add_argument("--pgbench-jobs", type=int, default=2, help="pgbench threads")
    parser.add_argument("--seed", type=int, default=42, help="plan seed")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--pooler-url",
        metavar="URL",
        help="the server under test connects through this transaction pooler (PgBouncer), with "
        "DB_TRANSACTION_POOLER=1 and the bench database's name; set-up, checks and pgbench "
        "connect to --database-url",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where orders.json and orders.md go"
    )
    args = parser.parse_args()
    args.flow_list = [name.strip() for name in args.flows.split(",") if name.strip()]
    unknown = set(args.flow_list) - set(FLOWS)
    if unknown or not args.flow_list:
        parser.error(f"--flows: choose from {', '.join(FLOWS)}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not args.profile and args.orders % args.clients:
        args.orders = math.ceil(args.orders / args.clients) * args.clients
        print(f"orders rounded up to {args.orders} (a multiple of --clients for pgbench)")
    return args


def terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, terminate)  # clean up the worktree as on Ctrl-C
    with ExitStack() as stack:
        trees = [Tree("current", ROOT, "working tree", git_commit("HEAD"), "bench_orders")]
        if args.baseline:
            print(f"== git worktree of {args.baseline}", flush=True)
            root = stack.enter_context(git_worktree(args.baseline))
            commit = git_commit(args.baseline)
            trees.insert(0, Tree("baseline", root, args.baseline, commit, "bench_orders_base"))
        if args.profile:
            from orders_profile import profile_trees

            return profile_trees(trees, args)
        return benchmark(trees, args)
    return 1


def benchmark(trees: list[Tree], args: argparse.Namespace) -> int:
    started = time.monotonic()
    prepared: dict[str, Prepared] = {}
    for tree in trees:
        print(f"== {tree.label}: database and catalog ({tree.ref}, {tree.commit[:10]})", flush=True)
        prepared[tree.label] = ready = set_up(tree, args)
        hot = sum(order.hot for order in ready.plan)
        print(
            f"   {ready.setup_seconds:.1f} s; {len(ready.plan)} orders ({hot} hot), "
            f"{len(ready.catalog.hot)} hot variants x {args.hot_stock}, "
            f"{len(ready.start) - len(ready.catalog.hot)} cold variants",
            flush=True,
        )
    labels = [tree.label for tree in trees]
    rounds = []
    for index in range(args.rounds):
        order = labels if index % 2 == 0 else labels[::-1]
        print(f"== HTTP round {index + 1}/{args.rounds}: {' then '.join(order)}", flush=True)
        results: dict[str, dict[str, Any]] = {}
        for label in order:
            for flow in args.flow_list:
                result = http_flow(prepared[label], flow, args, f"r{index}")
                results.setdefault(label, {})[flow] = result
                print_flow(label, flow, result)
        rounds.append({"round": index + 1, "order": order, "results": results})

    print("== pgbench (raw SQL) on the working tree's database", flush=True)
    from orders_sql import pgbench_phase

    current = prepared["current"]
    sql = pgbench_phase(current, args)
    print(
        f"   {sql['orders_per_s']} orders/s, {sql['tps']} tps, p50 {sql['latency']['p50_ms']} "
        f"ms, p95 {sql['latency']['p95_ms']} ms",
        flush=True,
    )
    ledger = ledger_mismatches(current.url)
    redis_forget(REDIS_URL)

    failures = failures_of(rounds, sql, len(ledger))
    first = current.plan
    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgres": server_version(current.url),
        },
        "settings": {
            "flows": args.flow_list,
            "orders": len(first),
            "hot_orders": sum(order.hot for order in first),
            "clients": args.clients,
            "hot_variants": len(current.catalog.hot),
            "hot_stock": args.hot_stock,
            "cold_variants": len(current.start) - len(current.catalog.hot),
            "max_quantity": args.max_quantity,
            "customers": args.customers,
            "products": args.products,
            "shops": args.shops,
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "warmup": args.warmup,
            "pgbench_jobs": args.pgbench_jobs,
            "seed": args.seed,
            "rounds": args.rounds,
            "idempotency_key": not args.no_idempotency_key,
            "pooler": bool(args.pooler_url),
        },
        "trees": {
            label: {
                "ref": ready.tree.ref,
                "commit": ready.tree.commit,
                "database": urlsplit(ready.url).path.lstrip("/"),
                "setup_seconds": round(ready.setup_seconds, 1),
            }
            for label, ready in prepared.items()
        },
        "same_plan": len({repr(plan_key(ready)) for ready in prepared.values()}) == 1,
        "rounds": rounds,
        **comparison(rounds, labels, args.flow_list, sql),
        "pgbench": sql,
        "ledger_mismatches": ledger[:10],
        "failures": failures,
        "passed": not any(failures.values()),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    write(data, args.results_dir)
    if not data["passed"]:
        failed = {k: v for k, v in failures.items() if v}
        print(f"FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
