"""The orders benchmark's in-process profile (`bench/orders.py --profile`): the first
`--profile-orders` orders of the plan, direct and through the cart, placed with Django's test
`Client` in one process of the tree under test (`manage.py shell`, no gunicorn), with the
buyers' access tokens and the Idempotency-Key headers the HTTP clients send.

Each flow runs twice from restocked variants: a timed pass (wall time per request and the
statements each request sends) and a profiled pass (cProfile enabled only around each request).

What is counted per request, on the `default` connection:
- statements: every `cursor.execute`/`executemany` Django sends (a `connection.execute_wrapper`),
  by first keyword; SAVEPOINT, RELEASE and ROLLBACK TO SAVEPOINT go through the same path and
  are counted as statements;
- transactions: COMMITs and ROLLBACKs of the connection (its `commit`/`rollback` wrapped) while
  psycopg is in a transaction. psycopg sends BEGIN implicitly before the first statement of a
  transaction, so BEGINs = transactions; round trips = statements + 2 x transactions;
- autocommit statements: statements sent outside any transaction (each its own transaction).
Connection set-up (a new connection's own queries) is not counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from common import RESULTS, django_snippet
from orders_checks import ledger_mismatches
from orders_plan import REDIS_URL, Prepared, Tree, redis_forget, set_up, snippet_env

TOP = 25

PROFILE_SNIPPET = r"""
import cProfile, json, os, pstats, time
from django.db import connections
from django.test import Client
from psycopg.pq import TransactionStatus
from souk.catalog.models import Variant
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import StockChange, stock_apply

params = json.loads(os.environ["BENCH_PARAMS"])
connection = connections["default"]
current = [None]  # the counts of the request running now


def count_statement(execute, sql, sql_params, many, context):
    counts = current[0]
    if counts is not None:
        words = sql.lstrip().split(None, 1)
        kind = words[0].upper() if words else "?"
        if kind == "ROLLBACK":
            kind = "ROLLBACK TO SAVEPOINT"
        counts["kinds"][kind] = counts["kinds"].get(kind, 0) + 1
        counts["statements"] += 1
        if not connection.in_atomic_block and connection.get_autocommit():
            counts["autocommit"] += 1
    return execute(sql, sql_params, many, context)


def counting(name, key):
    original = getattr(connection, name)

    def wrapped(*args, **kwargs):
        counts, raw = current[0], connection.connection
        if counts is not None and raw is not None and (
            raw.info.transaction_status != TransactionStatus.IDLE
        ):
            counts[key] += 1
        return original(*args, **kwargs)

    setattr(connection, name, wrapped)


connection.execute_wrappers.append(count_statement)
counting("commit", "commits")
counting("rollback", "rollbacks")
client = Client(raise_request_exception=False)
tokens = {int(k): v for k, v in params["tokens"].items()}


def request(method, path, token, body=None, key=None, profiler=None, records=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    counts = current[0] = {"kinds": {}, "statements": 0, "autocommit": 0,
                           "commits": 0, "rollbacks": 0}
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    if method == "POST":
        response = client.post(path, data=json.dumps(body), content_type="application/json",
                               **headers)
    elif method == "DELETE":
        response = client.delete(path, **headers)
    else:
        response = client.get(path, **headers)
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    current[0] = None
    if records is not None:
        records.append({"route": f"{method} {path}", "status": response.status_code,
                        "ms": elapsed * 1000, **counts})
    try:
        data = json.loads(response.content) if response.content else None
    except ValueError:
        data = None
    return response.status_code, data


def place(flow, order, key, profiler, records):
    token = tokens[order["customer"]]
    if flow == "direct":
        body = {"shop": order["shop"],
                "items": [{"variant": v, "quantity": q} for v, q in order["lines"]]}
        status, _ = request("POST", "/api/orders/", token, body, key, profiler, records)
        return status, int(status == 201)
    added, status, data = 0, 201, None
    for variant, quantity in order["lines"]:
        status, _ = request("POST", "/api/cart/items/", token,
                            {"variant": variant, "quantity": quantity}, None, profiler, records)
        if status != 201:
            break
        added += 1
    if status == 201:
        status, data = request("POST", "/api/checkout/", token, {}, key, profiler, records)
    if status != 201 and added:
        request("DELETE", "/api/cart/", token, None, None, profiler, records)
    return status, len(data["orders"]) if status == 201 and isinstance(data, dict) else 0


def restock():
    target = {int(k): v for k, v in params["stock"].items()}
    now = dict(Variant.all_objects.filter(pk__in=target).values_list("pk", "quantity"))
    changes = [StockChange(vid, target[vid] - now[vid]) for vid in sorted(target)
               if target[vid] != now[vid]]
    if changes:
        stock_apply(changes=changes, reason=StockMovement.Reason.ADJUSTMENT,
                    note="bench: restock")


def pct(values, q):
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def label(key):
    path, line, name = key
    if path == "~":
        return name
    for prefix in params["prefixes"]:
        if path.startswith(prefix):
            path = path[len(prefix):]
            break
    return f"{path}:{line}({name})"


# What wraps every request: Django's test client and handlers, the middleware and DRF's
# dispatch. Left out of the cumulative table (their own time stays in the other one).
DISPATCH = ("django/test/", "django/core/handlers/", "django/utils/deprecation.py",
            "django/views/decorators/", "django/views/generic/base.py")


def dispatching(key):
    path, _, name = key
    if path == "~":
        return False
    if any(part in path for part in DISPATCH):
        return True
    if name == "__call__" and path.endswith("middleware.py"):
        return True
    return name == "dispatch" and path.endswith("rest_framework/views.py")


def top(profiler, orders):
    stats = pstats.Stats(profiler).stats
    total = sum(tt for _, _, tt, _, _ in stats.values())
    rows = []
    for key, (_, calls, tt, ct, _) in stats.items():
        name = label(key)
        if key[0] == "<string>" or "_lsprof.Profiler" in name:
            continue
        rows.append({"function": name, "calls_per_order": round(calls / orders, 2),
                     "tottime_ms_per_order": round(1000 * tt / orders, 3),
                     "cumtime_ms_per_order": round(1000 * ct / orders, 3),
                     "dispatch": dispatching(key)})
    by_cum = [r for r in sorted(rows, key=lambda r: -r["cumtime_ms_per_order"])
              if not r["dispatch"]][: params["top"]]
    by_tot = sorted(rows, key=lambda r: -r["tottime_ms_per_order"])[: params["top"]]
    for r in by_cum + by_tot:
        r.pop("dispatch", None)
    return {"total_ms_per_order": round(1000 * total / orders, 2),
            "top_cumulative": by_cum, "top_tottime": by_tot}


for token in list(tokens.values())[:8]:  # warm up: imports, URL resolver, connection
    request("GET", "/api/orders/", token)
    request("GET", "/api/cart/", token)

out = {"flows": {}}
for flow in params["flows"]:
    result = {}
    for pass_name in ("timed", "profiled"):
        restock()
        profiler = cProfile.Profile() if pass_name == "profiled" else None
        records, order_ms, created, statuses = [], [], 0, {}
        for order in params["plan"]:
            key = None if params["no_key"] else f"profile-{flow}-{pass_name}-{order['id']}"
            first = len(records)
            status, made = place(flow, order, key, profiler, records)
            created += made
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            mine = records[first:]
            order_ms.append(sum(r["ms"] for r in mine))
            for r in mine:
                r["order"] = order["id"]
        if pass_name == "timed":
            result.update({"orders": len(params["plan"]), "created": created,
                           "status": statuses, "records": records,
                           "order_ms": {"p50": pct(order_ms, 0.5), "p95": pct(order_ms, 0.95)}})
        else:
            result["profile"] = top(profiler, len(params["plan"]))
            result["profiled_created"] = created
    out["flows"][flow] = result
restock()
with open(os.environ["BENCH_OUT"], "w") as handle:
    json.dump(out, handle)
"""

KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE", "ROLLBACK TO SAVEPOINT")


def _pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def routes(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per route and status: requests, mean statements (all, by kind, in autocommit),
    transactions, round trips, and wall ms p50/p95."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(f"{record['route']} {record['status']}", []).append(record)
    out = {}
    for key, group in sorted(groups.items()):
        transactions = [r["commits"] + r["rollbacks"] for r in group]
        out[key] = {
            "requests": len(group),
            "statements": _mean([r["statements"] for r in group]),
            "by_kind": {
                kind: _mean([r["kinds"].get(kind, 0) for r in group])
                for kind in sorted({k for r in group for k in r["kinds"]})
            },
            "autocommit_statements": _mean([r["autocommit"] for r in group]),
            "transactions": _mean(transactions),
            "rollbacks": _mean([r["rollbacks"] for r in group]),
            "round_trips": _mean(
                [r["statements"] + 2 * t for r, t in zip(group, transactions, strict=True)]
            ),
            "wall_p50_ms": _pct([r["ms"] for r in group], 0.5),
            "wall_p95_ms": _pct([r["ms"] for r in group], 0.95),
        }
    return out


def profile_tree(prepared: Prepared, args: argparse.Namespace) -> dict[str, Any]:
    tree = prepared.tree
    plan = prepared.plan[: args.profile_orders]
    params = {
        "plan": [
            {"id": o.id, "customer": o.customer, "shop": o.shop, "lines": o.lines} for o in plan
        ],
        "tokens": {str(k): v for k, v in prepared.catalog.tokens.items()},
        "stock": {str(k): v for k, v in prepared.start.items()},
        "flows": args.flow_list,
        "no_key": args.no_idempotency_key,
        "top": TOP,
        "prefixes": [
            *sorted({p + "/" for p in sys.path if p.endswith("site-packages")}),
            str(tree.root) + "/",
            sys.base_prefix + "/lib/",
        ],
    }
    env = snippet_env(prepared.url, DEBUG="0", ALLOWED_HOSTS="testserver,localhost,127.0.0.1")
    data: dict[str, Any] = django_snippet(PROFILE_SNIPPET, env, params, tree.root)
    redis_forget(REDIS_URL)
    for result in data["flows"].values():
        records = result.pop("records")
        result["routes"] = routes(records)
        per_order: dict[int, int] = {}
        for record in records:
            per_order[record["order"]] = per_order.get(record["order"], 0) + record["statements"]
        result["statements_per_order"] = _mean([float(v) for v in per_order.values()])
        result["server_errors"] = sum(1 for r in records if r["status"] >= 500)
        result["requests"] = len(records)
    data["ledger_mismatches"] = len(ledger_mismatches(prepared.url))
    return data


def profile_trees(trees: list[Tree], args: argparse.Namespace) -> int:
    results: dict[str, Any] = {}
    for tree in trees:
        print(f"== {tree.label}: database and catalog ({tree.ref}, {tree.commit[:10]})", flush=True)
        prepared = set_up(tree, args)
        print(f"== {tree.label}: profile, {args.profile_orders} orders per flow", flush=True)
        results[tree.label] = {
            "ref": tree.ref,
            "commit": tree.commit,
            "setup_seconds": round(prepared.setup_seconds, 1),
            **profile_tree(prepared, args),
        }
        for flow, result in results[tree.label]["flows"].items():
            print(
                f"   {flow:6} order p50 {result['order_ms']['p50']} ms p95 "
                f"{result['order_ms']['p95']} ms, {result['statements_per_order']} "
                f"statements/order, created {result['created']}, 5xx {result['server_errors']}",
                flush=True,
            )
            for route, figures in result["routes"].items():
                print(
                    f"     {route:28} {figures['requests']:4} x {figures['statements']:6} "
                    f"statements, {figures['transactions']} transactions, p50 "
                    f"{figures['wall_p50_ms']} ms p95 {figures['wall_p95_ms']} ms",
                    flush=True,
                )
    failures = {
        "server_errors": sum(
            flow["server_errors"] for tree in results.values() for flow in tree["flows"].values()
        ),
        "ledger_mismatches": sum(tree["ledger_mismatches"] for tree in results.values()),
    }
    data = {
        "settings": {
            "orders_per_flow": args.profile_orders,
            "flows": args.flow_list,
            "seed": args.seed,
            "products": args.products,
            "shops": args.shops,
            "idempotency_key": not args.no_idempotency_key,
        },
        "trees": results,
        "failures": failures,
        "passed": not any(failures.values()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "orders_profile.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "orders_profile.md").write_text(markdown(data))
    print(f"wrote {RESULTS / 'orders_profile.json'} and {RESULTS / 'orders_profile.md'}")
    return 0 if data["passed"] else 1


def markdown(data: dict[str, Any]) -> str:
    s = data["settings"]
    lines = [
        "# Orders benchmark: in-process profile",
        "",
        f"The first {s['orders_per_flow']} orders of the plan (seed {s['seed']}, {s['products']} "
        f"products in {s['shops']} shops) per flow, placed with Django's test `Client` in one "
        "`manage.py shell` process of each tree (no gunicorn, no network), with access tokens "
        f"and{'' if s['idempotency_key'] else ' without'} Idempotency-Key headers. Statements "
        "per request are every statement Django sent on the connection (SAVEPOINT, RELEASE "
        "and ROLLBACK TO SAVEPOINT included); transactions are COMMITs and ROLLBACKs, each "
        "with psycopg's implicit BEGIN, so round trips = statements + 2 x transactions. Wall "
        "times come from a pass without the profiler; the function tables from a second pass "
        "with cProfile on around each request (times per order, profiler overhead included; "
        "what wraps every request - Django's test client and handlers, the middleware's "
        "`__call__` and DRF's `dispatch` - is left out of the cumulative table, not of the "
        "own-time table).",
        "",
    ]
    trees = data["trees"]
    if "baseline" in trees:
        lines += [
            "## Working tree against baseline",
            "",
            "| flow | route and status | statements (baseline / current) | "
            "wall p50 ms (baseline / current) |",
            "|---|---|---|---|",
        ]
        for flow, now in trees["current"]["flows"].items():
            then = trees["baseline"]["flows"].get(flow, {"routes": {}})
            for route, figures in now["routes"].items():
                old = then["routes"].get(route, {})
                lines.append(
                    f"| {flow} | `{route}` | {old.get('statements')} / {figures['statements']} | "
                    f"{old.get('wall_p50_ms')} / {figures['wall_p50_ms']} |"
                )
        lines.append("")
    for label, tree in trees.items():
        lines += [f"## {label}: {tree['ref']} ({tree['commit'][:10]})", ""]
        for flow, result in tree["flows"].items():
            lines += [
                f"### {flow}: {result['orders']} orders, {result['created']} created, "
                f"{result['statements_per_order']} statements per order, order wall ms p50 "
                f"{result['order_ms']['p50']} / p95 {result['order_ms']['p95']}",
                "",
                "| route and status | requests | statements | "
                + " | ".join(KINDS)
                + " | transactions | autocommit | round trips | wall p50 ms | wall p95 ms |",
                "|---|---|---|" + "---|" * len(KINDS) + "---|---|---|---|---|",
            ]
            for route, r in result["routes"].items():
                kinds = " | ".join(str(r["by_kind"].get(kind, 0)) for kind in KINDS)
                lines.append(
                    f"| `{route}` | {r['requests']} | {r['statements']} | {kinds} | "
                    f"{r['transactions']} | {r['autocommit_statements']} | {r['round_trips']} | "
                    f"{r['wall_p50_ms']} | {r['wall_p95_ms']} |"
                )
            profile = result["profile"]
            for title, key in (
                ("cumulative", "top_cumulative"),
                ("own (total) time", "top_tottime"),
            ):
                lines += [
                    "",
                    f"Top {TOP} by {title} (profiled pass, {profile['total_ms_per_order']} ms "
                    "per order in all):",
                    "",
                    "| function | calls/order | own ms/order | cumulative ms/order |",
                    "|---|---|---|---|",
                ]
                lines += [
                    f"| `{row['function']}` | {row['calls_per_order']} | "
                    f"{row['tottime_ms_per_order']} | {row['cumtime_ms_per_order']} |"
                    for row in profile[key]
                ]
            lines.append("")
    lines += [
        f"Checks: 5xx {data['failures']['server_errors']}, ledger mismatches "
        f"{data['failures']['ledger_mismatches']}. Result: "
        f"**{'passed' if data['passed'] else 'FAILED'}**.",
        "",
    ]
    return "\n".join(lines)
